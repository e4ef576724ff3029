#pragma once
// The recorder's output turned into events (docs/sandbox.md §Recording): parses the lines
// `strace -f -ttt -y -v` writes and follows processes (fork/clone) to give each event its
// lifecycle phase, read from `npm_lifecycle_event` in the environment of each execve ("npm" for
// the package manager's own work, "load" for the loader). Pure; the trace is outside input (a
// package controls the paths and argv in it) and has a fuzz target.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::sandbox {

// One syscall line of the trace, with an unfinished call joined to its resumption.
struct Syscall {
  int pid = 0;
  double t = 0;
  std::string name;
  std::string args;    // Raw argument text.
  long long ret = 0;   // -1 on failure.
  std::string error;   // "ENOENT" etc. on failure.
  std::string ret_path;  // The path `-y` prints after a returned fd.
};

// Splits a trace into syscalls. Lines that are not syscalls (signals, exits) are skipped.
std::vector<Syscall> ParseTrace(std::string_view trace);

// Top-level comma-separated arguments (quotes, brackets and braces respected).
std::vector<std::string_view> SplitArgs(std::string_view args);
// A C string as strace prints it ("..." with \n, \", \\, \xNN, \NNN escapes; a trailing ...
// for truncation). nullopt when `quoted` is not a quoted string.
std::optional<std::string> Unquote(std::string_view quoted);

// NOTE: persisted (in stored reports); do not rename.
struct Event {
  double t = 0;
  int pid = 0;
  std::string phase;
  std::string kind;  // exec, read, write, delete, rename, chmod, mkdir, link, connect, send,
                     // ptrace, kill, sleep, clone-failed
  std::string path;  // File or executable (absolute when it could be resolved).
  std::string path2;  // rename / link target.
  std::vector<std::string> argv;
  std::string address;  // connect / send: IP or unix path.
  int port = 0;
  int64_t number = 0;  // sleep seconds; kill / ptrace target pid.
  bool ok = true;
  std::string error;
  int parent = 0;             // Parent pid (when known).
  std::string parent_exe;     // The parent's last executable.
  std::string exe;            // The process's own last executable.
};

// Follows processes through the syscalls and produces every event (no filtering: the rules
// decide what matters). The phase of a process is inherited from its parent until it execs
// with its own npm_lifecycle_event.
std::vector<Event> BuildEvents(const std::vector<Syscall>& calls);

}  // namespace bulwark::sandbox
