#include "accounts/tokens.h"

#include <zlib.h>

#include "base/hash.h"

namespace bulwark {
namespace {

constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

std::string Checksum(std::string_view body) {
  uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
  std::string out(6, '0');
  for (int i = 5; i >= 0; --i) {
    out[i] = kBase62[crc % 62];
    crc /= 62;
  }
  return out;
}

}  // namespace

std::string RandomId(Random& random, size_t chars) {
  std::string out;
  out.reserve(chars);
  while (out.size() < chars) {
    std::string bytes = random.Bytes(chars * 2);
    for (unsigned char b : bytes) {
      // Rejection sampling: 248 = 4 * 62, so values below it map uniformly.
      if (b < 248 && out.size() < chars) out.push_back(kBase62[b % 62]);
    }
  }
  return out;
}

std::string NewTokenSecret(Random& random) {
  std::string body = RandomId(random, kTokenRandomChars);
  return std::string(kTokenPrefix) + body + Checksum(body);
}

bool IsWellFormedToken(std::string_view secret) {
  if (secret.size() != kTokenLength || secret.substr(0, 4) != kTokenPrefix) return false;
  for (char c : secret.substr(4)) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
      return false;
    }
  }
  return Checksum(secret.substr(4, kTokenRandomChars)) == secret.substr(4 + kTokenRandomChars);
}

std::string TokenKey(std::string_view secret) { return HexEncode(Sha512(secret)); }

}  // namespace bulwark
