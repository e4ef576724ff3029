#pragma once
// The advisories compiled for matching: per npm package, each advisory's ranges with their
// versions parsed and its npm answer rendered once. The bulk endpoint keeps one in memory
// (rebuilt when the database changes), so a request costs hash lookups and version
// comparisons, not SQL and JSON parsing. Immutable once built; safe to share across threads.

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/json.h"
#include "security/advisories/advisory.h"
#include "security/advisories/bulk.h"

namespace bulwark::advisories {

class AdvisoryIndex {
 public:
  struct Entry {
    std::shared_ptr<const Advisory> advisory;
    CompiledAffected affected;
    Severity severity = Severity::kHigh;
    json::object bulk;      // BulkEntry(advisory, package).
    std::string bulk_json;  // The same, serialised.
  };

  // Withdrawn advisories are left out.
  explicit AdvisoryIndex(std::vector<Advisory> advisories);

  // The advisories naming `package`, ordered by id; empty when none.
  const std::vector<Entry>& For(std::string_view package) const;
  // For(package)'s entries that affect any of `versions` (versions that are not semver are
  // skipped), appended to `out` in id order.
  void Matching(std::string_view package, const std::vector<std::string>& versions,
                std::vector<const Entry*>& out) const;
  size_t advisories() const { return advisories_; }

  // The bulk answer (BulkResponse's contract) from the index.
  json::object Bulk(const BulkRequest& request) const;
  // The same answer as JSON text, assembled from the entries serialised at build time (no
  // document is built or copied per request: the server's hot path).
  std::string BulkJson(const BulkRequest& request) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<Entry>, Hash, std::equal_to<>> by_package_;
  size_t advisories_ = 0;
};

}  // namespace bulwark::advisories
