#include "accounts/email/email_security.h"

#include <cctype>
#include <string>

#include "absl/strings/cord.h"

#include "accounts/email/device_cookie.h"
#include "accounts/tokens.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/strings.h"
#include "mail/mime.h"

namespace bulwark {
namespace {

constexpr char kEmailCodePayload[] = "bulwark.dev/email-code";
constexpr size_t kLinkTokenChars = 43;  // ~256 bits, like session cookies.
// A code re-requested within this window is not re-sent: the pending one stays valid, so a
// script that knows the password cannot flood the owner's mailbox.
constexpr absl::Duration kResendAfter = absl::Seconds(60);
constexpr size_t kDeviceIdBytes = 32;

std::string HashHex(std::string_view s) { return HexEncode(Sha256(s)); }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "a***@example.org": enough for the owner to recognise, not a disclosure to whoever typed the
// password.
std::string Mask(std::string_view email) {
  size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0) return "your address";
  return StrCat(email.substr(0, 1), "***", email.substr(at));
}

// Where a login happens, in words, for the code's mail.
std::string_view Where(std::string_view context) {
  if (context == "cli") return "npm login";
  if (context == "signin") return "the account settings sign-in";
  return "the web login page";
}

}  // namespace

bool IsEmailCodeRequired(const absl::Status& status) {
  return IsOtpRequired(status) && status.GetPayload(kEmailCodePayload).has_value();
}

EmailSecurity::EmailSecurity(AccountService& accounts, MetadataStore& users, EmailStore& store,
                             MailQueue& mail, Clock& clock, Random& random,
                             std::string device_key, EmailSecurityOptions options)
    : accounts_(accounts), users_(users), store_(store), mail_(mail), clock_(clock),
      random_(random), device_key_(std::move(device_key)), options_(std::move(options)) {}

std::string EmailSecurity::NewLinkToken() { return RandomId(random_, kLinkTokenChars); }

absl::Status EmailSecurity::Send(std::string_view to, std::string subject, std::string text,
                                 std::string link) {
  MailMessage m;
  m.to = std::string(to);
  m.subject = StrCat("[", options_.site_name, "] ", subject);
  std::string html = StrCat("<p>", MailHtmlEscape(text), "</p>");
  for (size_t p = 0; (p = html.find("\n\n", p)) != std::string::npos;) html.replace(p, 2, "</p><p>");
  m.text = text;
  if (!link.empty()) {
    m.text += StrCat("\n\n", link, "\n");
    html += StrCat("<p><a href=\"", MailHtmlEscape(link), "\">", MailHtmlEscape(link), "</a></p>");
  }
  m.text += "\nIf you did not ask for this, you can ignore this message.\n";
  m.html = StrCat("<!doctype html><html><body>", html,
                  "<p>If you did not ask for this, you can ignore this message.</p></body></html>");
  return mail_.Enqueue(m);
}

// --- Enhanced login verification ----------------------------------------------------------------

absl::Status EmailSecurity::VerifyLogin(const UserRecord& user, bool known_device,
                                        std::string_view code, std::string_view context,
                                        std::string_view remote_ip, bool send_if_needed) {
  if (!options_.login_verification || known_device) return absl::OkStatus();
  // Accounts with a second factor already prove more than an emailed code would.
  BULWARK_ASSIGN_OR_RETURN(std::optional<TfaMode> tfa, accounts_.EffectiveTfaMode(user.name));
  if (tfa) return absl::OkStatus();
  const std::string key = StrCat("login:", user.name, ":", context);
  const absl::Time now = clock_.Now();
  auto pending = store_.GetSecret(key, now);
  if (!pending.ok() && !absl::IsNotFound(pending.status())) return pending.status();
  if (!code.empty() && pending.ok()) {
    if (ConstantTimeEquals(HashHex(code), pending->code_hash)) {
      // TakeSecret fails when a concurrent request spent the code first: single use.
      auto taken = store_.TakeSecret(key, now);
      if (taken.ok()) {
        ++codes_passed_;
        accounts_.RecordEvent("login.verification_passed", user.name, remote_ip,
                              StrCat("emailed code accepted (", context.substr(0, 3), ")"));
        return absl::OkStatus();
      }
    }
    ++codes_failed_;
    const int attempts = pending->attempts + 1;
    accounts_.RecordEvent("login.verification_failed", user.name, remote_ip,
                          StrCat("wrong emailed code, attempt ", attempts));
    if (attempts >= options_.code_attempts) {
      // The budget is spent: the code is void, and the next login attempt sends a new one.
      store_.TakeSecret(key, now).IgnoreError();
      absl::Status s = OtpRequiredError(
          "Too many wrong codes: that code no longer works. Log in again to get a new code by "
          "email.", true);
      s.SetPayload(kEmailCodePayload, absl::Cord("void"));
      return s;
    }
    BULWARK_RETURN_IF_ERROR(store_.SetSecretAttempts(key, attempts));
    absl::Status s = OtpRequiredError(
        StrCat("The code is wrong. Enter the code sent to ", Mask(user.email), "."), true);
    s.SetPayload(kEmailCodePayload, absl::Cord("wrong"));
    return s;
  }
  if (!send_if_needed) {
    absl::Status s = OtpRequiredError(
        "The code is wrong or has expired. Sign in again with your password to get a new one.",
        true);
    s.SetPayload(kEmailCodePayload, absl::Cord("expired"));
    return s;
  }
  const bool resend = !pending.ok() || now - pending->created >= kResendAfter;
  if (resend) {
    // 8+ digits from 64 random bits: the modulo bias is below 10^-10.
    std::string bytes = random_.Bytes(8);
    uint64_t v = 0;
    for (unsigned char c : bytes) v = (v << 8) | c;
    uint64_t mod = 1;
    for (int i = 0; i < options_.code_digits; ++i) mod *= 10;
    std::string digits = std::to_string(v % mod);
    std::string fresh = std::string(options_.code_digits - digits.size(), '0') + digits;
    EmailSecret s;
    s.key = key;
    s.purpose = "login";
    s.user = user.name;
    s.code_hash = HashHex(fresh);
    s.created = now;
    s.expires = now + options_.code_lifetime;
    BULWARK_RETURN_IF_ERROR(store_.PutSecret(s));
    BULWARK_RETURN_IF_ERROR(Send(
        user.email, "Your login verification code",
        StrCat("Someone signed in to the ", options_.site_name, " account \"", user.name,
               "\" with its password through ", Where(context),
               " from a device we have not seen before",
               remote_ip.empty() ? "" : StrCat(" (address ", remote_ip, ")"),
               ".\n\nIf it was you, enter this code to finish signing in: ", fresh, "\n\nIt works ",
               "once and expires in ", absl::ToInt64Minutes(options_.code_lifetime),
               " minutes.\n\nIf it was not you, your password is known to someone else: change it ",
               "now and turn on two-factor authentication.")));
    ++codes_sent_;
    accounts_.RecordEvent("login.verification_sent", user.name, remote_ip,
                          StrCat("code sent to ", Mask(user.email)));
  }
  absl::Status s = OtpRequiredError(
      StrCat("This device is new to us: ",
             resend ? "a verification code was sent to " : "the code sent a moment ago to ",
             Mask(user.email), resend ? "" : " is still valid",
             ". Enter it as the one-time password."),
      false);
  s.SetPayload(kEmailCodePayload, absl::Cord("sent"));
  return s;
}

std::pair<std::string, std::string> EmailSecurity::NewDevice() {
  std::string id = Base64UrlEncode(random_.Bytes(kDeviceIdBytes));
  return {SignDeviceId(device_key_, id), id};
}

std::optional<std::string> EmailSecurity::DeviceId(std::string_view cookie) const {
  return VerifyDeviceCookie(device_key_, cookie);
}

absl::StatusOr<bool> EmailSecurity::IsKnownDevice(std::string_view user,
                                                  std::string_view device_id) {
  if (device_id.empty()) return false;
  return store_.HasDevice(user, HashHex(device_id));
}

absl::Status EmailSecurity::RememberDevice(std::string_view user, std::string_view device_id) {
  return store_.AddDevice(user, HashHex(device_id), clock_.Now());
}

// --- Verified addresses --------------------------------------------------------------------------

absl::Status EmailSecurity::SendVerification(const UserRecord& user, std::string_view base_url) {
  std::string token = NewLinkToken();
  EmailSecret s;
  s.key = HashHex(token);
  s.purpose = "verify";
  s.user = user.name;
  s.data = user.email;
  s.created = clock_.Now();
  s.expires = s.created + options_.verify_link_lifetime;
  BULWARK_RETURN_IF_ERROR(store_.PutSecret(s));
  ++verifications_sent_;
  accounts_.RecordEvent("email.verification_sent", user.name, "", Mask(user.email));
  return Send(user.email, "Verify your email address",
              StrCat("Confirm that ", user.email, " belongs to the ", options_.site_name,
                     " account \"", user.name, "\" by opening this link (it works once, for ",
                     absl::ToInt64Hours(options_.verify_link_lifetime), " hours):"),
              StrCat(base_url, "/-/bulwark/email/confirm/", token));
}

absl::Status EmailSecurity::RequestEmailChange(const UserRecord& user, std::string_view new_email,
                                               std::string_view base_url,
                                               std::string_view remote_ip) {
  BULWARK_RETURN_IF_ERROR(AccountService::CheckEmail(new_email));
  BULWARK_RETURN_IF_ERROR(CheckMailAddress(new_email));
  // One change at a time: a new request replaces the old one's links.
  BULWARK_RETURN_IF_ERROR(store_.DeleteSecrets(user.name, "change-new"));
  BULWARK_RETURN_IF_ERROR(store_.DeleteSecrets(user.name, "change-old"));
  BULWARK_RETURN_IF_ERROR(store_.DeleteSecrets(user.name, "change"));
  const absl::Time now = clock_.Now();
  EmailSecret change;
  change.key = StrCat("change:", user.name);
  change.purpose = "change";
  change.user = user.name;
  change.data = std::string(new_email);
  change.created = now;
  change.expires = now + options_.verify_link_lifetime;
  change.attempts = 0;  // Bit 1: new address verified; bit 2: old address confirmed.
  BULWARK_RETURN_IF_ERROR(store_.PutSecret(change));
  for (const char* side : {"change-new", "change-old"}) {
    std::string token = NewLinkToken();
    EmailSecret s = change;
    s.key = HashHex(token);
    s.purpose = side;
    BULWARK_RETURN_IF_ERROR(store_.PutSecret(s));
    const std::string link = StrCat(base_url, "/-/bulwark/email/confirm/", token);
    if (std::string_view(side) == "change-new") {
      BULWARK_RETURN_IF_ERROR(Send(
          new_email, "Verify your new email address",
          StrCat("The ", options_.site_name, " account \"", user.name, "\" asked to use ",
                 new_email, " from now on. Confirm with this link; the change also needs a ",
                 "confirmation from the current address."),
          link));
    } else {
      BULWARK_RETURN_IF_ERROR(Send(
          user.email, "Confirm the change of your email address",
          StrCat("Someone (hopefully you) asked to change the email address of the ",
                 options_.site_name, " account \"", user.name, "\" from ", user.email, " to ",
                 new_email, ". Nothing changes until you confirm with this link and the new "
                 "address is verified. If this was not you, do not open it, and change your "
                 "password."),
          link));
    }
  }
  accounts_.RecordEvent("email.change_requested", user.name, remote_ip,
                        StrCat(Mask(user.email), " -> ", Mask(new_email)));
  return absl::OkStatus();
}

absl::StatusOr<LinkOutcome> EmailSecurity::FollowLink(std::string_view token,
                                                      std::string_view remote_ip) {
  const absl::Time now = clock_.Now();
  auto secret = store_.GetSecret(HashHex(token), now);
  if (!secret.ok() || (secret->purpose != "verify" && secret->purpose != "change-new" &&
                       secret->purpose != "change-old")) {
    return absl::NotFoundError("This link is unknown, was already used, or has expired.");
  }
  BULWARK_ASSIGN_OR_RETURN(EmailSecret s, store_.TakeSecret(HashHex(token), now));
  BULWARK_ASSIGN_OR_RETURN(UserRecord u, users_.GetUser(s.user));
  if (s.purpose == "verify") {
    if (u.email != s.data) {
      return absl::FailedPreconditionError("The account's address changed since this link was sent.");
    }
    u.email_verified = now;
    u.updated = now;
    BULWARK_RETURN_IF_ERROR(users_.UpdateUser(u));
    accounts_.RecordEvent("email.verified", u.name, remote_ip, Mask(u.email));
    return LinkOutcome{u.name, StrCat(u.email, " is verified.")};
  }
  const std::string change_key = StrCat("change:", u.name);
  auto change = store_.GetSecret(change_key, now);
  if (!change.ok() || change->data != s.data) {
    return absl::NotFoundError("This email change was replaced or has expired.");
  }
  const int bit = s.purpose == "change-new" ? 1 : 2;
  const int done = change->attempts | bit;
  if (done != 3) {
    BULWARK_RETURN_IF_ERROR(store_.SetSecretAttempts(change_key, done));
    accounts_.RecordEvent("email.change_confirmed", u.name, remote_ip,
                          bit == 1 ? "new address verified" : "old address confirmed");
    return LinkOutcome{u.name, bit == 1 ? "The new address is verified. The change completes "
                                          "once the current address confirms it too."
                                        : "Confirmed. The change completes once the new address "
                                          "is verified too."};
  }
  store_.TakeSecret(change_key, now).IgnoreError();
  const std::string old = u.email;
  u.email = s.data;
  u.email_verified = now;
  u.updated = now;
  BULWARK_RETURN_IF_ERROR(users_.UpdateUser(u));
  // Devices proven through the old address stay known; reset links sent there go.
  BULWARK_RETURN_IF_ERROR(store_.DeleteSecrets(u.name, "reset"));
  accounts_.RecordEvent("profile.email_changed", u.name, remote_ip,
                        StrCat(Mask(old), " -> ", Mask(u.email)));
  Send(old, "Your email address was changed",
       StrCat("The email address of the ", options_.site_name, " account \"", u.name,
              "\" is now ", u.email, " (confirmed from both addresses). Mail about the account "
              "goes there from now on. If this was not you, file an account recovery request."))
      .IgnoreError();
  return LinkOutcome{u.name, StrCat("Done: the account's address is now ", u.email, ".")};
}

absl::Status EmailSecurity::CheckMayPublish(std::string_view user) {
  if (!options_.require_verified_to_publish) return absl::OkStatus();
  BULWARK_ASSIGN_OR_RETURN(UserRecord u, users_.GetUser(user));
  if (u.email_verified != absl::InfinitePast()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "Publishing needs a verified email address: open the link sent to your address, or ask "
      "for a new one with POST /-/bulwark/v1/email/verify.");
}

// --- Password reset -------------------------------------------------------------------------------

absl::StatusOr<std::optional<UserRecord>> EmailSecurity::FindAccount(
    std::string_view name_or_email) {
  // Both lookups run whatever the input, so the time taken does not depend on existence.
  std::optional<UserRecord> by_name;
  auto u = users_.GetUser(name_or_email);
  if (u.ok()) {
    by_name = *std::move(u);
  } else if (!absl::IsNotFound(u.status()) && !absl::IsInvalidArgument(u.status())) {
    return u.status();  // Storage trouble; a name that cannot exist is simply not found.
  }
  BULWARK_ASSIGN_OR_RETURN(std::vector<UserRecord> all, users_.ListUsers());
  std::optional<UserRecord> by_email;
  const std::string wanted = Lower(name_or_email);
  for (auto& r : all) {
    if (Lower(r.email) == wanted && !by_email) by_email = r;
  }
  if (by_name) return by_name;
  return by_email;
}

absl::Status EmailSecurity::RequestReset(std::string_view name_or_email,
                                         std::string_view base_url, std::string_view remote_ip) {
  BULWARK_ASSIGN_OR_RETURN(std::optional<UserRecord> u, FindAccount(name_or_email));
  if (!u) {
    accounts_.RecordEvent("password_reset.unknown", "", remote_ip, "no such account");
    return absl::OkStatus();
  }
  if (u->email_verified == absl::InfinitePast()) {
    // An address nobody proved cannot be trusted with the account.
    accounts_.RecordEvent("password_reset.refused", u->name, remote_ip, "address not verified");
    return absl::OkStatus();
  }
  if (domains_) {
    if (std::optional<std::string> why = domains_->FlaggedReason(u->name)) {
      // Whoever holds the domain now may not be the owner (expired-domain takeover).
      ++resets_blocked_;
      accounts_.RecordEvent("password_reset.blocked", u->name, remote_ip,
                            StrCat("email domain flagged: ", *why));
      return absl::OkStatus();
    }
  }
  std::string token = NewLinkToken();
  EmailSecret s;
  s.key = HashHex(token);
  s.purpose = "reset";
  s.user = u->name;
  s.created = clock_.Now();
  s.expires = s.created + options_.reset_link_lifetime;
  BULWARK_RETURN_IF_ERROR(store_.PutSecret(s));
  BULWARK_RETURN_IF_ERROR(Send(
      u->email, "Reset your password",
      StrCat("Someone asked to reset the password of the ", options_.site_name, " account \"",
             u->name, "\". This link sets a new one; it works once and expires in ",
             absl::ToInt64Minutes(options_.reset_link_lifetime), " minutes. Setting a new "
             "password signs out every login session."),
      StrCat(base_url, "/-/bulwark/email/reset/", token)));
  ++resets_sent_;
  accounts_.RecordEvent("password_reset.sent", u->name, remote_ip, Mask(u->email));
  return absl::OkStatus();
}

absl::StatusOr<std::string> EmailSecurity::ResetUser(std::string_view token) {
  auto s = store_.GetSecret(HashHex(token), clock_.Now());
  if (!s.ok() || s->purpose != "reset") {
    return absl::NotFoundError("This link is unknown, was already used, or has expired.");
  }
  return s->user;
}

absl::Status EmailSecurity::CompleteReset(std::string_view token, std::string_view new_password,
                                          std::string_view remote_ip) {
  BULWARK_ASSIGN_OR_RETURN(std::string user, ResetUser(token));
  // Check the rules before spending the link, so a refused password does not burn it.
  BULWARK_RETURN_IF_ERROR(CheckPasswordRules(new_password, user));
  auto s = store_.TakeSecret(HashHex(token), clock_.Now());
  if (!s.ok()) return absl::NotFoundError("This link was already used.");
  auto revoked = accounts_.ResetPassword(user, new_password, options_.reset_revokes_all_tokens,
                                         remote_ip);
  if (!revoked.ok()) {
    // A refused password (breached) must not burn the link: put it back for another try.
    if (absl::IsInvalidArgument(revoked.status())) store_.PutSecret(*s).IgnoreError();
    return revoked.status();
  }
  // Whoever had the old password may have verified a device with it, or be signed in to the
  // account pages.
  BULWARK_RETURN_IF_ERROR(store_.DeleteDevices(user));
  if (web_sessions_) BULWARK_RETURN_IF_ERROR(web_sessions_->DeleteWebSessionsOf(user));
  BULWARK_RETURN_IF_ERROR(store_.DeleteSecrets(user, "reset"));
  int64_t recovery = 0;
  if (SimpleAtoi(s->data, &recovery) && recovery > 0) {
    auto r = store_.GetRecovery(recovery);
    if (r.ok()) {
      r->state = RecoveryState::kCompleted;
      store_.UpdateRecovery(*r).IgnoreError();
    }
  }
  return absl::OkStatus();
}

// --- Recovery requests ----------------------------------------------------------------------------

absl::StatusOr<int64_t> EmailSecurity::FileRecovery(std::string_view user,
                                                    std::string_view contact,
                                                    std::string_view message,
                                                    std::string_view remote_ip) {
  if (user.empty() || user.size() > 214 || contact.size() > 500 || message.size() > 4000) {
    return absl::InvalidArgumentError(
        "a recovery request needs the user name (at most 214 characters), a contact (500) and "
        "a message (4000)");
  }
  RecoveryRequest r;
  r.user = std::string(user);
  r.contact = std::string(contact);
  r.message = std::string(message);
  r.address = std::string(remote_ip);
  r.created = clock_.Now();
  BULWARK_ASSIGN_OR_RETURN(int64_t id, store_.AddRecovery(r));
  accounts_.RecordEvent("recovery.requested", user, remote_ip, StrCat("request ", id));
  return id;
}

absl::StatusOr<std::vector<RecoveryRequest>> EmailSecurity::ListRecovery(bool open_only) {
  return store_.ListRecovery(open_only);
}

absl::StatusOr<std::string> EmailSecurity::ApproveRecovery(int64_t id, std::string_view admin,
                                                           std::string_view base_url) {
  BULWARK_ASSIGN_OR_RETURN(RecoveryRequest r, store_.GetRecovery(id));
  if (r.state != RecoveryState::kOpen) {
    return absl::FailedPreconditionError(StrCat("recovery request ", id, " was already decided"));
  }
  BULWARK_ASSIGN_OR_RETURN(UserRecord u, users_.GetUser(r.user));
  std::string token = NewLinkToken();
  EmailSecret s;
  s.key = HashHex(token);
  s.purpose = "reset";
  s.user = u.name;
  s.data = StrCat(id);
  s.created = clock_.Now();
  s.expires = s.created + options_.recovery_link_lifetime;
  BULWARK_RETURN_IF_ERROR(store_.PutSecret(s));
  r.state = RecoveryState::kApproved;
  r.decided_by = std::string(admin);
  r.decided = clock_.Now();
  BULWARK_RETURN_IF_ERROR(store_.UpdateRecovery(r));
  accounts_.RecordEvent("recovery.approved", u.name, "", StrCat("request ", id, " by ", admin));
  return StrCat(base_url, "/-/bulwark/email/reset/", token);
}

absl::Status EmailSecurity::RejectRecovery(int64_t id, std::string_view admin) {
  BULWARK_ASSIGN_OR_RETURN(RecoveryRequest r, store_.GetRecovery(id));
  if (r.state != RecoveryState::kOpen) {
    return absl::FailedPreconditionError(StrCat("recovery request ", id, " was already decided"));
  }
  r.state = RecoveryState::kRejected;
  r.decided_by = std::string(admin);
  r.decided = clock_.Now();
  BULWARK_RETURN_IF_ERROR(store_.UpdateRecovery(r));
  accounts_.RecordEvent("recovery.rejected", r.user, "", StrCat("request ", id, " by ", admin));
  return absl::OkStatus();
}

EmailSecurity::Counters EmailSecurity::counters() const {
  Counters c;
  c.login_codes_sent = codes_sent_.load();
  c.login_codes_passed = codes_passed_.load();
  c.login_codes_failed = codes_failed_.load();
  c.resets_sent = resets_sent_.load();
  c.resets_blocked = resets_blocked_.load();
  c.verifications_sent = verifications_sent_.load();
  return c;
}

}  // namespace bulwark
