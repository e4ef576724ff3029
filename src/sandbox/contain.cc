#include "sandbox/contain.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "sandbox/decoys.h"
#include "sandbox/registry_forward.h"
#include "sandbox/seccomp.h"
#include "sandbox/sinks.h"

namespace bulwark::sandbox {
namespace {

namespace fs = std::filesystem;

// Ids inside the namespace. Root sets the namespace up and runs the tracer and the sinks; the
// package runs as kUser, which cannot signal or trace root's processes.
constexpr uid_t kUser = 1000;
constexpr int kExitSetupFailed = 99;
constexpr size_t kMaxOutput = 64 * 1024;
constexpr uint64_t kTraceFileLimit = 256ull << 20;  // strace's own RLIMIT_FSIZE.
// What strace records (docs/sandbox.md §Recording). --seccomp-bpf stops tracees only on these.
constexpr const char* kTraced =
    "trace=execve,execveat,clone,fork,vfork,open,openat,creat,unlink,unlinkat,rename,renameat,"
    "renameat2,chmod,fchmodat,mkdir,mkdirat,symlink,symlinkat,link,linkat,truncate,connect,"
    "sendto,sendmsg,ptrace,kill,tkill,nanosleep,clock_nanosleep";

[[noreturn]] void Die(int log_fd, std::string_view what) {
  std::string msg = StrCat(what, ": ", std::strerror(errno), "\n");
  if (log_fd >= 0) (void)!write(log_fd, msg.data(), msg.size());
  _exit(kExitSetupFailed);
}

bool WriteFile(const std::string& path, std::string_view data, mode_t mode = 0644) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return false;
  bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  close(fd);
  return ok;
}

std::string ReadFile(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  std::string out(limit, '\0');
  in.read(out.data(), static_cast<std::streamsize>(limit));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

unsigned long LockedFlags(const char* path) {
  struct statvfs s {};
  if (statvfs(path, &s) != 0) return 0;
  unsigned long f = 0;
  if (s.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (s.f_flag & ST_NODEV) f |= MS_NODEV;
  if (s.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (s.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (s.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (s.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

// A read-only bind of `src` at `dst`. In a user namespace the remount must keep the flags the
// outer mount has (they are locked), so they are read first.
void BindReadOnly(int log, const std::string& src, const std::string& dst) {
  if (mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    Die(log, StrCat("bind ", src));
  }
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | LockedFlags(src.c_str());
  if (mount(nullptr, dst.c_str(), nullptr, flags, nullptr) != 0) Die(log, StrCat("ro ", dst));
}

void Mkdirs(const std::string& path, mode_t mode = 0755) {
  std::error_code ec;
  fs::create_directories(path, ec);
  chmod(path.c_str(), mode);
}

void Touch(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

void Tmpfs(int log, const std::string& dst, uint64_t bytes, std::string_view mode) {
  std::string opts = StrCat("size=", bytes, ",mode=", mode);
  if (mount("tmpfs", dst.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
    Die(log, StrCat("tmpfs ", dst));
  }
}

// Builds the sandbox's root in `root` and pivots into it: the system read-only, private tmpfs
// home and /tmp, a minimal /dev, a fresh /proc, the run's input (read-only) and log folders.
void BuildRoot(int log, const std::string& host_dir, const std::string& self_exe,
               const Limits& limits) {
  const std::string root = host_dir + "/root";
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) Die(log, "private /");
  Tmpfs(log, root, 16 << 20, "0755");
  for (const char* d : {"/usr", "/etc", "/dev", "/proc", "/tmp", "/home/user", "/var/tmp",
                        "/.bulwark/in", "/.bulwark/log", "/.bulwark/bin", "/opt", "/srv"}) {
    Mkdirs(root + d);
  }
  for (const char* l : {"bin", "lib", "lib64", "sbin"}) {
    std::error_code ec;
    fs::create_symlink(StrCat("usr/", l), root + "/" + l, ec);
  }
  BindReadOnly(log, "/usr", root + "/usr");
  BindReadOnly(log, "/etc", root + "/etc");
  for (const char* f : {"resolv.conf", "hosts", "passwd", "group"}) {
    // Our resolver and hosts file: names resolve to the sinks, never to the host's resolver.
    // Our passwd and group: the sandbox user exists (getpwuid works) and host accounts do not
    // show.
    const std::string src = StrCat(host_dir, "/in/", f), dst = StrCat(root, "/etc/", f);
    if (mount(src.c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) != 0) Die(log, dst);
  }
  Tmpfs(log, root + "/dev", 1 << 20, "0755");
  for (const char* d : {"null", "zero", "full", "random", "urandom", "tty"}) {
    const std::string dst = StrCat(root, "/dev/", d);
    Touch(dst);
    if (mount(StrCat("/dev/", d).c_str(), dst.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      Die(log, dst);
    }
  }
  Mkdirs(root + "/dev/shm");
  Tmpfs(log, root + "/dev/shm", 16 << 20, "1777");
  std::error_code ec;
  fs::create_symlink("/proc/self/fd", root + "/dev/fd", ec);
  fs::create_symlink("/proc/self/fd/0", root + "/dev/stdin", ec);
  fs::create_symlink("/proc/self/fd/1", root + "/dev/stdout", ec);
  fs::create_symlink("/proc/self/fd/2", root + "/dev/stderr", ec);
  if (mount("proc", (root + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
            nullptr) != 0) {
    Die(log, "proc");
  }
  Tmpfs(log, root + "/tmp", limits.tmp_bytes, "1777");
  Tmpfs(log, root + "/var/tmp", 16 << 20, "1777");
  Tmpfs(log, root + "/home/user", limits.home_bytes, "0755");
  BindReadOnly(log, host_dir + "/in", root + "/.bulwark/in");
  if (mount((host_dir + "/log").c_str(), (root + "/.bulwark/log").c_str(), nullptr, MS_BIND,
            nullptr) != 0) {
    Die(log, "log bind");
  }
  Touch(root + "/.bulwark/bin/bulwark");
  BindReadOnly(log, self_exe, root + "/.bulwark/bin/bulwark");
  if (mount(nullptr, root.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
            nullptr) != 0) {
    Die(log, "ro root");
  }
  if (chdir(root.c_str()) != 0) Die(log, "chdir root");
  if (syscall(SYS_pivot_root, ".", ".") != 0) Die(log, "pivot_root");
  if (umount2(".", MNT_DETACH) != 0) Die(log, "umount old root");
  if (chdir("/") != 0) Die(log, "chdir /");
}

void LoopbackUp(int log) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) Die(log, "socket");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) Die(log, "lo flags");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) Die(log, "lo up");
  close(s);
}

void WriteDecoys(int log, std::string_view token) {
  for (const Decoy& d : Decoys(token)) {
    fs::path p(d.path);
    for (fs::path dir = p.parent_path(); dir.string().size() > kHome.size();
         dir = dir.parent_path()) {
      Mkdirs(dir.string(), 0700);
    }
    for (fs::path dir = p.parent_path(); dir.string().size() > kHome.size();
         dir = dir.parent_path()) {
      (void)!chown(dir.c_str(), kUser, kUser);
    }
    if (!WriteFile(d.path, d.content, 0600)) Die(log, d.path);
    (void)!chown(d.path.c_str(), kUser, kUser);
  }
  for (std::string d : {std::string(kProject), StrCat(kProject, "/.git/hooks"),
                        StrCat(kHome, "/.npm"), StrCat(kHome, "/.config"), StrCat(kHome, "/.cache")}) {
    Mkdirs(d);
  }
  WriteFile(StrCat(kProject, "/package.json"),
            "{\"name\":\"sandbox-project\",\"version\":\"1.0.0\",\"private\":true}\n");
  WriteFile(StrCat(kProject, "/.git/HEAD"), "ref: refs/heads/main\n");
  // Everything under the home belongs to the sandbox user.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(std::string(kHome), ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    (void)!lchown(it->path().c_str(), kUser, kUser);
  }
  (void)!chown(std::string(kHome).c_str(), kUser, kUser);
}

std::vector<std::string> Env(const ContainOptions& o) {
  return {"HOME=/home/user",
          "USER=user",
          "LOGNAME=user",
          "SHELL=/bin/sh",
          "PATH=/usr/local/bin:/usr/bin:/bin",
          "LANG=C.UTF-8",
          "TMPDIR=/tmp",
          "npm_config_registry=http://127.0.0.1:4873/",
          "npm_config_audit=false",
          "npm_config_fund=false",
          "npm_config_update_notifier=false",
          "npm_config_loglevel=warn",
          "npm_config_progress=false",
          // Secrets in the environment too, as CI runners have them (Shai-Hulud dumps env).
          StrCat("NPM_TOKEN=", o.honey_token),
          StrCat("AWS_ACCESS_KEY_ID=", DecoyAwsKeyId(o.honey_token))};
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

bool IsSandboxUser(int pid) {
  std::string status = ReadFile(StrCat("/proc/", pid, "/status"), 4096);
  for (std::string_view line : StrSplit(status, '\n')) {
    if (ConsumePrefix(&line, "State:")) {
      if (StrContains(line, "Z")) return false;
    }
    if (ConsumePrefix(&line, "Uid:")) {
      auto parts = StrSplit(line, ByAnyChar{" \t"}, SkipEmpty());
      uint32_t uid = 0;
      return !parts.empty() && SimpleAtoi(parts[0], &uid) && uid == kUser;
    }
  }
  return false;
}

std::vector<int> Pids() {
  std::vector<int> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    int pid = 0;
    if (SimpleAtoi(std::string_view(e->d_name), &pid) && pid > 1) out.push_back(pid);
  }
  closedir(d);
  return out;
}

void ReapAll(int strace_pid, bool& strace_done) {
  int status = 0;
  pid_t p;
  while ((p = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
    if (p == strace_pid) strace_done = true;
  }
}

// Pid 1 of the namespace: sets it up, runs strace on the helper, serves the sinks until the
// driver finishes or time runs out, lists and kills what is left, and exits (which tears the
// namespace down).
[[noreturn]] void Init(const ContainOptions& o, const std::string& host_dir, int go_fd) {
  char c;
  if (read(go_fd, &c, 1) != 1) _exit(kExitSetupFailed);
  close(go_fd);
  int log = open((host_dir + "/setup.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                 0600);
  // Drop the host root's groups and become the namespace's root (a host id nobody owns).
  if (setgroups(0, nullptr) != 0) Die(log, "setgroups");
  if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) Die(log, "setresuid");
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (sethostname("sandbox", 7) != 0) Die(log, "hostname");
  BuildRoot(log, host_dir, o.self_exe, o.limits);
  LoopbackUp(log);
  WriteDecoys(log, o.honey_token);
  Sinks sinks;
  if (auto s = sinks.Open(!o.registry_url.empty()); !s.ok()) {
    std::string m = s.ToString();
    (void)!write(log, m.data(), m.size());
    _exit(kExitSetupFailed);
  }
  int done[2];
  if (pipe2(done, O_CLOEXEC) != 0) Die(log, "pipe");
  const auto start = std::chrono::steady_clock::now();
  pid_t tracer = fork();
  if (tracer < 0) Die(log, "fork");
  if (tracer == 0) {
    rlimit fsz{kTraceFileLimit, kTraceFileLimit};
    setrlimit(RLIMIT_FSIZE, &fsz);
    int wfd = fcntl(done[1], F_DUPFD, 3);  // Without O_CLOEXEC: inherited by strace -> helper.
    const Limits& l = o.limits;
    std::vector<std::string> argv = {
        "/usr/bin/strace", "-f", "-qq", "-ttt", "-y", "-v", "-s", "512", "--seccomp-bpf",
        "-e", kTraced, "-o", "/.bulwark/log/trace", "/.bulwark/bin/bulwark", "sandbox", "_exec",
        "--done-fd", StrCat(wfd),
        "--limits", StrCat(l.cpu_seconds, ",", l.address_space, ",", l.processes, ",",
                           l.open_files, ",", l.file_size),
        "--", "/bin/sh", "/.bulwark/in/driver.sh"};
    std::vector<std::string> env = Env(o);
    auto cargv = CStrings(argv);
    auto cenv = CStrings(env);
    execve(cargv[0], cargv.data(), cenv.data());
    Die(log, "exec strace");
  }
  close(done[1]);
  fcntl(done[0], F_SETFL, O_NONBLOCK);
  const auto deadline = start + std::chrono::seconds(o.limits.timeout_seconds);
  bool strace_done = false, finished = false, timed_out = false;
  int exit_code = -1;
  while (!finished && !strace_done) {
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
      break;
    }
    sinks.Poll(done[0], 100);
    unsigned char code;
    ssize_t n = read(done[0], &code, 1);
    if (n == 1) {
      finished = true;
      exit_code = code;
    }
    ReapAll(tracer, strace_done);
  }
  // Processes of the sandbox user still alive once the driver returned: daemons.
  std::string left;
  for (int pid : Pids()) {
    if (pid == tracer || !IsSandboxUser(pid)) continue;
    std::string cmd = ReadFile(StrCat("/proc/", pid, "/cmdline"), 512);
    for (char& ch : cmd) {
      if (ch == '\0') ch = ' ';
    }
    StrAppend(&left, pid, "\t", StripAsciiWhitespace(cmd), "\n");
  }
  WriteFile("/.bulwark/log/left", left, 0600);
  // Kill everything but the tracer, until nothing is left (a fork bomb keeps forking while it
  // is being killed; RLIMIT_NPROC bounds how long that lasts).
  for (int round = 0; round < 200; ++round) {
    bool any = false;
    for (int pid : Pids()) {
      if (pid == tracer) continue;
      any = true;
      kill(pid, SIGKILL);
    }
    ReapAll(tracer, strace_done);
    if (!any) break;
    usleep(5000);
  }
  // strace exits once its tracees are gone, flushing the trace.
  for (int i = 0; i < 300 && !strace_done; ++i) {
    usleep(10000);
    ReapAll(tracer, strace_done);
  }
  sinks.Flush("/.bulwark/log/sinks");
  WriteFile("/.bulwark/log/status",
            StrCat(exit_code, " ", timed_out ? 1 : 0, " ", strace_done ? 1 : 0, "\n"), 0600);
  _exit(0);
}

std::string MakeTempDir(const std::string& parent) {
  std::string tmpl = parent + "/bulwark-sandbox-XXXXXX";
  if (!mkdtemp(tmpl.data())) return "";
  return tmpl;
}

std::string ResolvConf() { return "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"; }
std::string Hosts() { return "127.0.0.1 localhost sandbox\n::1 localhost\n"; }
std::string Passwd() {
  return "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n"
         "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
}
std::string Group() { return "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n"; }

}  // namespace

// The driver and the loader are shipped as data files (data/sandbox/) next to the binary would
// be one more thing to install; they are small, so they are compiled in.
extern const char kDriverScript[];
extern const char kLoaderScript[];

absl::StatusOr<RawRun> RunContained(const ContainOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string dir = MakeTempDir(o.temp_parent);
  if (dir.empty()) return absl::InternalError(StrCat("mkdtemp: ", std::strerror(errno)));
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  chmod(dir.c_str(), 0755);
  const uid_t ns_root = o.host_id_base, ns_user = o.host_id_base + kUser;
  Mkdirs(dir + "/root");
  Mkdirs(dir + "/in");
  Mkdirs(dir + "/log", 0700);
  (void)!chown((dir + "/log").c_str(), ns_root, ns_root);
  // Where pid 1 reports a failed setup; written as the namespace's root.
  WriteFile(dir + "/setup.log", "", 0600);
  (void)!chown((dir + "/setup.log").c_str(), ns_root, ns_root);
  std::error_code ec;
  fs::copy_file(o.tarball, dir + "/in/package.tgz", ec);
  if (ec) return absl::NotFoundError(StrCat("cannot read ", o.tarball, ": ", ec.message()));
  chmod((dir + "/in/package.tgz").c_str(), 0644);
  WriteFile(dir + "/in/driver.sh", kDriverScript);
  WriteFile(dir + "/in/load.js", kLoaderScript);
  WriteFile(dir + "/in/resolv.conf", ResolvConf());
  WriteFile(dir + "/in/hosts", Hosts());
  WriteFile(dir + "/in/passwd", Passwd());
  WriteFile(dir + "/in/group", Group());

  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) return absl::InternalError("pipe");
  const unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
                              CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD;
  long pid = syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr);
  if (pid < 0) {
    close(go[0]);
    close(go[1]);
    return absl::FailedPreconditionError(
        StrCat("cannot create namespaces (", std::strerror(errno),
               "): the sandbox needs unprivileged user namespaces or root"));
  }
  if (pid == 0) {
    close(go[1]);
    Init(o, dir, go[0]);
  }
  close(go[0]);
  const std::string maps = StrCat("0 ", ns_root, " 1\n", kUser, " ", ns_user, " 1\n");
  bool mapped = WriteFile(StrCat("/proc/", pid, "/uid_map"), maps) &&
                WriteFile(StrCat("/proc/", pid, "/gid_map"), maps);
  if (!mapped) {
    kill(static_cast<pid_t>(pid), SIGKILL);
    waitpid(static_cast<pid_t>(pid), nullptr, 0);
    close(go[1]);
    return absl::FailedPreconditionError("cannot write the namespace's id maps");
  }
  std::unique_ptr<RegistryForwarder> forwarder;
  if (!o.registry_url.empty()) {
    absl::Status listening = o.http ? absl::OkStatus()
                                    : absl::InvalidArgumentError("registry without a client");
    if (listening.ok()) {
      forwarder = std::make_unique<RegistryForwarder>(o.registry_url, *o.http);
      listening = forwarder->Listen(static_cast<pid_t>(pid));
    }
    if (!listening.ok()) {
      kill(static_cast<pid_t>(pid), SIGKILL);
      waitpid(static_cast<pid_t>(pid), nullptr, 0);
      close(go[1]);
      return listening;
    }
  }
  (void)!write(go[1], "g", 1);
  close(go[1]);
  // The host side's own deadline, in case pid 1 itself hangs: killing it tears the namespace
  // down, and every process in it with it.
  const auto hard = t0 + std::chrono::seconds(o.limits.timeout_seconds + 20);
  int status = 0;
  bool killed = false;
  while (true) {
    pid_t r = waitpid(static_cast<pid_t>(pid), &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) break;
    if (!killed && std::chrono::steady_clock::now() > hard) {
      kill(static_cast<pid_t>(pid), SIGKILL);
      killed = true;
    }
    if (forwarder) {
      forwarder->Poll(10);
    } else {
      usleep(10000);
    }
  }
  RawRun run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (WIFEXITED(status) && WEXITSTATUS(status) == kExitSetupFailed) {
    return absl::InternalError(
        StrCat("sandbox setup failed: ", ReadFile(dir + "/setup.log", 4096)));
  }
  run.trace = ReadFile(dir + "/log/trace", kTraceFileLimit);
  run.sinks = ReadFile(dir + "/log/sinks", 8 << 20);
  run.left_running = ReadFile(dir + "/log/left", 64 * 1024);
  if (forwarder) {
    std::string refused;
    forwarder->Finish(&refused, &run.registry);
    run.sinks += refused;
  }
  run.output = ReadFile(dir + "/log/output", kMaxOutput);
  std::istringstream st(ReadFile(dir + "/log/status", 100));
  int timed_out = 0;
  st >> run.exit_code >> timed_out;
  run.timed_out = timed_out != 0 || killed;
  return run;
}

int ExecHelper(int done_fd, const std::vector<std::string>& argv, const Limits& l) {
  if (argv.empty()) return 2;
  pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) {
    close(done_fd);
    int out = open("/.bulwark/log/output", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out >= 0) {
      (void)!fchown(out, kUser, kUser);
      dup2(out, 1);
      dup2(out, 2);
      close(out);
    }
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    closefrom(3);
    auto lim = [](int which, uint64_t v) {
      rlimit r{v, v};
      setrlimit(which, &r);
    };
    lim(RLIMIT_CPU, l.cpu_seconds);
    lim(RLIMIT_AS, l.address_space);
    lim(RLIMIT_NPROC, l.processes);
    lim(RLIMIT_NOFILE, l.open_files);
    lim(RLIMIT_FSIZE, l.file_size);
    lim(RLIMIT_CORE, 0);
    if (setgroups(0, nullptr) != 0 || setresgid(kUser, kUser, kUser) != 0 ||
        setresuid(kUser, kUser, kUser) != 0) {
      _exit(kExitSetupFailed);
    }
    if (!InstallSeccompFilter().ok()) _exit(kExitSetupFailed);
    if (chdir(std::string(kProject).c_str()) != 0) _exit(kExitSetupFailed);
    std::vector<std::string> args = argv;
    auto cargv = CStrings(args);
    execve(cargv[0], cargv.data(), environ);
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  unsigned char code = WIFEXITED(status) ? static_cast<unsigned char>(WEXITSTATUS(status))
                                         : static_cast<unsigned char>(128 + WTERMSIG(status));
  (void)!write(done_fd, &code, 1);
  return code;
}

}  // namespace bulwark::sandbox
