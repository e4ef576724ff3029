#include "jobs/download_counter.h"

#include <vector>

namespace bulwark {

int64_t DayNumber(absl::Time t) { return absl::ToUnixSeconds(t) / 86400; }

void DownloadCounter::Count(std::string_view package) {
  absl::MutexLock l(&mu_);
  ++pending_[std::string(package)];
}

absl::Status DownloadCounter::Flush() {
  absl::flat_hash_map<std::string, uint64_t> batch;
  {
    absl::MutexLock l(&mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return absl::OkStatus();
  std::vector<PopularityEntry> counts;
  counts.reserve(batch.size());
  for (const auto& [name, n] : batch) counts.push_back({name, n});
  absl::Status s = store_.AddDownloads(DayNumber(clock_.Now()), counts);
  if (!s.ok()) {
    absl::MutexLock l(&mu_);
    for (const auto& [name, n] : batch) pending_[name] += n;
  }
  return s;
}

}  // namespace bulwark
