#pragma once
// TrustStore seam: trusted-publishing configurations (which CI identity may publish which
// package, `npm trust`) and the replay guard on OIDC token ids (docs/trusted-publishing.md).
//
// Contract:
//  - Every method is thread-safe; each write is one transaction.
//  - NotFound for an unknown configuration; Unavailable when the database cannot be reached;
//    Internal for corrupt rows (never a crash).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct TrustConfigRecord {
  std::string id;       // Random, URL-safe; what `npm trust revoke --id` names.
  std::string package;
  std::string type;     // "github", "gitlab", "circleci".
  std::string claims;   // JSON object as npm sent it (npm-registry-api.md §9.2).
  std::vector<std::string> permissions;  // "createPackage", "createStagedPackage".
  std::string created_by;  // The owner who linked it; exchanged tokens are issued to them.
  absl::Time created = absl::InfinitePast();
};

class TrustStore {
 public:
  virtual ~TrustStore() = default;

  virtual absl::Status AddTrustConfig(const TrustConfigRecord& record) = 0;
  // Oldest first.
  virtual absl::StatusOr<std::vector<TrustConfigRecord>> ListTrustConfigs(
      std::string_view package) = 0;
  // NotFound unless `id` is a configuration of `package`.
  virtual absl::Status DeleteTrustConfig(std::string_view package, std::string_view id) = 0;

  // Records that the token `jti` of `issuer` was exchanged; it is remembered until `expires`.
  // AlreadyExists when it was recorded before and has not expired (a replay). Expired entries
  // are pruned on the way.
  virtual absl::Status UseTokenId(std::string_view issuer, std::string_view jti,
                                  absl::Time expires, absl::Time now) = 0;
};

// SQLite implementation (src/storage/sqlite/sqlite_trust_store.cc), tables beside the
// metadata store's in the file at `path`.
absl::StatusOr<std::unique_ptr<TrustStore>> NewSqliteTrustStore(const std::string& path);

}  // namespace bulwark
