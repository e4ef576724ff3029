#pragma once
// StageStore seam: versions staged with `npm stage publish` (docs/staging.md,
// npm-registry-api.md §9.4), stored but not served until an owner approves them.
//
// Contract:
//  - Thread-safe; each write is one transaction.
//  - NotFound for an unknown id; Unavailable when the database cannot be reached.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct StagedVersion {
  std::string id;         // UUID (npm validates stage ids as UUIDs).
  std::string package;
  std::string version;
  std::string tag;
  std::string actor;      // User the staging credential belongs to.
  std::string actor_type; // "user" (password / login session) or "token" (any other token).
  std::string integrity;  // "sha512-<base64>" of the tarball, computed here.
  std::string shasum;     // Hex SHA-1 of the tarball.
  int64_t size = 0;       // Tarball bytes.
  std::string body;       // The publish document as npm sent it (§3.1), replayed at approval.
  // Groups the versions one `npm stage publish` run staged (a monorepo release, one npm
  // process: same npm-session); empty when npm sent no session.
  std::string release_id;
  absl::Time created = absl::InfinitePast();
};

class StageStore {
 public:
  virtual ~StageStore() = default;
  virtual absl::Status AddStaged(const StagedVersion& v) = 0;
  virtual absl::StatusOr<StagedVersion> GetStaged(std::string_view id) = 0;
  // Every staged version, oldest first, without bodies.
  virtual absl::StatusOr<std::vector<StagedVersion>> ListStaged() = 0;
  // NotFound when absent (already approved or rejected): exactly one caller wins.
  virtual absl::Status RemoveStaged(std::string_view id) = 0;

  // Packages whose publishes from automation tokens must be staged (docs/staging.md).
  virtual absl::Status SetRequireStaging(std::string_view package, bool require) = 0;
  virtual absl::StatusOr<bool> RequiresStaging(std::string_view package) = 0;
};

absl::StatusOr<std::unique_ptr<StageStore>> NewSqliteStageStore(const std::string& path);

}  // namespace bulwark
