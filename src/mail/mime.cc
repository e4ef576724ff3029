#include "mail/mime.h"

#include <algorithm>

#include "base/hash.h"
#include "base/strings.h"

namespace bulwark {
namespace {

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// RFC 2047 encoded-word for a non-ASCII header value; each word at most 75 characters, cut on
// UTF-8 character boundaries.
std::string EncodeHeader(std::string_view value) {
  if (IsAscii(value)) return std::string(value);
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    size_t end = std::min(value.size(), i + 45);  // 45 bytes -> 60 base64 chars + 12 framing.
    while (end > i && end < value.size() &&
           (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) {
      --end;
    }
    // Not UTF-8 (a run of continuation bytes): cut anywhere rather than loop forever (found by
    // fuzz/email_input_fuzz.cc).
    if (end == i) end = std::min(value.size(), i + 45);
    if (!out.empty()) out += "\r\n ";
    out += StrCat("=?UTF-8?B?", Base64Encode(value.substr(i, end - i)), "?=");
    i = end;
  }
  return out;
}

// Base64 body in lines of 76 characters (RFC 2045 §6.8).
std::string Base64Body(std::string_view body) {
  std::string b64 = Base64Encode(body);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) {
    out += b64.substr(i, 76);
    out += "\r\n";
  }
  return out;
}

}  // namespace

absl::Status CheckMailAddress(std::string_view address) {
  if (address.empty() || address.size() > 254) {
    return absl::InvalidArgumentError("an email address must be 1 to 254 characters");
  }
  size_t at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size() ||
      address.find('@', at + 1) != std::string_view::npos) {
    return absl::InvalidArgumentError(StrCat("not an email address: ", address));
  }
  for (unsigned char c : address) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == ',' || c == '(' ||
        c == ')' || c == '\\' || c == ';' || c == ':') {
      return absl::InvalidArgumentError("an email address may not contain spaces, controls, "
                                        "quotes, brackets, commas or semicolons");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BuildMimeMessage(const MailMessage& m, std::string_view from,
                                             absl::Time date, std::string_view random,
                                             std::string_view host) {
  BULWARK_RETURN_IF_ERROR(CheckMailAddress(m.to));
  if (HasLineBreak(from) || HasLineBreak(m.subject) || HasLineBreak(host)) {
    return absl::InvalidArgumentError("mail header values may not contain line breaks");
  }
  if (random.size() < 16) return absl::InvalidArgumentError("need 16 random bytes");
  const std::string token = HexEncode(random.substr(0, 16));
  const std::string boundary = StrCat("=_bulwark_", token);
  std::string out;
  out += StrCat("From: ", from, "\r\n");
  out += StrCat("To: ", m.to, "\r\n");
  out += StrCat("Subject: ", EncodeHeader(m.subject), "\r\n");
  out += StrCat("Date: ", absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", date, absl::UTCTimeZone()),
                "\r\n");
  out += StrCat("Message-ID: <", token, "@", host.empty() ? "bulwark.invalid" : host, ">\r\n");
  out += "MIME-Version: 1.0\r\n";
  // Mail about account security is personal: ask list software and autoresponders to stay out.
  out += "Auto-Submitted: auto-generated\r\n";
  if (m.html.empty()) {
    out += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    out += Base64Body(m.text);
    return out;
  }
  out += StrCat("Content-Type: multipart/alternative; boundary=\"", boundary, "\"\r\n\r\n");
  out += "This is a MIME message.\r\n";
  out += StrCat("--", boundary, "\r\n");
  out += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += Base64Body(m.text);
  out += StrCat("--", boundary, "\r\n");
  out += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  out += Base64Body(m.html);
  out += StrCat("--", boundary, "--\r\n");
  return out;
}

std::string MailHtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace bulwark
