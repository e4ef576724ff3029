#pragma once
// Security keys (WebAuthn) as a second factor: registration on the settings page, assertions
// on the sign-in, web-login and web-2FA pages, web-2FA approvals for npm's OTP challenge
// (authUrl/doneUrl, npm-registry-api.md §1.5) and browser sessions. The byte-level checks are
// accounts/webauthn (WebAuthn §7.1/§7.2); this class adds what needs state: single-use
// expiring challenges bound to one flow, credential ownership, the signature counter,
// and the policy (docs/security.md §Security keys).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "accounts/account_service.h"
#include "accounts/webauthn/webauthn.h"
#include "bulwark/env/clock.h"
#include "bulwark/env/random.h"
#include "bulwark/storage/webauthn_store.h"

namespace bulwark {

struct SecurityKeyOptions {
  // UV policy: a security key is the second factor after a password, so user presence (a
  // touch) is required and user verification (PIN, biometrics) is requested ("preferred") but
  // not required. Set to require it.
  bool require_user_verification = false;
  absl::Duration challenge_lifetime = absl::Minutes(5);
  absl::Duration web_otp_lifetime = absl::Minutes(5);  // From the 401 to npm's retry.
  absl::Duration web_session_lifetime = absl::Hours(12);
};

inline constexpr size_t kMaxKeysPerUser = 10;
inline constexpr size_t kMaxKeyNameChars = 64;
inline constexpr size_t kChallengeBytes = 32;  // WebAuthn §13.4.3: at least 16 random bytes.

// What a page hands to navigator.credentials.create()/get().
struct Ceremony {
  std::string handle;     // Posted back with the response; finds the stored challenge.
  std::string challenge;  // Raw bytes.
  std::string user;
  std::string user_handle;                  // Raw bytes (registration's user.id).
  std::vector<std::string> credential_ids;  // Raw ids: allowCredentials / excludeCredentials.
};

// A browser's answer to navigator.credentials.get(), fields base64url-decoded by the caller.
struct AssertionResponse {
  std::string credential_id;
  std::string client_data_json;
  std::string authenticator_data;
  std::string signature;
  std::string user_handle;  // Optional.
};

class SecurityKeys {
 public:
  SecurityKeys(WebAuthnStore& store, AccountService& accounts, Clock& clock, Random& random,
               SecurityKeyOptions options = {});

  // The relying party: set before serving (server/ derives it from public_url, or
  // http://localhost:<port>). Thread-safe.
  void SetRelyingParty(webauthn::RelyingParty rp);
  webauthn::RelyingParty relying_party() const;
  const SecurityKeyOptions& options() const { return options_; }

  // The WebAuthn user handle of `user`: 16 bytes derived from the name, so no table is needed
  // and no personal data is sent to the authenticator in clear.
  static std::string UserHandle(std::string_view user);

  absl::StatusOr<std::vector<SecurityKeyRecord>> ListKeys(std::string_view user);
  absl::Status RenameKey(std::string_view user, std::string_view id, std::string_view name);
  absl::Status RemoveKey(std::string_view user, std::string_view id);

  // Registration: the caller has re-authenticated the user. `context` binds the challenge to
  // the flow. FailedPrecondition at kMaxKeysPerUser keys; InvalidArgument for a bad name.
  absl::StatusOr<Ceremony> BeginRegistration(std::string_view user, std::string_view key_name,
                                             std::string_view context);
  absl::StatusOr<SecurityKeyRecord> FinishRegistration(std::string_view handle,
                                                       std::string_view context,
                                                       std::string_view user,
                                                       std::string_view client_data_json,
                                                       std::string_view attestation_object);

  // The second step of a sign-in (password already checked) or a web-2FA approval: a challenge
  // for `user`'s keys (credential_ids empty when the user has none: code only).
  absl::StatusOr<Ceremony> BeginSecondFactor(std::string_view user, std::string_view context);
  // Completes it with a key (`assertion`) or a code (`otp`: TOTP or recovery code). Returns the
  // user. The handle is spent either way; NotFound when unknown, used, expired or from another
  // flow. `user_out` receives the handle's user when the handle was valid (so a page can offer
  // another try). A key that is not the user's, a bad signature: PermissionDenied; a counter that went
  // backwards: webauthn::ClonedKeyError (logged as a security warning).
  absl::StatusOr<std::string> CompleteSecondFactor(std::string_view handle,
                                                   std::string_view context,
                                                   const AssertionResponse* assertion,
                                                   std::string_view otp,
                                                   std::string_view remote_ip,
                                                   std::string* user_out = nullptr);
  // Which factors `user` can use on the second step.
  struct Factors {
    bool totp = false;
    int64_t keys = 0;
  };
  absl::StatusOr<Factors> FactorsOf(std::string_view user);

  // Web 2FA for writes: a pending approval npm polls (the doneUrl) while the user approves at
  // the authUrl with a key.
  absl::StatusOr<WebOtpSession> StartWebOtp(std::string_view user, std::string_view action);
  // NotFound when unknown or expired.
  absl::StatusOr<WebOtpSession> GetWebOtp(std::string_view id);
  absl::Status ApproveWebOtp(std::string_view id);
  // nullopt while pending; the one-time token once approved (handed out once: later polls get
  // NotFound). npm sends it back as `npm-otp`; AccountService::CheckSecondFactor accepts it
  // once, for this user, within web_otp_lifetime.
  absl::StatusOr<std::optional<std::string>> PollWebOtp(std::string_view id);

  // Browser sessions: the cookie value is returned once; only its hash is stored.
  absl::StatusOr<std::string> StartWebSession(std::string_view user);
  absl::StatusOr<std::string> WebSessionUser(std::string_view cookie);
  absl::Status EndWebSession(std::string_view cookie);

 private:
  absl::StatusOr<Ceremony> NewCeremony(std::string_view user, ChallengePurpose purpose,
                                       std::string_view context, std::string_view data);
  absl::Status VerifyAssertionFor(std::string_view user, const std::string& challenge,
                                  const AssertionResponse& response);

  WebAuthnStore& store_;
  AccountService& accounts_;
  Clock& clock_;
  Random& random_;
  const SecurityKeyOptions options_;
  mutable absl::Mutex mu_;
  webauthn::RelyingParty rp_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bulwark
