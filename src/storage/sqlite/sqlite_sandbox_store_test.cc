#include <gtest/gtest.h>

#include "bulwark/storage/sandbox_store.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

SandboxReportRecord Rec(std::string version, int64_t t, std::string verdict) {
  SandboxReportRecord r;
  r.name = "pkg";
  r.version = std::move(version);
  r.created = absl::FromUnixSeconds(t);
  r.verdict = std::move(verdict);
  r.report = "{}";
  return r;
}

TEST(SqliteSandboxStore, ReportsPreviousQueueAndCounts) {
  testing::TempDir dir;
  auto store = NewSqliteSandboxStore(dir.path() + "/sandbox.sqlite3");
  ASSERT_TRUE(store.ok()) << store.status();
  SandboxStore& s = **store;
  EXPECT_EQ(s.GetReport("pkg", "1.0.0").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(s.PutReport(Rec("1.0.0", 10, "clean")).ok());
  ASSERT_TRUE(s.PutReport(Rec("1.0.1", 20, "malicious")).ok());
  auto got = s.GetReport("pkg", "1.0.1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->verdict, "malicious");
  auto prev = s.PreviousReport("pkg", "1.0.1");
  ASSERT_TRUE(prev.ok());
  ASSERT_TRUE(prev->has_value());
  EXPECT_EQ((*prev)->version, "1.0.0");
  auto none = s.PreviousReport("pkg", "1.0.0");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  // Replacing a report keeps one row.
  ASSERT_TRUE(s.PutReport(Rec("1.0.1", 30, "malicious")).ok());
  ASSERT_TRUE(s.MarkQuarantined("pkg", "1.0.1").ok());

  SandboxJob j;
  j.name = "pkg";
  j.version = "2.0.0";
  j.reason = "publish";
  auto id1 = s.Enqueue(j);
  auto id2 = s.Enqueue(j);
  ASSERT_TRUE(id1.ok() && id2.ok());
  EXPECT_EQ(*id1, *id2);  // Not queued twice.
  auto c = s.Counts();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->reports, 2);
  EXPECT_EQ(c->flagged, 1);
  EXPECT_EQ(c->quarantined, 1);
  EXPECT_EQ(c->queued, 1);
  auto job = s.Dequeue();
  ASSERT_TRUE(job.ok() && job->has_value());
  EXPECT_EQ((*job)->version, "2.0.0");
  auto empty = s.Dequeue();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());
}

}  // namespace
}  // namespace bulwark
