// Range parsing. node-semver (classes/range.js) parses a range by rewriting its text in passes —
// strip build metadata, expand hyphen ranges, join operators to their versions, expand carets,
// tildes and x-ranges into plain comparators — and then parses what is left. Its quirks live in
// those rewrites (numbers printed by JavaScript, text that a later pass re-reads, loose mode
// silently dropping what it cannot parse), so this file performs the same passes on the text.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/semver.h"
#include "base/semver_internal.h"
#include "base/strings.h"

namespace bulwark::semver {
namespace {

using internal::At;
using internal::IsDigit;
using internal::IsIdentifierChar;
using internal::IsLetter;
using internal::kMaxDigits;
using internal::kMaxIdentifierChars;
using internal::XRangeMatch;

// ---- JavaScript string operations. After the Range constructor has collapsed whitespace, the
// only whitespace left in the text is ' '.

// range.trim().replace(/\s+/g, ' ')
std::string CollapseSpace(std::string_view text) {
  text = internal::JsTrim(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (size_t n = internal::JsSpaceLength(text, i)) {
      while (n != 0) {
        i += n;
        n = internal::JsSpaceLength(text, i);
      }
      out += ' ';
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// s.split(/\s+/): a leading or trailing space gives an empty first or last word.
std::vector<std::string> SplitWords(std::string_view s) {
  std::vector<std::string> words;
  size_t start = 0;
  for (size_t i = 0; i < s.size();) {
    if (s[i] != ' ') {
      ++i;
      continue;
    }
    words.emplace_back(s.substr(start, i - start));
    while (i < s.size() && s[i] == ' ') ++i;
    start = i;
  }
  words.emplace_back(s.substr(start));
  return words;
}

template <typename F>
std::string MapWords(std::string_view s, F f) {
  std::vector<std::string> words = SplitWords(s);
  for (std::string& w : words) w = f(w);
  return StrJoin(words, " ");
}

// Number.prototype.toString() of a double >= 1: shortest round-trip digits, exponent form from
// 1e21 on ("1.2345678901234568e+24").
std::string JsNumberToString(double d) {
  if (std::isinf(d)) return "Infinity";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  const std::string_view sci(buf, res.ptr - buf);
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  const int n = std::atoi(std::string(sci.substr(e + 1)).c_str()) + 1;
  const int k = static_cast<int>(digits.size());
  if (k <= n && n <= 21) return digits + std::string(n - k, '0');
  if (n > 0 && n <= 21) return StrCat(digits.substr(0, n), ".", digits.substr(n));
  std::string out(1, digits[0]);
  if (k > 1) StrAppend(&out, ".", digits.substr(1));
  StrAppend(&out, "e+", n - 1);
  return out;
}

// `${+digits + 1}`. Past 2^53 the sum is rounded, and past 1e21 it prints with an exponent, which
// the comparator grammar then reads in surprising ways (see the unit tests).
std::string Increment(std::string_view digits) {
  return JsNumberToString(std::strtod(std::string(digits).c_str(), nullptr) + 1.0);
}

// isX(): a missing part, x, X or *.
bool IsX(const std::optional<std::string_view>& id) {
  return !id || id->empty() || *id == "x" || *id == "X" || *id == "*";
}

std::string Str(const std::optional<std::string_view>& s) { return std::string(s.value_or("")); }

// ---- The passes of parseRange, in order.

// Deletes `\+([a-zA-Z0-9-]{1,cap}(?:\.[a-zA-Z0-9-]{1,cap})*)`: every match (BUILDSTRIPRE, no cap)
// or the first (re[t.BUILD] in parseComparator).
std::string RemoveBuild(std::string_view s, bool all, size_t cap) {
  const auto skip_id = [&](size_t i) {
    const size_t start = i;
    while (i - start < cap && IsIdentifierChar(At(s, i))) ++i;
    return i;
  };
  std::string out;
  size_t copied = 0;
  for (size_t i = 0; i < s.size();) {
    if (s[i] != '+' || !IsIdentifierChar(At(s, i + 1))) {
      ++i;
      continue;
    }
    size_t end = skip_id(i + 1);
    while (At(s, end) == '.' && IsIdentifierChar(At(s, end + 1))) end = skip_id(end + 1);
    StrAppend(&out, s.substr(copied, i - copied));
    copied = i = end;
    if (!all) break;
  }
  StrAppend(&out, s.substr(copied));
  return out;
}

// HYPHENRANGE: `^\s?(XRANGEPLAIN)\s-\s(XRANGEPLAIN)\s?$` becomes ">=from <=to" (hyphenReplace).
// A partial version cannot hold a space after its `[v=\s]*` prefix, so the first one ends at the
// first space after that prefix.
std::string ReplaceHyphen(std::string s, const Options& opts) {
  const size_t from_start = At(s, 0) == ' ' ? 1 : 0;
  size_t i = from_start;
  while (At(s, i) == 'v' || At(s, i) == '=' || At(s, i) == ' ') ++i;
  const size_t space = s.find(' ', i);
  if (space == std::string::npos || s.compare(space, 3, " - ") != 0) return s;
  const size_t to_start = space + 3;
  const size_t to_end = s.size() > to_start && s.back() == ' ' ? s.size() - 1 : s.size();
  const std::string_view from_text = std::string_view(s).substr(from_start, space - from_start);
  const std::string_view to_text = std::string_view(s).substr(to_start, to_end - to_start);
  const std::optional<XRangeMatch> f = internal::MatchXRangePlain(from_text, opts.loose);
  const std::optional<XRangeMatch> t = internal::MatchXRangePlain(to_text, opts.loose);
  if (!f || !t) return s;

  const std::string z = opts.include_prerelease ? "-0" : "";
  std::string from, to;
  if (IsX(f->major)) {
    from = "";
  } else if (IsX(f->minor)) {
    from = StrCat(">=", *f->major, ".0.0", z);
  } else if (IsX(f->patch)) {
    from = StrCat(">=", *f->major, ".", *f->minor, ".0", z);
  } else if (f->prerelease) {
    from = StrCat(">=", from_text);
  } else {
    from = StrCat(">=", from_text, z);
  }
  if (IsX(t->major)) {
    to = "";
  } else if (IsX(t->minor)) {
    to = StrCat("<", Increment(*t->major), ".0.0-0");
  } else if (IsX(t->patch)) {
    to = StrCat("<", *t->major, ".", Increment(*t->minor), ".0-0");
  } else if (t->prerelease) {
    to = StrCat("<=", *t->major, ".", *t->minor, ".", *t->patch, "-", *t->prerelease);
  } else if (opts.include_prerelease) {
    to = StrCat("<", *t->major, ".", *t->minor, ".", Increment(*t->patch), "-0");
  } else {
    to = StrCat("<=", to_text);
  }
  return std::string(Trim(StrCat(from, " ", to)));
}

// internal/trim-comparator-whitespace.js: the space after an operator goes ("> 1.2.3" becomes
// ">1.2.3"), scanning past each version-like run so it is not read twice.
bool IsVersionPrefix(char c) { return c == 'v' || c == '=' || c == ' '; }
bool IsVersionStart(char c) { return IsDigit(c) || c == 'x' || c == 'X' || c == '*'; }

size_t DigitsEnd(std::string_view r, size_t start, size_t limit) {
  size_t end = start;
  while (end - start < limit && IsDigit(At(r, end))) ++end;
  return end;
}

size_t NumberEnd(std::string_view r, size_t start, bool loose) {
  if (!loose && At(r, start) == '0') return start + 1;
  return DigitsEnd(r, start, loose ? kMaxDigits : kMaxDigits + 1);
}

size_t PrereleaseIdEnd(std::string_view r, size_t start, bool loose) {
  const size_t digits_end = DigitsEnd(r, start, kMaxDigits);
  if (IsLetter(At(r, digits_end)) || At(r, digits_end) == '-') {
    size_t end = digits_end + 1;
    const size_t limit = end + kMaxIdentifierChars;
    while (end < limit && IsIdentifierChar(At(r, end))) ++end;
    return end;
  }
  return NumberEnd(r, start, loose);
}

size_t PrereleaseEnd(std::string_view r, size_t start, bool loose) {
  const bool hyphen = At(r, start) == '-';
  if (!loose && !hyphen) return start;
  const size_t id_start = start + (hyphen ? 1 : 0);
  size_t end = PrereleaseIdEnd(r, id_start, loose);
  if (end == id_start) {
    if (!loose || !hyphen) return start;
    end = PrereleaseIdEnd(r, start, loose);  // Loose: a lone hyphen is an identifier.
  }
  while (At(r, end) == '.') {
    const size_t next = PrereleaseIdEnd(r, end + 1, loose);
    if (next == end + 1) break;
    end = next;
  }
  return end;
}

size_t BuildEnd(std::string_view r, size_t start) {
  const auto id_end = [&](size_t i) {
    const size_t start_id = i;
    while (i - start_id < kMaxIdentifierChars && IsIdentifierChar(At(r, i))) ++i;
    return i;
  };
  if (At(r, start) != '+') return start;
  size_t end = id_end(start + 1);
  if (end == start + 1) return start;
  while (At(r, end) == '.') {
    const size_t next = id_end(end + 1);
    if (next == end + 1) break;
    end = next;
  }
  return end;
}

size_t VersionEnd(std::string_view r, size_t start) {
  size_t end = start;
  for (int part = 0; part < 3; ++part) {  // A loose full version first.
    const size_t next = NumberEnd(r, end, true);
    if (next == end) {
      end = start;
      break;
    }
    end = next;
    if (part < 2) {
      if (At(r, end) != '.') {
        end = start;
        break;
      }
      ++end;
    }
  }
  if (end != start) return BuildEnd(r, PrereleaseEnd(r, end, true));
  const auto component_end = [&](size_t i) {  // Else a partial version.
    if (IsDigit(At(r, i))) return NumberEnd(r, i, false);
    return IsVersionStart(At(r, i)) ? i + 1 : i;
  };
  end = component_end(start);
  for (int part = 0; part < 2; ++part) {
    if (At(r, end) != '.') return end;
    const size_t next = component_end(end + 1);
    if (next == end + 1) return end;
    end = next;
  }
  return BuildEnd(r, PrereleaseEnd(r, end, false));
}

std::string TrimComparatorWhitespace(std::string_view r) {
  std::string out;
  size_t copied = 0;
  size_t cursor = 0;
  while (cursor < r.size()) {
    const size_t match_start = cursor;
    if (r[cursor] == '<' || r[cursor] == '>') {
      ++cursor;
    } else if (!IsVersionPrefix(r[cursor]) && !IsVersionStart(r[cursor])) {
      ++cursor;
      continue;
    }
    while (cursor < r.size() && IsVersionPrefix(r[cursor])) ++cursor;
    if (!IsVersionStart(At(r, cursor))) continue;
    size_t pos = match_start;
    if (At(r, pos) == ' ') ++pos;
    if (At(r, pos) == '<' || At(r, pos) == '>') ++pos;
    if (At(r, pos) == '=') ++pos;
    if (At(r, pos) == ' ') {
      StrAppend(&out, r.substr(copied, pos - copied));
      copied = pos + 1;
    }
    cursor = VersionEnd(r, cursor);
  }
  StrAppend(&out, r.substr(copied));
  return out;
}

// TILDETRIM / CARETTRIM: `(\s?)~>?\s` becomes "$1~" and `(\s?)\^\s` becomes "$1^" (every match).
// Note that "~> 1" loses its '>'.
std::string JoinLoneOperator(std::string_view s, char op) {
  std::string out;
  size_t copied = 0;
  for (size_t i = 0; i < s.size();) {
    const bool space = s[i] == ' ';
    size_t j = i + (space ? 1 : 0);
    if (At(s, j) != op) {
      ++i;
      continue;
    }
    ++j;
    if (op == '~' && At(s, j) == '>') ++j;
    if (At(s, j) != ' ') {
      ++i;
      continue;
    }
    StrAppend(&out, s.substr(copied, i - copied), space ? " " : "", std::string(1, op));
    copied = i = j + 1;
  }
  StrAppend(&out, s.substr(copied));
  return out;
}

// replaceCaret: ^1.2.3 := >=1.2.3 <2.0.0-0, ^0.2.3 := >=0.2.3 <0.3.0-0, ^0.0.3 := <0.0.4-0.
// `M === '0'` compares text, so loose "^00.1.2" counts as a major of 00, not 0.
std::string ReplaceCaret(std::string_view comp, const Options& opts) {
  if (At(comp, 0) != '^') return std::string(comp);
  const std::optional<XRangeMatch> x = internal::MatchXRangePlain(comp.substr(1), opts.loose);
  if (!x) return std::string(comp);
  const std::string z = opts.include_prerelease ? "-0" : "";
  const std::string M = Str(x->major), m = Str(x->minor), p = Str(x->patch);
  if (IsX(x->major)) return "";
  if (IsX(x->minor)) return StrCat(">=", M, ".0.0", z, " <", Increment(M), ".0.0-0");
  if (IsX(x->patch)) {
    if (M == "0") return StrCat(">=", M, ".", m, ".0", z, " <", M, ".", Increment(m), ".0-0");
    return StrCat(">=", M, ".", m, ".0", z, " <", Increment(M), ".0.0-0");
  }
  const std::string low =
      StrCat(">=", M, ".", m, ".", p, x->prerelease ? StrCat("-", *x->prerelease) : "");
  if (M == "0" && m == "0") return StrCat(low, " <", M, ".", m, ".", Increment(p), "-0");
  if (M == "0") return StrCat(low, " <", M, ".", Increment(m), ".0-0");
  return StrCat(low, " <", Increment(M), ".0.0-0");
}

// replaceTilde: ~1.2.3 := >=1.2.3 <1.3.0-0, ~1 := >=1.0.0 <2.0.0-0; "~>" is the same as "~".
std::string ReplaceTilde(std::string_view comp, const Options& opts) {
  if (At(comp, 0) != '~') return std::string(comp);
  const size_t start = At(comp, 1) == '>' ? 2 : 1;
  const std::optional<XRangeMatch> x = internal::MatchXRangePlain(comp.substr(start), opts.loose);
  if (!x) return std::string(comp);
  const std::string z = opts.include_prerelease ? "-0" : "";
  const std::string M = Str(x->major), m = Str(x->minor), p = Str(x->patch);
  if (IsX(x->major)) return "";
  if (IsX(x->minor)) return StrCat(">=", M, ".0.0", z, " <", Increment(M), ".0.0-0");
  if (IsX(x->patch)) return StrCat(">=", M, ".", m, ".0", z, " <", M, ".", Increment(m), ".0-0");
  return StrCat(">=", M, ".", m, ".", p, x->prerelease ? StrCat("-", *x->prerelease) : "", " <", M,
                ".", Increment(m), ".0-0");
}

// replaceXRange: an operator and a partial version, e.g. ">1.2" := ">=1.3.0", "<=1.x" :=
// "<2.0.0-0", "1.2.x" := ">=1.2.0 <1.3.0-0", ">*" := "<0.0.0-0" (nothing).
std::string ReplaceXRange(std::string_view word, const Options& opts) {
  const std::string_view comp = Trim(word);
  size_t i = (At(comp, 0) == '<' || At(comp, 0) == '>') ? 1 : 0;
  if (At(comp, i) == '=') ++i;
  std::string gtlt(comp.substr(0, i));
  if (At(comp, i) == ' ') ++i;
  const std::optional<XRangeMatch> x = internal::MatchXRangePlain(comp.substr(i), opts.loose);
  if (!x) return std::string(comp);
  // invalidXRangeOrder: "x.1", "1.x.2" are left alone (and then rejected).
  if ((IsX(x->major) && !IsX(x->minor)) || (IsX(x->minor) && !IsX(x->patch))) {
    return std::string(comp);
  }
  const bool xM = IsX(x->major);
  const bool xm = xM || IsX(x->minor);
  const bool xp = xm || IsX(x->patch);
  if (gtlt == "=" && xp) gtlt = "";
  std::string pr = opts.include_prerelease ? "-0" : "";
  std::string M = Str(x->major), m = Str(x->minor), p = Str(x->patch);
  if (xM) return (gtlt == ">" || gtlt == "<") ? "<0.0.0-0" : "*";
  if (!gtlt.empty() && xp) {
    if (xm) m = "0";
    p = "0";
    if (gtlt == ">") {  // >1 := >=2.0.0, >1.2 := >=1.3.0
      gtlt = ">=";
      if (xm) {
        M = Increment(M);
      } else {
        m = Increment(m);
      }
    } else if (gtlt == "<=") {  // <=0.7.x := <0.8.0-0
      gtlt = "<";
      if (xm) {
        M = Increment(M);
      } else {
        m = Increment(m);
      }
    }
    if (gtlt == "<") pr = "-0";
    return StrCat(gtlt, M, ".", m, ".", p, pr);
  }
  if (xm) return StrCat(">=", M, ".0.0", pr, " <", Increment(M), ".0.0-0");
  if (xp) return StrCat(">=", M, ".", m, ".0", pr, " <", M, ".", Increment(m), ".0-0");
  return std::string(comp);
}

// replaceStars: the first `(<|>)?=?\s?\*` goes.
std::string RemoveStar(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    size_t j = i;
    if (s[j] == '<' || s[j] == '>') ++j;
    if (At(s, j) == '=') ++j;
    if (At(s, j) == ' ') ++j;
    if (At(s, j) == '*') return StrCat(s.substr(0, i), s.substr(j + 1));
  }
  return std::string(s);
}

// parseComparator: one space-separated word of the range, to comparator text.
std::string ExpandWord(std::string_view word, const Options& opts) {
  std::string comp = RemoveBuild(word, false, kMaxIdentifierChars);
  comp = MapWords(Trim(comp), [&](std::string_view w) { return ReplaceCaret(w, opts); });
  comp = MapWords(Trim(comp), [&](std::string_view w) { return ReplaceTilde(w, opts); });
  comp = MapWords(comp, [&](std::string_view w) { return ReplaceXRange(w, opts); });
  return RemoveStar(Trim(comp));
}

// GTLT (`((?:<|>)?=?)`): its end. Taking as much as possible is what the regex settles on, since
// the `[v=\s]*` after it could take a '=' but never a '<' or '>'.
size_t OperatorEnd(std::string_view comp) {
  size_t i = (At(comp, 0) == '<' || At(comp, 0) == '>') ? 1 : 0;
  if (At(comp, i) == '=') ++i;
  return i;
}

// COMPARATORLOOSE: `^GTLT\s?(LOOSEPLAIN)$|^$`.
bool IsLooseComparator(std::string_view comp) {
  if (comp.empty()) return true;
  size_t i = OperatorEnd(comp);
  if (At(comp, i) == ' ') ++i;
  return internal::MatchVersion(comp.substr(i), true).has_value();
}

}  // namespace

class RangeParser {
 public:
  using Comparator = Range::Comparator;

  // classes/comparator.js: "" is any version, else an operator and a version.
  static absl::StatusOr<Comparator> ParseComparator(std::string_view comp, bool loose) {
    Comparator c;
    if (comp.empty()) return c;
    size_t i = OperatorEnd(comp);
    const std::string_view op = comp.substr(0, i);
    if (At(comp, i) == ' ') ++i;
    absl::StatusOr<Version> v = semver::Parse(comp.substr(i), Options{.loose = loose});
    if (!v.ok()) return absl::InvalidArgumentError(StrCat("Invalid comparator: ", comp));
    c.version = *std::move(v);
    using Op = Comparator::Op;
    c.op = op == "<"    ? Op::kLt
           : op == "<=" ? Op::kLte
           : op == ">"  ? Op::kGt
           : op == ">=" ? Op::kGte
                        : Op::kEq;
    return c;
  }

  // parseRange: one `||`-separated part.
  static absl::StatusOr<std::vector<Comparator>> ParseSet(std::string_view text,
                                                          const Options& opts) {
    std::string range = RemoveBuild(text, true, std::string::npos);
    range = ReplaceHyphen(std::move(range), opts);
    range = TrimComparatorWhitespace(range);
    range = JoinLoneOperator(range, '~');
    range = JoinLoneOperator(range, '^');
    std::vector<std::string> expanded;
    for (std::string_view word : StrSplit(range, ' ')) {
      expanded.push_back(ExpandWord(word, opts));
    }
    std::vector<std::string> words = SplitWords(StrJoin(expanded, " "));
    for (std::string& w : words) {
      // replaceGTE0: ">=0.0.0" is any version (">=0.0.0-0" with include_prerelease).
      if (w == (opts.include_prerelease ? ">=0.0.0-0" : ">=0.0.0")) w.clear();
    }
    if (opts.loose) {
      // Loose mode drops what does not look like a comparator instead of failing.
      std::erase_if(words, [](const std::string& w) { return !IsLooseComparator(w); });
    }
    std::vector<Comparator> comparators;
    for (const std::string& w : words) {
      BULWARK_ASSIGN_OR_RETURN(Comparator c, ParseComparator(w, opts.loose));
      comparators.push_back(std::move(c));
    }
    // "<0.0.0-0" matches nothing, so the whole set is that; duplicates go, and so does "any"
    // when there is something else.
    std::vector<Comparator> set;
    std::set<std::string> seen;
    for (Comparator& c : comparators) {
      const std::string value = c.ToString();
      if (value == "<0.0.0-0") return std::vector<Comparator>{std::move(c)};
      if (seen.insert(value).second) set.push_back(std::move(c));
    }
    if (set.size() > 1) {
      std::erase_if(set, [](const Comparator& c) { return c.op == Comparator::Op::kAny; });
    }
    return set;
  }

  static absl::StatusOr<Range> Parse(std::string_view text, const Options& opts) {
    Range range;
    range.opts_ = opts;
    const std::string raw = CollapseSpace(text);
    for (size_t start = 0, end = 0; end != std::string::npos; start = end + 2) {
      end = raw.find("||", start);  // raw.split('||')
      const std::string_view part = std::string_view(raw).substr(start, end - start);
      BULWARK_ASSIGN_OR_RETURN(std::vector<Comparator> set, ParseSet(Trim(part), opts));
      if (!set.empty()) range.sets_.push_back(std::move(set));
    }
    if (range.sets_.empty()) {
      return absl::InvalidArgumentError(StrCat("Invalid SemVer Range: ", raw));
    }
    std::vector<std::vector<Comparator>>& sets = range.sets_;
    if (sets.size() > 1) {
      // Null sets go unless all are; then a set that is "any" alone is the whole range.
      std::vector<Comparator> first = sets[0];
      std::erase_if(sets, [](const auto& s) { return s[0].ToString() == "<0.0.0-0"; });
      if (sets.empty()) {
        sets.push_back(std::move(first));
      } else if (sets.size() > 1) {
        for (std::vector<Comparator>& s : sets) {
          if (s.size() == 1 && s[0].op == Comparator::Op::kAny) {
            std::vector<Comparator> any = std::move(s);
            sets = {std::move(any)};
            break;
          }
        }
      }
    }
    return range;
  }
};

absl::StatusOr<Range> Range::Parse(std::string_view text, Options opts) {
  return RangeParser::Parse(text, opts);
}

}  // namespace bulwark::semver
