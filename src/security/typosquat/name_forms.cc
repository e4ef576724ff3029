#include "security/typosquat/name_forms.h"

#include <algorithm>
#include <array>
#include <cstdlib>

namespace bulwark::typosquat::internal {
namespace {

// The longest name npm accepts (validate-npm-package-name). Longer inputs are compared as
// unequal rather than given a bigger buffer: no real name gets there.
constexpr size_t kMaxNameLength = 255;

constexpr std::string_view kCheckNames[kCheckCount] = {
    "punctuation",       "edit-distance-1",   "edit-distance-2", "transposition",
    "repeated-character", "omitted-character", "separator",       "keyboard-adjacent",
    "confusable",        "affix",             "word-order",      "version-suffix",
    "scope-confusion",
};

using CharTable = std::array<std::array<bool, 128>, 128>;

CharTable MakeKeyboardTable() {
  // QWERTY, each row shifted half a key right of the one above, so key (r, c) touches
  // (r, c±1), (r+1, c-1) and (r+1, c).
  constexpr std::string_view kRows[] = {"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"};
  CharTable t{};
  auto link = [&t](char a, char b) {
    t[static_cast<unsigned char>(a)][static_cast<unsigned char>(b)] = true;
    t[static_cast<unsigned char>(b)][static_cast<unsigned char>(a)] = true;
  };
  for (size_t r = 0; r < 4; ++r) {
    for (size_t c = 0; c < kRows[r].size(); ++c) {
      if (c + 1 < kRows[r].size()) link(kRows[r][c], kRows[r][c + 1]);
      if (r + 1 < 4) {
        if (c >= 1 && c - 1 < kRows[r + 1].size()) link(kRows[r][c], kRows[r + 1][c - 1]);
        if (c < kRows[r + 1].size()) link(kRows[r][c], kRows[r + 1][c]);
      }
    }
  }
  return t;
}

CharTable MakeConfusableTable() {
  // Single characters that look alike in common fonts (Unicode TR39 confusables, restricted to
  // what npm allows in a name).
  CharTable t{};
  auto link = [&t](char a, char b) {
    t[static_cast<unsigned char>(a)][static_cast<unsigned char>(b)] = true;
    t[static_cast<unsigned char>(b)][static_cast<unsigned char>(a)] = true;
  };
  link('l', '1');
  link('l', 'i');
  link('i', '1');
  link('o', '0');
  return t;
}

bool Lookup(const CharTable& t, char a, char b) {
  auto ua = static_cast<unsigned char>(a), ub = static_cast<unsigned char>(b);
  return ua < 128 && ub < 128 && t[ua][ub];
}

// Remainders of `s` after removing one affix. `glued` is set when no separator sat between
// affix and core: then the core must be longer, since "nodemon" is not "node" + "mon".
struct Stripped {
  std::string_view core;
  bool glued;
};

void StripOnce(std::string_view s, std::vector<Stripped>* out) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && IsSeparator(v.front())) v.remove_prefix(1);
    while (!v.empty() && IsSeparator(v.back())) v.remove_suffix(1);
    return v;
  };
  constexpr std::string_view kPrefixes[] = {"node"};
  constexpr std::string_view kSuffixes[] = {"js", "node", "cli", "api", "npm"};
  for (std::string_view p : kPrefixes) {
    if (s.size() > p.size() && s.substr(0, p.size()) == p) {
      bool glued = !IsSeparator(s[p.size()]);
      out->push_back({trim(s.substr(p.size())), glued});
    }
  }
  for (std::string_view x : kSuffixes) {
    if (s.size() > x.size() && s.substr(s.size() - x.size()) == x) {
      bool glued = !IsSeparator(s[s.size() - x.size() - 1]);
      out->push_back({trim(s.substr(0, s.size() - x.size())), glued});
    }
  }
  // Plural "s" (never after another "s": "express" is not the plural of "expres").
  if (s.size() > 2 && s.back() == 's' && s[s.size() - 2] != 's') {
    out->push_back({s.substr(0, s.size() - 1), true});
  }
}

}  // namespace

std::string_view CheckName(int bit) {
  return bit >= 0 && bit < kCheckCount ? kCheckNames[bit] : std::string_view("unknown");
}

uint64_t HashBytes(std::string_view s) {
  // FNV-1a, then MurmurHash3's fmix64 finaliser so that the low bits used by the hash table are
  // well mixed.
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

std::string StripPunctuation(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (!IsSeparator(c)) out.push_back(c);
  }
  return out;
}

std::string FoldConfusables(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    char next = i + 1 < s.size() ? s[i + 1] : '\0';
    if (c == 'r' && next == 'n') {
      out.push_back('m');
      ++i;
    } else if (c == 'v' && next == 'v') {
      out.push_back('w');
      ++i;
    } else if (c == 'c' && next == 'l') {
      out.push_back('d');
      ++i;
    } else if (c == '1' || c == 'i') {
      out.push_back('l');
    } else if (c == '0') {
      out.push_back('o');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Squeeze(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (out.empty() || out.back() != c) out.push_back(c);
  }
  return out;
}

std::string SortedWords(std::string_view bare) {
  std::vector<std::string_view> words;
  size_t start = 0;
  for (size_t i = 0; i <= bare.size(); ++i) {
    if (i == bare.size() || IsSeparator(bare[i])) {
      if (i > start) words.push_back(bare.substr(start, i - start));
      start = i + 1;
    }
  }
  if (words.size() < 2) return "";
  std::sort(words.begin(), words.end());
  std::string out;
  for (std::string_view w : words) {
    if (!out.empty()) out.push_back('-');
    out.append(w);
  }
  return out;
}

std::vector<std::string> AffixCores(std::string_view bare) {
  // A separated affix may leave a short core ("d3.js" imitates "d3"); a glued one must leave
  // kMinAffixCore characters.
  std::vector<Stripped> first, second;
  StripOnce(bare, &first);
  for (const Stripped& s : first) {
    std::vector<Stripped> more;
    StripOnce(s.core, &more);
    for (Stripped m : more) {
      m.glued = m.glued || s.glued;
      second.push_back(m);
    }
  }
  std::vector<std::string> out;
  for (const auto* list : {&first, &second}) {
    for (const Stripped& s : *list) {
      std::string core = StripPunctuation(s.core);
      if (core.size() < (s.glued ? kMinAffixCore : 2)) continue;
      if (std::find(out.begin(), out.end(), core) == out.end()) out.push_back(std::move(core));
    }
  }
  return out;
}

std::string StripVersionSuffix(std::string_view bare) {
  std::string_view s = bare;
  bool digit = false;
  while (!s.empty() && ((s.back() >= '0' && s.back() <= '9') || s.back() == '.')) {
    digit = digit || s.back() != '.';
    s.remove_suffix(1);
  }
  if (!digit) return "";
  if (s.size() >= 2 && s.back() == 'v' && IsSeparator(s[s.size() - 2])) s.remove_suffix(1);
  while (!s.empty() && IsSeparator(s.back())) s.remove_suffix(1);
  if (s.size() < 2) return "";
  return std::string(s);
}

bool KeyboardAdjacent(char a, char b) {
  static const CharTable table = MakeKeyboardTable();
  return Lookup(table, a, b);
}

bool ConfusablePair(char a, char b) {
  static const CharTable table = MakeConfusableTable();
  return Lookup(table, a, b);
}

int BoundedOsaDistance(std::string_view a, std::string_view b, int max_distance) {
  const int n = static_cast<int>(a.size()), m = static_cast<int>(b.size());
  if (std::abs(n - m) > max_distance) return max_distance + 1;
  if (a.size() > kMaxNameLength || b.size() > kMaxNameLength) return max_distance + 1;
  std::array<int, kMaxNameLength + 1> prev2{}, prev{}, cur{};
  for (int j = 0; j <= m; ++j) prev[j] = j;
  for (int i = 1; i <= n; ++i) {
    cur[0] = i;
    int row_min = cur[0];
    for (int j = 1; j <= m; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      int v = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        v = std::min(v, prev2[j - 2] + 1);
      }
      cur[j] = v;
      row_min = std::min(row_min, v);
    }
    if (row_min > max_distance) return max_distance + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return std::min(prev[m], max_distance + 1);
}

uint32_t ClassifyEdit(std::string_view c, std::string_view t, int max_distance) {
  if (c == t) return 0;
  int d = BoundedOsaDistance(c, t, max_distance);
  if (d > max_distance) return 0;
  if (d == 2) return kEditDistance2;
  size_t i = 0;
  while (i < c.size() && i < t.size() && c[i] == t[i]) ++i;
  uint32_t bits = kEditDistance1;
  if (c.size() == t.size()) {
    if (i + 1 < c.size() && c[i] == t[i + 1] && c[i + 1] == t[i] &&
        c.substr(i + 2) == t.substr(i + 2)) {
      return kTransposition;  // "lodahs", "electorn": the classic fast-typing slip.
    }
    char a = c[i], b = t[i];
    if (IsSeparator(a) && IsSeparator(b)) bits |= kSeparator;
    if (KeyboardAdjacent(a, b)) bits |= kKeyboardAdjacent;
    if (ConfusablePair(a, b)) bits |= kConfusable;
  } else if (c.size() > t.size()) {
    char x = c[i];
    char before = i > 0 ? c[i - 1] : '\0';
    char after = i + 1 < c.size() ? c[i + 1] : '\0';
    if (IsSeparator(x)) {
      bits |= kSeparator;
    } else if (x == before || x == after) {
      bits |= kRepeatedCharacter;
    } else if (KeyboardAdjacent(x, before) || KeyboardAdjacent(x, after)) {
      bits |= kKeyboardAdjacent;
    }
  } else {
    bits |= IsSeparator(t[i]) ? kSeparator : kOmittedCharacter;
  }
  return bits;
}

}  // namespace bulwark::typosquat::internal
