#pragma once
// Which packages are high-impact (docs/security.md §Mandatory 2FA): weekly downloads counted by
// this registry at or above a threshold, dependents (packages whose latest version depends on
// it) at or above another, or among the top N by weekly downloads. Recomputed by a periodic job
// (one grouped query each for downloads and dependents), never per publish; lookups read an
// immutable snapshot.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/synchronization/mutex.h"
#include "accounts/mfa_policy.h"
#include "bulwark/env/clock.h"
#include "bulwark/storage/metadata_store.h"

namespace bulwark {

struct HighImpactOptions {
  uint64_t weekly_downloads = 1'000'000;  // 0: downloads do not make a package high-impact.
  uint64_t dependents = 500;              // 0: dependents do not either.
  size_t top_n = 0;                       // The N most downloaded this week; 0: off.
  absl::Duration refresh = absl::Minutes(10);
};

struct HighImpactEntry {
  uint64_t weekly_downloads = 0;
  uint64_t dependents = 0;
  size_t rank = 0;  // 1-based rank by weekly downloads when it made the top N; else 0.
};

class HighImpactIndex final : public HighImpactLookup {
 public:
  HighImpactIndex(MetadataStore& store, Clock& clock, HighImpactOptions options)
      : store_(store), clock_(clock), options_(options) {}

  // The high-impact packages now (the last 7 UTC days of downloads, today included).
  static absl::StatusOr<std::map<std::string, HighImpactEntry>> Compute(
      MetadataStore& store, Clock& clock, const HighImpactOptions& options);
  // Recomputes the snapshot; on failure the previous one stays.
  absl::Status Refresh();
  std::optional<std::string> Why(std::string_view package) const override;
  std::shared_ptr<const std::map<std::string, HighImpactEntry>> snapshot() const;
  const HighImpactOptions& options() const { return options_; }

 private:
  MetadataStore& store_;
  Clock& clock_;
  const HighImpactOptions options_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const std::map<std::string, HighImpactEntry>> snapshot_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<const std::map<std::string, HighImpactEntry>>();
};

// "1234567 downloads this week", "612 dependents", "#3 by downloads this week", joined.
std::string DescribeHighImpact(const HighImpactEntry& e, const HighImpactOptions& options);

}  // namespace bulwark
