#pragma once
// The signed device cookie of enhanced login verification (docs/email.md §Known devices):
// "<device id>.<mac>", the id 32 random bytes and the MAC the first 16 bytes of
// HMAC-SHA-256(key, "device:" + id), both unpadded base64url. Pure functions over outside input.

#include <optional>
#include <string>
#include <string_view>

namespace bulwark {

inline constexpr std::string_view kDeviceCookie = "bulwark_device";

// The value of cookie `name` in a Cookie request header ("a=1; b=2"); nullopt when absent.
std::optional<std::string> CookieValue(std::string_view header, std::string_view name);

// "<id>.<mac>" for `id` under `key`.
std::string SignDeviceId(std::string_view key, std::string_view id);
// The device id inside `value` when it is well formed and its MAC holds under `key`.
std::optional<std::string> VerifyDeviceCookie(std::string_view key, std::string_view value);

}  // namespace bulwark
