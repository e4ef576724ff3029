#include <gtest/gtest.h>

#include "bulwark/storage/advisory_store.h"
#include "bulwark/storage/metadata_store.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using Result = AdvisoryStore::UpsertResult;

AdvisoryRecord Rec(std::string id, int64_t modified, std::vector<std::string> packages,
                   std::string json = "{}") {
  AdvisoryRecord r;
  r.id = std::move(id);
  r.modified = absl::FromUnixSeconds(modified);
  r.severity = "high";
  r.packages = std::move(packages);
  r.json = std::move(json);
  return r;
}

class SqliteAdvisoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = NewSqliteAdvisoryStore(dir_.path() + "/bulwark.sqlite3");
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
  }
  testing::TempDir dir_;
  std::unique_ptr<AdvisoryStore> store_;
};

TEST_F(SqliteAdvisoryStoreTest, UpsertReplacesOnlyWhenNotOlder) {
  EXPECT_EQ(*store_->Upsert(Rec("GHSA-1", 100, {"a", "b"}, "v1")), Result::kCreated);
  EXPECT_EQ(*store_->Upsert(Rec("GHSA-1", 100, {"a", "b"}, "v1")), Result::kUnchanged);
  EXPECT_EQ(*store_->Upsert(Rec("GHSA-1", 50, {"a"}, "old")), Result::kStale);
  EXPECT_EQ(*store_->Upsert(Rec("GHSA-1", 100, {"c"}, "v1b")), Result::kUpdated);
  auto got = store_->Get("GHSA-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->json, "v1b");
  EXPECT_EQ(got->packages, std::vector<std::string>{"c"});
  EXPECT_EQ(got->modified, absl::FromUnixSeconds(100));
  EXPECT_EQ(store_->Get("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteAdvisoryStoreTest, BatchAndListForPackages) {
  auto r = store_->UpsertBatch({Rec("B-2", 1, {"x", "y"}), Rec("A-1", 1, {"y"}),
                                Rec("MAL-1", 1, {"evil"})});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, (std::vector<Result>{Result::kCreated, Result::kCreated, Result::kCreated}));
  auto list = store_->ListForPackages({"y", "x", "y", "unknown"});
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "A-1");
  EXPECT_EQ((*list)[1].id, "B-2");
  EXPECT_TRUE(store_->ListForPackages({})->empty());

  ASSERT_TRUE(store_->Withdraw("B-2", absl::FromUnixSeconds(5), "{\"withdrawn\":1}").ok());
  EXPECT_EQ(store_->Withdraw("C-3", absl::FromUnixSeconds(5), "{}").code(),
            absl::StatusCode::kNotFound);
  list = store_->ListForPackages({"x", "y"});
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "A-1");
  EXPECT_EQ(store_->Get("B-2")->withdrawn, absl::FromUnixSeconds(5));

  auto c = store_->Count();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->total, 3);
  EXPECT_EQ(c->withdrawn, 1);
  EXPECT_EQ(c->malware, 1);
  EXPECT_EQ(c->by_severity["high"], 2);
  EXPECT_EQ(store_->ListAll()->size(), 3u);
}

TEST_F(SqliteAdvisoryStoreTest, GenerationChangesWithEveryCommittedChangeFromAnyConnection) {
  const int64_t g0 = *store_->Generation();
  ASSERT_TRUE(store_->Upsert(Rec("G-1", 1, {"p"})).ok());
  const int64_t g1 = *store_->Generation();
  EXPECT_NE(g1, g0);
  ASSERT_TRUE(store_->Upsert(Rec("G-1", 1, {"p"})).ok());  // Unchanged: nothing to rebuild.
  EXPECT_EQ(*store_->Generation(), g1);
  // Another connection (as `bulwark advisories import` beside a running server).
  auto other = NewSqliteAdvisoryStore(dir_.path() + "/bulwark.sqlite3");
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE((*other)->Withdraw("G-1", absl::FromUnixSeconds(2), "{}").ok());
  const int64_t g2 = *store_->Generation();
  EXPECT_NE(g2, g1);
  EXPECT_FALSE((*other)->Withdraw("nope", absl::FromUnixSeconds(2), "{}").ok());
  EXPECT_EQ(*store_->Generation(), g2);  // A failed write changes nothing.
}

TEST_F(SqliteAdvisoryStoreTest, SharesTheMetadataDatabaseFile) {
  auto meta = NewSqliteMetadataStore(dir_.path() + "/bulwark.sqlite3");
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_TRUE(store_->Upsert(Rec("GHSA-9", 1, {"p"})).ok());
  auto again = NewSqliteAdvisoryStore(dir_.path() + "/bulwark.sqlite3");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE((*again)->Get("GHSA-9").ok());
}

}  // namespace
}  // namespace bulwark
