#include "base/package_name.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>

namespace bulwark {
namespace {

// validate-npm-package-name 8.0.0 (lib/index.js) is the specification; comments quote the JS
// each check mirrors. That package runs on JS strings (UTF-16), we on bytes: the bytes are
// read as UTF-8 the way a registry decoding a request body reads them (WHATWG "decode": each
// maximal invalid subsequence becomes one U+FFFD), so no input is rejected for its encoding and
// a name never contains a lone surrogate (on which encodeURIComponent would throw).

// `if (name.length > 214)`: JS length, i.e. UTF-16 code units, not bytes nor code points.
constexpr size_t kMaxNameUtf16Units = 214;

constexpr char32_t kReplacementChar = 0xFFFD;
constexpr char32_t kKelvinSign = 0x212A;

// `exclusionList`: names that would collide with paths every Node project or web server has.
constexpr std::array<std::string_view, 2> kExcludedNames = {"node_modules", "favicon.ico"};

// The package's lib/builtin-modules.json, copied verbatim. It is a fixture the package
// generated with `require('node:module').builtinModules` on a Node newer than 20 (Node 20
// lacks the four "node:" entries); the package reads this file, not the running Node.
// clang-format off
constexpr std::array<std::string_view, 72> kBuiltinModules = {
    "_http_agent", "_http_client", "_http_common", "_http_incoming", "_http_outgoing",
    "_http_server", "_stream_duplex", "_stream_passthrough", "_stream_readable",
    "_stream_transform", "_stream_wrap", "_stream_writable", "_tls_common", "_tls_wrap", "assert",
    "assert/strict", "async_hooks", "buffer", "child_process", "cluster", "console", "constants",
    "crypto", "dgram", "diagnostics_channel", "dns", "dns/promises", "domain", "events", "fs",
    "fs/promises", "http", "http2", "https", "inspector", "inspector/promises", "module", "net",
    "os", "path", "path/posix", "path/win32", "perf_hooks", "process", "punycode",
    "querystring", "readline", "readline/promises", "repl", "stream", "stream/consumers",
    "stream/promises", "stream/web", "string_decoder", "sys", "timers", "timers/promises", "tls",
    "trace_events", "tty", "url", "util", "util/types", "v8", "vm", "wasi", "worker_threads",
    "zlib", "node:sea", "node:sqlite", "node:test", "node:test/reporters",
};
// clang-format on

// Code points c with String.fromCodePoint(c).toLowerCase() !== c, as runs first..last stepping
// by `stride` (upper/lower pairs alternate in many blocks). A string changes under toLowerCase
// exactly when one of its code points does, whatever the context (final sigma only picks which
// lower form). Regenerate with `node tests/differential/names.mjs --print-tables`.
struct CaseRun {
  char32_t first;
  char32_t last;
  uint8_t stride;
};
// clang-format off
// Generated from Node v20.20.2, ICU 78.2, Unicode 17.0
constexpr CaseRun kLowerCaseChanges[] = {
    {0x0041, 0x005A, 1}, {0x00C0, 0x00D6, 1}, {0x00D8, 0x00DE, 1}, {0x0100, 0x0136, 2},
    {0x0139, 0x0147, 2}, {0x014A, 0x0178, 2}, {0x0179, 0x017D, 2}, {0x0181, 0x0182, 1},
    {0x0184, 0x0186, 2}, {0x0187, 0x0189, 2}, {0x018A, 0x018B, 1}, {0x018E, 0x0191, 1},
    {0x0193, 0x0194, 1}, {0x0196, 0x0198, 1}, {0x019C, 0x019D, 1}, {0x019F, 0x01A0, 1},
    {0x01A2, 0x01A6, 2}, {0x01A7, 0x01A9, 2}, {0x01AC, 0x01AE, 2}, {0x01AF, 0x01B1, 2},
    {0x01B2, 0x01B3, 1}, {0x01B5, 0x01B7, 2}, {0x01B8, 0x01B8, 1}, {0x01BC, 0x01BC, 1},
    {0x01C4, 0x01C5, 1}, {0x01C7, 0x01C8, 1}, {0x01CA, 0x01CB, 1}, {0x01CD, 0x01DB, 2},
    {0x01DE, 0x01EE, 2}, {0x01F1, 0x01F2, 1}, {0x01F4, 0x01F6, 2}, {0x01F7, 0x01F8, 1},
    {0x01FA, 0x0232, 2}, {0x023A, 0x023B, 1}, {0x023D, 0x023E, 1}, {0x0241, 0x0243, 2},
    {0x0244, 0x0246, 1}, {0x0248, 0x024E, 2}, {0x0370, 0x0372, 2}, {0x0376, 0x0376, 1},
    {0x037F, 0x037F, 1}, {0x0386, 0x0388, 2}, {0x0389, 0x038A, 1}, {0x038C, 0x038E, 2},
    {0x038F, 0x0391, 2}, {0x0392, 0x03A1, 1}, {0x03A3, 0x03AB, 1}, {0x03CF, 0x03CF, 1},
    {0x03D8, 0x03EE, 2}, {0x03F4, 0x03F4, 1}, {0x03F7, 0x03F9, 2}, {0x03FA, 0x03FA, 1},
    {0x03FD, 0x042F, 1}, {0x0460, 0x0480, 2}, {0x048A, 0x04C0, 2}, {0x04C1, 0x04CD, 2},
    {0x04D0, 0x052E, 2}, {0x0531, 0x0556, 1}, {0x10A0, 0x10C5, 1}, {0x10C7, 0x10C7, 1},
    {0x10CD, 0x10CD, 1}, {0x13A0, 0x13F5, 1}, {0x1C89, 0x1C89, 1}, {0x1C90, 0x1CBA, 1},
    {0x1CBD, 0x1CBF, 1}, {0x1E00, 0x1E94, 2}, {0x1E9E, 0x1EFE, 2}, {0x1F08, 0x1F0F, 1},
    {0x1F18, 0x1F1D, 1}, {0x1F28, 0x1F2F, 1}, {0x1F38, 0x1F3F, 1}, {0x1F48, 0x1F4D, 1},
    {0x1F59, 0x1F5F, 2}, {0x1F68, 0x1F6F, 1}, {0x1F88, 0x1F8F, 1}, {0x1F98, 0x1F9F, 1},
    {0x1FA8, 0x1FAF, 1}, {0x1FB8, 0x1FBC, 1}, {0x1FC8, 0x1FCC, 1}, {0x1FD8, 0x1FDB, 1},
    {0x1FE8, 0x1FEC, 1}, {0x1FF8, 0x1FFC, 1}, {0x2126, 0x2126, 1}, {0x212A, 0x212B, 1},
    {0x2132, 0x2132, 1}, {0x2160, 0x216F, 1}, {0x2183, 0x2183, 1}, {0x24B6, 0x24CF, 1},
    {0x2C00, 0x2C2F, 1}, {0x2C60, 0x2C62, 2}, {0x2C63, 0x2C64, 1}, {0x2C67, 0x2C6D, 2},
    {0x2C6E, 0x2C70, 1}, {0x2C72, 0x2C72, 1}, {0x2C75, 0x2C75, 1}, {0x2C7E, 0x2C80, 1},
    {0x2C82, 0x2CE2, 2}, {0x2CEB, 0x2CED, 2}, {0x2CF2, 0x2CF2, 1}, {0xA640, 0xA66C, 2},
    {0xA680, 0xA69A, 2}, {0xA722, 0xA72E, 2}, {0xA732, 0xA76E, 2}, {0xA779, 0xA77D, 2},
    {0xA77E, 0xA786, 2}, {0xA78B, 0xA78D, 2}, {0xA790, 0xA792, 2}, {0xA796, 0xA7AA, 2},
    {0xA7AB, 0xA7AE, 1}, {0xA7B0, 0xA7B4, 1}, {0xA7B6, 0xA7C4, 2}, {0xA7C5, 0xA7C7, 1},
    {0xA7C9, 0xA7CB, 2}, {0xA7CC, 0xA7DC, 2}, {0xA7F5, 0xA7F5, 1}, {0xFF21, 0xFF3A, 1},
    {0x10400, 0x10427, 1}, {0x104B0, 0x104D3, 1}, {0x10570, 0x1057A, 1}, {0x1057C, 0x1058A, 1},
    {0x1058C, 0x10592, 1}, {0x10594, 0x10595, 1}, {0x10C80, 0x10CB2, 1}, {0x10D50, 0x10D65, 1},
    {0x118A0, 0x118BF, 1}, {0x16E40, 0x16E5F, 1}, {0x16EA0, 0x16EB8, 1}, {0x1E900, 0x1E921, 1},
};
// String.prototype.trim's set: WhiteSpace and LineTerminator of ECMA-262.
constexpr char32_t kJsWhitespace[] = {
    0x0009, 0x000A, 0x000B, 0x000C, 0x000D, 0x0020, 0x00A0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
    0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    0xFEFF,
};
// clang-format on

bool LowerCaseChanges(char32_t c) {
  const auto* it = std::upper_bound(std::begin(kLowerCaseChanges), std::end(kLowerCaseChanges), c,
                                    [](char32_t v, const CaseRun& r) { return v < r.first; });
  if (it == std::begin(kLowerCaseChanges)) return false;
  --it;
  return c <= it->last && (c - it->first) % it->stride == 0;
}

bool IsJsWhitespace(char32_t c) {
  return std::find(std::begin(kJsWhitespace), std::end(kJsWhitespace), c) !=
         std::end(kJsWhitespace);
}

// Decodes the code point at s[*i] and advances *i, per the WHATWG Encoding Standard's UTF-8
// decoder: an invalid byte yields U+FFFD and is consumed; a sequence cut short yields U+FFFD
// and the byte that cut it is left to start the next code point.
char32_t NextCodePoint(std::string_view s, size_t* i) {
  const uint8_t lead = static_cast<uint8_t>(s[(*i)++]);
  if (lead < 0x80) return lead;
  int needed = 0;
  char32_t cp = 0;
  uint8_t lower = 0x80;
  uint8_t upper = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    needed = 1;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    needed = 2;
    cp = lead & 0x0F;
    if (lead == 0xE0) lower = 0xA0;  // Overlong.
    if (lead == 0xED) upper = 0x9F;  // Surrogates.
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    needed = 3;
    cp = lead & 0x07;
    if (lead == 0xF0) lower = 0x90;  // Overlong.
    if (lead == 0xF4) upper = 0x8F;  // Past U+10FFFF.
  } else {
    return kReplacementChar;
  }
  for (int k = 0; k < needed; ++k) {
    if (*i >= s.size()) return kReplacementChar;
    const uint8_t b = static_cast<uint8_t>(s[*i]);
    if (b < lower || b > upper) return kReplacementChar;
    lower = 0x80;
    upper = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
    ++*i;
  }
  return cp;
}

// What the checks need to know of the name as a JS string, found in one pass.
struct Scan {
  size_t utf16_units = 0;
  bool has_capital = false;      // name.toLowerCase() !== name
  bool space_at_an_end = false;  // name.trim() !== name
  // name.toLowerCase() when that is ASCII (only A-Z and the Kelvin sign lower-case into ASCII;
  // U+0130 becomes "i\u0307"), else nullopt: it then equals no excluded or builtin name.
  std::optional<std::string> ascii_lower;
};

Scan ScanName(std::string_view name) {
  Scan scan;
  std::string lower;
  bool lower_is_ascii = true;
  char32_t cp = 0;
  for (size_t i = 0; i < name.size();) {
    cp = NextCodePoint(name, &i);
    if (scan.utf16_units == 0) scan.space_at_an_end = IsJsWhitespace(cp);
    scan.utf16_units += cp > 0xFFFF ? 2 : 1;
    if (LowerCaseChanges(cp)) scan.has_capital = true;
    if (cp < 0x80) {
      lower.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp));
    } else if (cp == kKelvinSign) {
      lower.push_back('k');
    } else {
      lower_is_ascii = false;
    }
  }
  if (!name.empty() && IsJsWhitespace(cp)) scan.space_at_an_end = true;
  if (lower_is_ascii) scan.ascii_lower = std::move(lower);
  return scan;
}

// encodeURIComponent(s) === s: every code unit is one encodeURIComponent leaves alone, which
// are all ASCII, so a byte test is exact (any non-ASCII byte decodes to a non-ASCII unit).
bool IsUrlSafe(std::string_view s) {
  for (char ch : s) {
    const bool unreserved = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                            (ch >= '0' && ch <= '9') ||
                            std::string_view("-_.!~*'()").find(ch) != std::string_view::npos;
    if (!unreserved) return false;
  }
  return true;
}

// name.match(/^(?:@([^/]+?)[/])?([^/]+?)$/): `user` is absent when the optional group did not
// take part (then JS compares encodeURIComponent(undefined), "undefined", with undefined).
struct ScopedMatch {
  std::optional<std::string_view> user;
  std::string_view pkg;
};

std::optional<ScopedMatch> MatchScopedPattern(std::string_view name) {
  const size_t slash = name.find('/');
  if (slash == std::string_view::npos) {
    if (name.empty()) return std::nullopt;
    return ScopedMatch{std::nullopt, name};
  }
  if (name[0] != '@' || slash == 1 || slash + 1 == name.size() ||
      name.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return ScopedMatch{name.substr(1, slash - 1), name.substr(slash + 1)};
}

}  // namespace

NameValidation ValidatePackageName(std::string_view name) {
  NameValidation result;
  std::vector<std::string>& errors = result.errors;
  std::vector<std::string>& warnings = result.warnings;

  if (name.empty()) errors.push_back("name length must be greater than zero");
  if (name.starts_with('.')) errors.push_back("name cannot start with a period");
  if (name.starts_with('-')) errors.push_back("name cannot start with a hyphen");
  if (name.starts_with('_')) errors.push_back("name cannot start with an underscore");

  const Scan scan = ScanName(name);
  if (scan.space_at_an_end) errors.push_back("name cannot contain leading or trailing spaces");

  if (scan.ascii_lower) {
    for (std::string_view excluded : kExcludedNames) {
      if (*scan.ascii_lower == excluded) {
        errors.push_back(std::string(excluded) + " is not a valid package name");
      }
    }
  }

  // Warnings: things older packages were allowed to do.
  if (scan.ascii_lower && std::find(kBuiltinModules.begin(), kBuiltinModules.end(),
                                    *scan.ascii_lower) != kBuiltinModules.end()) {
    // Lower-casing to ASCII means the name is ASCII plus Kelvin signs, so valid UTF-8 as is.
    warnings.push_back(std::string(name) + " is a core module name");
  }
  if (scan.utf16_units > kMaxNameUtf16Units) {
    warnings.push_back("name can no longer contain more than 214 characters");
  }
  if (scan.has_capital) warnings.push_back("name can no longer contain capital letters");
  // name.split('/').slice(-1)[0]: only the part after the last slash.
  const size_t last_slash = name.rfind('/');
  const std::string_view last_part =
      last_slash == std::string_view::npos ? name : name.substr(last_slash + 1);
  if (last_part.find_first_of("~'!()*") != std::string_view::npos) {
    warnings.push_back("name can no longer contain special characters (\"~'!()*\")");
  }

  if (!IsUrlSafe(name)) {
    // "@" and "/" are not URL-safe, so a scoped name lands here and passes if its parts do.
    // The period check repeats here on purpose: JS does it again on the unscoped part, so an
    // unscoped ".x y" reports the period twice.
    bool scoped_ok = false;
    if (std::optional<ScopedMatch> match = MatchScopedPattern(name)) {
      if (match->pkg.starts_with('.')) errors.push_back("name cannot start with a period");
      scoped_ok = match->user && IsUrlSafe(*match->user) && IsUrlSafe(match->pkg);
    }
    if (!scoped_ok) errors.push_back("name can only contain URL-friendly characters");
  }

  result.valid_for_old_packages = errors.empty();
  result.valid_for_new_packages = errors.empty() && warnings.empty();
  return result;
}

std::optional<PackageName> SplitPackageName(std::string_view name) {
  if (name.empty()) return std::nullopt;
  const size_t slash = name.find('/');
  if (name[0] != '@') {
    if (slash != std::string_view::npos) return std::nullopt;
    return PackageName{"", std::string(name)};
  }
  if (slash == std::string_view::npos || slash == 1 || slash + 1 == name.size() ||
      name.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return PackageName{std::string(name.substr(0, slash)), std::string(name.substr(slash + 1))};
}

}  // namespace bulwark
