// Secret confirmation: checksums of prefixed tokens, and FindRegistryTokens for the gate.

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "security/scan/scanner.h"

namespace bulwark::scan {
namespace {

constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

}  // namespace

bool IsChecksummedToken(std::string_view token, std::string_view prefix) {
  if (token.size() != prefix.size() + 36 || token.substr(0, prefix.size()) != prefix) return false;
  std::string_view body = token.substr(prefix.size(), 30);
  std::string_view sum = token.substr(prefix.size() + 30);
  for (char c : token.substr(prefix.size())) {
    if (!IsAlnum(c)) return false;
  }
  std::uint32_t crc = static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
  char expect[6];
  for (int i = 5; i >= 0; --i) {
    expect[i] = kBase62[crc % 62];
    crc /= 62;
  }
  return std::memcmp(expect, sum.data(), 6) == 0;
}

std::vector<LeakedToken> FindRegistryTokens(std::string_view bytes) {
  std::vector<LeakedToken> out;
  std::uint32_t line = 1;
  std::size_t line_from = 0;
  for (std::size_t pos = bytes.find("bwk_"); pos != std::string_view::npos;
       pos = bytes.find("bwk_", pos + 1)) {
    if (pos + 40 > bytes.size()) break;
    if (pos > 0 && (IsAlnum(bytes[pos - 1]) || bytes[pos - 1] == '_')) continue;
    if (pos + 40 < bytes.size() && IsAlnum(bytes[pos + 40])) continue;
    std::string_view token = bytes.substr(pos, 40);
    if (!IsChecksummedToken(token, "bwk_")) continue;
    line += static_cast<std::uint32_t>(
        std::count(bytes.begin() + line_from, bytes.begin() + pos, '\n'));
    line_from = pos;
    out.push_back(LeakedToken{std::string(token), "", line});
    if (out.size() >= 1000) break;
  }
  return out;
}

std::vector<LeakedToken> FindRegistryTokens(const PackageFiles& files) {
  std::vector<LeakedToken> out;
  auto add = [&](std::string_view bytes, std::string_view path) {
    for (LeakedToken& t : FindRegistryTokens(bytes)) {
      t.file = std::string(path);
      out.push_back(std::move(t));
    }
  };
  bool manifest_in_files = false;
  for (const ScanFile& f : files.files) {
    if (f.path == "package.json") manifest_in_files = true;
    if (f.content_kept) add(f.content, f.path);
  }
  if (!manifest_in_files) add(files.package_json, "package.json");
  return out;
}

}  // namespace bulwark::scan
