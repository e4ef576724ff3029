#include "base/semver.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "base/semver_internal.h"
#include "base/strings.h"

namespace bulwark::semver {
namespace internal {

size_t JsSpaceLength(std::string_view s, size_t i) {
  // ECMAScript WhiteSpace and LineTerminator (node-semver's WHITESPACE_CHARACTERS).
  const auto b = [&](size_t k) { return static_cast<unsigned char>(At(s, i + k)); };
  const unsigned char c = b(0);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (c == 0xC2 && b(1) == 0xA0) return 2;                  // U+00A0
  if (c == 0xE1 && b(1) == 0x9A && b(2) == 0x80) return 3;  // U+1680
  if (c == 0xE2 && b(1) == 0x80 &&
      ((b(2) >= 0x80 && b(2) <= 0x8A) || b(2) == 0xA8 || b(2) == 0xA9 || b(2) == 0xAF)) {
    return 3;  // U+2000-200A, U+2028, U+2029, U+202F
  }
  if (c == 0xE2 && b(1) == 0x81 && b(2) == 0x9F) return 3;  // U+205F
  if (c == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return 3;  // U+3000
  if (c == 0xEF && b(1) == 0xBB && b(2) == 0xBF) return 3;  // U+FEFF
  return 0;
}

std::string_view JsTrim(std::string_view s) {
  size_t start = 0;
  while (size_t n = JsSpaceLength(s, start)) start += n;
  size_t end = s.size();
  // Whitespace characters are at most three bytes long; find the last one ending at `end`.
  for (bool trimmed = true; trimmed && end > start;) {
    trimmed = false;
    for (size_t len = 1; len <= 3 && len <= end - start; ++len) {
      if (JsSpaceLength(s, end - len) == len) {
        end -= len;
        trimmed = true;
        break;
      }
    }
  }
  return s.substr(start, end - start);
}

size_t Utf16Length(std::string_view s) {
  size_t units = 0;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80) ++units;  // Not a continuation byte: a new code point.
    if (c >= 0xF0) ++units;           // Outside the BMP: a surrogate pair.
  }
  return units;
}

namespace {

size_t DigitRun(std::string_view s, size_t i) {
  size_t end = i;
  while (IsDigit(At(s, end))) ++end;
  return end - i;
}

// `[v=\s]*`
size_t SkipPrefix(std::string_view s, size_t i) {
  for (;;) {
    if (At(s, i) == 'v' || At(s, i) == '=') {
      ++i;
    } else if (size_t n = JsSpaceLength(s, i)) {
      i += n;
    } else {
      return i;
    }
  }
}

// Whether a run of `len` digits starting with `first` is one whole NUMERICIDENTIFIER
// (`0|[1-9]\d{0,256}`) or, loose, NUMERICIDENTIFIERLOOSE (`\d{1,256}`). A shorter match would
// leave a digit where the grammar needs '.', '-', '+' or the end, so only the whole run counts.
bool IsNumber(char first, size_t len, bool loose) {
  if (len == 0) return false;
  if (loose) return len <= kMaxDigits;
  return len == 1 || (first != '0' && len <= kMaxDigits + 1);
}

// One whole PRERELEASEIDENTIFIER(LOOSE): NONNUMERICIDENTIFIER (`\d{0,256}[a-zA-Z-]` followed by
// up to 250 identifier characters), tried first, else a numeric identifier.
bool IsPrereleaseIdentifier(std::string_view id, bool loose) {
  for (char c : id) {
    if (!IsIdentifierChar(c)) return false;
  }
  const size_t digits = DigitRun(id, 0);
  if (digits < id.size()) {
    return digits <= kMaxDigits && id.size() - digits - 1 <= kMaxIdentifierChars;
  }
  return IsNumber(At(id, 0), id.size(), loose);
}

bool IsDotSeparated(std::string_view text, bool (*is_id)(std::string_view, bool), bool loose) {
  if (text.empty()) return false;
  for (std::string_view id : StrSplit(text, '.')) {
    if (id.empty() || !is_id(id, loose)) return false;
  }
  return true;
}

bool IsBuildIdentifier(std::string_view id, bool) {
  if (id.size() > kMaxIdentifierChars) return false;
  for (char c : id) {
    if (!IsIdentifierChar(c)) return false;
  }
  return true;
}

// `BUILD?$` at s[q]: `\+(BID(?:\.BID)*)` running to the end, or nothing at the end.
bool MatchBuildToEnd(std::string_view s, size_t q, std::optional<std::string_view>* build) {
  if (q == s.size()) return true;
  if (s[q] != '+' || !IsDotSeparated(s.substr(q + 1), IsBuildIdentifier, false)) return false;
  *build = s.substr(q + 1);
  return true;
}

// `(?:PRERELEASE)?BUILD?$` at s[q], in the regex's order of preference. A prerelease can only end
// where the build ('+') or the string ends, since every other character would need to match.
// Loose mode's `-?` first tries to take the hyphen, then lets the identifier start with it.
bool MatchTail(std::string_view s, size_t q, bool loose, std::optional<std::string_view>* pre,
               std::optional<std::string_view>* build) {
  const auto try_prerelease = [&](size_t start) {
    const size_t plus = std::min(s.find('+', start), s.size());
    const std::string_view region = s.substr(start, plus - start);
    if (!IsDotSeparated(region, IsPrereleaseIdentifier, loose)) return false;
    if (!MatchBuildToEnd(s, plus, build)) return false;
    *pre = region;
    return true;
  };
  if (At(s, q) == '-' && try_prerelease(q + 1)) return true;
  if (loose && q < s.size() && try_prerelease(q)) return true;
  return MatchBuildToEnd(s, q, build);
}

// The last numeric part followed by the tail. In loose mode `\d{1,256}` backtracks: "1.2.34.5"
// fails with patch "34" and then matches with patch "3" and prerelease "4.5". Once the number
// stops short of the digit run, the only thing its length changes is how many digits start the
// first prerelease identifier (at most 256 pass), so a shorter number never does better than the
// longest one tried after the greedy match: two tries settle it.
bool MatchLastPart(std::string_view s, size_t i, bool loose, std::string_view* number,
                   std::optional<std::string_view>* pre, std::optional<std::string_view>* build) {
  const size_t run = DigitRun(s, i);
  if (!loose) {
    if (!IsNumber(At(s, i), run, false)) return false;
    *number = s.substr(i, run);
    return MatchTail(s, i + run, false, pre, build);
  }
  const size_t longest = std::min(run, kMaxDigits);
  for (size_t len = longest; len > 0 && len + 1 >= longest; --len) {
    pre->reset();
    build->reset();
    if (MatchTail(s, i + len, true, pre, build)) {
      *number = s.substr(i, len);
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<VersionMatch> MatchVersion(std::string_view s, bool loose) {
  size_t i = loose ? SkipPrefix(s, 0) : (At(s, 0) == 'v' ? 1 : 0);
  VersionMatch m;
  for (std::string_view* part : {&m.major, &m.minor}) {
    const size_t run = DigitRun(s, i);
    if (!IsNumber(At(s, i), run, loose) || At(s, i + run) != '.') return std::nullopt;
    *part = s.substr(i, run);
    i += run + 1;
  }
  if (!MatchLastPart(s, i, loose, &m.patch, &m.prerelease, &m.build)) return std::nullopt;
  return m;
}

std::optional<XRangeMatch> MatchXRangePlain(std::string_view s, bool loose) {
  size_t i = SkipPrefix(s, 0);
  XRangeMatch m;
  for (std::optional<std::string_view>* part : {&m.major, &m.minor, &m.patch}) {
    const char c = At(s, i);
    if (c == 'x' || c == 'X' || c == '*') {
      *part = s.substr(i, 1);
      i += 1;
    } else if (part == &m.patch) {
      std::string_view number;
      std::optional<std::string_view> build;
      if (!MatchLastPart(s, i, loose, &number, &m.prerelease, &build)) return std::nullopt;
      *part = number;
      return m;
    } else {
      const size_t run = DigitRun(s, i);
      if (!IsNumber(c, run, loose)) return std::nullopt;
      *part = s.substr(i, run);
      i += run;
    }
    if (i == s.size()) return m;
    if (part == &m.patch) break;
    if (s[i] != '.') return std::nullopt;
    ++i;
  }
  // A wildcard patch may still carry a prerelease and build ("1.2.x-beta" matches).
  std::optional<std::string_view> build;
  if (!MatchTail(s, i, loose, &m.prerelease, &build)) return std::nullopt;
  return m;
}

}  // namespace internal

using internal::kMaxLength;
using internal::kMaxSafeInteger;

std::string Version::ToString() const {
  std::string out = StrCat(major, ".", minor, ".", patch);
  for (size_t i = 0; i < prerelease.size(); ++i) {
    StrAppend(&out, i == 0 ? "-" : ".");
    if (const auto* n = std::get_if<uint64_t>(&prerelease[i])) {
      StrAppend(&out, *n);
    } else {
      StrAppend(&out, std::get<std::string>(prerelease[i]));
    }
  }
  return out;
}

namespace {

// `+digits` compared with MAX_SAFE_INTEGER; digits may have leading zeros in loose mode.
std::optional<uint64_t> SafeInteger(std::string_view digits) {
  while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
  if (digits.size() > 16) return std::nullopt;
  uint64_t value = 0;
  for (char c : digits) value = value * 10 + static_cast<uint64_t>(c - '0');
  if (value > kMaxSafeInteger) return std::nullopt;
  return value;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!internal::IsDigit(c)) return false;
  }
  return true;
}

using Identifier = std::variant<uint64_t, std::string>;

// What `+id` gives for a numeric identifier: exact for numbers, the rounded double for the
// all-digit strings that were too large to become numbers.
double AsDouble(const Identifier& id) {
  if (const auto* n = std::get_if<uint64_t>(&id)) return static_cast<double>(*n);
  return std::strtod(std::get<std::string>(id).c_str(), nullptr);
}

// internal/identifiers.js compareIdentifiers. Digit-only strings (numbers past MAX_SAFE_INTEGER)
// compare as doubles, so two different ones can compare equal.
int CompareIdentifiers(const Identifier& a, const Identifier& b) {
  const auto* an = std::get_if<uint64_t>(&a);
  const auto* bn = std::get_if<uint64_t>(&b);
  if (an != nullptr && bn != nullptr) return *an == *bn ? 0 : (*an < *bn ? -1 : 1);
  const bool a_numeric = an != nullptr || AllDigits(std::get<std::string>(a));
  const bool b_numeric = bn != nullptr || AllDigits(std::get<std::string>(b));
  if (a_numeric && b_numeric) {
    const double x = AsDouble(a), y = AsDouble(b);
    return x == y ? 0 : (x < y ? -1 : 1);
  }
  if (a_numeric) return -1;
  if (b_numeric) return 1;
  const std::string& x = std::get<std::string>(a);
  const std::string& y = std::get<std::string>(b);
  return x == y ? 0 : (x < y ? -1 : 1);
}

template <typename T>
int Three(T a, T b) {
  return a == b ? 0 : (a < b ? -1 : 1);
}

}  // namespace

absl::StatusOr<Version> Parse(std::string_view text, Options opts) {
  if (internal::Utf16Length(text) > kMaxLength) {
    return absl::InvalidArgumentError(StrCat("version is longer than ", kMaxLength, " characters"));
  }
  const std::optional<internal::VersionMatch> m =
      internal::MatchVersion(internal::JsTrim(text), opts.loose);
  if (!m) return absl::InvalidArgumentError(StrCat("Invalid Version: ", text));
  Version v;
  const std::string_view digits[] = {m->major, m->minor, m->patch};
  uint64_t* const fields[] = {&v.major, &v.minor, &v.patch};
  const char* const names[] = {"major", "minor", "patch"};
  for (int i = 0; i < 3; ++i) {
    const std::optional<uint64_t> n = SafeInteger(digits[i]);
    if (!n) return absl::InvalidArgumentError(StrCat("Invalid ", names[i], " version"));
    *fields[i] = *n;
  }
  if (m->prerelease) {
    for (std::string_view id : StrSplit(*m->prerelease, '.')) {
      // Numeric identifiers become numbers only below MAX_SAFE_INTEGER (strictly).
      std::optional<uint64_t> n;
      if (AllDigits(id)) n = SafeInteger(id);
      if (n && *n < kMaxSafeInteger) {
        v.prerelease.emplace_back(*n);
      } else {
        v.prerelease.emplace_back(std::string(id));
      }
    }
  }
  if (m->build) {
    for (std::string_view id : StrSplit(*m->build, '.')) v.build.emplace_back(id);
  }
  return v;
}

std::optional<std::string> Valid(std::string_view text, Options opts) {
  absl::StatusOr<Version> v = Parse(text, opts);
  if (!v.ok()) return std::nullopt;
  return v->ToString();
}

int Compare(const Version& a, const Version& b) {
  if (int c = Three(a.major, b.major)) return c;
  if (int c = Three(a.minor, b.minor)) return c;
  if (int c = Three(a.patch, b.patch)) return c;
  // A version without a prerelease sorts after the same version with one.
  if (a.prerelease.empty() || b.prerelease.empty()) {
    return Three(a.prerelease.empty(), b.prerelease.empty());
  }
  for (size_t i = 0;; ++i) {
    if (i == a.prerelease.size() && i == b.prerelease.size()) return 0;
    if (i == b.prerelease.size()) return 1;
    if (i == a.prerelease.size()) return -1;
    if (a.prerelease[i] == b.prerelease[i]) continue;
    // node-semver returns this result even when it is 0 (two large numeric strings that round
    // to the same double), without looking at later identifiers.
    return CompareIdentifiers(a.prerelease[i], b.prerelease[i]);
  }
}

std::string Range::Comparator::ToString() const {
  switch (op) {
    case Op::kAny:
      return "";
    case Op::kEq:
      return version.ToString();
    case Op::kLt:
      return StrCat("<", version.ToString());
    case Op::kLte:
      return StrCat("<=", version.ToString());
    case Op::kGt:
      return StrCat(">", version.ToString());
    case Op::kGte:
      return StrCat(">=", version.ToString());
  }
  return "";
}

std::string Range::ToString() const {
  std::string out;
  for (size_t i = 0; i < sets_.size(); ++i) {
    if (i > 0) out += "||";
    for (size_t k = 0; k < sets_[i].size(); ++k) {
      if (k > 0) out += ' ';
      out += sets_[i][k].ToString();
    }
  }
  return out;
}

absl::StatusOr<bool> Range::Evaluate(const Version& v) const {
  using Op = Comparator::Op;
  for (const std::vector<Comparator>& set : sets_) {
    bool pass = true;
    for (const Comparator& c : set) {
      if (c.op == Op::kAny) continue;
      // With includePrerelease, functions/cmp.js re-parses the comparator's version from its
      // canonical string, which loose mode can make one character longer than MAX_LENGTH
      // ("1.2.3a..." becomes "1.2.3-a..."); node-semver then throws out of Range.test.
      if (opts_.include_prerelease && opts_.loose && c.version.ToString().size() > kMaxLength) {
        return absl::FailedPreconditionError("comparator version is longer than 256 characters");
      }
      const int cmp = Compare(v, c.version);
      switch (c.op) {
        case Op::kEq:
          pass = cmp == 0;
          break;
        case Op::kLt:
          pass = cmp < 0;
          break;
        case Op::kLte:
          pass = cmp <= 0;
          break;
        case Op::kGt:
          pass = cmp > 0;
          break;
        case Op::kGte:
          pass = cmp >= 0;
          break;
        case Op::kAny:
          break;
      }
      if (!pass) break;
    }
    if (!pass) continue;
    if (v.prerelease.empty() || opts_.include_prerelease) return true;
    // A prerelease only matches a set that names a prerelease of the same [major, minor, patch]:
    // ^1.2.3-pr.1 admits 1.2.3-pr.2 but not 1.2.4-alpha (classes/range.js testSet).
    for (const Comparator& c : set) {
      if (c.op != Op::kAny && !c.version.prerelease.empty() && c.version.major == v.major &&
          c.version.minor == v.minor && c.version.patch == v.patch) {
        return true;
      }
    }
  }
  return false;
}

bool Range::Test(const Version& v) const { return Evaluate(v).value_or(false); }

std::optional<std::string> ValidRange(std::string_view text, Options opts) {
  absl::StatusOr<Range> range = Range::Parse(text, opts);
  if (!range.ok()) return std::nullopt;
  std::string out = range->ToString();
  if (out.empty()) return "*";  // So that the result is truthy in JavaScript.
  return out;
}

bool Satisfies(std::string_view version, std::string_view range, Options opts) {
  absl::StatusOr<Range> r = Range::Parse(range, opts);
  if (!r.ok()) return false;
  absl::StatusOr<Version> v = Parse(version, opts);
  return v.ok() && r->Test(*v);
}

std::optional<std::string> MaxSatisfying(const std::vector<std::string>& versions,
                                         std::string_view range, Options opts) {
  absl::StatusOr<Range> r = Range::Parse(range, opts);
  if (!r.ok()) return std::nullopt;
  const std::string* max = nullptr;
  Version max_version;
  for (const std::string& text : versions) {
    absl::StatusOr<Version> v = Parse(text, opts);
    if (!v.ok()) continue;
    absl::StatusOr<bool> satisfied = r->Evaluate(*v);
    if (!satisfied.ok()) return std::nullopt;  // node-semver throws; there is no answer.
    // Strictly greater: of equal versions ("1.2.3", "v1.2.3+b") the first one given wins.
    if (*satisfied && (max == nullptr || Compare(max_version, *v) < 0)) {
      max = &text;
      max_version = *std::move(v);
    }
  }
  if (max == nullptr) return std::nullopt;
  return *max;
}

}  // namespace bulwark::semver
