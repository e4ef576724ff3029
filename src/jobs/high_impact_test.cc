#include "jobs/high_impact.h"

#include "gtest/gtest.h"
#include "jobs/download_counter.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using testing::FakeClock;
using testing::TempDir;

PackageRecord Pkg(const std::string& name, const std::string& deps) {
  PackageRecord p;
  p.name = name;
  p.created = p.modified = absl::FromUnixSeconds(2000);
  p.maintainers = {"alice"};
  VersionRecord v;
  v.version = "1.0.0";
  v.manifest_json = "{\"name\":\"" + name + "\",\"version\":\"1.0.0\",\"dependencies\":" + deps + "}";
  v.integrity = "sha512-x";
  v.shasum = "abc";
  v.blob_key = std::string(128, 'a');
  v.published = absl::FromUnixSeconds(2000);
  p.versions["1.0.0"] = v;
  p.dist_tags["latest"] = "1.0.0";
  return p;
}

TEST(HighImpactIndex, DownloadsTopNAndDependents) {
  TempDir dir;
  auto store = std::move(*NewSqliteMetadataStore(dir.path() + "/m.sqlite3"));
  FakeClock clock(absl::FromUnixSeconds(86400 * 20000 + 5));
  const int64_t today = DayNumber(clock.Now());
  // 8 days ago does not count; the last 7 days (today included) do.
  ASSERT_TRUE(store->AddDownloads(today - 7, {{"old", 100}}).ok());
  ASSERT_TRUE(store->AddDownloads(today - 6, {{"hot", 3}, {"warm", 2}}).ok());
  ASSERT_TRUE(store->AddDownloads(today, {{"hot", 2}, {"cold", 1}}).ok());
  ASSERT_TRUE(store->CommitPackage(Pkg("a", R"({"lib":"1"})"), 0).ok());
  ASSERT_TRUE(store->CommitPackage(Pkg("b", R"({"lib":"2","x":"1"})"), 0).ok());

  HighImpactOptions o;
  o.weekly_downloads = 5;
  o.top_n = 2;
  o.dependents = 2;
  HighImpactIndex index(*store, clock, o);
  EXPECT_FALSE(index.Why("hot").has_value()) << "empty until the first refresh";
  ASSERT_TRUE(index.Refresh().ok());
  EXPECT_EQ(*index.Why("hot"), "5 downloads this week, threshold 5, #1 by downloads this week");
  EXPECT_EQ(*index.Why("warm"), "#2 by downloads this week");
  EXPECT_EQ(*index.Why("lib"), "2 dependents, threshold 2");
  EXPECT_FALSE(index.Why("cold").has_value());
  EXPECT_FALSE(index.Why("old").has_value());
  EXPECT_FALSE(index.Why("x").has_value());
  EXPECT_EQ(index.snapshot()->size(), 3u);

  // A week later the downloads have left the window.
  clock.Advance(absl::Hours(24 * 7));
  ASSERT_TRUE(index.Refresh().ok());
  EXPECT_FALSE(index.Why("hot").has_value());
  EXPECT_TRUE(index.Why("lib").has_value());
}

}  // namespace
}  // namespace bulwark
