#pragma once
// Internals shared by semver.cc (versions) and semver_range.cc (ranges). Not part of the API.
//
// node-semver defines its grammar as regular expressions (internal/re.js) and applies the "safe"
// variants, in which makeSafeRegex caps `\s*`/`\s+` at one character, `\d*`/`\d+` at 256 digits
// and `[a-zA-Z0-9-]*`/`+` at 250 characters. These caps decide the outcome for long inputs, so the
// matchers below reproduce them, and they return the same capture groups that the regex would,
// including where the regex backtracks (in loose mode "1.2.34.5" is 1.2.3 with prerelease "4.5").

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::semver::internal {

// MAX_LENGTH: longer version strings are refused before matching.
inline constexpr size_t kMaxLength = 256;
// Number.MAX_SAFE_INTEGER: larger major/minor/patch numbers are refused, and larger numeric
// prerelease identifiers stay strings, because JavaScript numbers lose precision past it.
inline constexpr uint64_t kMaxSafeInteger = 9007199254740991;
// makeSafeRegex turns `\d+` into `\d{1,256}` (MAX_LENGTH).
inline constexpr size_t kMaxDigits = 256;
// makeSafeRegex turns `[a-zA-Z0-9-]+` into `[a-zA-Z0-9-]{1,250}` (MAX_SAFE_BUILD_LENGTH).
inline constexpr size_t kMaxIdentifierChars = 250;

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsIdentifierChar(char c) { return IsDigit(c) || IsLetter(c) || c == '-'; }
// The character at `i`, or NUL past the end (JavaScript reads `undefined`, which no class matches;
// NUL matches no class either).
inline char At(std::string_view s, size_t i) { return i < s.size() ? s[i] : '\0'; }

// Byte length of the UTF-8 encoded JavaScript whitespace character (`\s`, String.trim) at s[i],
// or 0 when there is none.
size_t JsSpaceLength(std::string_view s, size_t i);
// String.prototype.trim() on UTF-8 text.
std::string_view JsTrim(std::string_view s);
// String.prototype.length (UTF-16 code units) of UTF-8 text.
size_t Utf16Length(std::string_view s);

// The groups of ^FULLPLAIN$ (strict) or ^LOOSEPLAIN$ (loose). Views point into the matched text.
struct VersionMatch {
  std::string_view major, minor, patch;
  std::optional<std::string_view> prerelease, build;
};
// Matches the whole of `s` (no trimming, no length check: those are SemVer's constructor's).
std::optional<VersionMatch> MatchVersion(std::string_view s, bool loose);

// The groups of ^XRANGEPLAIN$ / ^XRANGEPLAINLOOSE$ (a partial version like "1.x" or "2"). An
// absent group is nullopt, as JavaScript's `undefined`.
struct XRangeMatch {
  std::optional<std::string_view> major, minor, patch, prerelease;
};
// Matches the whole of `s`, including the `[v=\s]*` prefix.
std::optional<XRangeMatch> MatchXRangePlain(std::string_view s, bool loose);

}  // namespace bulwark::semver::internal
