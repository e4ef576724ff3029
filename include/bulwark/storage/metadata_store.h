#pragma once
// MetadataStore seam: users, tokens, packages, login sessions, and the typosquat protection's
// data (imported popularity, the admin allow-list, publish-gate findings). Implementations: SQLite
// (embedded default) and, later, PostgreSQL; both pass tests/metadata_store_conformance.
//
// Contract:
//  - Every method is thread-safe and atomic.
//  - Lookups return NotFound for unknown keys; Unavailable when the database cannot be reached;
//    Internal for corrupt rows (never a crash).
//  - CommitPackage is optimistic: it writes `next` only if the stored revision still equals
//    `expected_rev` (0: the package must not exist), and returns Aborted otherwise, so callers
//    re-read and retry. A crash mid-commit leaves the previous revision.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"
#include "bulwark/storage/records.h"

namespace bulwark {

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // Users. CreateUser: AlreadyExists when the name is taken.
  virtual absl::Status CreateUser(const UserRecord& user) = 0;
  virtual absl::StatusOr<UserRecord> GetUser(std::string_view name) = 0;
  virtual absl::Status UpdateUser(const UserRecord& user) = 0;  // NotFound when absent.
  virtual absl::StatusOr<std::vector<UserRecord>> ListUsers() = 0;

  // Tokens, addressed by key (hex SHA-512 of the secret).
  virtual absl::Status CreateToken(const TokenRecord& token) = 0;
  virtual absl::StatusOr<TokenRecord> GetToken(std::string_view key) = 0;
  virtual absl::StatusOr<std::vector<TokenRecord>> ListTokens(std::string_view user) = 0;
  virtual absl::Status DeleteToken(std::string_view key) = 0;  // OK when absent.
  // Records that the token was used at `when` (OK when absent).
  virtual absl::Status TouchToken(std::string_view key, absl::Time when) = 0;

  // Two-factor state, one record per user (NotFound: 2FA off). PutTfa inserts or replaces the
  // whole record, recovery codes included; DeleteTfa is OK when absent.
  virtual absl::StatusOr<TfaRecord> GetTfa(std::string_view user) = 0;
  virtual absl::Status PutTfa(const TfaRecord& tfa) = 0;
  virtual absl::Status DeleteTfa(std::string_view user) = 0;
  // Atomically records TOTP `step` as used iff it is later than the stored last_step, so two
  // requests racing with one code cannot both pass. FailedPrecondition when it is not later;
  // NotFound without a record.
  virtual absl::Status UseTotpStep(std::string_view user, int64_t step) = 0;
  // Atomically removes one unused recovery code by its hash; NotFound when it is not there
  // (never issued, or already used).
  virtual absl::Status UseRecoveryCode(std::string_view user, std::string_view code_hash) = 0;

  // Packages. GetPackage returns unpublished packages too (check `unpublished`).
  virtual absl::StatusOr<PackageRecord> GetPackage(std::string_view name) = 0;
  // The stored revision, 0 when the package does not exist. Cheap: used to revalidate caches.
  virtual absl::StatusOr<int64_t> GetPackageRev(std::string_view name) = 0;
  virtual absl::Status CommitPackage(const PackageRecord& next, int64_t expected_rev) = 0;
  virtual absl::StatusOr<std::vector<PackageSummary>> ListPackages() = 0;

  // Web login sessions.
  virtual absl::Status CreateLoginSession(const LoginSession& session) = 0;
  virtual absl::StatusOr<LoginSession> GetLoginSession(std::string_view id) = 0;
  virtual absl::Status UpdateLoginSession(const LoginSession& session) = 0;
  virtual absl::Status DeleteLoginSession(std::string_view id) = 0;
  // Deletes sessions created before `cutoff`.
  virtual absl::Status ExpireLoginSessions(absl::Time cutoff) = 0;

  // Imported popularity (typosquat protection). SetPopularity replaces the whole set
  // atomically; a name listed twice keeps its last entry. ListPopularity is ordered by name.
  virtual absl::Status SetPopularity(const std::vector<PopularityEntry>& entries) = 0;
  virtual absl::StatusOr<std::vector<PopularityEntry>> ListPopularity() = 0;

  // The admin allow-list of names exempt from typosquat checks. Adding a listed name keeps the
  // first record and returns OK; removing an absent name returns NotFound. Ordered by name.
  // Tarball downloads counted by this registry, per package and UTC day (days since the Unix
  // epoch). AddDownloads adds to what is stored; SumDownloads totals each package's days >= `since`.
  virtual absl::Status AddDownloads(int64_t day, const std::vector<PopularityEntry>& counts) = 0;
  virtual absl::StatusOr<std::vector<PopularityEntry>> SumDownloads(int64_t since_day) = 0;
  // Dependents: for every package named in the `dependencies` of the latest version of a live
  // package, how many such packages name it (`downloads` holds the count). Only counts of at
  // least `min_count` are returned; ordered by name. One query; meant for a periodic job.
  virtual absl::StatusOr<std::vector<PopularityEntry>> CountDependents(uint64_t min_count) = 0;

  // Names an administrator protects (`bulwark typosquat protect`). Add is idempotent; Remove
  // returns NotFound when the name is not protected.
  virtual absl::Status AddProtectedName(const ProtectedName& name) = 0;
  virtual absl::Status RemoveProtectedName(std::string_view name) = 0;
  virtual absl::StatusOr<std::vector<ProtectedName>> ListProtectedNames() = 0;

  virtual absl::Status AddAllowedName(const AllowedName& allowed) = 0;
  virtual absl::Status RemoveAllowedName(std::string_view name) = 0;
  virtual absl::StatusOr<std::vector<AllowedName>> ListAllowedNames() = 0;

  // Publish-gate findings, append-only. RecordNameFinding ignores `finding.id` and assigns the
  // next one; ListNameFindings returns them oldest first.
  virtual absl::Status RecordNameFinding(const NameFinding& finding) = 0;
  virtual absl::StatusOr<std::vector<NameFinding>> ListNameFindings() = 0;
};

// SQLite in WAL mode at `path` (created with its schema when missing).
absl::StatusOr<std::unique_ptr<MetadataStore>> NewSqliteMetadataStore(const std::string& path);

}  // namespace bulwark
