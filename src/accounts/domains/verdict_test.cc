#include "accounts/domains/verdict.h"

#include <gtest/gtest.h>

namespace bulwark::domains {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);

TEST(ClassifyDns, Rfc7505AndImplicitMx) {
  EXPECT_EQ(ClassifyDns({.nxdomain = true, .mx = {}, .has_address = false}), DnsState::kNxdomain);
  EXPECT_EQ(ClassifyDns({.mx = {{0, ""}}, .has_address = false}), DnsState::kNullMx);
  EXPECT_EQ(ClassifyDns({.mx = {{10, "mx.a.test"}}, .has_address = false}), DnsState::kMail);
  // A null MX next to a real exchanger: mail still goes somewhere.
  EXPECT_EQ(ClassifyDns({.mx = {{0, ""}, {10, "mx.a.test"}}, .has_address = false}), DnsState::kMail);
  EXPECT_EQ(ClassifyDns({.mx = {}, .has_address = true}), DnsState::kMail);  // RFC 5321 §5.1.
  EXPECT_EQ(ClassifyDns({.mx = {}, .has_address = false}), DnsState::kNoMail);
}

DomainRecord Healthy() {
  DomainRecord r;
  r.domain = "a.test";
  r.registrable = "a.test";
  r.dns = DnsState::kMail;
  r.rdap = RdapState::kFound;
  r.registered = kNow - absl::Hours(24 * 3650);
  r.expires = kNow + absl::Hours(24 * 365);
  r.statuses = {"active"};
  return r;
}

TEST(DomainVerdict, EachReason) {
  EXPECT_FALSE(DomainVerdict(Healthy(), kNow).has_value());
  DomainRecord r = Healthy();
  r.expires = kNow - absl::Seconds(1);
  EXPECT_EQ(DomainVerdict(r, kNow)->reason, kExpired);
  r = Healthy();
  r.statuses = {"pending delete"};
  EXPECT_EQ(DomainVerdict(r, kNow)->reason, kPendingDelete);
  r.statuses = {"redemption period"};
  EXPECT_EQ(DomainVerdict(r, kNow)->reason, kRedemption);
  r = Healthy();
  r.rdap = RdapState::kNotFound;
  EXPECT_EQ(DomainVerdict(r, kNow)->reason, kNotRegistered);
  r = Healthy();
  r.dns = DnsState::kNxdomain;
  EXPECT_EQ(DomainVerdict(r, kNow)->reason, kNxdomain);
  r.dns = DnsState::kNullMx;
  EXPECT_EQ(DomainVerdict(r, kNow)->reason, kNullMx);
  r.dns = DnsState::kNoMail;
  EXPECT_EQ(DomainVerdict(r, kNow)->reason, kNoMail);
  // Registry facts come first: an expired domain with no MX reads "expired".
  r.expires = kNow - absl::Hours(1);
  EXPECT_EQ(DomainVerdict(r, kNow)->reason, kExpired);
  // Nothing known yet: no verdict (a lookup failure is not one).
  DomainRecord unknown;
  unknown.domain = "u.test";
  EXPECT_FALSE(DomainVerdict(unknown, kNow).has_value());
  // No RDAP service for the TLD: only DNS decides.
  r = Healthy();
  r.rdap = RdapState::kNoService;
  r.expires = kNow - absl::Hours(1);
  EXPECT_FALSE(DomainVerdict(r, kNow).has_value());
}

TEST(AccountVerdict, ReRegisteredAfterVerificationOrCreation) {
  UserRecord u;
  u.name = "alice";
  u.created = kNow - absl::Hours(24 * 100);
  DomainRecord r = Healthy();
  EXPECT_FALSE(AccountVerdict(r, u, kNow).has_value());
  // Registered after the account was created, address never verified: trusted since creation.
  r.registered = kNow - absl::Hours(24 * 10);
  auto v = AccountVerdict(r, u, kNow);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->reason, kReRegistered);
  EXPECT_NE(v->detail.find("given"), std::string::npos);
  // Verified after the new registration: the current owner proved the address.
  u.email_verified = kNow - absl::Hours(24 * 5);
  EXPECT_FALSE(AccountVerdict(r, u, kNow).has_value());
  // Verified before it: flagged.
  u.email_verified = kNow - absl::Hours(24 * 20);
  v = AccountVerdict(r, u, kNow);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->reason, kReRegistered);
  EXPECT_NE(v->detail.find("verified"), std::string::npos);
  // The domain's own verdict wins.
  r.dns = DnsState::kNullMx;
  EXPECT_EQ(AccountVerdict(r, u, kNow)->reason, kNullMx);
}

}  // namespace
}  // namespace bulwark::domains
