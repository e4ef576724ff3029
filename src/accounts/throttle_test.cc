#include "accounts/throttle.h"

#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using testing::FakeClock;

ThrottleOptions Options() {
  ThrottleOptions o;
  o.free_failures = 5;
  o.base_delay = absl::Seconds(1);
  o.max_delay = absl::Seconds(900);
  return o;
}

// The wait Check reports for `key`; 0 when not locked out.
int64_t Wait(LoginThrottle& t, std::string_view key) {
  absl::Status s = t.Check(key);
  if (s.ok()) return 0;
  return ThrottleRetryAfter(s).value_or(-1);
}

TEST(LoginThrottle, AllowanceThenDoublingUpToTheCap) {
  FakeClock clock;
  LoginThrottle t(clock, Options());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Wait(t, "user:alice"), 0) << i;
    t.RecordFailure("user:alice");
  }
  EXPECT_EQ(Wait(t, "user:alice"), 0);  // Five failures are free.
  int64_t expected[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900};
  for (int64_t want : expected) {
    t.RecordFailure("user:alice");
    EXPECT_EQ(Wait(t, "user:alice"), want);
    clock.Advance(absl::Seconds(want) - absl::Milliseconds(1));
    EXPECT_EQ(Wait(t, "user:alice"), 1);  // Rounded up: never "0 seconds".
    clock.Advance(absl::Milliseconds(1));
    EXPECT_EQ(Wait(t, "user:alice"), 0);
  }
}

TEST(LoginThrottle, RefusalCarriesRetryAfterAndTheMessage) {
  FakeClock clock;
  ThrottleOptions o = Options();
  o.free_failures = 0;
  o.base_delay = absl::Seconds(30);
  LoginThrottle t(clock, o);
  t.RecordFailure("k");
  absl::Status s = t.Check("k");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(), "too many failed attempts; try again in 30 seconds");
  EXPECT_EQ(ThrottleRetryAfter(s), 30);
  EXPECT_EQ(ThrottleRetryAfter(absl::ResourceExhaustedError("other")), std::nullopt);
  EXPECT_EQ(ThrottleRetryAfter(absl::OkStatus()), std::nullopt);
}

TEST(LoginThrottle, SuccessResetsTheKey) {
  FakeClock clock;
  LoginThrottle t(clock, Options());
  for (int i = 0; i < 7; ++i) t.RecordFailure("user:alice");
  EXPECT_EQ(Wait(t, "user:alice"), 2);
  t.RecordSuccess("user:alice");
  EXPECT_EQ(Wait(t, "user:alice"), 0);
  for (int i = 0; i < 5; ++i) t.RecordFailure("user:alice");
  EXPECT_EQ(Wait(t, "user:alice"), 0);  // The allowance is whole again.
  EXPECT_EQ(t.size(), 1u);
}

TEST(LoginThrottle, FailuresAreForgottenOnlyAfterALongQuiet) {
  FakeClock clock;
  LoginThrottle t(clock, Options());
  for (int i = 0; i < 6; ++i) t.RecordFailure("k");
  // Waiting out the lockout keeps the count: the next failure doubles.
  clock.Advance(absl::Seconds(1));
  t.RecordFailure("k");
  EXPECT_EQ(Wait(t, "k"), 2);
  clock.Advance(absl::Hours(25));
  t.RecordFailure("k");
  EXPECT_EQ(Wait(t, "k"), 0);  // A day later it counts from one again.
}

TEST(LoginThrottle, KeysAreIndependent) {
  FakeClock clock;
  LoginThrottle t(clock, Options());
  for (int i = 0; i < 6; ++i) t.RecordFailure("ip:192.0.2.1");
  EXPECT_EQ(Wait(t, "ip:192.0.2.1"), 1);
  EXPECT_EQ(Wait(t, "ip:192.0.2.2"), 0);
  EXPECT_EQ(Wait(t, "user:alice"), 0);
}

TEST(LoginThrottle, MemoryIsBounded) {
  FakeClock clock;
  ThrottleOptions o = Options();
  o.max_entries = 100;
  LoginThrottle t(clock, o);
  for (int i = 0; i < 6; ++i) t.RecordFailure("victim");
  for (int i = 0; i < 99; ++i) t.RecordFailure(std::to_string(i));
  EXPECT_EQ(t.size(), 100u);
  t.RecordFailure("victim");  // Most recent again: survives the flood below.
  for (int i = 0; i < 1000; ++i) t.RecordFailure(std::to_string(1000 + i));
  EXPECT_EQ(t.size(), 100u);
}

TEST(ClientAddressKey, Ipv4AsIsIpv6ByPrefix) {
  EXPECT_EQ(ClientAddressKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ClientAddressKey("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ClientAddressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientAddressKey("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_NE(ClientAddressKey("2001:db8:1:3::1"), ClientAddressKey("2001:db8:1:2::1"));
  EXPECT_EQ(ClientAddressKey("not an address"), "not an address");
}

TEST(LoginThrottle, Ipv6NeighboursShareABudget) {
  FakeClock clock;
  LoginThrottle t(clock, Options());
  for (int i = 0; i < 6; ++i) {
    t.RecordFailure(ClientAddressKey(i % 2 ? "2001:db8::1" : "2001:db8::ffff:2"));
  }
  EXPECT_EQ(Wait(t, ClientAddressKey("2001:db8::1234")), 1);
  EXPECT_EQ(Wait(t, ClientAddressKey("2001:db8:0:1::1")), 0);
}

}  // namespace
}  // namespace bulwark
