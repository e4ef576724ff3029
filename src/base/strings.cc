#include "base/strings.h"

namespace bulwark {
namespace {

template <typename IsSep>
std::vector<std::string_view> Split(std::string_view text, IsSep is_sep, bool skip_empty) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || is_sep(text[i])) {
      std::string_view part = text.substr(start, i - start);
      if (!skip_empty || !part.empty()) out.push_back(part);
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string_view> StrSplit(std::string_view text, char sep) {
  return Split(text, [sep](char c) { return c == sep; }, false);
}
std::vector<std::string_view> StrSplit(std::string_view text, char sep, SkipEmpty) {
  return Split(text, [sep](char c) { return c == sep; }, true);
}
std::vector<std::string_view> StrSplit(std::string_view text, ByAnyChar seps) {
  return Split(text, [seps](char c) { return seps.chars.find(c) != std::string_view::npos; },
               false);
}
std::vector<std::string_view> StrSplit(std::string_view text, ByAnyChar seps, SkipEmpty) {
  return Split(text, [seps](char c) { return seps.chars.find(c) != std::string_view::npos; },
               true);
}

std::string AsciiStrToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view StripAsciiWhitespace(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
                                c == '\v'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

bool SimpleAtod(std::string_view s, double* out) {
  s = StripAsciiWhitespace(s);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::string PercentEncode(std::string_view text, std::string_view unescaped) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        (c != 0 && unescaped.find(static_cast<char>(c)) != std::string_view::npos)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace bulwark
