#include "security/typosquat/typosquat.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "base/strings.h"
#include "security/typosquat/name_forms.h"
#include "security/typosquat/posting_map.h"

namespace bulwark::typosquat {
namespace {

using internal::PostingMap;
namespace in = internal;

// Names whose downloads are below this are not remembered as "known": they cannot exempt
// themselves as popular, and keeping 3.5 million of them would cost memory for nothing.
constexpr uint64_t kKnownDownloadsFloor = 1000;
// npm limits names to 214 characters (validate-npm-package-name); anything longer is no name.
constexpr size_t kMaxNameLength = 214;

// How suspicious each kind of change is on its own, before popularity and length. Ordered by
// how often each appears in reported incidents (tests/typosquat/squats.tsv) and how rarely it
// happens between two legitimate names: a dropped separator is what npm itself refuses, a
// swapped pair of letters is almost never a deliberate name.
constexpr double kWeight[in::kCheckCount] = {
    1.00,  // punctuation
    0.60,  // edit-distance-1
    0.45,  // edit-distance-2
    0.85,  // transposition
    0.80,  // repeated-character
    0.75,  // omitted-character
    0.70,  // separator
    0.75,  // keyboard-adjacent
    0.90,  // confusable
    0.60,  // affix
    0.70,  // word-order
    0.50,  // version-suffix
    0.00,  // scope-confusion: weighed per case (Hit::base).
};
constexpr uint32_t kEditFamily = in::kEditDistance1 | in::kEditDistance2 | in::kTransposition |
                                 in::kRepeatedCharacter | in::kOmittedCharacter |
                                 in::kSeparator | in::kKeyboardAdjacent | in::kConfusable;

// Scope confusion, by case.
constexpr double kScopeFlattened = 0.85;   // "types-node" for "@types/node".
constexpr double kScopeLookalike = 0.90;   // "@typescript_eslint/x" for "@typescript-eslint/x".
constexpr double kScopeNearby = 0.80;      // "@typescript_eslinter/x": an edit away.
// "@evil/lodash": a new scope re-registering a popular unscoped name. Weak on purpose: "@acme/
// config" and "@acme/utils" are everyday names, and a scope is visible in every import.
constexpr double kScopeReRegistered = 0.50;

// Very short names sit one edit from dozens of others ("ws", "wd", "wx", "vue", "vuex"): an
// edit in them says little (GuardDog's typosquatting rule has the same blind spot, issue #81).
double LengthFactor(size_t len) {
  if (len <= 3) return 0;
  if (len == 4) return 0.55;
  if (len == 5) return 0.75;
  if (len == 6) return 0.9;
  return 1;
}

struct Target {
  uint32_t offset = 0;     // Into arena_ (lower-case name).
  uint16_t length = 0;
  uint16_t bare = 0;       // Offset of the name after "@scope/" (0 if unscoped).
  uint64_t downloads = 0;
  bool admin = false;
};

struct Scope {
  std::string name;
  uint32_t top = 0;        // Its most downloaded protected package.
  uint64_t downloads = 0;
};

struct Hit {
  uint32_t id;
  uint32_t bits;
  double base;             // Scope-confusion weight, if any.
};

void AddHit(std::vector<Hit>* hits, uint32_t id, uint32_t bits, double base = 0) {
  for (Hit& h : *hits) {
    if (h.id == id) {
      h.bits |= bits;
      h.base = std::max(h.base, base);
      return;
    }
  }
  hits->push_back({id, bits, base});
}

// Calls f(variant) for `s` and every string obtained by deleting up to `depth` characters
// (SymSpell, Garbe 2012: matching deletions of both sides finds every pair within that edit
// distance without scanning the dictionary).
template <typename F>
void ForEachDeletion(std::string_view s, int depth, F&& f) {
  char buf[kMaxNameLength + 1];
  f(s);
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && s[i] == s[i - 1]) continue;  // Deleting either of a run gives the same string.
    size_t n = 0;
    for (size_t k = 0; k < s.size(); ++k) {
      if (k != i) buf[n++] = s[k];
    }
    std::string_view d1(buf, n);
    f(d1);
    if (depth < 2) continue;
    char buf2[kMaxNameLength + 1];
    for (size_t j = i; j < d1.size(); ++j) {
      if (j > i && d1[j] == d1[j - 1]) continue;
      size_t m = 0;
      for (size_t k = 0; k < d1.size(); ++k) {
        if (k != j) buf2[m++] = d1[k];
      }
      f(std::string_view(buf2, m));
    }
  }
}

class TyposquatIndex final : public Index {
 public:
  explicit TyposquatIndex(const Options& options) : options_(options) {}

  void Build(std::vector<PopularName>& names);

  Result Check(std::string_view candidate, const Context& context) const override;
  size_t MemoryBytes() const override;
  size_t size() const override { return targets_.size(); }

 private:
  std::string_view Name(uint32_t id) const {
    return std::string_view(arena_).substr(targets_[id].offset, targets_[id].length);
  }
  std::string_view Bare(uint32_t id) const { return Name(id).substr(targets_[id].bare); }
  bool Scoped(uint32_t id) const { return targets_[id].bare != 0; }
  int MaxDistance(size_t target_len, size_t candidate_len) const {
    return target_len >= options_.two_edit_min_length &&
                   target_len <= options_.two_edit_max_length &&
                   candidate_len + 2 >= options_.two_edit_min_length
               ? 2
               : 1;
  }
  int DeletionDepth(size_t len) const {
    return len + 2 >= options_.two_edit_min_length && len <= options_.two_edit_max_length + 2
               ? 2
               : 1;
  }
  uint64_t KnownDownloads(std::string_view lower) const {
    auto it = known_.find(in::HashBytes(lower));
    return it == known_.end() ? 0 : it->second;
  }
  void CheckScope(std::string_view scope, std::string_view bare, std::vector<Hit>* hits) const;
  Match Score(const Hit& hit, std::string_view lower, uint64_t candidate_downloads) const;

  Options options_;
  std::string arena_;
  std::vector<Target> targets_;
  absl::flat_hash_map<uint32_t, std::string> display_;  // Where the real name has capitals.
  absl::flat_hash_map<uint64_t, uint64_t> known_;       // hash(lower name) -> downloads.
  PostingMap exact_, punct_, folded_, squeezed_, deletes_, affix_, words_, flattened_;
  std::vector<Scope> scopes_;
  PostingMap scope_exact_, scope_punct_, scope_deletes_;
};

void TyposquatIndex::Build(std::vector<PopularName>& names) {
  // Protected: every admin name, then the most downloaded names.
  std::sort(names.begin(), names.end(), [](const PopularName& a, const PopularName& b) {
    if (a.protected_by_admin != b.protected_by_admin) return a.protected_by_admin;
    return a.downloads != b.downloads ? a.downloads > b.downloads : a.name < b.name;
  });
  size_t popular = 0;
  absl::flat_hash_map<std::string, uint32_t> scope_ids;
  for (const PopularName& p : names) {
    std::string lower = AsciiStrToLower(p.name);
    if (p.downloads >= kKnownDownloadsFloor || p.protected_by_admin) {
      uint64_t& d = known_[in::HashBytes(lower)];
      d = std::max(d, p.protected_by_admin ? UINT64_MAX : p.downloads);
    }
    if (!p.protected_by_admin) {
      if (popular >= options_.top_n || p.downloads < options_.min_target_downloads) continue;
      ++popular;
    }
    Target t;
    t.offset = static_cast<uint32_t>(arena_.size());
    t.length = static_cast<uint16_t>(lower.size());
    t.downloads = p.downloads;
    t.admin = p.protected_by_admin;
    std::string_view scope;
    if (lower[0] == '@') {
      size_t slash = lower.find('/');
      t.bare = static_cast<uint16_t>(slash + 1);
      scope = std::string_view(lower).substr(1, slash - 1);
    }
    uint32_t id = static_cast<uint32_t>(targets_.size());
    targets_.push_back(t);
    arena_.append(lower);
    if (lower != p.name) display_[id] = p.name;

    std::string_view bare = std::string_view(lower).substr(t.bare);
    std::string stripped = in::StripPunctuation(lower);
    exact_.Add(in::HashBytes(lower), id);
    punct_.Add(in::HashBytes(stripped), id);
    folded_.Add(in::HashBytes(in::FoldConfusables(stripped)), id);
    squeezed_.Add(in::HashBytes(in::Squeeze(stripped)), id);
    int depth = lower.size() >= options_.two_edit_min_length &&
                        lower.size() <= options_.two_edit_max_length
                    ? 2
                    : 1;
    ForEachDeletion(lower, depth, [&](std::string_view d) { deletes_.Add(in::HashBytes(d), id); });
    if (t.bare == 0) {
      for (const std::string& core : in::AffixCores(bare)) affix_.Add(in::HashBytes(core), id);
      std::string words = in::SortedWords(bare);
      if (!words.empty()) words_.Add(in::HashBytes(words), id);
    } else {
      flattened_.Add(in::HashBytes(in::StripPunctuation(StrCat(scope, bare))), id);
      auto [it, inserted] = scope_ids.emplace(std::string(scope), scopes_.size());
      if (inserted) scopes_.push_back({std::string(scope), id, t.downloads});
      // Names are sorted by downloads, so the first package seen is the scope's most popular.
    }
  }
  for (uint32_t s = 0; s < scopes_.size(); ++s) {
    const std::string& name = scopes_[s].name;
    scope_exact_.Add(in::HashBytes(name), s);
    std::string stripped = in::StripPunctuation(name);
    scope_punct_.Add(in::HashBytes(stripped), s);
    ForEachDeletion(stripped, stripped.size() >= options_.two_edit_min_length ? 2 : 1,
                    [&](std::string_view d) { scope_deletes_.Add(in::HashBytes(d), s); });
  }
  for (PostingMap* m : {&exact_, &punct_, &folded_, &squeezed_, &deletes_, &affix_, &words_,
                        &flattened_, &scope_exact_, &scope_punct_, &scope_deletes_}) {
    m->Finish();
  }
}

Result TyposquatIndex::Check(std::string_view candidate, const Context& context) const {
  Result result;
  result.name = std::string(candidate);
  std::string lower = AsciiStrToLower(StripAsciiWhitespace(candidate));
  if (lower.empty() || lower.size() > kMaxNameLength) return result;

  // A name that is itself popular is the package people mean, not an imitation of another;
  // see the per-target rule below.
  uint64_t candidate_downloads = std::max(context.candidate_downloads, KnownDownloads(lower));

  std::vector<Hit> hits;
  bool upper = lower != StripAsciiWhitespace(candidate);
  for (uint32_t id : exact_.Find(in::HashBytes(lower))) {
    if (Name(id) != lower) continue;
    // The protected name itself; with other capitals it is a look-alike ("JSONStream" legacy).
    if (!upper || (display_.contains(id) && display_.at(id) == candidate)) return result;
    AddHit(&hits, id, in::kConfusable);
  }

  std::string_view scope, bare = lower;
  if (lower[0] == '@') {
    size_t slash = lower.find('/');
    if (slash == std::string::npos || slash < 2) return result;  // Not a name.
    scope = std::string_view(lower).substr(1, slash - 1);
    bare = std::string_view(lower).substr(slash + 1);
    // Only members of a scope publish in it, so a name in an established scope is its owner's.
    if (!scope_exact_.Find(in::HashBytes(scope)).empty()) return result;
  }

  // npm's own rule: names equal once `.`, `-` and `_` are removed collide.
  std::string stripped = in::StripPunctuation(lower);
  for (uint32_t id : punct_.Find(in::HashBytes(stripped))) {
    if (Name(id) != lower) AddHit(&hits, id, in::kPunctuation | in::kSeparator);
  }
  for (uint32_t id : folded_.Find(in::HashBytes(in::FoldConfusables(stripped)))) {
    if (in::StripPunctuation(Name(id)) != stripped) AddHit(&hits, id, in::kConfusable);
  }
  for (uint32_t id : squeezed_.Find(in::HashBytes(in::Squeeze(stripped)))) {
    std::string other = in::StripPunctuation(Name(id));
    if (other == stripped) continue;
    AddHit(&hits, id,
           other.size() < stripped.size() ? in::kRepeatedCharacter : in::kOmittedCharacter);
  }

  // Edits: gather the ids sharing a deletion, then measure each once.
  std::vector<uint32_t> near;
  ForEachDeletion(lower, DeletionDepth(lower.size()), [&](std::string_view d) {
    for (uint32_t id : deletes_.Find(in::HashBytes(d))) near.push_back(id);
  });
  std::sort(near.begin(), near.end());
  near.erase(std::unique(near.begin(), near.end()), near.end());
  for (uint32_t id : near) {
    std::string_view t = Name(id);
    if (t == lower) continue;
    uint32_t bits = in::ClassifyEdit(lower, t, MaxDistance(t.size(), lower.size()));
    if (bits != 0) AddHit(&hits, id, bits);
  }

  if (scope.empty()) {
    for (const std::string& core : in::AffixCores(bare)) {  // "jquery.js", "nodesass"
      for (uint32_t id : punct_.Find(in::HashBytes(core))) AddHit(&hits, id, in::kAffix);
    }
    for (uint32_t id : affix_.Find(in::HashBytes(stripped))) {  // "babel" for "babel-cli"
      AddHit(&hits, id, in::kAffix);
    }
    std::string version = in::StripVersionSuffix(bare);  // "lodash4", "react-2"
    if (!version.empty()) {
      for (uint32_t id : punct_.Find(in::HashBytes(in::StripPunctuation(version)))) {
        AddHit(&hits, id, in::kVersionSuffix);
      }
    }
    std::string words = in::SortedWords(bare);  // "dom-react"
    if (!words.empty()) {
      for (uint32_t id : words_.Find(in::HashBytes(words))) {
        if (in::StripPunctuation(Name(id)) != stripped) AddHit(&hits, id, in::kWordOrder);
      }
    }
    for (uint32_t id : flattened_.Find(in::HashBytes(stripped))) {  // "types-node"
      AddHit(&hits, id, in::kScopeConfusion, kScopeFlattened);
    }
  } else {
    CheckScope(scope, bare, &hits);
  }

  for (const Hit& hit : hits) {
    std::string_view target = Name(hit.id);
    bool own = std::any_of(context.owner_packages.begin(), context.owner_packages.end(),
                           [&](const std::string& p) { return EqualsIgnoreCase(p, target); });
    if (own) continue;  // A variant of one's own package ("foo" publishing "foo-cli").
    if (candidate_downloads >= options_.popular_candidate_downloads &&
        static_cast<double>(candidate_downloads) >=
            options_.popular_candidate_ratio * static_cast<double>(targets_[hit.id].downloads)) {
      // Popular in its own right next to this target (preact beside react). A name with a
      // sliver of its look-alike's downloads still lives off typos: npm's placeholder for the
      // 2017 squat "crossenv" gets 10k downloads a month beside cross-env's 60M.
      continue;
    }
    Match m = Score(hit, lower, candidate_downloads);
    if (m.verdict != Verdict::kClean) result.matches.push_back(std::move(m));
  }
  std::sort(result.matches.begin(), result.matches.end(), [](const Match& a, const Match& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.target_downloads != b.target_downloads) return a.target_downloads > b.target_downloads;
    return a.target < b.target;
  });
  if (result.matches.size() > options_.max_matches) result.matches.resize(options_.max_matches);
  if (!result.matches.empty()) result.verdict = result.matches.front().verdict;
  return result;
}

void TyposquatIndex::CheckScope(std::string_view scope, std::string_view bare,
                                std::vector<Hit>* hits) const {
  // "@cross/env" for "cross-env", "@babel/cli" (from a stranger) for "babel-cli".
  for (uint32_t id : punct_.Find(in::HashBytes(in::StripPunctuation(StrCat(scope, bare))))) {
    if (!Scoped(id)) AddHit(hits, id, in::kScopeConfusion, kScopeFlattened);
  }
  // "@types-node/index" for "@types/node": the target's scope and name folded into a scope.
  for (uint32_t id : flattened_.Find(in::HashBytes(in::StripPunctuation(scope)))) {
    AddHit(hits, id, in::kScopeConfusion, kScopeFlattened);
  }
  // "@evil/lodash": the popular unscoped name under a new scope. "@types/x" mirrors "x" by
  // design (DefinitelyTyped), and @types is an established scope, so it never gets here.
  for (uint32_t id : exact_.Find(in::HashBytes(bare))) {
    if (!Scoped(id) && Name(id) == bare) {
      AddHit(hits, id, in::kScopeConfusion, kScopeReRegistered);
    }
  }
  // A scope that imitates an established one: "@typescript_eslinter/eslint" (Socket, 2024).
  auto hit_scope = [&](uint32_t s, double base) {
    const Scope& sc = scopes_[s];
    uint32_t target = sc.top;
    for (uint32_t id : exact_.Find(in::HashBytes(StrCat("@", sc.name, "/", bare)))) target = id;
    AddHit(hits, target, in::kScopeConfusion, base * LengthFactor(sc.name.size()));
  };
  std::string scope_stripped = in::StripPunctuation(scope);
  for (uint32_t s : scope_punct_.Find(in::HashBytes(scope_stripped))) {
    hit_scope(s, kScopeLookalike);
  }
  // Scopes compare without punctuation: "typescript_eslinter" is two letters from
  // "typescript-eslint", not three.
  std::vector<uint32_t> near;
  int depth = scope_stripped.size() + 2 >= options_.two_edit_min_length ? 2 : 1;
  ForEachDeletion(scope_stripped, depth, [&](std::string_view d) {
    for (uint32_t s : scope_deletes_.Find(in::HashBytes(d))) near.push_back(s);
  });
  std::sort(near.begin(), near.end());
  near.erase(std::unique(near.begin(), near.end()), near.end());
  for (uint32_t s : near) {
    std::string other = in::StripPunctuation(scopes_[s].name);
    int max_distance = other.size() >= options_.two_edit_min_length ? 2 : 1;
    if (in::ClassifyEdit(scope_stripped, other, max_distance) != 0) hit_scope(s, kScopeNearby);
  }
}

Match TyposquatIndex::Score(const Hit& hit, std::string_view lower,
                            uint64_t candidate_downloads) const {
  const Target& t = targets_[hit.id];
  Match m;
  m.target = display_.contains(hit.id) ? display_.at(hit.id) : std::string(Name(hit.id));
  m.target_downloads = t.downloads;
  for (int b = 0; b < in::kCheckCount; ++b) {
    if (hit.bits & (1u << b)) m.checks.emplace_back(in::CheckName(b));
  }
  if (hit.bits & in::kPunctuation) {
    m.score = 1;  // npm refuses these outright; so do we, whatever the popularity.
  } else {
    // The shorter of the two names sets how much an edit says.
    size_t bare_len = lower[0] == '@' ? lower.size() - lower.find('/') - 1 : lower.size();
    size_t len = std::min(Bare(hit.id).size(), bare_len);
    double edit = 0, other = hit.base;
    for (int b = 0; b < in::kCheckCount; ++b) {
      if (!(hit.bits & (1u << b))) continue;
      if ((1u << b) & kEditFamily) {
        edit = std::max(edit, kWeight[b]);
      } else {
        other = std::max(other, kWeight[b]);
      }
    }
    double base = std::max(edit * LengthFactor(len), other);
    // Popularity: 10k downloads a month counts 0, 100M counts 1; an admin's name counts 1.
    double pop = t.admin ? 1
                         : std::clamp((std::log10(static_cast<double>(t.downloads) + 1) - 4) / 4,
                                      0.0, 1.0);
    // A candidate with a following of its own is less likely to live off a typo.
    double own = candidate_downloads <= 1
                     ? 0
                     : std::clamp(std::log10(static_cast<double>(candidate_downloads)) /
                                      std::log10(static_cast<double>(
                                          std::max<uint64_t>(options_.popular_candidate_downloads,
                                                             10))),
                                  0.0, 1.0);
    m.score = base * (0.6 + 0.4 * pop) * (1 - 0.5 * own);
  }
  m.verdict = m.score >= options_.block_score  ? Verdict::kBlock
              : m.score >= options_.hold_score ? Verdict::kHold
              : m.score >= options_.warn_score ? Verdict::kWarn
                                               : Verdict::kClean;
  return m;
}

size_t TyposquatIndex::MemoryBytes() const {
  size_t bytes = sizeof(*this) + arena_.capacity() + targets_.capacity() * sizeof(Target) +
                 known_.capacity() * (sizeof(std::pair<const uint64_t, uint64_t>) + 1);
  for (const auto& [id, name] : display_) bytes += sizeof(id) + sizeof(name) + name.capacity();
  for (const Scope& s : scopes_) bytes += sizeof(s) + s.name.capacity();
  for (const PostingMap* m : {&exact_, &punct_, &folded_, &squeezed_, &deletes_, &affix_,
                              &words_, &flattened_, &scope_exact_, &scope_punct_,
                              &scope_deletes_}) {
    bytes += m->MemoryBytes();
  }
  return bytes;
}

}  // namespace

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kClean:
      return "clean";
    case Verdict::kWarn:
      return "warn";
    case Verdict::kHold:
      return "hold";
    case Verdict::kBlock:
      return "block";
  }
  return "clean";
}

absl::StatusOr<std::unique_ptr<Index>> BuildIndex(std::vector<PopularName> names,
                                                  const Options& options) {
  // Merge duplicates (names differing only in case are one name to npm) and refuse what cannot
  // be a package name, so the index never holds an entry no candidate could match.
  absl::flat_hash_map<std::string, size_t> seen;
  std::vector<PopularName> unique;
  unique.reserve(names.size());
  for (PopularName& p : names) {
    std::string_view name = StripAsciiWhitespace(p.name);
    if (name.empty() || name.size() > kMaxNameLength) {
      return absl::InvalidArgumentError(
          StrCat("typosquat: invalid package name \"", name.substr(0, 64), "\""));
    }
    if (name[0] == '@') {
      size_t slash = name.find('/');
      if (slash == std::string_view::npos || slash < 2 || slash + 1 == name.size()) {
        return absl::InvalidArgumentError(
            StrCat("typosquat: invalid scoped package name \"", name, "\""));
      }
    }
    auto [it, inserted] = seen.emplace(AsciiStrToLower(name), unique.size());
    if (inserted) {
      unique.push_back({std::string(name), p.downloads, p.protected_by_admin});
    } else {
      PopularName& u = unique[it->second];
      u.downloads = std::max(u.downloads, p.downloads);
      u.protected_by_admin = u.protected_by_admin || p.protected_by_admin;
    }
  }
  auto index = std::make_unique<TyposquatIndex>(options);
  index->Build(unique);
  return index;
}

}  // namespace bulwark::typosquat
