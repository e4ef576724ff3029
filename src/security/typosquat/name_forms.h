#pragma once
// Normal forms of package names used as hash keys by the typosquat index, and the classification
// of a one- or two-edit difference. Internal to the engine; exposed for its tests and benchmark.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::typosquat::internal {

// NOTE: bit positions are internal; the persisted form is the name from CheckName().
enum Check : uint32_t {
  kPunctuation = 1u << 0,
  kEditDistance1 = 1u << 1,
  kEditDistance2 = 1u << 2,
  kTransposition = 1u << 3,
  kRepeatedCharacter = 1u << 4,
  kOmittedCharacter = 1u << 5,
  kSeparator = 1u << 6,
  kKeyboardAdjacent = 1u << 7,
  kConfusable = 1u << 8,
  kAffix = 1u << 9,
  kWordOrder = 1u << 10,
  kVersionSuffix = 1u << 11,
  kScopeConfusion = 1u << 12,
};
inline constexpr int kCheckCount = 13;
// Names of the checks, in bit order ("punctuation", "edit-distance-1", ...).
std::string_view CheckName(int bit);

inline bool IsSeparator(char c) { return c == '-' || c == '.' || c == '_'; }

uint64_t HashBytes(std::string_view s);

// npm's collision rule: the name without `.`, `-` and `_` (npm blog, "New Package Moniker
// Rules", Dec 2017). The scope's `@` and `/` stay.
std::string StripPunctuation(std::string_view name);

// Folds characters that render alike in a terminal or a README font onto one representative:
// `1`/`i`/`l` -> `l`, `0` -> `o`, `rn` -> `m`, `vv` -> `w`, `cl` -> `d`. Expects a stripped name.
std::string FoldConfusables(std::string_view stripped);

// Collapses runs of one character ("expresss" -> "expres"), so that any number of repeated or
// omitted letters compares equal. Expects a stripped name.
std::string Squeeze(std::string_view stripped);

// The words of an unscoped name (split at separators) sorted and joined with '-'; empty when the
// name has fewer than two words. "dom-react" and "react.dom" both give "dom-react".
std::string SortedWords(std::string_view bare);

// Cores of `bare` after removing one or two common affixes (`node-`, `js`, `.js`, `-js`,
// `-node`, `-cli`, `-api`, `-npm`, plural `s`), each core stripped of punctuation. Cores shorter
// than kMinAffixCore are dropped: "nodemon" must not protect "mon".
inline constexpr size_t kMinAffixCore = 4;
std::vector<std::string> AffixCores(std::string_view bare);

// `bare` without trailing version digits ("lodash4", "react-2", "vue-v3"); empty if none.
std::string StripVersionSuffix(std::string_view bare);

// True if `a` and `b` are neighbours on a QWERTY keyboard (fat-finger typos; Moore & Edelman,
// "Measuring the perpetrators and funders of typosquatting", use the same adjacency).
bool KeyboardAdjacent(char a, char b);
bool ConfusablePair(char a, char b);

// The checks relating candidate `c` to target `t` when their optimal-string-alignment distance
// is at most `max_distance` (1 or 2); 0 otherwise. Never reports kPunctuation.
uint32_t ClassifyEdit(std::string_view c, std::string_view t, int max_distance);

// Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring),
// or max_distance + 1 once it is known to exceed max_distance.
int BoundedOsaDistance(std::string_view a, std::string_view b, int max_distance);

}  // namespace bulwark::typosquat::internal
