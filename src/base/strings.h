#pragma once
// String helpers over std::string_view. Debian's Abseil is built with its own absl::string_view
// (ABSL_OPTION_USE_STD_STRING_VIEW 0), which std::string_view does not convert to, so Bulwark
// uses these instead of absl/strings for concatenation, splitting and parsing.

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace bulwark {

namespace strings_internal {
template <typename T>
void Append(std::string& out, const T& v) {
  if constexpr (std::is_same_v<T, char>) {
    out.push_back(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    out += v ? "true" : "false";
  } else if constexpr (std::is_arithmetic_v<T>) {
    out += std::to_string(v);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    out.append(std::string_view(v));
  } else {
    out.append(v.data(), v.size());  // absl::string_view and other views.
  }
}
}  // namespace strings_internal

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (strings_internal::Append(out, args), ...);
  return out;
}

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (strings_internal::Append(*out, args), ...);
}

struct SkipEmpty {};
struct ByAnyChar {
  std::string_view chars;
};

std::vector<std::string_view> StrSplit(std::string_view text, char sep);
std::vector<std::string_view> StrSplit(std::string_view text, char sep, SkipEmpty);
std::vector<std::string_view> StrSplit(std::string_view text, ByAnyChar seps);
std::vector<std::string_view> StrSplit(std::string_view text, ByAnyChar seps, SkipEmpty);

template <typename Container>
std::string StrJoin(const Container& parts, std::string_view sep) {
  std::string out;
  bool first = true;
  for (const auto& p : parts) {
    if (!first) out.append(sep);
    first = false;
    strings_internal::Append(out, p);
  }
  return out;
}

inline bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
inline bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
inline bool StrContains(std::string_view s, std::string_view needle) {
  return s.find(needle) != std::string_view::npos;
}
inline bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (!StartsWith(*s, prefix)) return false;
  s->remove_prefix(prefix.size());
  return true;
}

std::string AsciiStrToLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string_view StripAsciiWhitespace(std::string_view s);

// Whole-string integer parse (optional sign, decimal digits); false on junk or overflow.
template <typename Int>
bool SimpleAtoi(std::string_view s, Int* out) {
  s = StripAsciiWhitespace(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}
bool SimpleAtod(std::string_view s, double* out);

// Percent-encodes every byte except ASCII letters, digits and the characters in `unescaped`:
// "-._~" gives RFC 3986's unreserved set, "-_.!~*'()" JavaScript's encodeURIComponent.
std::string PercentEncode(std::string_view text, std::string_view unescaped);

}  // namespace bulwark
