#include <gtest/gtest.h>

#include "bulwark/storage/domain_store.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

TEST(SqliteDomainStore, DomainRoundTripKeepsEveryField) {
  testing::TempDir dir;
  auto store = NewSqliteDomainStore(dir.path() + "/domains.sqlite3");
  ASSERT_TRUE(store.ok()) << store.status();
  DomainStore& s = **store;
  EXPECT_TRUE(absl::IsNotFound(s.GetDomain("example.test").status()));

  DomainRecord r;
  r.domain = "mail.example.test";
  r.registrable = "example.test";
  r.dns = DnsState::kNullMx;
  r.mx = {"0 "};
  r.dns_checked = absl::FromUnixSeconds(100);
  r.rdap = RdapState::kFound;
  r.rdap_server = "http://127.0.0.1:1/";
  r.registered = absl::FromUnixSeconds(50);
  r.expires = absl::FromUnixSeconds(500);
  r.statuses = {"active", "client transfer prohibited"};
  r.reason = "null-mx";
  r.flagged_since = absl::FromUnixSeconds(101);
  r.failures = 2;
  r.next_check = absl::FromUnixSeconds(900);
  r.last_error = "timeout";
  ASSERT_TRUE(s.PutDomain(r).ok());
  auto got = s.GetDomain("mail.example.test");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->registrable, "example.test");
  EXPECT_EQ(got->dns, DnsState::kNullMx);
  EXPECT_EQ(got->mx, std::vector<std::string>{"0 "});
  EXPECT_EQ(got->dns_checked, absl::FromUnixSeconds(100));
  EXPECT_EQ(got->rdap, RdapState::kFound);
  EXPECT_EQ(got->registered, absl::FromUnixSeconds(50));
  EXPECT_EQ(got->expires, absl::FromUnixSeconds(500));
  EXPECT_FALSE(got->last_changed.has_value());
  EXPECT_EQ(got->statuses.size(), 2u);
  EXPECT_EQ(got->flagged_since, absl::FromUnixSeconds(101));
  EXPECT_EQ(got->failures, 2);
  EXPECT_EQ(got->next_check, absl::FromUnixSeconds(900));
  EXPECT_EQ(got->last_error, "timeout");

  DomainRecord never;
  never.domain = "new.test";
  ASSERT_TRUE(s.PutDomain(never).ok());
  auto n = s.GetDomain("new.test");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->dns_checked, absl::InfinitePast());
  EXPECT_EQ(n->next_check, absl::InfinitePast());
  EXPECT_EQ(s.ListDomains()->size(), 2u);
}

TEST(SqliteDomainStore, FlaggedAccountsReplaceAndClear) {
  testing::TempDir dir;
  auto store = NewSqliteDomainStore(dir.path() + "/domains.sqlite3");
  ASSERT_TRUE(store.ok());
  DomainStore& s = **store;
  ASSERT_TRUE(s.PutFlagged({"bob", "b@x.test", "x.test", "expired", "", absl::FromUnixSeconds(5)})
                  .ok());
  ASSERT_TRUE(s.PutFlagged({"amy", "a@y.test", "y.test", "nxdomain", "", absl::FromUnixSeconds(6)})
                  .ok());
  ASSERT_TRUE(
      s.PutFlagged({"bob", "b@x.test", "x.test", "pending-delete", "", absl::FromUnixSeconds(5)})
          .ok());
  auto all = s.ListFlagged();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].user, "amy");
  EXPECT_EQ((*all)[1].reason, "pending-delete");
  ASSERT_TRUE(s.ClearFlagged("bob").ok());
  ASSERT_TRUE(s.ClearFlagged("nobody").ok());
  EXPECT_EQ(s.ListFlagged()->size(), 1u);
}

}  // namespace
}  // namespace bulwark
