#pragma once
// Runs a function every `interval` on a thread of its own until destroyed, then once more, so
// work batched in memory (download counts) is written at shutdown too.

#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace bulwark {

class Periodic {
 public:
  Periodic(absl::Duration interval, std::function<void()> fn);
  ~Periodic();  // Stops, runs `fn` a last time, joins.
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

 private:
  const absl::Duration interval_;
  std::function<void()> fn_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace bulwark
