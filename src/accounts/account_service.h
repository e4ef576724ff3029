#pragma once
// Accounts: users, passwords, tokens and web-login sessions, over the MetadataStore seam.
// This is where 2FA, throttling and the stronger protections of later issues plug in: every
// credential check goes through Authenticate / CheckPassword.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"
#include "bulwark/env/clock.h"
#include "bulwark/env/random.h"
#include "bulwark/storage/metadata_store.h"
#include "bulwark/storage/security_store.h"
#include "bulwark/storage/webauthn_store.h"
#include "accounts/breached/password_filter.h"
#include "accounts/passwords.h"
#include "accounts/secret_box.h"
#include "accounts/throttle.h"

namespace bulwark {

// Who made a request.
struct Identity {
  std::string user;
  bool admin = false;
  bool readonly = false;      // Token may only read.
  std::string token_key;      // Empty for Basic (password) authentication.
  // The token's granular restrictions (TokenRecord): non-empty lists limit writes to these
  // packages and scopes and forbid account changes.
  std::vector<std::string> packages;
  std::vector<std::string> scopes;
  bool bypass_2fa = false;    // Automation token: package writes need no one-time password.
  std::string token_prefix;   // Display prefix of the token, for event details.
  // The token is an `npm login` session (a person at a terminal), not one made for automation
  // (`npm token create`, trusted publishing): packages may require the latter to stage.
  bool login_session = false;
};

// OK when `who` may change `package` as far as its token's restrictions go (read-only,
// packages, scopes); PermissionDenied saying which restriction refused it. An empty `package`
// means an account change (tokens, profile, 2FA), which package-limited tokens may not make.
absl::Status CheckTokenAllows(const Identity& who, std::string_view package);

struct TokenOptions {
  std::string name;
  std::string description;
  bool readonly = false;
  std::vector<std::string> cidr_whitelist;  // IPv4 CIDRs; empty: any address.
  std::optional<absl::Duration> lifetime;   // Unset: the service default.
  std::vector<std::string> packages;        // Package names; validated.
  std::vector<std::string> scopes;          // "@scope" or "scope"; stored as "@scope".
  bool bypass_2fa = false;
  // A login session (`npm login`, web or legacy): without `lifetime` it lives
  // AccountOptions::login_token_lifetime instead of the token default.
  bool login_session = false;
};

struct AccountOptions {
  Argon2Params argon2;
  // Tokens `npm login` mints (auth.login_token_hours): short, as npmjs' since late 2025, so a
  // token left in a CI log or a laptop backup is dead by the next day.
  absl::Duration login_token_lifetime = absl::Hours(12);
  // `npm token create` without --expires (auth.token_lifetime_days).
  absl::Duration session_token_lifetime = absl::Hours(24 * 7);
  absl::Duration max_token_lifetime = absl::Hours(24 * 365);  // Read-only tokens.
  // Tokens that can write live at most this long (npmjs: 90 days).
  absl::Duration max_write_token_lifetime = absl::Hours(24 * 90);
  absl::Duration web_login_lifetime = absl::Minutes(10);
  // Back-off after failed password and second-factor checks; the two have separate budgets.
  ThrottleOptions throttle;
};

// What a request does, for the second-factor policy (npm-registry-api.md §5.5).
enum class TfaAction {
  kLogin,          // Legacy login (and `npm adduser` of an existing account), web login.
  kAccountChange,  // Token creation and two-factor changes.
  kWrite,          // Package writes and token revocation: only in auth-and-writes mode.
};

// The answer to a request that needs a one-time password and lacks a valid one: Unauthenticated
// with a payload that api/ turns into `WWW-Authenticate: OTP`, so npm prompts for a code
// (npm-registry-api.md §1.5). `wrong_code`: a code was given but is wrong or already used.
absl::Status OtpRequiredError(std::string message, bool wrong_code);
bool IsOtpRequired(const absl::Status& status);
bool IsWrongOtp(const absl::Status& status);
// Adds the web-2FA URLs (security keys) to an OTP challenge; read back by api/ for the body.
absl::Status WithWebOtpUrls(absl::Status status, std::string auth_url, std::string done_url);
std::optional<std::pair<std::string, std::string>> WebOtpUrls(const absl::Status& status);

// The outcome of asking for a two-factor mode (`npm profile enable-2fa`).
struct TfaChange {
  std::string otpauth_url;       // Set when enrolment started: confirm with a code next.
  std::optional<TfaMode> mode;   // Set when an enabled account switched mode.
};

inline constexpr size_t kRecoveryCodes = 8;
// Recovery codes are 64 hex characters (256 bits, like npmjs'): npm's OTP prompt accepts only
// digits or exactly 64 hex characters, and the entropy lets a plain SHA-256 be the stored form.
inline constexpr size_t kRecoveryCodeBytes = 32;
inline constexpr std::string_view kTotpIssuer = "Bulwark";
// One-time tokens of the web-2FA flow (security keys): npm polls one from doneUrl and sends it
// as `npm-otp` (docs/security.md §Security keys).
inline constexpr std::string_view kWebOtpTokenPrefix = "bwkotp_";
// Names of login-session tokens; reserved, so other tokens cannot pass for sessions.
inline constexpr std::string_view kLoginTokenName = "npm login";
inline constexpr std::string_view kWebLoginTokenName = "npm login (web)";

// The outcome of reading an Authorization header.
struct AuthResult {
  std::optional<Identity> identity;  // Unset: anonymous.
  // Set when a credential was presented but is not valid (expired, revoked, wrong password);
  // reads treat the request as anonymous and pass this on as an npm-notice.
  std::string rejected;
  bool ip_refused = false;   // The token is valid but not from this address (CIDR list).
  std::string token_user;    // Owner of a rejected but known token (expired, wrong address).
};

// 401 with `WWW-Authenticate: ipaddress`, which npm reports as EAUTHIP (§1.5).
absl::Status IpRefusedError(std::string message);
bool IsIpRefused(const absl::Status& status);

class AccountService {
 public:
  AccountService(MetadataStore& store, Clock& clock, Random& random, AccountOptions options = {});

  // InvalidArgument for a bad name, email or password; AlreadyExists when taken.
  absl::StatusOr<UserRecord> CreateUser(std::string_view name, std::string_view email,
                                        std::string_view password, bool admin = false);
  // Unauthenticated when the user does not exist or the password is wrong (same message).
  // Throttled per account and per client address (`remote_ip`, when known): while either is
  // locked out, ThrottledError (ResourceExhausted) without looking at the password.
  absl::StatusOr<UserRecord> CheckPassword(std::string_view name, std::string_view password,
                                           std::string_view remote_ip = "");
  absl::StatusOr<UserRecord> GetUser(std::string_view name);

  // Reads "Bearer <token>" or "Basic <b64 user:pass>". Never fails for a bad credential (see
  // AuthResult::rejected); fails only when storage does.
  absl::StatusOr<AuthResult> Authenticate(std::string_view authorization,
                                          std::string_view remote_ip);

  // Mints a token; the secret is returned once and never stored.
  struct Minted {
    std::string secret;
    TokenRecord record;
  };
  absl::StatusOr<Minted> CreateToken(std::string_view user, const TokenOptions& options,
                                     std::string_view remote_ip = "");
  absl::StatusOr<std::vector<TokenRecord>> ListTokens(std::string_view user);
  // `key_or_secret` is a token key or a full secret; NotFound unless it is one of `user`'s.
  absl::Status RevokeToken(std::string_view user, std::string_view key_or_secret,
                           std::string_view remote_ip = "");

  // `npm profile set password`: checks the old password and the second factor (auth phase),
  // applies the new-password rules (length, breached), stores the new hash, and revokes the
  // user's login-session tokens (names "npm login", "npm login (web)") other than
  // `keep_token_key`; tokens made with `npm token create` stay (docs/security.md). Returns how
  // many tokens were revoked.
  absl::StatusOr<int> ChangePassword(std::string_view user, std::string_view old_password,
                                     std::string_view new_password, std::string_view otp,
                                     std::string_view keep_token_key,
                                     std::string_view remote_ip = "");
  // Password reset through a proven channel (an email link, an admin-approved recovery:
  // docs/email.md): no old password. Applies the new-password rules, then revokes the login
  // session tokens, or every token when `revoke_all_tokens`. Returns how many were revoked.
  absl::StatusOr<int> ResetPassword(std::string_view user, std::string_view new_password,
                                    bool revoke_all_tokens, std::string_view remote_ip = "");
  // `npm profile set email`: needs the second factor (auth phase) when 2FA is on.
  absl::Status ChangeEmail(std::string_view user, std::string_view email, std::string_view otp,
                           std::string_view remote_ip = "");
  // Replaces the recovery codes with new ones (returned once). Needs the password and, 2FA
  // being on, a second factor; FailedPrecondition when 2FA is not enabled.
  absl::StatusOr<std::vector<std::string>> RegenerateRecoveryCodes(
      std::string_view user, std::string_view password, std::string_view otp,
      std::string_view remote_ip = "");

  // The security event log (docs/security.md §Security events). Null: events are only logged.
  void SetEventLog(SecurityStore* events) { events_ = events; }
  SecurityStore* event_log() { return events_; }
  // Appends an event; a failure to store it is logged, never returned (it must not fail the
  // request it describes).
  void RecordEvent(std::string_view kind, std::string_view user, std::string_view remote_ip,
                   std::string detail = "", std::string_view package = "");
  // Logout: revokes the token whose secret this is; OK when unknown (the path proves nothing
  // more than possession).
  absl::Status RevokeSecret(std::string_view secret);

  // Web login (`npm login`): a session the browser completes and the CLI polls.
  absl::StatusOr<LoginSession> StartWebLogin();
  // Browser side: checks the password and the second factor (`otp`, when the account has 2FA)
  // and mints the CLI's token into the session.
  absl::Status CompleteWebLogin(std::string_view session_id, std::string_view user,
                                std::string_view password, std::string_view otp = "",
                                std::string_view remote_ip = "");
  // The session if it is open (not expired, not completed): NotFound / FailedPrecondition.
  absl::StatusOr<LoginSession> OpenWebLogin(std::string_view session_id);
  // Mints the CLI's token into an open session for `user`, whose password and second factor
  // the caller has checked (the web login page's second step, security_keys.h).
  absl::Status FinishWebLogin(std::string_view session_id, std::string_view user,
                              std::string_view remote_ip = "");

  // Two-factor authentication (two_factor.cc). The key that seals TOTP secrets; set once by
  // server/ before serving. Without it, enrolment and code checks fail with FailedPrecondition.
  void SetTfaKey(SecretBox key) { tfa_key_.emplace(std::move(key)); }
  // New passwords found in `filter` are refused (docs/security.md §Breached passwords). Null:
  // no check. The filter must outlive the service.
  void SetBreachedPasswords(const breached::PasswordFilter* filter) { breached_ = filter; }
  // How many new passwords were refused as breached since start (for stats).
  uint64_t breached_refusals() const { return breached_refusals_.load(); }
  // Security keys (WebAuthn) count as a second factor: with a store set, an account with keys
  // has 2FA even without TOTP. The store must outlive the service.
  void SetWebAuthnStore(WebAuthnStore* store) { webauthn_ = store; }
  // nullopt when the user has no 2FA (not even pending).
  absl::StatusOr<std::optional<TfaRecord>> GetTfa(std::string_view user);
  // The mode in force: TOTP's when it is enabled; auth-and-writes for an account with only
  // security keys; nullopt without a second factor (or with TOTP enrolment pending only).
  absl::StatusOr<std::optional<TfaMode>> EffectiveTfaMode(std::string_view user);
  // How many security keys `user` has (0 without a WebAuthn store).
  absl::StatusOr<int64_t> SecurityKeyCount(std::string_view user);
  // OK when `user` needs no second factor for `action` (no 2FA, enrolment pending, or a write
  // in auth-only mode), or when `otp` is a TOTP code not used before (±1 step), an unused
  // recovery code, or an unused web-2FA token of this user (security keys), which is then spent. Otherwise OtpRequiredError. Wrong codes are throttled
  // like passwords, on a budget of their own: ThrottledError while locked out.
  // When `notice` is given and a recovery code was spent, it receives a sentence for the user
  // (how many are left, how to get new ones), which api/ sends as an npm-notice.
  absl::Status CheckSecondFactor(std::string_view user, TfaAction action, std::string_view otp,
                                 std::string_view remote_ip = "", std::string* notice = nullptr);
  // `npm profile enable-2fa MODE` (§5.3 step 5): checks the password; without 2FA (or with a
  // pending enrolment) starts enrolment with a new secret and returns its otpauth URL; with 2FA
  // enabled, needs a second factor and switches the mode.
  absl::StatusOr<TfaChange> RequestTfa(std::string_view user, TfaMode mode,
                                       std::string_view password, std::string_view otp,
                                       std::string_view remote_ip = "");
  // §5.3 step 8: confirms a pending enrolment with a current code and returns the recovery
  // codes, shown once. InvalidArgument for a wrong code; FailedPrecondition if not pending.
  absl::StatusOr<std::vector<std::string>> ConfirmTfa(std::string_view user,
                                                      std::string_view code,
                                                      std::string_view remote_ip = "");
  // §5.4: checks the password and, when 2FA is enabled (not merely pending), a second factor.
  absl::Status DisableTfa(std::string_view user, std::string_view password,
                          std::string_view otp, std::string_view remote_ip = "");
  // CLI side: nullopt while pending; the token once done (the session is then deleted);
  // NotFound when unknown or expired.
  absl::StatusOr<std::optional<std::string>> PollWebLogin(std::string_view session_id);

  // Credential checks refused by throttling since start, for stats.
  uint64_t throttled_attempts() const { return throttled_.load(std::memory_order_relaxed); }

  static absl::Status CheckUserName(std::string_view name);
  static absl::Status CheckEmail(std::string_view email);

 private:
  // Checks the new password's rules (refusal logged), stores its hash, and revokes the user's
  // login-session tokens (every token with `revoke_all_tokens`) but `keep_token_key`, each
  // logged as token.revoked "<token>, <why>". Returns how many went.
  absl::StatusOr<int> SetPasswordAndRevoke(UserRecord& u, std::string_view new_password,
                                           bool revoke_all_tokens, std::string_view keep_token_key,
                                           std::string_view why, std::string_view remote_ip);
  MetadataStore& store_;
  Clock& clock_;
  Random& random_;
  const AccountOptions options_;
  std::optional<SecretBox> tfa_key_;
  const breached::PasswordFilter* breached_ = nullptr;
  WebAuthnStore* webauthn_ = nullptr;
  std::atomic<uint64_t> breached_refusals_{0};
  // CheckPasswordRules plus the breached-password check, for every new password.
  absl::Status CheckNewPassword(std::string_view password, std::string_view user);
  // CheckNewPassword at sign-up, recording breached refusals as events (for stats).
  absl::Status CheckNewAccountPassword(std::string_view password, std::string_view user);

  // CheckSecondFactor's comparison of a non-empty code, without the throttle.
  absl::Status CheckCode(const TfaRecord& tfa, std::string_view otp, std::string_view remote_ip,
                         std::string* notice);
  SecurityStore* events_ = nullptr;
  // Keys "user:NAME" and "ip:ADDRESS" in one throttle: OK when neither is locked out.
  absl::Status CheckThrottle(LoginThrottle& throttle, std::string_view user,
                             std::string_view remote_ip);
  void RecordFailure(LoginThrottle& throttle, std::string_view user, std::string_view remote_ip);
  // Forgives the account only: a success must not reset the address's budget, or an attacker
  // could interleave logins to an account of their own with the guesses.
  void RecordSuccess(LoginThrottle& throttle, std::string_view user);
  LoginThrottle password_throttle_{clock_, options_.throttle};
  LoginThrottle otp_throttle_{clock_, options_.throttle};
  std::atomic<uint64_t> throttled_{0};
};

// True when IPv4 `ip` is inside any of `cidrs` ("10.0.0.0/8"). Unparseable entries match nothing.
bool IpInCidrs(std::string_view ip, const std::vector<std::string>& cidrs);

}  // namespace bulwark
