#pragma once
// The MailTransport seam: hands one finished RFC 5322 message to a mail system (docs/email.md).
// Implementations: SMTP over libcurl (src/mail/smtp_transport.cc) and a maildir folder for
// development (src/mail/maildir_transport.cc). Callers go through mail/MailQueue, which retries.

#include <memory>
#include <string>
#include <string_view>

#include "bulwark/base/status.h"

namespace bulwark {

class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // Delivers `message` (headers + body, CRLF line ends) from envelope `sender` to `recipient`.
  // OK once the mail system accepted it. Unavailable for a failure worth retrying (connection
  // refused, timeout, 4xx reply); InvalidArgument / PermissionDenied for a permanent refusal
  // (5xx reply: unknown recipient, authentication refused). Thread-compatible: the queue calls
  // it from one thread.
  virtual absl::Status Send(std::string_view sender, std::string_view recipient,
                            std::string_view message) = 0;
};

}  // namespace bulwark
