#pragma once
// Fakes for the env seams: a clock tests move by hand and deterministic randomness.

#include <cstdint>
#include <string>

#include "absl/synchronization/mutex.h"
#include "bulwark/env/clock.h"
#include "bulwark/env/random.h"

namespace bulwark::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'790'000'000)) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock l(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock l(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

// xorshift64*: deterministic, NOT cryptographic; for tests only.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed = 42) : state_(seed ? seed : 1) {}
  std::string Bytes(size_t n) override;

 private:
  absl::Mutex mu_;
  uint64_t state_;
};

// A fresh directory under $TMPDIR, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace bulwark::testing
