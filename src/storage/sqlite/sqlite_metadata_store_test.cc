#include "testing/metadata_store_conformance.h"

#include "storage/sqlite/sqlite.h"

namespace bulwark::testing {
namespace {

std::unique_ptr<MetadataStore> MakeSqlite(const std::string& dir) {
  auto s = NewSqliteMetadataStore(dir + "/meta.sqlite3");
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(*s);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, MetadataStoreConformance, ::testing::Values(&MakeSqlite));

TEST(SqliteMetadataStore, ReopensExistingDatabaseAndRejectsFutureSchema) {
  TempDir dir;
  std::string path = dir.path() + "/meta.sqlite3";
  {
    auto s = NewSqliteMetadataStore(path);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->CreateUser(MakeUser("alice")).ok());
  }
  {
    auto s = NewSqliteMetadataStore(path);
    ASSERT_TRUE(s.ok());
    EXPECT_TRUE((*s)->GetUser("alice").ok());
  }
  {
    auto db = sqlite::Db::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("UPDATE meta SET value='99' WHERE key='schema_version'").ok());
  }
  auto s = NewSqliteMetadataStore(path);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(SqliteMetadataStore, CorruptRowIsAnErrorNotACrash) {
  TempDir dir;
  std::string path = dir.path() + "/meta.sqlite3";
  auto s = NewSqliteMetadataStore(path);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->CommitPackage(MakePackage("demo", {"1.0.0"}), 0).ok());
  auto db = sqlite::Db::Open(path);
  ASSERT_TRUE(db->Exec("UPDATE packages SET dist_tags='not json' WHERE name='demo'").ok());
  auto p = (*s)->GetPackage("demo");
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace bulwark::testing
