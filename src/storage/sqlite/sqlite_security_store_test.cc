#include <gtest/gtest.h>

#include "bulwark/storage/security_store.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

SecurityEvent Ev(std::string kind, std::string user, int64_t t) {
  SecurityEvent e;
  e.kind = std::move(kind);
  e.user = std::move(user);
  e.time = absl::FromUnixSeconds(t);
  e.address = "127.0.0.1";
  return e;
}

TEST(SqliteSecurityStore, EventsFilterPageCountAndPrune) {
  testing::TempDir dir;
  auto store = NewSqliteSecurityStore(dir.path() + "/security.sqlite3");
  ASSERT_TRUE(store.ok()) << store.status();
  SecurityStore& s = **store;
  ASSERT_TRUE(s.RecordEvent(Ev("login.success", "alice", 10)).ok());
  ASSERT_TRUE(s.RecordEvent(Ev("login.failure", "bob", 20)).ok());
  ASSERT_TRUE(s.RecordEvent(Ev("token.created", "alice", 30)).ok());
  ASSERT_TRUE(s.RecordEvent(Ev("login.failure", "alice", 40)).ok());

  auto alice = s.ListEvents({.user = "alice"});
  ASSERT_TRUE(alice.ok());
  ASSERT_EQ(alice->size(), 3u);
  EXPECT_EQ((*alice)[0].kind, "login.failure");  // Newest first.
  EXPECT_EQ((*alice)[2].kind, "login.success");
  EXPECT_EQ((*alice)[0].address, "127.0.0.1");

  auto logins = s.ListEvents({.kind_prefix = "login."});
  EXPECT_EQ(logins->size(), 3u);
  auto page = s.ListEvents({.before_id = (*alice)[0].id, .limit = 1});
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].kind, "token.created");

  auto counts = s.CountEvents(absl::FromUnixSeconds(20));
  EXPECT_EQ((*counts)["login.failure"], 2);
  EXPECT_EQ((*counts)["token.created"], 1);
  EXPECT_EQ(counts->count("login.success"), 0u);

  EXPECT_EQ(*s.PruneEvents(absl::FromUnixSeconds(25)), 2);
  EXPECT_EQ(s.ListEvents({})->size(), 2u);
}

TEST(SqliteSecurityStore, PackageMfa) {
  testing::TempDir dir;
  auto store = NewSqliteSecurityStore(dir.path() + "/security.sqlite3");
  ASSERT_TRUE(store.ok());
  SecurityStore& s = **store;
  EXPECT_EQ(*s.GetPackageMfa("demo"), PackageMfa::kNone);
  ASSERT_TRUE(s.SetPackageMfa("demo", PackageMfa::kAutomation, "alice", absl::Now()).ok());
  EXPECT_EQ(*s.GetPackageMfa("demo"), PackageMfa::kAutomation);
  ASSERT_TRUE(s.SetPackageMfa("demo", PackageMfa::kPublish, "alice", absl::Now()).ok());
  EXPECT_EQ(s.ListPackageMfa()->at("demo"), PackageMfa::kPublish);
  ASSERT_TRUE(s.SetPackageMfa("demo", PackageMfa::kNone, "alice", absl::Now()).ok());
  EXPECT_EQ(*s.GetPackageMfa("demo"), PackageMfa::kNone);
  EXPECT_TRUE(s.ListPackageMfa()->empty());
}

}  // namespace
}  // namespace bulwark
