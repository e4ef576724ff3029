#pragma once
// SandboxStore seam: run-time reports of package versions (docs/sandbox.md §Reports) and the
// queue of versions waiting for a sandbox run. Its own SQLite file (sandbox.sqlite3): reports
// are large JSON documents written by a background worker, never on a publish's hot path.
//
// Contract:
//  - Every method is thread-safe; each write is one transaction.
//  - NotFound for an absent report; Unavailable when the database cannot be reached.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct SandboxReportRecord {
  std::string name, version;
  absl::Time created = absl::InfinitePast();
  std::string verdict;  // NOTE: persisted; "malicious", "suspicious", "clean", "error".
  std::string report;   // The report as JSON (sandbox/report.h).
};

struct SandboxJob {
  int64_t id = 0;
  std::string name, version;
  std::string reason;  // "publish", "admin:<user>".
  absl::Time enqueued = absl::InfinitePast();
};

struct SandboxCounts {
  int64_t reports = 0;
  int64_t flagged = 0;  // Reports whose verdict is malicious.
  int64_t suspicious = 0;
  int64_t quarantined = 0;  // Versions withdrawn because of a malicious report.
  int64_t queued = 0;
};

class SandboxStore {
 public:
  virtual ~SandboxStore() = default;

  // Stores (or replaces) the report of name@version.
  virtual absl::Status PutReport(const SandboxReportRecord& record) = 0;
  virtual absl::StatusOr<SandboxReportRecord> GetReport(std::string_view name,
                                                        std::string_view version) = 0;
  // The newest report of `name` created before `before` for another version, if any (the
  // previous version's report, for the diff).
  virtual absl::StatusOr<std::optional<SandboxReportRecord>> PreviousReport(
      std::string_view name, std::string_view version) = 0;

  // Queues a run; a version already queued is not queued twice. Returns the job's id.
  virtual absl::StatusOr<int64_t> Enqueue(const SandboxJob& job) = 0;
  // Takes the oldest queued job off the queue, or nullopt.
  virtual absl::StatusOr<std::optional<SandboxJob>> Dequeue() = 0;

  // Records that name@version was quarantined because of its report.
  virtual absl::Status MarkQuarantined(std::string_view name, std::string_view version) = 0;
  virtual absl::StatusOr<SandboxCounts> Counts() = 0;
};

absl::StatusOr<std::unique_ptr<SandboxStore>> NewSqliteSandboxStore(const std::string& path);

}  // namespace bulwark
