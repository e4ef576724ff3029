#pragma once
// WebAuthnStore seam: security keys (WebAuthn credentials) and the short-lived state of the web
// pages that use them: single-use ceremony challenges, web-2FA approvals (the authUrl/doneUrl
// pairing of npm's OTP challenge) and browser sessions (docs/security.md §Security keys).
//
// Contract:
//  - Every method is thread-safe; each write is one transaction.
//  - NotFound for unknown ids; AlreadyExists when a credential id is registered already (to
//    anyone: WebAuthn §7.1 step 22); Unavailable when the database cannot be reached; Internal
//    for corrupt rows (never a crash).
//  - Secrets handed to browsers or npm (session cookies, web-2FA tokens) are stored only as
//    hashes chosen by the caller.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct SecurityKeyRecord {
  std::string id;          // Raw credential id (WebAuthn rawId), at most 1023 bytes.
  std::string user;
  std::string name;        // The owner's label ("YubiKey 5 on my keyring").
  std::string public_key;  // COSE_Key bytes.
  int alg = 0;             // COSE algorithm (-7, -8, -257).
  uint32_t sign_count = 0;
  std::string aaguid;       // 16 bytes.
  std::string attestation;  // "none", "packed-self", "packed-x5c".
  bool backup_eligible = false;
  bool backup_state = false;
  bool user_verified = false;  // UV was set at registration.
  absl::Time created = absl::InfinitePast();
  std::optional<absl::Time> last_used;
};

// What a challenge is for. NOTE: persisted; do not renumber.
enum class ChallengePurpose : int {
  kRegister = 1,    // Adding a key on the settings page.
  kSecondFactor = 2,  // The second step of a sign-in or web login, or a web-2FA approval.
};

struct WebAuthnChallenge {
  std::string id;         // Random handle the page posts back (not the challenge itself).
  std::string user;
  ChallengePurpose purpose = ChallengePurpose::kSecondFactor;
  std::string challenge;  // Raw random bytes given to navigator.credentials.
  // Binds the challenge to one flow ("login:<session>", "signin", "otp:<id>", "settings"):
  // a handle from one flow cannot complete another.
  std::string context;
  std::string data;       // Flow data (the new key's name when registering).
  absl::Time expires = absl::InfinitePast();
};

// One web-2FA approval: npm got authUrl/doneUrl in an OTP challenge; the user approves with a
// key at authUrl; npm's poll of doneUrl then receives a one-time token for `npm-otp`.
struct WebOtpSession {
  std::string id;
  std::string user;
  std::string action;  // What asked for it, shown on the page ("publish", "login").
  absl::Time created = absl::InfinitePast();
  bool approved = false;
  // Set when the token was handed to the poller: hex SHA-256 of it; the token itself is never
  // stored. Empty before.
  std::string token_hash;
  bool used = false;
};

struct WebSession {
  std::string id_hash;  // Hex SHA-256 of the cookie value.
  std::string user;
  absl::Time created = absl::InfinitePast();
  absl::Time expires = absl::InfinitePast();
};

class WebAuthnStore {
 public:
  virtual ~WebAuthnStore() = default;

  // Security keys.
  virtual absl::Status AddKey(const SecurityKeyRecord& key) = 0;
  virtual absl::StatusOr<SecurityKeyRecord> GetKey(std::string_view id) = 0;
  virtual absl::StatusOr<std::vector<SecurityKeyRecord>> ListKeys(std::string_view user) = 0;
  virtual absl::StatusOr<int64_t> CountKeys(std::string_view user) = 0;
  // Records a verified assertion: sets the counter to `new_count` only if it is still
  // `old_count` (FailedPrecondition otherwise), so two racing assertions with one counter
  // value cannot both pass.
  virtual absl::Status RecordKeyUse(std::string_view id, uint32_t old_count, uint32_t new_count,
                                    bool backup_state, absl::Time when) = 0;
  // NotFound unless the key is `user`'s.
  virtual absl::Status RenameKey(std::string_view user, std::string_view id,
                                 std::string_view name) = 0;
  virtual absl::Status DeleteKey(std::string_view user, std::string_view id) = 0;

  // Challenges. TakeChallenge returns and deletes in one step (single use); NotFound when
  // unknown, already taken, or expired at `now`. Expired ones are swept on PutChallenge.
  virtual absl::Status PutChallenge(const WebAuthnChallenge& c, absl::Time now) = 0;
  virtual absl::StatusOr<WebAuthnChallenge> TakeChallenge(std::string_view id,
                                                          absl::Time now) = 0;

  // Web-2FA approvals. Sessions created before `older_than` are swept on create.
  virtual absl::Status CreateWebOtp(const WebOtpSession& s, absl::Time older_than) = 0;
  virtual absl::StatusOr<WebOtpSession> GetWebOtp(std::string_view id) = 0;
  virtual absl::Status ApproveWebOtp(std::string_view id) = 0;
  // Records the hash of the token handed out; FailedPrecondition if one was handed out already.
  virtual absl::Status SetWebOtpToken(std::string_view id, std::string_view token_hash) = 0;
  // Spends the token with this hash, if it is `user`'s, unused and created after
  // `created_after`: OK once, NotFound after.
  virtual absl::Status UseWebOtpToken(std::string_view user, std::string_view token_hash,
                                      absl::Time created_after) = 0;

  // Browser sessions (the settings page).
  virtual absl::Status CreateWebSession(const WebSession& s) = 0;
  // NotFound when unknown or expired at `now`.
  virtual absl::StatusOr<WebSession> GetWebSession(std::string_view id_hash, absl::Time now) = 0;
  virtual absl::Status DeleteWebSession(std::string_view id_hash) = 0;
  // Every browser session of `user` (password reset signs them all out: docs/email.md).
  virtual absl::Status DeleteWebSessionsOf(std::string_view user) = 0;
};

// Opens (creating) the tables in the SQLite database at `path` (the metadata store's file).
absl::StatusOr<std::unique_ptr<WebAuthnStore>> NewSqliteWebAuthnStore(const std::string& path);

}  // namespace bulwark
