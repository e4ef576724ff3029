#pragma once
// ModerationStore seam: what the publish gate and the moderation queue keep (docs/moderation.md):
// one scan record per version that reached the gate (its findings, the diff against the previous
// version, what the policy decided), moderation cases (held versions and reports from anyone),
// versions removed as malicious, security events told to users (a token revoked because it
// leaked), and the publish log by token that spots the worm pattern.
//
// Contract:
//  - Every method is thread-safe; each write is one transaction.
//  - Lookups return NotFound for unknown ids; Unavailable when the database cannot be reached;
//    Internal for corrupt rows (never a crash).
//  - Report and diff documents are opaque JSON text to the store.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

// One version's passage through the publish gate.
struct ScanRecord {
  int64_t id = 0;  // Assigned by the store.
  std::string package;
  std::string version;
  std::string publisher;
  bool publisher_2fa = false;  // The publisher's account had 2FA enabled at the time.
  std::string token_key;       // Token used ("" for password auth).
  // NOTE: persisted; do not rename. The report's verdict ("clean", "warn", "hold", "reject") or
  // "error" when the engine failed; `action` is the policy's: "publish", "warn", "hold", "reject".
  std::string verdict;
  std::string action;
  std::string report_json;  // scan::ScanReport plus between-version findings (docs/moderation.md).
  std::string diff_json;    // Files added/removed/changed and package.json changes.
  absl::Time created = absl::InfinitePast();
};

// An item of the moderation queue.
struct ModerationCase {
  int64_t id = 0;  // Assigned by the store.
  // NOTE: persisted; do not rename. "hold": a version the gate held (stored, not served);
  // "report": someone reported a package or version.
  std::string kind;
  std::string package;
  std::string version;  // "" for a report on the whole package.
  // NOTE: persisted; do not rename. "open", "approved", "removed" (malicious), "dismissed".
  std::string state = "open";
  std::string reason;    // Why it was held, or the reporter's text.
  std::string reporter;  // User name, or "anonymous"; contact as given.
  int64_t scan_id = 0;   // The ScanRecord behind a hold (0: none).
  std::string held_json;  // What approving a hold publishes (opaque to the store).
  std::string resolution;  // The moderator's note.
  std::string resolved_by;
  absl::Time created = absl::InfinitePast();
  std::optional<absl::Time> resolved;
};

// Something a user is told about their account (e.g. a token revoked because it leaked).
struct UserNotice {
  int64_t id = 0;
  std::string user;
  // NOTE: persisted; do not rename. "token-leak-tarball", "token-leak-partner",
  // "token-suspended-worm", "publish-refused-own-token".
  std::string kind;
  std::string detail;
  absl::Time created = absl::InfinitePast();
};

struct PublishLogEntry {
  std::string token_key;
  std::string user;
  std::string package;
  std::string version;
  absl::Time when = absl::InfinitePast();
};

struct ModerationCounts {
  int64_t scanned = 0;   // Scan records.
  int64_t warned = 0;    // ... whose action was "warn".
  int64_t held = 0;      // ... "hold".
  int64_t rejected = 0;  // ... "reject".
  int64_t scan_errors = 0;  // ... whose verdict was "error".
  int64_t removed_malicious = 0;  // Versions removed as malicious.
  int64_t reports = 0;            // Report cases received.
  int64_t open_cases = 0;
  int64_t tokens_revoked_tarball = 0;   // Events "token-leak-tarball".
  int64_t tokens_revoked_partner = 0;   // Events "token-leak-partner".
  int64_t tokens_suspended_worm = 0;    // Events "token-suspended-worm".
};

class ModerationStore {
 public:
  virtual ~ModerationStore() = default;

  // Returns the new record's id.
  virtual absl::StatusOr<int64_t> RecordScan(const ScanRecord& scan) = 0;
  virtual absl::StatusOr<ScanRecord> GetScan(int64_t id) = 0;
  // The newest scan of package@version whose action let it be served or held (not "reject").
  virtual absl::StatusOr<ScanRecord> LatestScan(std::string_view package,
                                                std::string_view version) = 0;

  virtual absl::StatusOr<int64_t> CreateCase(const ModerationCase& c) = 0;
  virtual absl::StatusOr<ModerationCase> GetCase(int64_t id) = 0;
  // Oldest first; `open_only` keeps state "open".
  virtual absl::StatusOr<std::vector<ModerationCase>> ListCases(bool open_only) = 0;
  // Open cases about `package` (any version), oldest first.
  virtual absl::StatusOr<std::vector<ModerationCase>> OpenCasesFor(std::string_view package) = 0;
  // Moves an open case to `state` atomically. FailedPrecondition when it is no longer open (two
  // moderators deciding at once: one wins), NotFound when absent.
  virtual absl::Status ResolveCase(int64_t id, std::string_view state, std::string_view by,
                                   std::string_view resolution, absl::Time when) = 0;

  // Records package@version as removed as malicious (idempotent).
  virtual absl::Status RecordRemoval(std::string_view package, std::string_view version,
                                     int64_t case_id, absl::Time when) = 0;

  virtual absl::Status RecordNotice(const UserNotice& event) = 0;
  // Newest first; `user` "" lists everyone's.
  virtual absl::StatusOr<std::vector<UserNotice>> ListNotices(std::string_view user) = 0;

  virtual absl::Status RecordPublish(const PublishLogEntry& entry) = 0;
  // Publishes made with `token_key` at or after `since`, oldest first.
  virtual absl::StatusOr<std::vector<PublishLogEntry>> PublishesByToken(std::string_view token_key,
                                                                       absl::Time since) = 0;

  virtual absl::StatusOr<ModerationCounts> Count() = 0;
};

// Opens (creating) the moderation tables in the SQLite database at `path` (normally the metadata
// store's own file, <data_dir>/bulwark.sqlite3; the tables are separate).
absl::StatusOr<std::unique_ptr<ModerationStore>> NewSqliteModerationStore(const std::string& path);

}  // namespace bulwark
