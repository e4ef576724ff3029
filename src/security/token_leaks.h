#pragma once
// Finds this registry's own access tokens (`bwk_` + 30 base62 + 6-character CRC32 checksum,
// docs/tokens.md) in a package's files. Only tokens whose checksum is valid count, so random
// strings and documentation examples (`bwk_XXXX...`) are not reported. Pure: bytes in, hits out.
// The secret scanning of other credentials is the scan engine's (security/scan/).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "packaging/tarball.h"

namespace bulwark {

struct TokenHit {
  std::string token;   // The full secret.
  std::string file;    // Path inside the package.
  uint32_t line = 0;   // 1-based.
};

// Every well-formed token in `text` (reported as `file`), in order of appearance. A token must
// not be glued to other word characters (the `\bbwk_[0-9A-Za-z]{36}\b` of docs/tokens.md).
std::vector<TokenHit> FindRegistryTokens(std::string_view text, std::string_view file);
// ... in every file of the tarball whose content was kept.
std::vector<TokenHit> FindRegistryTokens(const TarballContents& contents);

}  // namespace bulwark
