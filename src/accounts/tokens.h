#pragma once
// Bulwark access tokens. Format: "bwk_" + 30 random base62 characters + a 6-character base62
// CRC32 of those 30 (the GitHub token design): secret scanners can recognise a Bulwark token
// and check its checksum without asking the server, so leaked ones are found with few false
// positives. The server stores only the SHA-512 of the secret (the token's key).

#include <string>
#include <string_view>

#include "bulwark/env/random.h"

namespace bulwark {

inline constexpr std::string_view kTokenPrefix = "bwk_";
inline constexpr size_t kTokenRandomChars = 30;  // 30 * log2(62) = 178 bits.
inline constexpr size_t kTokenLength = 4 + 30 + 6;
// Characters of the secret shown in token lists; npm revokes by "secret starts with this".
inline constexpr size_t kTokenDisplayPrefix = 10;

std::string NewTokenSecret(Random& random);
// True when `secret` has the format and a valid checksum.
bool IsWellFormedToken(std::string_view secret);
// Hex SHA-512 of the secret: the stored key and the id users see.
std::string TokenKey(std::string_view secret);
// Random URL-safe identifier (base62) of `chars` characters, for sessions and ids.
std::string RandomId(Random& random, size_t chars);

}  // namespace bulwark
