#pragma once
// The seccomp filter every sandboxed process runs under (docs/sandbox.md §Seccomp): a deny-list
// of syscalls a package install never needs and an escape or a tracer-evasion would
// (namespaces, mounts, io_uring, process_vm_*, kernel keyrings, BPF, modules, ...). Denied calls fail with
// EPERM (clone3 with ENOSYS, so libc falls back to clone, whose namespace flags are checked).

#include "absl/status/status.h"

namespace bulwark::sandbox {

// Sets no_new_privs and installs the filter on the calling thread (inherited over fork and
// execve). Internal when the kernel refuses.
absl::Status InstallSeccompFilter();

}  // namespace bulwark::sandbox
