#include "security/token_leaks.h"

#include "accounts/tokens.h"

namespace bulwark {
namespace {

bool IsWordChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

}  // namespace

std::vector<TokenHit> FindRegistryTokens(std::string_view text, std::string_view file) {
  std::vector<TokenHit> hits;
  uint32_t line = 1;
  size_t line_start = 0;  // Offset up to which newlines have been counted.
  size_t pos = 0;
  while ((pos = text.find(kTokenPrefix, pos)) != std::string_view::npos) {
    size_t end = pos + kTokenLength;
    bool bounded = (pos == 0 || !IsWordChar(text[pos - 1])) && end <= text.size() &&
                   (end == text.size() || !IsWordChar(text[end]));
    if (bounded && IsWellFormedToken(text.substr(pos, kTokenLength))) {
      for (; line_start < pos; ++line_start) {
        if (text[line_start] == '\n') ++line;
      }
      hits.push_back(
          TokenHit{std::string(text.substr(pos, kTokenLength)), std::string(file), line});
      pos = end;
    } else {
      pos += kTokenPrefix.size();
    }
  }
  return hits;
}

std::vector<TokenHit> FindRegistryTokens(const TarballContents& contents) {
  std::vector<TokenHit> all;
  for (const TarballFile& f : contents.files) {
    if (!f.content_kept) continue;
    std::vector<TokenHit> hits = FindRegistryTokens(f.content, f.path);
    all.insert(all.end(), hits.begin(), hits.end());
  }
  return all;
}

}  // namespace bulwark
