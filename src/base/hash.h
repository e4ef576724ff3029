#pragma once
// Digests and encodings (OpenSSL underneath). Pure functions; no I/O.

#include <optional>
#include <string>
#include <string_view>

namespace bulwark {

std::string Sha512(std::string_view data);  // 64 raw bytes.
std::string Sha1(std::string_view data);    // 20 raw bytes.
std::string Sha256(std::string_view data);  // 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes.
// HMAC-SHA-1 (RFC 2104): what HOTP/TOTP (RFC 4226, RFC 6238) are defined over.
std::string HmacSha1(std::string_view key, std::string_view data);  // 20 raw bytes.

std::string HexEncode(std::string_view bytes);  // Lower case.
std::optional<std::string> HexDecode(std::string_view hex);

std::string Base64Encode(std::string_view bytes);  // Standard alphabet, padded.
// Strict standard base64: padding required, no whitespace, no stray characters.
std::optional<std::string> Base64Decode(std::string_view text);
std::string Base64UrlEncode(std::string_view bytes);  // RFC 4648 §5, unpadded.

// Subresource Integrity string "sha512-<base64>" of `data`, as npm's ssri writes it.
std::string Sha512Integrity(std::string_view data);

// Compares in time independent of where the inputs differ (for secrets).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace bulwark
