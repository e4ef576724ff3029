#pragma once
// Building outgoing mail: one recipient, a subject, a plain-text and an HTML body, as an
// RFC 5322 message with a multipart/alternative body (RFC 2046 §5.1.4). Pure: the date and the
// random parts come in.

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct MailMessage {
  std::string to;       // One address: "user@example.org".
  std::string subject;  // UTF-8; encoded per RFC 2047 when not plain ASCII.
  std::string text;     // text/plain body, UTF-8.
  std::string html;     // text/html body, UTF-8; empty: text only.
};

// InvalidArgument when `address` is not a plain addr-spec we are willing to put in a header or an
// SMTP envelope: one "@", no spaces, controls, angle brackets, quotes or commas.
absl::Status CheckMailAddress(std::string_view address);

// The complete message (CRLF line ends). `from` is "Name <addr>" or "addr"; `random` (at least 16
// bytes) makes the MIME boundary and Message-ID; `host` is the Message-ID's right-hand side.
// InvalidArgument for a bad address or a header value carrying CR or LF (header injection).
absl::StatusOr<std::string> BuildMimeMessage(const MailMessage& message, std::string_view from,
                                             absl::Time date, std::string_view random,
                                             std::string_view host);

// Escapes text for HTML bodies (&, <, >, ", ').
std::string MailHtmlEscape(std::string_view text);

}  // namespace bulwark
