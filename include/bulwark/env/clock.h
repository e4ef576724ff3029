#pragma once
// Clock seam: the only way Bulwark code reads the time, so that expiry, throttling and TOTP
// windows are tested with testing::FakeClock.

#include <memory>

#include "absl/time/time.h"

namespace bulwark {

class Clock {
 public:
  virtual ~Clock() = default;
  // Current wall-clock time. Thread-safe.
  virtual absl::Time Now() const = 0;
};

// The process clock (absl::Now). Never null; lives for the whole program.
Clock& RealClock();

}  // namespace bulwark
