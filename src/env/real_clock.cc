#include "bulwark/env/clock.h"

#include "absl/time/clock.h"

namespace bulwark {
namespace {

class AbslClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

Clock& RealClock() {
  static AbslClock* clock = new AbslClock();
  return *clock;
}

}  // namespace bulwark
