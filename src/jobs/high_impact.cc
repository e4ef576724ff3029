#include "jobs/high_impact.h"

#include <algorithm>
#include <vector>

#include "base/strings.h"
#include "jobs/download_counter.h"

namespace bulwark {

absl::StatusOr<std::map<std::string, HighImpactEntry>> HighImpactIndex::Compute(
    MetadataStore& store, Clock& clock, const HighImpactOptions& options) {
  std::map<std::string, HighImpactEntry> out;
  BULWARK_ASSIGN_OR_RETURN(std::vector<PopularityEntry> weekly,
                           store.SumDownloads(DayNumber(clock.Now()) - 6));
  for (const auto& d : weekly) {
    if (options.weekly_downloads > 0 && d.downloads >= options.weekly_downloads) {
      out[d.name].weekly_downloads = d.downloads;
    }
  }
  if (options.top_n > 0) {
    std::sort(weekly.begin(), weekly.end(), [](const auto& a, const auto& b) {
      return a.downloads != b.downloads ? a.downloads > b.downloads : a.name < b.name;
    });
    for (size_t i = 0; i < weekly.size() && i < options.top_n; ++i) {
      if (weekly[i].downloads == 0) break;
      HighImpactEntry& e = out[weekly[i].name];
      e.weekly_downloads = weekly[i].downloads;
      e.rank = i + 1;
    }
  }
  if (options.dependents > 0) {
    BULWARK_ASSIGN_OR_RETURN(std::vector<PopularityEntry> deps,
                             store.CountDependents(options.dependents));
    for (const auto& d : deps) out[d.name].dependents = d.downloads;
  }
  return out;
}

absl::Status HighImpactIndex::Refresh() {
  BULWARK_ASSIGN_OR_RETURN(auto computed, Compute(store_, clock_, options_));
  auto next = std::make_shared<const std::map<std::string, HighImpactEntry>>(std::move(computed));
  absl::MutexLock l(&mu_);
  snapshot_ = std::move(next);
  return absl::OkStatus();
}

std::shared_ptr<const std::map<std::string, HighImpactEntry>> HighImpactIndex::snapshot() const {
  absl::MutexLock l(&mu_);
  return snapshot_;
}

std::optional<std::string> HighImpactIndex::Why(std::string_view package) const {
  auto snap = snapshot();
  auto it = snap->find(std::string(package));
  if (it == snap->end()) return std::nullopt;
  return DescribeHighImpact(it->second, options_);
}

std::string DescribeHighImpact(const HighImpactEntry& e, const HighImpactOptions& options) {
  std::vector<std::string> parts;
  if (options.weekly_downloads > 0 && e.weekly_downloads >= options.weekly_downloads) {
    parts.push_back(StrCat(e.weekly_downloads, " downloads this week, threshold ",
                           options.weekly_downloads));
  }
  if (options.dependents > 0 && e.dependents >= options.dependents) {
    parts.push_back(StrCat(e.dependents, " dependents, threshold ", options.dependents));
  }
  if (e.rank > 0) parts.push_back(StrCat("#", e.rank, " by downloads this week"));
  return StrJoin(parts, ", ");
}

}  // namespace bulwark
