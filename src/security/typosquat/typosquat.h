#pragma once
// Typosquatting engine: names and popularity in, matches out. Pure: no I/O, no clock; the
// popularity data and the protected names come in through Build().
//
// A candidate name (one being published, or audited) is compared with the protected names (the
// popular packages by downloads, plus names admins protect). Each check that fires is named in
// the match, so a person can see why a name was flagged.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"

namespace bulwark::typosquat {

// NOTE: persisted (in publish records and moderation items); do not renumber.
enum class Verdict { kClean = 0, kWarn = 1, kHold = 2, kBlock = 3 };
std::string_view VerdictName(Verdict v);  // "clean", "warn", "hold", "block"

struct PopularName {
  std::string name;
  uint64_t downloads = 0;      // Monthly downloads (0 for names protected by an admin).
  bool protected_by_admin = false;
};

struct Match {
  std::string target;          // The popular/protected name imitated.
  uint64_t target_downloads = 0;
  // Every check that relates candidate and target, e.g. "punctuation", "edit-distance-1",
  // "transposition", "repeated-character", "omitted-character", "separator",
  // "keyboard-adjacent", "confusable", "affix", "word-order", "version-suffix",
  // "scope-confusion". NOTE: persisted names; do not rename.
  std::vector<std::string> checks;
  double score = 0;            // 0..1; higher is more suspicious.
  Verdict verdict = Verdict::kClean;
};

struct Result {
  std::string name;
  Verdict verdict = Verdict::kClean;   // The worst verdict of the matches.
  std::vector<Match> matches;          // Most suspicious first.
};

struct Options {
  size_t top_n = 50000;            // Only the most downloaded names are protected by popularity.
  uint64_t min_target_downloads = 10000;
  double warn_score = 0.35;
  double hold_score = 0.6;
  double block_score = 0.8;
  // A candidate with at least this many monthly downloads (from Context or from the names given
  // to BuildIndex) is itself popular: it is not flagged for being near another popular name.
  uint64_t popular_candidate_downloads = 10000;
  // ...and only against targets it has at least this share of the downloads of.
  double popular_candidate_ratio = 0.001;
  // Two edits are considered only when the protected name has at least this many characters
  // (and at most two_edit_max_length: beyond that the delete index grows quadratically).
  size_t two_edit_min_length = 9;
  size_t two_edit_max_length = 20;
  size_t max_matches = 10;         // Per result, most suspicious first.
};

// What the caller knows about the candidate besides its name.
struct Context {
  uint64_t candidate_downloads = 0;
  // Packages the publishing user already maintains: a variant of one's own package is no squat.
  std::vector<std::string> owner_packages;
};

// Immutable once built: Check() is safe to call from many threads at once.
class Index {
 public:
  virtual ~Index() = default;
  virtual Result Check(std::string_view candidate, const Context& context = {}) const = 0;
  virtual size_t MemoryBytes() const = 0;
  virtual size_t size() const = 0;  // Protected names held.
};

absl::StatusOr<std::unique_ptr<Index>> BuildIndex(std::vector<PopularName> names,
                                                  const Options& options = {});

// Reads "name<TAB>downloads" lines (optionally gzip-compressed, and with or without a header
// line). InvalidArgument naming the line for malformed input.
absl::StatusOr<std::vector<PopularName>> ParsePopularityTsv(std::string_view bytes);

}  // namespace bulwark::typosquat
