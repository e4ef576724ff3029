#include "accounts/domains/rdap.h"

#include <gtest/gtest.h>

#include "accounts/domains/email_domain.h"
#include "base/time_format.h"

namespace bulwark::domains {
namespace {

TEST(ParseRdapDomain, ReadsEventsAndStatus) {
  auto d = ParseRdapDomain(R"({
    "objectClassName": "domain", "ldhName": "Example.TEST",
    "status": ["client transfer prohibited", "Pending Delete", 7],
    "events": [
      {"eventAction": "registration", "eventDate": "2001-02-03T04:05:06Z"},
      {"eventAction": "expiration", "eventDate": "2026-01-01T00:00:00.000+00:00"},
      {"eventAction": "last changed", "eventDate": "2025-01-01T00:00:00Z"},
      {"eventAction": "last changed", "eventDate": "2025-06-01T00:00:00Z"},
      {"eventAction": "last update of RDAP database", "eventDate": "not a date"},
      "junk"
    ],
    "entities": [{"objectClassName": "entity", "vcardArray": ["vcard", []]}]
  })");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->ldh_name, "example.test");
  EXPECT_EQ(d->registered, ParseIsoTime("2001-02-03T04:05:06Z"));
  EXPECT_EQ(d->expires, ParseIsoTime("2026-01-01T00:00:00Z"));
  EXPECT_EQ(d->last_changed, ParseIsoTime("2025-06-01T00:00:00Z"));  // The latest wins.
  EXPECT_EQ(d->statuses, (std::vector<std::string>{"client transfer prohibited",
                                                   "pending delete"}));
}

TEST(ParseRdapDomain, RefusesWhatIsNotADomainObject) {
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRdapDomain("[]").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRdapDomain("{").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseRdapDomain(R"({"errorCode":404,"title":"Not Found"})").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseRdapDomain(R"({"objectClassName":"entity"})").status()));
  auto bad_date = ParseRdapDomain(
      R"({"objectClassName":"domain","events":[{"eventAction":"expiration","eventDate":"soon"}]})");
  EXPECT_TRUE(absl::IsInvalidArgument(bad_date.status()));
  EXPECT_NE(bad_date.status().message().find("expiration"), std::string_view::npos);
  std::string deep(200, '[');
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRdapDomain(deep).status()));
  std::string huge = R"({"objectClassName":"domain","x":")" + std::string(kMaxRdapBytes, 'a') +
                     "\"}";
  EXPECT_TRUE(absl::IsInvalidArgument(ParseRdapDomain(huge).status()));
  // A bare domain object with nothing else is fine: every fact stays unknown.
  auto bare = ParseRdapDomain(R"({"objectClassName":"domain"})");
  ASSERT_TRUE(bare.ok());
  EXPECT_FALSE(bare->expires.has_value());
}

TEST(RdapBootstrap, LongestSuffixAndHttpsFirst) {
  auto b = RdapBootstrap::Parse(R"({"version":"1.0","services":[
    [["test","example"],["http://a.invalid/rdap","https://a.invalid/rdap/"]],
    [["co.test"],["http://b.invalid/"]],
    [["bad"],[]],
    "junk"
  ]})");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->BaseFor("x.test"), "https://a.invalid/rdap/");
  EXPECT_EQ(b->BaseFor("x.co.test"), "http://b.invalid/");
  EXPECT_EQ(b->BaseFor("x.example"), "https://a.invalid/rdap/");
  EXPECT_EQ(b->BaseFor("x.bad"), std::nullopt);
  EXPECT_EQ(b->BaseFor("x.org"), std::nullopt);
  EXPECT_TRUE(absl::IsInvalidArgument(RdapBootstrap::Parse(R"({"version":"1.0"})").status()));
  EXPECT_EQ(RdapBootstrap::Single("http://127.0.0.1:9").BaseFor("a.org"), "http://127.0.0.1:9/");
  EXPECT_EQ(RdapDomainUrl("http://h/rdap", "a.test"), "http://h/rdap/domain/a.test");
}

TEST(EmailDomain, ExtractsAndValidates) {
  EXPECT_EQ(EmailDomain("Alice@Mail.Example.ORG"), "mail.example.org");
  EXPECT_EQ(EmailDomain("a@b@example.org."), "example.org");
  EXPECT_EQ(EmailDomain("nobody"), std::nullopt);
  EXPECT_EQ(EmailDomain("a@localhost"), std::nullopt);
  EXPECT_EQ(EmailDomain("a@-bad.org"), std::nullopt);
  EXPECT_EQ(EmailDomain("a@b..org"), std::nullopt);
  EXPECT_EQ(EmailDomain("a@bücher.de"), std::nullopt);  // IDNs come as punycode.
  EXPECT_EQ(EmailDomain("a@xn--bcher-kva.de"), "xn--bcher-kva.de");
}

TEST(RegistrableDomain, UsesThePublicSuffixList) {
  EXPECT_EQ(RegistrableDomain("mail.example.co.uk"), "example.co.uk");
  EXPECT_EQ(RegistrableDomain("example.com"), "example.com");
  EXPECT_EQ(RegistrableDomain("a.b.example.com"), "example.com");
  EXPECT_EQ(RegistrableDomain("co.uk"), std::nullopt);
  EXPECT_EQ(RegistrableDomain("mail.healthy.test"), "healthy.test");  // Default rule "*".
}

}  // namespace
}  // namespace bulwark::domains
