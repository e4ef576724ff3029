#include "accounts/throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/cord.h"
#include "base/strings.h"

namespace bulwark {
namespace {

// Status payload that marks a throttling refusal; its value is the wait in seconds.
constexpr char kThrottlePayload[] = "type.bulwark.dev/throttled";

}  // namespace

absl::Status ThrottledError(int64_t retry_after_seconds) {
  absl::Status s = absl::ResourceExhaustedError(StrCat(
      "too many failed attempts; try again in ", retry_after_seconds, " seconds"));
  s.SetPayload(kThrottlePayload, absl::Cord(StrCat(retry_after_seconds)));
  return s;
}

std::optional<int64_t> ThrottleRetryAfter(const absl::Status& status) {
  if (!absl::IsResourceExhausted(status)) return std::nullopt;
  auto p = status.GetPayload(kThrottlePayload);
  if (!p.has_value()) return std::nullopt;
  int64_t seconds = 0;
  if (!SimpleAtoi(std::string(*p), &seconds)) return std::nullopt;
  return seconds;
}

std::string ClientAddressKey(std::string_view ip) {
  std::string text(ip);
  in6_addr a6;
  if (text.find(':') != std::string::npos && inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
    // An IPv4-mapped address is that IPv4 address: one client, one budget.
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(kMapped, kMapped + 12, a6.s6_addr)) {
      const unsigned char* b = a6.s6_addr + 12;
      return StrCat(int{b[0]}, ".", int{b[1]}, ".", int{b[2]}, ".", int{b[3]});
    }
    std::fill(a6.s6_addr + 8, a6.s6_addr + 16, 0);
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, &a6, buf, sizeof(buf)) != nullptr) return StrCat(buf, "/64");
  }
  return text;
}

LoginThrottle::LoginThrottle(Clock& clock, ThrottleOptions options)
    : clock_(clock), options_(std::move(options)) {}

absl::Duration LoginThrottle::Delay(int failures) const {
  int over = failures - options_.free_failures;
  if (over <= 0) return absl::ZeroDuration();
  // 2^(over-1), stopping before it could overflow: past 2^40 every sane cap has been hit.
  absl::Duration d = options_.base_delay * std::ldexp(1.0, std::min(over - 1, 40));
  return std::min(d, options_.max_delay);
}

bool LoginThrottle::Expired(const Entry& e, absl::Time now) const {
  return now >= e.locked_until && now - e.last_failure >= options_.forget_after;
}

absl::Status LoginThrottle::Check(std::string_view key) {
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end() || now >= it->second.locked_until) return absl::OkStatus();
  // Rounded up: a client that waits exactly this long must not be refused again.
  int64_t seconds = absl::ToInt64Seconds(absl::Ceil(it->second.locked_until - now,
                                                    absl::Seconds(1)));
  return ThrottledError(std::max<int64_t>(seconds, 1));
}

void LoginThrottle::RecordFailure(std::string_view key) {
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = entries_.try_emplace(std::string(key));
  Entry& e = it->second;
  if (inserted) {
    lru_.push_back(it->first);
    e.order = std::prev(lru_.end());
  } else {
    if (Expired(e, now)) e.failures = 0;
    lru_.splice(lru_.end(), lru_, e.order);  // Most recently failed last.
  }
  e.failures = std::min(e.failures + 1, 1 << 20);
  e.last_failure = now;
  e.locked_until = now + Delay(e.failures);
  // Evict the least recently failed (the closest to being forgiven anyway), so memory stays
  // bounded whatever flood of keys an attacker sends.
  while (entries_.size() > options_.max_entries && !lru_.empty()) {
    entries_.erase(lru_.front());
    lru_.pop_front();
  }
}

void LoginThrottle::RecordSuccess(std::string_view key) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) return;
  lru_.erase(it->second.order);
  entries_.erase(it);
}

size_t LoginThrottle::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace bulwark
