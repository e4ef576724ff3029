#include <gtest/gtest.h>

#include "bulwark/storage/moderation_store.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

class SqliteModerationStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = NewSqliteModerationStore(dir_.path() + "/bulwark.sqlite3");
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  testing::TempDir dir_;
  std::unique_ptr<ModerationStore> store_;
};

TEST_F(SqliteModerationStoreTest, CasesResolveOnceAndCount) {
  ModerationCase c;
  c.kind = "hold";
  c.package = "p";
  c.version = "1.0.0";
  c.reason = "why";
  c.held_json = "{}";
  c.created = absl::FromUnixSeconds(100);
  auto id = store_->CreateCase(c);
  ASSERT_TRUE(id.ok()) << id.status();
  c.kind = "report";
  c.version = "";
  auto id2 = store_->CreateCase(c);
  ASSERT_TRUE(id2.ok());
  EXPECT_GT(*id2, *id);
  EXPECT_EQ(store_->OpenCasesFor("p")->size(), 2u);
  EXPECT_TRUE(store_->OpenCasesFor("q")->empty());
  ASSERT_TRUE(
      store_->ResolveCase(*id, "approved", "root", "fine", absl::FromUnixSeconds(200)).ok());
  absl::Status again = store_->ResolveCase(*id, "removed", "root", "", absl::FromUnixSeconds(201));
  EXPECT_TRUE(absl::IsFailedPrecondition(again)) << again;
  EXPECT_EQ(again.message(), "moderation case 1 is already approved");
  EXPECT_TRUE(absl::IsNotFound(store_->ResolveCase(99, "removed", "r", "", absl::Now())));
  auto got = store_->GetCase(*id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, "approved");
  EXPECT_EQ(got->resolved_by, "root");
  EXPECT_EQ(*got->resolved, absl::FromUnixSeconds(200));
  EXPECT_EQ(store_->ListCases(true)->size(), 1u);
  EXPECT_EQ(store_->ListCases(false)->size(), 2u);
  EXPECT_TRUE(absl::IsNotFound(store_->GetCase(42).status()));

  ScanRecord s;
  s.package = "p";
  s.version = "1.0.0";
  s.verdict = "hold";
  s.action = "hold";
  s.report_json = "{}";
  s.diff_json = "{}";
  ASSERT_TRUE(store_->RecordScan(s).ok());
  s.action = "reject";
  ASSERT_TRUE(store_->RecordScan(s).ok());
  EXPECT_EQ(store_->LatestScan("p", "1.0.0")->action, "hold");  // Rejections are not versions.
  ASSERT_TRUE(store_->RecordRemoval("p", "1.0.0", *id, absl::Now()).ok());
  ASSERT_TRUE(store_->RecordRemoval("p", "1.0.0", *id, absl::Now()).ok());  // Idempotent.
  ASSERT_TRUE(store_->RecordNotice({0, "bob", "token-leak-partner", "x", absl::Now()}).ok());
  auto n = store_->Count();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->scanned, 2);
  EXPECT_EQ(n->held, 1);
  EXPECT_EQ(n->rejected, 1);
  EXPECT_EQ(n->reports, 1);
  EXPECT_EQ(n->open_cases, 1);
  EXPECT_EQ(n->removed_malicious, 1);
  EXPECT_EQ(n->tokens_revoked_partner, 1);
}

TEST_F(SqliteModerationStoreTest, PublishLogByTokenAndWindow) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_
                    ->RecordPublish({"k", "u", "p" + std::to_string(i), "1.0.0",
                                     absl::FromUnixSeconds(1000 + i * 100)})
                    .ok());
  }
  ASSERT_TRUE(
      store_->RecordPublish({"other", "u", "x", "1.0.0", absl::FromUnixSeconds(1250)}).ok());
  auto recent = store_->PublishesByToken("k", absl::FromUnixSeconds(1100));
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 2u);
  EXPECT_EQ((*recent)[0].package, "p1");
  EXPECT_EQ((*recent)[1].package, "p2");
}

}  // namespace
}  // namespace bulwark
