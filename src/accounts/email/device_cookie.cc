#include "accounts/email/device_cookie.h"

#include "base/hash.h"
#include "base/strings.h"

namespace bulwark {
namespace {

constexpr size_t kIdChars = 43;   // 32 bytes, unpadded base64url.
constexpr size_t kMacChars = 22;  // 16 bytes.
constexpr size_t kMacBytes = 16;

bool IsBase64Url(std::string_view s) {
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string Mac(std::string_view key, std::string_view id) {
  return Base64UrlEncode(HmacSha256(key, StrCat("device:", id)).substr(0, kMacBytes));
}

}  // namespace

std::optional<std::string> CookieValue(std::string_view header, std::string_view name) {
  // RFC 6265 §5.4: pairs separated by "; ", name=value; the first match wins.
  for (std::string_view part : StrSplit(header, ';')) {
    part = StripAsciiWhitespace(part);
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
  }
  return std::nullopt;
}

std::string SignDeviceId(std::string_view key, std::string_view id) {
  return StrCat(id, ".", Mac(key, id));
}

std::optional<std::string> VerifyDeviceCookie(std::string_view key, std::string_view value) {
  if (value.size() != kIdChars + 1 + kMacChars || value[kIdChars] != '.') return std::nullopt;
  std::string_view id = value.substr(0, kIdChars);
  std::string_view mac = value.substr(kIdChars + 1);
  if (!IsBase64Url(id) || !IsBase64Url(mac)) return std::nullopt;
  if (!ConstantTimeEquals(Mac(key, id), mac)) return std::nullopt;
  return std::string(id);
}

}  // namespace bulwark
