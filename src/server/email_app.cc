// App::OpenEmail: mail and email account security (docs/email.md), only when a transport is
// configured, so registries without a mail server behave exactly as before.

#include "base/log.h"
#include "base/strings.h"
#include "bulwark/env/clock.h"
#include "bulwark/env/random.h"
#include "mail/transports.h"
#include "server/app.h"
#include "server/key_file.h"
#include "server/security_stats.h"

namespace bulwark {

absl::Status App::OpenEmail(Mode mode) {
  const EmailConfig& ec = config_.email;
  if (ec.transport == "none") {
    stats_->Add(NewEmailStats(*security_, nullptr));  // Event figures only.
    return absl::OkStatus();
  }
  BULWARK_ASSIGN_OR_RETURN(email_store_, NewSqliteEmailStore(config_.data_dir + "/email.sqlite3"));
  if (ec.transport == "smtp") {
    BULWARK_ASSIGN_OR_RETURN(mail_transport_, NewSmtpTransport(ec.smtp));
  } else {
    BULWARK_ASSIGN_OR_RETURN(mail_transport_, NewMaildirTransport(ec.maildir));
  }
  mail_queue_ = std::make_unique<MailQueue>(*email_store_, mail_transport_.get(), RealClock(),
                                            SystemRandom(), ec.queue);
  // Signs device cookies (docs/email.md §Known devices); created at first start.
  BULWARK_ASSIGN_OR_RETURN(std::string device_key,
                           LoadOrCreateKeyFile(config_.data_dir + "/keys/device.key", 32,
                                               SystemRandom()));
  email_security_ = std::make_unique<EmailSecurity>(*accounts_, *store_, *email_store_,
                                                    *mail_queue_, RealClock(), SystemRandom(),
                                                    std::move(device_key), ec.security);
  email_security_->SetWebSessions(webauthn_store_.get());
  stats_->Add(NewEmailStats(*security_, email_store_.get()));
  if (mode == Mode::kServe) {
    mail_queue_->Start();
    LogInfo("mail: %s transport%s, login verification %s", ec.transport,
            ec.transport == "smtp" ? StrCat(" to ", ec.smtp.host, ":", ec.smtp.port) : "",
            ec.security.login_verification ? "on" : "off");
  }
  return absl::OkStatus();
}

}  // namespace bulwark
