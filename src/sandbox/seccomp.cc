#include "sandbox/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cstring>
#include <vector>

#include "base/strings.h"

namespace bulwark::sandbox {
namespace {

// Calls that escape or blind the sandbox. io_uring is here because its operations (open,
// connect, ...) bypass the syscall tracer; process_vm_* because a package must not read or write
// other processes' memory. ptrace is not: under strace every sandbox process is already traced
// (so attaching fails) and the tracer runs as another uid, while a denied call would not be
// recorded at all (seccomp's errno wins over strace's trace stop) - docs/sandbox.md §Recording.
constexpr int kDenied[] = {
    SYS_process_vm_readv, SYS_process_vm_writev, SYS_mount,
    SYS_umount2,         SYS_pivot_root,       SYS_chroot,            SYS_unshare,
    SYS_setns,           SYS_keyctl,           SYS_add_key,           SYS_request_key,
    SYS_bpf,             SYS_perf_event_open,  SYS_kexec_load,        SYS_kexec_file_load,
    SYS_init_module,     SYS_finit_module,     SYS_delete_module,     SYS_reboot,
    SYS_swapon,          SYS_swapoff,          SYS_syslog,            SYS_userfaultfd,
    SYS_open_by_handle_at, SYS_name_to_handle_at, SYS_acct,           SYS_quotactl,
    SYS_iopl,            SYS_ioperm,           SYS_settimeofday,      SYS_clock_settime,
    SYS_adjtimex,        SYS_clock_adjtime,    SYS_io_uring_setup,    SYS_io_uring_enter,
    SYS_io_uring_register, SYS_fanotify_init,  SYS_lookup_dcookie,    SYS_move_mount,
    SYS_open_tree,       SYS_fsopen,           SYS_fsmount,           SYS_fsconfig,
    SYS_fspick,          SYS_mount_setattr,    SYS_personality,
};

constexpr unsigned kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                     CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;

sock_filter Stmt(unsigned short code, unsigned k) { return BPF_STMT(code, k); }
sock_filter Jump(unsigned short code, unsigned k, unsigned char jt, unsigned char jf) {
  return BPF_JUMP(code, k, jt, jf);
}

}  // namespace

absl::Status InstallSeccompFilter() {
  std::vector<sock_filter> f;
  const unsigned kErrPerm = SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);
  f.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  f.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
  f.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  f.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  // x32 ABI numbers alias the 64-bit ones; refuse them all.
  f.push_back(Jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
  f.push_back(Stmt(BPF_RET | BPF_K, kErrPerm));
  for (int nr : kDenied) {
    f.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 1));
    f.push_back(Stmt(BPF_RET | BPF_K, kErrPerm));
  }
  f.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1));
  f.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)));
  f.push_back(Jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3));
  f.push_back(Stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0])));
  f.push_back(Jump(BPF_JMP | BPF_JSET | BPF_K, kNamespaceFlags, 0, 1));
  f.push_back(Stmt(BPF_RET | BPF_K, kErrPerm));
  f.push_back(Stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));

  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(f.size());
  prog.filter = f.data();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return absl::InternalError(StrCat("no_new_privs: ", std::strerror(errno)));
  }
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    return absl::InternalError(StrCat("seccomp: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace bulwark::sandbox
