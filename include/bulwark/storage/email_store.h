#pragma once
// The EmailStore seam (docs/email.md): the outgoing mail queue, one-time email secrets
// (verification links, login codes, reset links), devices known to have passed a login
// verification, and admin-reviewed account recovery requests. Kept in a database file of its own
// (<data_dir>/email.sqlite3) so that queueing mail never waits for the metadata store's writer.
// Implementations are thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

// One message waiting in (or done with) the queue. The body is the complete RFC 5322 message.
struct QueuedMail {
  int64_t id = 0;  // Assigned by the store.
  std::string sender;     // Envelope MAIL FROM.
  std::string recipient;  // Envelope RCPT TO (one per message).
  std::string message;    // Headers and MIME body, CRLF line ends.
  absl::Time created = absl::InfinitePast();
  absl::Time next_attempt = absl::InfinitePast();
  int attempts = 0;
  std::string last_error;
};

// NOTE: persisted; do not renumber.
enum class MailState : int { kQueued = 0, kSent = 1, kFailed = 2 };

struct MailCounts {
  int64_t queued = 0;
  int64_t sent = 0;
  int64_t failed = 0;
};

// A one-time secret sent by email. `key` is what the user brings back, hashed: the SHA-256 hex
// of a link token, or "<purpose>:<user>:<context>" for short codes (a code alone is guessable, so
// it is looked up by who it was sent to and compared, with an attempt budget).
struct EmailSecret {
  std::string key;
  std::string purpose;  // NOTE: persisted: "verify", "confirm-old", "login", "reset".
  std::string user;
  std::string code_hash;  // Hex SHA-256 of the code, for short codes; empty for links.
  std::string data;       // Purpose-specific: the address being verified, the change id, ...
  absl::Time created = absl::InfinitePast();
  absl::Time expires = absl::InfinitePast();
  int attempts = 0;  // Wrong codes entered so far.
};

// NOTE: persisted; do not renumber.
enum class RecoveryState : int { kOpen = 0, kApproved = 1, kRejected = 2, kCompleted = 3 };

struct RecoveryRequest {
  int64_t id = 0;  // Assigned by the store.
  std::string user;     // As typed by the requester; may not exist (the answer does not say).
  std::string contact;  // How the admin can reach the requester out of band.
  std::string message;
  std::string address;  // Client address the request came from.
  RecoveryState state = RecoveryState::kOpen;
  std::string decided_by;
  absl::Time created = absl::InfinitePast();
  absl::Time decided = absl::InfinitePast();
};

class EmailStore {
 public:
  virtual ~EmailStore() = default;

  // Mail queue. EnqueueMail returns the new id.
  virtual absl::StatusOr<int64_t> EnqueueMail(const QueuedMail& mail) = 0;
  // Queued messages whose next_attempt <= now, oldest first.
  virtual absl::StatusOr<std::vector<QueuedMail>> DueMail(absl::Time now, size_t limit) = 0;
  // Records the outcome of an attempt: sent, failed for good, or queued again at `next`.
  virtual absl::Status FinishAttempt(int64_t id, MailState state, int attempts,
                                     absl::Time next, std::string_view error) = 0;
  virtual absl::StatusOr<MailCounts> CountMail() = 0;

  // One-time secrets. PutSecret replaces a secret with the same key.
  virtual absl::Status PutSecret(const EmailSecret& secret) = 0;
  // NotFound when absent or expired at `now`.
  virtual absl::StatusOr<EmailSecret> GetSecret(std::string_view key, absl::Time now) = 0;
  // Deletes and returns the secret (single use): NotFound when absent, expired, or already taken
  // by a concurrent caller.
  virtual absl::StatusOr<EmailSecret> TakeSecret(std::string_view key, absl::Time now) = 0;
  virtual absl::Status SetSecretAttempts(std::string_view key, int attempts) = 0;
  // Every secret of `user` with `purpose` (empty: all purposes).
  virtual absl::Status DeleteSecrets(std::string_view user, std::string_view purpose) = 0;
  virtual absl::StatusOr<std::vector<EmailSecret>> ListSecrets(std::string_view user,
                                                               std::string_view purpose) = 0;

  // Devices that passed a login verification: (user, hex SHA-256 of the device id).
  virtual absl::Status AddDevice(std::string_view user, std::string_view device_hash,
                                 absl::Time when) = 0;
  virtual absl::StatusOr<bool> HasDevice(std::string_view user, std::string_view device_hash) = 0;
  virtual absl::Status DeleteDevices(std::string_view user) = 0;

  // Recovery requests. AddRecovery returns the new id; GetRecovery NotFound when absent.
  virtual absl::StatusOr<int64_t> AddRecovery(const RecoveryRequest& r) = 0;
  virtual absl::StatusOr<RecoveryRequest> GetRecovery(int64_t id) = 0;
  virtual absl::Status UpdateRecovery(const RecoveryRequest& r) = 0;
  // Newest first; `open_only`: state kOpen.
  virtual absl::StatusOr<std::vector<RecoveryRequest>> ListRecovery(bool open_only) = 0;
};

absl::StatusOr<std::unique_ptr<EmailStore>> NewSqliteEmailStore(const std::string& path);

}  // namespace bulwark
