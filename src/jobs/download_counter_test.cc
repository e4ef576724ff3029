#include "jobs/download_counter.h"

#include <atomic>

#include "gtest/gtest.h"
#include "jobs/periodic.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using testing::FakeClock;
using testing::TempDir;

TEST(DownloadCounter, BatchesCountsPerDay) {
  TempDir dir;
  auto store = std::move(*NewSqliteMetadataStore(dir.path() + "/m.sqlite3"));
  FakeClock clock(absl::FromUnixSeconds(86400 * 20000 + 5));
  DownloadCounter counter(*store, clock);
  for (int i = 0; i < 7; ++i) counter.Count("a");
  counter.Count("b");
  EXPECT_TRUE(store->SumDownloads(0)->empty()) << "nothing is written before a flush";
  ASSERT_TRUE(counter.Flush().ok());
  clock.Advance(absl::Hours(24));
  counter.Count("a");
  ASSERT_TRUE(counter.Flush().ok());
  auto today = store->SumDownloads(20001);
  ASSERT_EQ(today->size(), 1u);
  EXPECT_EQ((*today)[0].downloads, 1u);
  auto all = store->SumDownloads(0);
  EXPECT_EQ((*all)[0].downloads, 8u);
  EXPECT_EQ((*all)[1].downloads, 1u);
  EXPECT_TRUE(counter.Flush().ok()) << "an empty flush is fine";
}

TEST(Periodic, RunsUntilDestroyedAndOnceMore) {
  std::atomic<int> runs{0};
  {
    Periodic p(absl::Milliseconds(5), [&] { ++runs; });
    absl::SleepFor(absl::Milliseconds(60));
  }
  int after = runs.load();
  EXPECT_GE(after, 3);
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(runs.load(), after) << "stopped";
}

}  // namespace
}  // namespace bulwark
