#pragma once
// Login throttling: counts failed credential checks per key (an account, a client address) and,
// after a small free allowance, makes each further attempt wait exponentially longer. Attempts
// made while a key is locked out are refused before the credential is looked at, so online
// guessing of a password or a 6-digit code learns nothing during the wait.
//
// State is in memory, per process: a multi-node deployment throttles per node (an attacker
// spreading guesses over N nodes gets N budgets) until a shared store backs it.

#include <atomic>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bulwark/base/status.h"
#include "bulwark/env/clock.h"

namespace bulwark {

struct ThrottleOptions {
  int free_failures = 5;                         // Failures allowed before any wait.
  absl::Duration base_delay = absl::Seconds(1);  // Wait after the first failure past the allowance.
  absl::Duration max_delay = absl::Minutes(15);  // The doubling stops here.
  // Failures are forgiven after this long without one. Longer than max_delay, so that an
  // attacker who waits out each lockout stays at the cap instead of earning a new allowance.
  absl::Duration forget_after = absl::Hours(24);
  size_t max_entries = 100000;                   // Memory bound: the oldest keys are forgotten.
};

// The refusal: ResourceExhausted with a payload carrying the wait, which api/ turns into
// `429` and `Retry-After`.
absl::Status ThrottledError(int64_t retry_after_seconds);
// The wait carried by a ThrottledError; nullopt for any other status.
std::optional<int64_t> ThrottleRetryAfter(const absl::Status& status);

// The key for a client address: the address itself for IPv4, its /64 for IPv6 (one subscriber
// usually holds a whole /64, so single addresses would give an attacker 2^64 budgets).
std::string ClientAddressKey(std::string_view ip);

class LoginThrottle {
 public:
  LoginThrottle(Clock& clock, ThrottleOptions options);

  // ThrottledError while `key` is locked out; OK otherwise. Thread-safe.
  absl::Status Check(std::string_view key);
  // A failed attempt for `key`: past the allowance, locks it out for base * 2^(n - free - 1).
  void RecordFailure(std::string_view key);
  // A successful attempt: forgets `key`'s failures.
  void RecordSuccess(std::string_view key);

  size_t size() const;

 private:
  struct Entry {
    int failures = 0;
    absl::Time last_failure;
    absl::Time locked_until;
    std::list<std::string>::iterator order;  // Position in lru_.
  };
  // The wait after `failures` failures (zero inside the allowance).
  absl::Duration Delay(int failures) const;
  // Drops an entry whose lockout is over and whose failures are old enough to be forgiven.
  bool Expired(const Entry& e, absl::Time now) const;

  Clock& clock_;
  const ThrottleOptions options_;
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // Guarded by mu_.
  std::list<std::string> lru_;                      // Least recently failed first; mu_.
};

}  // namespace bulwark
