#include "jobs/periodic.h"

namespace bulwark {

Periodic::Periodic(absl::Duration interval, std::function<void()> fn)
    : interval_(interval), fn_(std::move(fn)) {
  thread_ = std::thread([this] {
    absl::MutexLock l(&mu_);
    while (!stop_) {
      // Waits on a condition, not on the wall clock of an env seam: this is scheduling only.
      mu_.AwaitWithTimeout(absl::Condition(&stop_), interval_);
      mu_.Unlock();
      fn_();
      mu_.Lock();
    }
  });
}

Periodic::~Periodic() {
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
  }
  thread_.join();
}

}  // namespace bulwark
