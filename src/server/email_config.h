#pragma once
// Config `email:` (docs/config.md, docs/email.md): the mail transport (SMTP or a maildir), the
// queue's retry schedule, and the email account-security switches.

#include <string>

#include <yaml-cpp/yaml.h>

#include "accounts/email/email_security.h"
#include "bulwark/base/status.h"
#include "mail/mail_queue.h"
#include "mail/transports.h"

namespace bulwark {

struct EmailConfig {
  // NOTE: config values. "none": no mail, and none of the email features (the default, so a
  // registry without a mail server behaves as before); "smtp"; "maildir".
  std::string transport = "none";
  SmtpOptions smtp;
  std::string maildir;  // Absolute when set.
  MailQueueOptions queue;
  EmailSecurityOptions security;
};

absl::Status ParseEmailConfig(const YAML::Node& node, const std::string& base_dir,
                              EmailConfig& out);

}  // namespace bulwark
