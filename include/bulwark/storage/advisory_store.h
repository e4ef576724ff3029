#pragma once
// AdvisoryStore seam: the advisory database behind `npm audit` (docs/advisories.md). It stores
// OSV documents by id with the facts needed to find them (the npm packages they affect, when
// they were modified and withdrawn, their severity); parsing and matching are the engine's
// (security/advisories), so the store knows nothing of semver.
//
// Contract:
//  - Every method is thread-safe; each write is one transaction.
//  - Get returns NotFound for unknown ids; Unavailable when the database cannot be reached;
//    Internal for corrupt rows (never a crash).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct AdvisoryRecord {
  std::string id;
  absl::Time modified = absl::UnixEpoch();
  std::optional<absl::Time> withdrawn;
  std::string severity;               // npm's word: low, moderate, high, critical, info.
  std::vector<std::string> packages;  // npm package names the advisory affects.
  std::string json;                   // The OSV document.
};

struct AdvisoryCounts {
  int64_t total = 0;      // Including withdrawn.
  int64_t withdrawn = 0;
  int64_t malware = 0;    // MAL- ids, not withdrawn.
  std::map<std::string, int64_t> by_severity;  // Not withdrawn.
};

class AdvisoryStore {
 public:
  // NOTE: persisted in import reports; do not renumber.
  enum class UpsertResult {
    kCreated = 0,
    kUpdated = 1,    // Same id, `modified` newer or equal, different content: replaced.
    kUnchanged = 2,  // Same id and the same document.
    kStale = 3,      // Same id, the stored one is newer: kept.
  };

  virtual ~AdvisoryStore() = default;

  // Inserts or replaces each record by id (replacing only when its `modified` is newer than or
  // equal to the stored one), all in one transaction; one result per record, in order.
  virtual absl::StatusOr<std::vector<UpsertResult>> UpsertBatch(
      const std::vector<AdvisoryRecord>& records) = 0;
  absl::StatusOr<UpsertResult> Upsert(const AdvisoryRecord& record) {
    BULWARK_ASSIGN_OR_RETURN(std::vector<UpsertResult> r, UpsertBatch({record}));
    return r.at(0);
  }

  // The advisories, not withdrawn, that name any of `packages`; each once, ordered by id.
  virtual absl::StatusOr<std::vector<AdvisoryRecord>> ListForPackages(
      const std::vector<std::string>& packages) = 0;
  // Every advisory, withdrawn ones included, ordered by id.
  virtual absl::StatusOr<std::vector<AdvisoryRecord>> ListAll() = 0;
  virtual absl::StatusOr<AdvisoryRecord> Get(std::string_view id) = 0;
  // Marks the advisory withdrawn at `when` (it stops matching; the document is kept). The
  // caller passes the updated document. NotFound when absent.
  virtual absl::Status Withdraw(std::string_view id, absl::Time when, std::string_view json) = 0;
  virtual absl::StatusOr<AdvisoryCounts> Count() = 0;
  // A number that changes whenever any process commits a change to the advisories (it never
  // repeats for a database), so readers can cache what they built from them.
  virtual absl::StatusOr<int64_t> Generation() = 0;
};

// Opens (creating) the advisory tables in the SQLite database at `path`, which may be the
// metadata store's own file (<data_dir>/bulwark.sqlite3): the tables are separate.
absl::StatusOr<std::unique_ptr<AdvisoryStore>> NewSqliteAdvisoryStore(const std::string& path);

}  // namespace bulwark
