#pragma once
// Email-based account security (docs/email.md): verified addresses, enhanced login verification
// (a code by email for a password-only login from a device not seen before), password reset by
// email link, and admin-reviewed account recovery requests. Everything that is sent goes through
// the MailQueue; every one-time secret lives in the EmailStore, hashed.

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/account_service.h"
#include "bulwark/accounts/email_domain_status.h"
#include "bulwark/env/clock.h"
#include "bulwark/env/random.h"
#include "bulwark/storage/email_store.h"
#include "bulwark/storage/metadata_store.h"
#include "bulwark/storage/webauthn_store.h"
#include "mail/mail_queue.h"

namespace bulwark {

struct EmailSecurityOptions {
  // Password-only logins from an unknown device need a code sent by email.
  bool login_verification = true;
  // Accounts whose address is not verified cannot publish. Off by default: registries that were
  // running before this existed have no verified addresses yet (docs/email.md §Upgrading).
  bool require_verified_to_publish = false;
  // Password reset revokes every token, not only login sessions.
  bool reset_revokes_all_tokens = false;
  int code_digits = 8;                                        // 8 to 12.
  absl::Duration code_lifetime = absl::Minutes(10);
  int code_attempts = 5;  // Wrong codes before the code is void and a new one must be sent.
  absl::Duration verify_link_lifetime = absl::Hours(24);
  absl::Duration reset_link_lifetime = absl::Minutes(30);     // Under an hour (issue 6).
  absl::Duration recovery_link_lifetime = absl::Hours(24);    // Admin-delivered.
  std::string site_name = "Bulwark";
};

// What a followed link did, for the page that answers it.
struct LinkOutcome {
  std::string user;
  std::string message;
};

class EmailSecurity {
 public:
  // `device_key` signs device cookies (32 bytes or more). All references must outlive this.
  EmailSecurity(AccountService& accounts, MetadataStore& users, EmailStore& store,
                MailQueue& mail, Clock& clock, Random& random, std::string device_key,
                EmailSecurityOptions options);

  // The expired-domain monitor (not owned; null: no domain is flagged).
  void SetDomainStatus(const EmailDomainStatus* domains) { domains_ = domains; }
  // Browser sessions of the account pages, signed out by a password reset (not owned; null:
  // none to sign out).
  void SetWebSessions(WebAuthnStore* sessions) { web_sessions_ = sessions; }
  const EmailSecurityOptions& options() const { return options_; }

  // --- Enhanced login verification ------------------------------------------------------------
  // Called after the password (and second factor) were right. OK when the account has 2FA, the
  // feature is off, `known_device`, or `code` is the right unexpired code for `context` ("cli",
  // or "web:<login session>"), which is then spent. Otherwise sends a code (when none is
  // pending, or `code` is empty) and returns an OTP challenge (IsEmailCodeRequired): npm then
  // prompts for it. Wrong codes count against the code's budget (5), then the code is void.
  // `send_if_needed` false (a step that carries only the code, not the password) never sends:
  // without a pending code the answer is a wrong-code challenge, so nobody can make Bulwark mail
  // an account without its password.
  absl::Status VerifyLogin(const UserRecord& user, bool known_device, std::string_view code,
                           std::string_view context, std::string_view remote_ip,
                           bool send_if_needed = true);
  // A fresh signed device cookie value "<id>.<mac>" and its id.
  std::pair<std::string, std::string> NewDevice();
  // The device id inside a cookie value whose signature holds; nullopt otherwise.
  std::optional<std::string> DeviceId(std::string_view cookie) const;
  absl::StatusOr<bool> IsKnownDevice(std::string_view user, std::string_view device_id);
  absl::Status RememberDevice(std::string_view user, std::string_view device_id);

  // --- Verified addresses ----------------------------------------------------------------------
  // Sends a verification link for the user's current address.
  absl::Status SendVerification(const UserRecord& user, std::string_view base_url);
  // An email change (`npm profile set email`): nothing changes until the new address is
  // verified and the old one confirms; both get a link, the old one is notified.
  absl::Status RequestEmailChange(const UserRecord& user, std::string_view new_email,
                                  std::string_view base_url, std::string_view remote_ip);
  // Follows a verification or confirmation link (POST of the page it opens).
  absl::StatusOr<LinkOutcome> FollowLink(std::string_view token, std::string_view remote_ip);
  // FailedPrecondition when publishing needs a verified address and `user` has none.
  absl::Status CheckMayPublish(std::string_view user);

  // --- Password reset ---------------------------------------------------------------------------
  // Sends a reset link when `name_or_email` names an account with a verified address on a domain
  // that is not flagged. Always OK for the caller (storage failures aside) and always the same
  // work shape, so the answer does not reveal whether the account exists.
  absl::Status RequestReset(std::string_view name_or_email, std::string_view base_url,
                            std::string_view remote_ip);
  // The user a reset link is for (NotFound when unknown, used or expired); does not spend it.
  absl::StatusOr<std::string> ResetUser(std::string_view token);
  // Spends the link and sets the password (rules apply); forgets known devices.
  absl::Status CompleteReset(std::string_view token, std::string_view new_password,
                             std::string_view remote_ip);

  // --- Recovery requests ------------------------------------------------------------------------
  absl::StatusOr<int64_t> FileRecovery(std::string_view user, std::string_view contact,
                                       std::string_view message, std::string_view remote_ip);
  absl::StatusOr<std::vector<RecoveryRequest>> ListRecovery(bool open_only);
  // Approves: returns a one-time password-setting link for the admin to deliver out of band.
  // NotFound for an unknown request or account, FailedPrecondition when already decided.
  absl::StatusOr<std::string> ApproveRecovery(int64_t id, std::string_view admin,
                                              std::string_view base_url);
  absl::Status RejectRecovery(int64_t id, std::string_view admin);

  // Counters since start, for stats (the event log keeps the history).
  struct Counters {
    uint64_t login_codes_sent = 0, login_codes_passed = 0, login_codes_failed = 0;
    uint64_t resets_sent = 0, resets_blocked = 0, verifications_sent = 0;
  };
  Counters counters() const;

 private:
  std::string NewLinkToken();
  absl::Status Send(std::string_view to, std::string subject, std::string text,
                    std::string link = "");
  absl::StatusOr<std::optional<UserRecord>> FindAccount(std::string_view name_or_email);

  AccountService& accounts_;
  MetadataStore& users_;
  EmailStore& store_;
  MailQueue& mail_;
  Clock& clock_;
  Random& random_;
  const std::string device_key_;
  const EmailSecurityOptions options_;
  const EmailDomainStatus* domains_ = nullptr;
  WebAuthnStore* web_sessions_ = nullptr;
  std::atomic<uint64_t> codes_sent_{0}, codes_passed_{0}, codes_failed_{0};
  std::atomic<uint64_t> resets_sent_{0}, resets_blocked_{0}, verifications_sent_{0};
};

// True for the OTP challenge VerifyLogin returns (a code was sent by email), as opposed to the
// account's own second factor.
bool IsEmailCodeRequired(const absl::Status& status);

}  // namespace bulwark
