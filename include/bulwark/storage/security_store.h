#pragma once
// SecurityStore seam: the security event log (logins, 2FA changes, tokens, password changes,
// recovery-code use, refused writes; docs/security.md §Security events) and the per-package
// two-factor policy set with `npm access set mfa=...`. Kept apart from the MetadataStore: events
// are appended on hot paths (every failed login) and must not contend with package commits.
//
// Contract:
//  - Every method is thread-safe; each write is one transaction.
//  - Unavailable when the database cannot be reached; Internal for corrupt rows.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct SecurityEvent {
  int64_t id = 0;  // Assigned by the store, increasing; 0 before it is stored.
  absl::Time time = absl::InfinitePast();
  // NOTE: persisted; do not rename. "login.success", "token.created", ... (security.md lists
  // them all).
  std::string kind;
  std::string user;     // The account concerned (may name no existing account: failed logins).
  std::string address;  // Client address, when known.
  std::string package;  // The package concerned, for package writes.
  std::string detail;   // Human-readable specifics ("token bwk_AbC123 (ci), read-only").
};

struct EventQuery {
  std::string user;         // Empty: every user.
  std::string kind_prefix;  // Empty: every kind; "login." matches "login.success".
  int64_t before_id = 0;    // Paging: only ids below this; 0: from the newest.
  size_t limit = 100;
};

// NOTE: persisted; do not renumber.
enum class PackageMfa : int {
  kNone = 0,
  kPublish = 1,     // Every write to the package needs a one-time password.
  kAutomation = 2,  // Likewise, except with automation (bypass_2fa) tokens.
};

class SecurityStore {
 public:
  virtual ~SecurityStore() = default;

  // Appends `event` (its id is ignored and assigned).
  virtual absl::Status RecordEvent(const SecurityEvent& event) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<SecurityEvent>> ListEvents(const EventQuery& query) = 0;
  // How many events of each kind happened at or after `since`.
  virtual absl::StatusOr<std::map<std::string, int64_t>> CountEvents(absl::Time since) = 0;
  // Deletes events older than `cutoff`; returns how many.
  virtual absl::StatusOr<int64_t> PruneEvents(absl::Time cutoff) = 0;

  // Per-package two-factor policy; kNone when never set.
  virtual absl::StatusOr<PackageMfa> GetPackageMfa(std::string_view package) = 0;
  virtual absl::Status SetPackageMfa(std::string_view package, PackageMfa mfa,
                                     std::string_view set_by, absl::Time when) = 0;
  // Every package whose policy is not kNone.
  virtual absl::StatusOr<std::map<std::string, PackageMfa>> ListPackageMfa() = 0;
};

// SQLite in WAL mode at `path` (created with its schema when missing); Bulwark uses
// <data_dir>/security.sqlite3.
absl::StatusOr<std::unique_ptr<SecurityStore>> NewSqliteSecurityStore(const std::string& path);

}  // namespace bulwark
