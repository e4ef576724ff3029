// AccountService's two-factor authentication: TOTP enrolment as `npm profile enable-2fa`
// drives it, and the policy that decides when a request needs a one-time password
// (npm-registry-api.md §5.3-§5.5).

#include "absl/strings/cord.h"
#include "accounts/account_service.h"
#include "accounts/totp.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/strings.h"

namespace bulwark {
namespace {

// Status payload that marks an OTP challenge; its value says why.
constexpr char kOtpPayload[] = "type.bulwark.dev/otp-required";
// authUrl and doneUrl of a web-2FA approval, newline-separated.
constexpr char kWebOtpPayload[] = "type.bulwark.dev/web-otp";

constexpr char kOtpMissing[] =
    "This operation requires a one-time password from your authenticator app (or a recovery "
    "code): pass --otp=<code>.";
constexpr char kOtpWrong[] = "the one-time password is wrong or was already used";
constexpr char kKeyMissing[] =
    "This operation requires two-factor authentication with your security key: run it on a "
    "terminal and npm opens the browser to approve it with the key.";
// A web-2FA token is good this long after its request started (the 401).
constexpr absl::Duration kWebOtpTokenLifetime = absl::Minutes(10);

std::string NormaliseRecoveryCode(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == ' ' || c == '-') continue;  // Tolerate the grouping people add when copying.
    out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  }
  return out;
}

std::string RecoveryHash(std::string_view code) {
  return HexEncode(Sha256(NormaliseRecoveryCode(code)));
}

}  // namespace

absl::Status OtpRequiredError(std::string message, bool wrong_code) {
  absl::Status s = absl::UnauthenticatedError(std::move(message));
  s.SetPayload(kOtpPayload, absl::Cord(wrong_code ? "wrong" : "missing"));
  return s;
}

bool IsOtpRequired(const absl::Status& status) {
  return absl::IsUnauthenticated(status) && status.GetPayload(kOtpPayload).has_value();
}

absl::Status WithWebOtpUrls(absl::Status status, std::string auth_url, std::string done_url) {
  status.SetPayload(kWebOtpPayload, absl::Cord(StrCat(auth_url, "\n", done_url)));
  return status;
}

std::optional<std::pair<std::string, std::string>> WebOtpUrls(const absl::Status& status) {
  auto p = status.GetPayload(kWebOtpPayload);
  if (!p) return std::nullopt;
  std::string v(*p);
  size_t nl = v.find('\n');
  if (nl == std::string::npos) return std::nullopt;
  return std::make_pair(v.substr(0, nl), v.substr(nl + 1));
}

bool IsWrongOtp(const absl::Status& status) {
  auto p = status.GetPayload(kOtpPayload);
  return p.has_value() && *p == "wrong";
}

absl::StatusOr<std::optional<TfaRecord>> AccountService::GetTfa(std::string_view user) {
  auto t = store_.GetTfa(user);
  if (absl::IsNotFound(t.status())) return std::optional<TfaRecord>();
  if (!t.ok()) return t.status();
  return std::optional<TfaRecord>(std::move(*t));
}

absl::StatusOr<int64_t> AccountService::SecurityKeyCount(std::string_view user) {
  if (!webauthn_) return 0;
  return webauthn_->CountKeys(user);
}

absl::StatusOr<std::optional<TfaMode>> AccountService::EffectiveTfaMode(std::string_view user) {
  BULWARK_ASSIGN_OR_RETURN(std::optional<TfaRecord> tfa, GetTfa(user));
  if (tfa && !tfa->pending) return std::optional<TfaMode>(tfa->mode);
  BULWARK_ASSIGN_OR_RETURN(int64_t keys, SecurityKeyCount(user));
  // A key-only account is protected for writes too: the key is its only second factor, and
  // web 2FA makes using it on every write practical.
  if (keys > 0) return std::optional<TfaMode>(TfaMode::kAuthAndWrites);
  return std::optional<TfaMode>();
}

absl::Status AccountService::CheckSecondFactor(std::string_view user, TfaAction action,
                                               std::string_view otp, std::string_view remote_ip,
                                               std::string* notice) {
  BULWARK_ASSIGN_OR_RETURN(std::optional<TfaRecord> tfa, GetTfa(user));
  // An unconfirmed enrolment is not enforced: the user has not shown they hold the secret.
  const bool totp = tfa && !tfa->pending;
  BULWARK_ASSIGN_OR_RETURN(int64_t keys, SecurityKeyCount(user));
  if (!totp && keys == 0) return absl::OkStatus();
  const TfaMode mode = totp ? tfa->mode : TfaMode::kAuthAndWrites;
  if (action == TfaAction::kWrite && mode != TfaMode::kAuthAndWrites) {
    return absl::OkStatus();
  }
  otp = StripAsciiWhitespace(otp);
  if (otp.empty()) return OtpRequiredError(totp ? kOtpMissing : kKeyMissing, false);
  // A 6-digit code is one guess in a million (three with the skew window): only back-off
  // keeps online guessing infeasible. Checked before the code is, like passwords.
  BULWARK_RETURN_IF_ERROR(CheckThrottle(otp_throttle_, user, remote_ip));
  absl::Status checked;
  if (StartsWith(otp, kWebOtpTokenPrefix) && webauthn_) {
    // Approved with a security key at authUrl; single use, this user's only.
    checked = webauthn_->UseWebOtpToken(user, HexEncode(Sha256(otp)),
                                        clock_.Now() - kWebOtpTokenLifetime);
    if (absl::IsNotFound(checked)) checked = OtpRequiredError(kOtpWrong, true);
  } else if (totp) {
    checked = CheckCode(*tfa, otp, remote_ip, notice);
  } else {
    checked = OtpRequiredError(kOtpWrong, true);
  }
  if (IsWrongOtp(checked)) {
    RecordFailure(otp_throttle_, user, remote_ip);
    RecordEvent("otp.failure", user, remote_ip, "wrong or reused one-time password");
  } else if (checked.ok()) {
    RecordSuccess(otp_throttle_, user);
  }
  return checked;
}

absl::Status AccountService::CheckCode(const TfaRecord& tfa, std::string_view otp,
                                       std::string_view remote_ip, std::string* notice) {
  if (LooksLikeTotp(otp)) {
    if (!tfa_key_) return absl::FailedPreconditionError("two-factor key not loaded");
    BULWARK_ASSIGN_OR_RETURN(std::string secret, tfa_key_->Open(tfa.sealed_secret, tfa.user));
    std::optional<int64_t> step = MatchTotp(secret, otp, clock_.Now(), tfa.last_step);
    if (!step) return OtpRequiredError(kOtpWrong, true);
    // The store's compare-and-set decides races: of two requests with one code, one wins.
    absl::Status used = store_.UseTotpStep(tfa.user, *step);
    if (absl::IsFailedPrecondition(used)) return OtpRequiredError(kOtpWrong, true);
    return used;
  }
  absl::Status used = store_.UseRecoveryCode(tfa.user, RecoveryHash(otp));
  if (absl::IsNotFound(used)) return OtpRequiredError(kOtpWrong, true);
  BULWARK_RETURN_IF_ERROR(used);
  // Recovery codes are the break-glass path: every use is worth an operator's attention.
  const int left = static_cast<int>(tfa.recovery_hashes.size()) - 1;
  LogWarning("recovery code used by %s (%d left)", tfa.user, left);
  // Using one disables nothing: 2FA stays on in its mode; the user sees the event in their log
  // and regenerates codes when few are left (docs/security.md §Recovery codes).
  RecordEvent("recovery_code.used", tfa.user, remote_ip,
              StrCat(left, " recovery code(s) left; new ones: POST /-/bulwark/v1/recovery-codes"));
  if (notice) {
    *notice = StrCat("a recovery code was used: ", left, " left. Two-factor authentication is "
                     "unchanged; get new codes with POST /-/bulwark/v1/recovery-codes");
  }
  return absl::OkStatus();
}

absl::StatusOr<TfaChange> AccountService::RequestTfa(std::string_view user, TfaMode mode,
                                                     std::string_view password,
                                                     std::string_view otp,
                                                     std::string_view remote_ip) {
  BULWARK_ASSIGN_OR_RETURN(UserRecord u, CheckPassword(user, password, remote_ip));
  BULWARK_ASSIGN_OR_RETURN(std::optional<TfaRecord> tfa, GetTfa(u.name));
  BULWARK_ASSIGN_OR_RETURN(int64_t keys, SecurityKeyCount(u.name));
  if (keys > 0 && !(tfa && !tfa->pending)) {
    // An account protected by security keys only: adding TOTP is a 2FA change, so it needs
    // the key too, or a stolen password could enrol the thief's authenticator.
    BULWARK_RETURN_IF_ERROR(
        CheckSecondFactor(u.name, TfaAction::kAccountChange, otp, remote_ip));
  }
  if (tfa && !tfa->pending) {
    BULWARK_RETURN_IF_ERROR(
        CheckSecondFactor(u.name, TfaAction::kAccountChange, otp, remote_ip));
    // Re-read: the check above advanced last_step, which must not be written back older.
    BULWARK_ASSIGN_OR_RETURN(TfaRecord current, store_.GetTfa(u.name));
    if (current.mode != mode) {
      current.mode = mode;
      current.updated = clock_.Now();
      BULWARK_RETURN_IF_ERROR(store_.PutTfa(current));
      RecordEvent("tfa.mode_changed", u.name, remote_ip,
                  mode == TfaMode::kAuthOnly ? "auth-only" : "auth-and-writes");
    }
    TfaChange change;
    change.mode = mode;
    return change;
  }
  if (!tfa_key_) return absl::FailedPreconditionError("two-factor key not loaded");
  // A new secret every time enrolment (re)starts: one shown before and never confirmed may
  // have been seen by someone else.
  std::string secret = random_.Bytes(kTotpSecretBytes);
  TfaRecord t;
  t.user = u.name;
  t.mode = mode;
  t.pending = true;
  BULWARK_ASSIGN_OR_RETURN(t.sealed_secret, tfa_key_->Seal(secret, u.name, random_));
  t.created = t.updated = clock_.Now();
  BULWARK_RETURN_IF_ERROR(store_.PutTfa(t));
  RecordEvent("tfa.enrolment_started", u.name, remote_ip,
              mode == TfaMode::kAuthOnly ? "auth-only" : "auth-and-writes");
  TfaChange change;
  change.otpauth_url = OtpauthUrl(kTotpIssuer, u.name, secret);
  return change;
}

absl::StatusOr<std::vector<std::string>> AccountService::ConfirmTfa(std::string_view user,
                                                                    std::string_view code,
                                                                    std::string_view remote_ip) {
  BULWARK_ASSIGN_OR_RETURN(std::optional<TfaRecord> tfa, GetTfa(user));
  if (!tfa) {
    return absl::FailedPreconditionError(
        "two-factor authentication setup was not started: run npm profile enable-2fa");
  }
  if (!tfa->pending) {
    return absl::FailedPreconditionError("two-factor authentication is already enabled");
  }
  if (!tfa_key_) return absl::FailedPreconditionError("two-factor key not loaded");
  // The holder of a password could otherwise guess the confirming code (the same budget as
  // every other code check).
  BULWARK_RETURN_IF_ERROR(CheckThrottle(otp_throttle_, user, remote_ip));
  BULWARK_ASSIGN_OR_RETURN(std::string secret, tfa_key_->Open(tfa->sealed_secret, tfa->user));
  std::optional<int64_t> step =
      MatchTotp(secret, StripAsciiWhitespace(code), clock_.Now(), tfa->last_step);
  if (!step) {
    RecordFailure(otp_throttle_, user, remote_ip);
    RecordEvent("otp.failure", user, remote_ip, "wrong code confirming 2FA enrolment");
    return absl::InvalidArgumentError(
        "the one-time password is wrong: two-factor authentication is not enabled yet; check "
        "your device's clock and run npm profile enable-2fa again");
  }
  std::vector<std::string> codes;
  TfaRecord t = *tfa;
  t.pending = false;
  t.last_step = *step;  // The confirming code is spent too.
  t.updated = clock_.Now();
  t.recovery_hashes.clear();
  for (size_t i = 0; i < kRecoveryCodes; ++i) {
    codes.push_back(HexEncode(random_.Bytes(kRecoveryCodeBytes)));
    t.recovery_hashes.push_back(RecoveryHash(codes.back()));
  }
  BULWARK_RETURN_IF_ERROR(store_.PutTfa(t));
  RecordEvent("tfa.enabled", t.user, remote_ip,
              t.mode == TfaMode::kAuthOnly ? "auth-only" : "auth-and-writes");
  return codes;
}

absl::Status AccountService::DisableTfa(std::string_view user, std::string_view password,
                                        std::string_view otp, std::string_view remote_ip) {
  BULWARK_ASSIGN_OR_RETURN(UserRecord u, CheckPassword(user, password, remote_ip));
  BULWARK_ASSIGN_OR_RETURN(std::optional<TfaRecord> tfa, GetTfa(u.name));
  if (!tfa) return absl::OkStatus();
  // Cancelling a pending enrolment needs no code (npm sends none, §5.3 step 4); turning off an
  // enabled second factor does, or a stolen password would suffice to remove it.
  if (!tfa->pending) {
    BULWARK_RETURN_IF_ERROR(
        CheckSecondFactor(u.name, TfaAction::kAccountChange, otp, remote_ip));
  }
  BULWARK_RETURN_IF_ERROR(store_.DeleteTfa(u.name));
  RecordEvent("tfa.disabled", u.name, remote_ip,
              tfa->pending ? "pending enrolment cancelled" : "two-factor authentication off");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> AccountService::RegenerateRecoveryCodes(
    std::string_view user, std::string_view password, std::string_view otp,
    std::string_view remote_ip) {
  BULWARK_ASSIGN_OR_RETURN(UserRecord u, CheckPassword(user, password, remote_ip));
  BULWARK_ASSIGN_OR_RETURN(std::optional<TfaRecord> tfa, GetTfa(u.name));
  if (!tfa || tfa->pending) {
    return absl::FailedPreconditionError(
        "two-factor authentication is not enabled: run npm profile enable-2fa first");
  }
  BULWARK_RETURN_IF_ERROR(CheckSecondFactor(u.name, TfaAction::kAccountChange, otp, remote_ip));
  // Re-read: the check advanced last_step or spent a recovery code.
  BULWARK_ASSIGN_OR_RETURN(TfaRecord t, store_.GetTfa(u.name));
  std::vector<std::string> codes;
  t.recovery_hashes.clear();
  for (size_t i = 0; i < kRecoveryCodes; ++i) {
    codes.push_back(HexEncode(random_.Bytes(kRecoveryCodeBytes)));
    t.recovery_hashes.push_back(RecoveryHash(codes.back()));
  }
  t.updated = clock_.Now();
  BULWARK_RETURN_IF_ERROR(store_.PutTfa(t));
  RecordEvent("recovery_codes.regenerated", u.name, remote_ip,
              StrCat(kRecoveryCodes, " new codes; the old ones no longer work"));
  return codes;
}

}  // namespace bulwark
