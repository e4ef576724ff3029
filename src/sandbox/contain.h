#pragma once
// The containment (docs/sandbox.md §Isolation): runs a driver (npm install of the tarball, then
// the loader of its entry points) as an unprivileged user inside new user, PID, mount, network,
// IPC and UTS namespaces, under strace (the recorder), a seccomp deny-list and rlimits, with a
// DNS responder and TCP/HTTP sinks on the namespace's loopback. Everything in the namespace is
// killed at the end (PID namespace teardown) and the temp folder removed.
//
// Linux only; the calling process must be single-threaded (it forks) and root on the host, or
// own a user namespace that can map the two sandbox ids. Not thread-safe: the server runs it
// as a child process (`bulwark sandbox run --json`), never in-process.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bulwark/env/http_client.h"

namespace bulwark::sandbox {

// Limits with the reason each exists; all enforced per run.
struct Limits {
  int timeout_seconds = 90;          // Wall clock for install + load (long sleeps end here).
  uint64_t cpu_seconds = 120;        // RLIMIT_CPU per process: spinners die.
  uint64_t address_space = 4ull << 30;  // RLIMIT_AS: node reserves ~1 GB; hogs fail to allocate.
  uint64_t processes = 256;          // RLIMIT_NPROC for the sandbox uid: fork bombs stop.
  uint64_t open_files = 1024;        // RLIMIT_NOFILE.
  uint64_t file_size = 64ull << 20;  // RLIMIT_FSIZE: one file at most 64 MiB.
  uint64_t home_bytes = 768ull << 20;  // tmpfs size of the writable home (project inside).
  uint64_t tmp_bytes = 256ull << 20;   // tmpfs size of /tmp.
};

struct ContainOptions {
  std::string tarball;      // Host path of the package tarball.
  std::string self_exe;     // Host path of the bulwark binary (runs the `sandbox _exec` helper).
  std::string temp_parent = "/tmp";
  std::string honey_token;  // Written into the decoy ~/.npmrc.
  // Host ids the namespace's root (0) and sandbox user (1000) map to: ids nobody on the host
  // owns, so a process that escaped the mount view could touch only world-writable files.
  uint32_t host_id_base = 200000;
  Limits limits;
  // The Bulwark that npm's registry reads inside the sandbox are forwarded to
  // (sandbox/registry_forward.h); empty: the registry port is a sink (404). `http` fetches them.
  std::string registry_url;
  HttpClient* http = nullptr;
};

// What the run left behind, read after the namespace is gone.
struct RawRun {
  std::string trace;           // strace -f -ttt -y -v output.
  std::string sinks;           // JSON lines from the DNS responder and TCP/HTTP sinks.
  std::string registry;        // JSON lines of the registry reads forwarded to Bulwark.
  std::string left_running;    // "pid\tcmdline" lines of processes alive after the driver.
  std::string output;          // The driver's stdout+stderr (truncated to 64 KiB).
  int exit_code = -1;          // The driver's exit status (-1 when it did not finish).
  bool timed_out = false;
  double seconds = 0;
  std::string decoy_home = "/home/user";
};

absl::StatusOr<RawRun> RunContained(const ContainOptions& options);

// The `sandbox _exec` helper, run by strace as the namespace's root: forks the driver as the
// sandbox user under the seccomp filter and rlimits, waits for it, writes one byte to `done_fd`
// and returns the driver's exit code.
int ExecHelper(int done_fd, const std::vector<std::string>& argv, const Limits& limits);

}  // namespace bulwark::sandbox
