#pragma once
// What changed between two versions of a package, and the between-version findings (issue 4,
// "Between versions"; docs/moderation.md lists the rules). Pure: the gate gathers the context.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/json.h"
#include "bulwark/scan/findings.h"
#include "packaging/tarball.h"

namespace bulwark {

struct VersionDiff {
  std::string previous;  // The version compared with ("" for a first version).
  std::vector<std::string> added, removed, changed;  // File paths, sorted.
  // package.json fields that differ: field -> {"before": ..., "after": ...} (absent: null).
  json::object manifest_changes;
};

// `prev` null: a first version (everything is "added"). Files are compared by content when both
// were kept, else by size.
VersionDiff DiffVersions(std::string_view previous_version, const TarballContents* prev,
                         const json::object* prev_manifest, const TarballContents& cur,
                         const json::object& cur_manifest);
json::object DiffToJson(const VersionDiff& diff);

struct BetweenVersionsOptions {
  uint64_t large_file_bytes = 1 << 20;  // "a file over 1 MB appearing"
  uint64_t long_line_bytes = 10 * 1024;  // "a line over 10 kB appearing" in a code file
  absl::Duration young_dependency = absl::Hours(24 * 7);
  absl::Duration dormant = absl::Hours(24 * 730);  // "idle for years"
};

// What the gate knows about the package's history. Unset optionals: not known (no check).
struct VersionHistory {
  bool first_version = true;
  const TarballContents* prev_contents = nullptr;
  const json::object* prev_manifest = nullptr;
  std::optional<std::vector<std::string>> prev_capabilities;  // From the previous scan.
  absl::Time prev_published = absl::InfinitePast();
  std::set<std::string> previous_publishers;  // _npmUser of earlier versions.
  bool earlier_had_2fa = false;  // Some earlier version was published from a 2FA account.
  std::string publisher;
  bool publisher_2fa = false;
  // New dependencies stored here, with when their package was created.
  std::map<std::string, absl::Time> dependency_created;
  absl::Time now = absl::InfinitePast();
};

// Findings with rule ids "diff-*" (docs/moderation.md), plus "diff-risky-update" (hold) when an
// install hook appears together with another takeover sign (new publisher, 2FA dropped, dormant
// package, new network/shell/eval capability): correlation, not a sum of weak signals.
std::vector<scan::Finding> BetweenVersionFindings(const BetweenVersionsOptions& options,
                                                  const VersionHistory& history,
                                                  const TarballContents& cur,
                                                  const json::object& cur_manifest,
                                                  const std::vector<std::string>& capabilities);

// Names of the dependencies (all four kinds) in `manifest` that are not in `prev` (all when null).
std::vector<std::string> AddedDependencies(const json::object* prev, const json::object& cur);

}  // namespace bulwark
