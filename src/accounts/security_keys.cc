#include "accounts/security_keys.h"

#include "accounts/tokens.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/strings.h"

namespace bulwark {
namespace {

constexpr size_t kHandleChars = 32;     // Base62, ~190 bits: handles are bearer secrets.
constexpr size_t kWebOtpIdChars = 32;
constexpr size_t kSessionCookieChars = 43;  // ~256 bits.
constexpr size_t kWebOtpTokenChars = 40;

absl::Status CheckKeyName(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeyNameChars) {
    return absl::InvalidArgumentError(
        StrCat("a key name must be 1 to ", kMaxKeyNameChars, " characters"));
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return absl::InvalidArgumentError("a key name may not contain control characters");
    }
  }
  return absl::OkStatus();
}

}  // namespace

SecurityKeys::SecurityKeys(WebAuthnStore& store, AccountService& accounts, Clock& clock,
                           Random& random, SecurityKeyOptions options)
    : store_(store), accounts_(accounts), clock_(clock), random_(random),
      options_(std::move(options)) {}

void SecurityKeys::SetRelyingParty(webauthn::RelyingParty rp) {
  absl::MutexLock l(&mu_);
  rp.require_user_verification = options_.require_user_verification;
  rp_ = std::move(rp);
}

webauthn::RelyingParty SecurityKeys::relying_party() const {
  absl::MutexLock l(&mu_);
  return rp_;
}

std::string SecurityKeys::UserHandle(std::string_view user) {
  return Sha256(StrCat("bulwark webauthn user handle\n", user)).substr(0, 16);
}

absl::StatusOr<std::vector<SecurityKeyRecord>> SecurityKeys::ListKeys(std::string_view user) {
  return store_.ListKeys(user);
}

absl::Status SecurityKeys::RenameKey(std::string_view user, std::string_view id,
                                     std::string_view name) {
  BULWARK_RETURN_IF_ERROR(CheckKeyName(name));
  return store_.RenameKey(user, id, name);
}

absl::Status SecurityKeys::RemoveKey(std::string_view user, std::string_view id) {
  BULWARK_RETURN_IF_ERROR(store_.DeleteKey(user, id));
  LogInfo("security key removed from %s", std::string(user));
  accounts_.RecordEvent("security_key.removed", user, "", StrCat("key id ", id));
  return absl::OkStatus();
}

absl::StatusOr<Ceremony> SecurityKeys::NewCeremony(std::string_view user, ChallengePurpose purpose,
                                                   std::string_view context,
                                                   std::string_view data) {
  WebAuthnChallenge c;
  c.id = RandomId(random_, kHandleChars);
  c.user = std::string(user);
  c.purpose = purpose;
  c.challenge = random_.Bytes(kChallengeBytes);
  c.context = std::string(context);
  c.data = std::string(data);
  c.expires = clock_.Now() + options_.challenge_lifetime;
  BULWARK_RETURN_IF_ERROR(store_.PutChallenge(c, clock_.Now()));
  Ceremony out;
  out.handle = c.id;
  out.challenge = c.challenge;
  out.user = c.user;
  out.user_handle = UserHandle(user);
  BULWARK_ASSIGN_OR_RETURN(std::vector<SecurityKeyRecord> keys, store_.ListKeys(user));
  for (const auto& k : keys) out.credential_ids.push_back(k.id);
  return out;
}

absl::StatusOr<Ceremony> SecurityKeys::BeginRegistration(std::string_view user,
                                                         std::string_view key_name,
                                                         std::string_view context) {
  BULWARK_RETURN_IF_ERROR(CheckKeyName(key_name));
  BULWARK_ASSIGN_OR_RETURN(int64_t count, store_.CountKeys(user));
  if (count >= static_cast<int64_t>(kMaxKeysPerUser)) {
    return absl::FailedPreconditionError(
        StrCat("at most ", kMaxKeysPerUser, " security keys per account; remove one first"));
  }
  return NewCeremony(user, ChallengePurpose::kRegister, context, key_name);
}

absl::StatusOr<SecurityKeyRecord> SecurityKeys::FinishRegistration(
    std::string_view handle, std::string_view context, std::string_view user,
    std::string_view client_data_json, std::string_view attestation_object) {
  auto c = store_.TakeChallenge(handle, clock_.Now());
  if (!c.ok() || c->purpose != ChallengePurpose::kRegister || c->context != context ||
      c->user != user) {
    if (!c.ok() && !absl::IsNotFound(c.status())) return c.status();
    return absl::NotFoundError("this registration has expired or was already used; start again");
  }
  BULWARK_ASSIGN_OR_RETURN(
      webauthn::NewCredential cred,
      webauthn::VerifyRegistration(relying_party(), c->challenge, client_data_json,
                                   attestation_object));
  SecurityKeyRecord k;
  k.id = cred.id;
  k.user = std::string(user);
  k.name = c->data;
  k.public_key = cred.public_key;
  k.alg = static_cast<int>(cred.alg);
  k.sign_count = cred.sign_count;
  k.aaguid = cred.aaguid;
  k.attestation = cred.attestation;
  k.backup_eligible = cred.backup_eligible;
  k.backup_state = cred.backup_state;
  k.user_verified = cred.user_verified;
  k.created = clock_.Now();
  // §7.1 step 22: a credential id registered to anyone (this user included) is refused.
  BULWARK_RETURN_IF_ERROR(store_.AddKey(k));
  LogInfo("security key \"%s\" (%s, attestation %s) registered for %s", k.name,
          webauthn::CoseAlgName(cred.alg), k.attestation, k.user);
  accounts_.RecordEvent("security_key.registered", k.user, "",
                        StrCat("\"", k.name, "\" (", webauthn::CoseAlgName(cred.alg),
                               ", attestation ", k.attestation, ")"));
  return k;
}

absl::StatusOr<SecurityKeys::Factors> SecurityKeys::FactorsOf(std::string_view user) {
  Factors f;
  BULWARK_ASSIGN_OR_RETURN(std::optional<TfaRecord> tfa, accounts_.GetTfa(user));
  f.totp = tfa && !tfa->pending;
  BULWARK_ASSIGN_OR_RETURN(f.keys, store_.CountKeys(user));
  return f;
}

absl::StatusOr<Ceremony> SecurityKeys::BeginSecondFactor(std::string_view user,
                                                         std::string_view context) {
  return NewCeremony(user, ChallengePurpose::kSecondFactor, context, "");
}

absl::Status SecurityKeys::VerifyAssertionFor(std::string_view user, const std::string& challenge,
                                              const AssertionResponse& r) {
  auto key = store_.GetKey(r.credential_id);
  // §7.2 steps 5-6: the credential must be one of this user's. A key registered to another
  // account, or to nobody, gets the same answer.
  if (!key.ok() || key->user != user) {
    if (!key.ok() && !absl::IsNotFound(key.status())) return key.status();
    return absl::PermissionDeniedError(
        "security key refused: this key is not registered to this account");
  }
  if (!r.user_handle.empty() && r.user_handle != UserHandle(user)) {
    return absl::PermissionDeniedError("security key refused: the user handle does not match");
  }
  webauthn::CredentialKey stored{key->public_key, key->sign_count, key->backup_eligible};
  auto verified = webauthn::VerifyAssertion(relying_party(), challenge, stored,
                                            r.client_data_json, r.authenticator_data,
                                            r.signature);
  if (!verified.ok()) {
    if (webauthn::IsClonedKey(verified.status())) {
      // A security note for operators: two copies of this key exist, or the key is broken.
      LogWarning("SECURITY: security key \"%s\" of %s refused: %s", key->name,
                 std::string(user), std::string(verified.status().message()));
      accounts_.RecordEvent("security_key.cloned", user, "",
                            StrCat("\"", key->name, "\" refused: ", verified.status().message()));
    }
    return verified.status();
  }
  absl::Status recorded = store_.RecordKeyUse(key->id, key->sign_count, verified->sign_count,
                                              verified->backup_state, clock_.Now());
  if (absl::IsFailedPrecondition(recorded)) {
    // Another assertion moved the counter between our read and write: one of the two was a
    // copy of the key or a replay.
    return webauthn::ClonedKeyError(key->sign_count, verified->sign_count);
  }
  return recorded;
}

absl::StatusOr<std::string> SecurityKeys::CompleteSecondFactor(std::string_view handle,
                                                               std::string_view context,
                                                               const AssertionResponse* assertion,
                                                               std::string_view otp,
                                                               std::string_view remote_ip,
                                                               std::string* user_out) {
  auto c = store_.TakeChallenge(handle, clock_.Now());
  if (!c.ok() || c->purpose != ChallengePurpose::kSecondFactor || c->context != context) {
    if (!c.ok() && !absl::IsNotFound(c.status())) return c.status();
    return absl::NotFoundError("this sign-in step has expired or was already used; start again");
  }
  if (user_out) *user_out = c->user;
  if (assertion) {
    BULWARK_RETURN_IF_ERROR(VerifyAssertionFor(c->user, c->challenge, *assertion));
    return c->user;
  }
  if (StripAsciiWhitespace(otp).empty()) {
    return OtpRequiredError("use your security key or enter a code", false);
  }
  // A code: the same checks (replay, throttling) as everywhere else.
  BULWARK_RETURN_IF_ERROR(
      accounts_.CheckSecondFactor(c->user, TfaAction::kLogin, otp, remote_ip));
  return c->user;
}

absl::StatusOr<WebOtpSession> SecurityKeys::StartWebOtp(std::string_view user,
                                                        std::string_view action) {
  WebOtpSession s;
  s.id = RandomId(random_, kWebOtpIdChars);
  s.user = std::string(user);
  s.action = std::string(action);
  s.created = clock_.Now();
  BULWARK_RETURN_IF_ERROR(store_.CreateWebOtp(s, clock_.Now() - options_.web_otp_lifetime));
  return s;
}

absl::StatusOr<WebOtpSession> SecurityKeys::GetWebOtp(std::string_view id) {
  BULWARK_ASSIGN_OR_RETURN(WebOtpSession s, store_.GetWebOtp(id));
  if (s.created + options_.web_otp_lifetime <= clock_.Now()) {
    return absl::NotFoundError("this two-factor request has expired");
  }
  return s;
}

absl::Status SecurityKeys::ApproveWebOtp(std::string_view id) {
  BULWARK_ASSIGN_OR_RETURN(WebOtpSession s, GetWebOtp(id));
  BULWARK_RETURN_IF_ERROR(store_.ApproveWebOtp(id));
  accounts_.RecordEvent("tfa.web_approved", s.user, "",
                        StrCat("approved with a security key for ", s.action));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> SecurityKeys::PollWebOtp(std::string_view id) {
  BULWARK_ASSIGN_OR_RETURN(WebOtpSession s, GetWebOtp(id));
  if (!s.token_hash.empty()) return absl::NotFoundError("the token was already handed out");
  if (!s.approved) return std::optional<std::string>();
  // Minted at the first poll after approval, so it is never stored in clear.
  std::string token = StrCat(kWebOtpTokenPrefix, RandomId(random_, kWebOtpTokenChars));
  absl::Status set = store_.SetWebOtpToken(id, HexEncode(Sha256(token)));
  if (absl::IsFailedPrecondition(set)) return absl::NotFoundError("already handed out");
  BULWARK_RETURN_IF_ERROR(set);
  return std::optional<std::string>(token);
}

absl::StatusOr<std::string> SecurityKeys::StartWebSession(std::string_view user) {
  std::string cookie = RandomId(random_, kSessionCookieChars);
  WebSession s;
  s.id_hash = HexEncode(Sha256(cookie));
  s.user = std::string(user);
  s.created = clock_.Now();
  s.expires = s.created + options_.web_session_lifetime;
  BULWARK_RETURN_IF_ERROR(store_.CreateWebSession(s));
  return cookie;
}

absl::StatusOr<std::string> SecurityKeys::WebSessionUser(std::string_view cookie) {
  if (cookie.empty()) return absl::NotFoundError("not signed in");
  BULWARK_ASSIGN_OR_RETURN(WebSession s,
                           store_.GetWebSession(HexEncode(Sha256(cookie)), clock_.Now()));
  return s.user;
}

absl::Status SecurityKeys::EndWebSession(std::string_view cookie) {
  return store_.DeleteWebSession(HexEncode(Sha256(cookie)));
}

}  // namespace bulwark
