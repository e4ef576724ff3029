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

TEST(SqliteMetadataStore, AddsTheSignaturesColumnToOlderDatabases) {
  TempDir dir;
  std::string path = dir.path() + "/meta.sqlite3";
  {
    // The versions table as it was before registry signatures.
    auto db = sqlite::Db::Open(path);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Exec("CREATE TABLE versions(package TEXT NOT NULL, version TEXT NOT NULL, "
                         "manifest TEXT NOT NULL, integrity TEXT NOT NULL, shasum TEXT NOT NULL, "
                         "blob_key TEXT NOT NULL, size INTEGER NOT NULL, published INTEGER NOT "
                         "NULL, deprecated TEXT NOT NULL, unpublished INTEGER, PRIMARY "
                         "KEY(package, version)) WITHOUT ROWID")
                    .ok());
    ASSERT_TRUE(db->Exec("INSERT INTO versions VALUES('old','1.0.0','{}','sha512-a','s','b',1,0,"
                         "'',NULL)")
                    .ok());
  }
  auto s = NewSqliteMetadataStore(path);
  ASSERT_TRUE(s.ok()) << s.status();
  PackageRecord p = MakePackage("demo", {"1.0.0"});
  p.versions["1.0.0"].signatures = {{"SHA256:k", "sig"}};
  ASSERT_TRUE((*s)->CommitPackage(p, 0).ok());
  EXPECT_EQ((*s)->GetPackage("demo")->versions.at("1.0.0").signatures.size(), 1u);
  auto db = sqlite::Db::Open(path);
  auto st = db->Prepare("SELECT signatures FROM versions WHERE package='old'");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(st->Step().value());
  EXPECT_EQ(st->Text(0), "{}");
  // Opening again does not try to add it twice.
  s->reset();
  EXPECT_TRUE(NewSqliteMetadataStore(path).ok());
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
