// Fuzzes the outside input of the email features (docs/email.md): Cookie headers and signed
// device cookies (accounts/email/device_cookie.h), and the addresses and subjects that become
// mail headers (mail/mime.h). Invariants: only a correctly signed cookie yields a device id, and
// no input adds a header line to a built message (header injection).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "accounts/email/device_cookie.h"
#include "mail/mime.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string key(32, 'k');
  if (auto value = bulwark::CookieValue(text, bulwark::kDeviceCookie)) {
    if (value->find(';') != std::string::npos) __builtin_trap();
    if (auto id = bulwark::VerifyDeviceCookie(key, *value)) {
      if (bulwark::SignDeviceId(key, *id) != *value) __builtin_trap();
    }
  }
  if (auto id = bulwark::VerifyDeviceCookie(key, text)) {
    if (bulwark::SignDeviceId(key, *id) != text) __builtin_trap();
  }
  // First line: the address; the rest: the subject.
  size_t nl = text.find('\n');
  bulwark::MailMessage m;
  m.to = std::string(text.substr(0, nl));
  m.subject = nl == std::string_view::npos ? "" : std::string(text.substr(nl + 1));
  m.text = "body";
  auto built = bulwark::BuildMimeMessage(m, "Bulwark <n@r.test>", absl::FromUnixSeconds(0),
                                         std::string(16, 'r'), "r.test");
  if (built.ok()) {
    std::string_view headers(*built);
    headers = headers.substr(0, headers.find("\r\n\r\n"));
    size_t lines = 1;
    for (size_t p = 0; (p = headers.find("\r\n", p)) != std::string_view::npos; p += 2) {
      // Folded subject lines start with a space; anything else must be one of ours.
      if (p + 2 < headers.size() && headers[p + 2] != ' ') ++lines;
    }
    if (lines != 9) __builtin_trap();  // From To Subject Date Message-ID MIME-Version
                                       // Auto-Submitted Content-Type C-T-Encoding.
  }
  return 0;
}
