#pragma once
// The real MailTransports (docs/email.md §Configuration).

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "bulwark/base/status.h"
#include "bulwark/env/mail_transport.h"

namespace bulwark {

// NOTE: config values "starttls", "tls", "none".
enum class SmtpSecurity {
  kStartTls,  // Plain connection upgraded with STARTTLS (RFC 3207); refused if not offered.
  kTls,       // Implicit TLS from the first byte (smtps, RFC 8314).
  kNone,      // Plain text: loopback relays and tests only.
};

struct SmtpOptions {
  std::string host = "127.0.0.1";
  int port = 587;
  SmtpSecurity security = SmtpSecurity::kStartTls;
  std::string username;  // Empty: no AUTH.
  std::string password;
  std::string ca_file;     // Empty: the system's CA store.
  bool verify_tls = true;  // false only for test servers with self-signed certificates.
  // Name sent in EHLO; empty: curl's default.
  std::string helo_name;
  absl::Duration timeout = absl::Seconds(30);
};

// SMTP over libcurl. InvalidArgument for a bad host or port.
absl::StatusOr<std::unique_ptr<MailTransport>> NewSmtpTransport(const SmtpOptions& options);

// Writes each message as a file into the maildir `dir` (tmp/ then renamed into new/, as the
// maildir format asks), creating it. For development: read the mail with any mail client.
absl::StatusOr<std::unique_ptr<MailTransport>> NewMaildirTransport(const std::string& dir);

}  // namespace bulwark
