#pragma once
// The advisory model (the OSV schema, https://ossf.github.io/osv-schema/) and the pure logic
// over it: parsing OSV JSON and the older npm / Node Security WG format into it, deciding
// whether an npm version is affected (the OSV evaluation algorithm over node-semver ordering),
// and turning the affected ranges into the `vulnerable_versions` range npm's audit expects.
// No I/O: callers hand in bytes.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "base/json.h"
#include "base/semver.h"
#include "bulwark/base/status.h"

namespace bulwark::advisories {

// npm's severity words (@npmcli/arborist/lib/vuln.js), lowest first; npm says "moderate" where
// CVSS says "medium". NOTE: persisted; do not renumber.
enum class Severity { kInfo = 0, kLow = 1, kModerate = 2, kHigh = 3, kCritical = 4 };
std::string_view SeverityName(Severity s);
// "low", "moderate"/"medium", "high", "critical", "info"/"none" (any case); nullopt otherwise.
std::optional<Severity> ParseSeverity(std::string_view s);

struct SeverityEntry {
  std::string type;   // "CVSS_V3", "CVSS_V4", ...
  std::string score;  // The vector string.
};

struct Event {
  // Ties between events of one version sort in this order (see CompileRange).
  enum class Kind { kIntroduced = 0, kFixed = 1, kLastAffected = 2, kLimit = 3 };
  Kind kind = Kind::kIntroduced;
  std::string version;  // As given; "0" for introduced means "since the first version".
};

struct AffectedRange {
  std::string type;  // "SEMVER" or "ECOSYSTEM" (evaluated with npm ordering); "GIT" is ignored.
  std::vector<Event> events;
  json::object raw;  // The range as read (repo, database_specific, ...), kept when stored.
};

struct Affected {
  std::string ecosystem;  // "npm" for what this registry answers; others are kept, not matched.
  std::string package;
  std::vector<AffectedRange> ranges;
  std::vector<std::string> versions;  // Explicitly affected versions.
  json::object database_specific;
  std::vector<SeverityEntry> severity;  // Per-package severity (then the advisory has none).
  json::object raw;  // The entry as read (purl, ecosystem_specific, ...), kept when stored.
};

struct Reference {
  std::string type;  // "ADVISORY", "WEB", "FIX", ...
  std::string url;
};

struct Advisory {
  std::string id;
  std::vector<std::string> aliases;
  std::string summary;
  std::string details;
  std::vector<SeverityEntry> severity;
  std::vector<Reference> references;
  std::vector<Affected> affected;
  std::optional<absl::Time> published;
  absl::Time modified = absl::UnixEpoch();
  std::optional<absl::Time> withdrawn;
  json::object database_specific;  // cwe_ids, severity (GHSA), the npm-format extras.
  // The document as read: fields the model does not name (related, credits, ...) are stored
  // as they came, so an import loses nothing.
  json::object raw;

  bool IsMalware() const;
  std::vector<std::string> CweIds() const;  // database_specific.cwe_ids, e.g. "CWE-79".
};

// The level and, when a CVSS v3.x vector is present, its base score and vector.
struct Rating {
  Severity level = Severity::kHigh;
  std::optional<double> score;
  std::string vector;  // The CVSS vector the score came from (v3 preferred, else v4), or "".
};
// Malware (MAL- ids) is critical; else database_specific.severity (as GHSA sets it), else the
// CVSS v3 base score's level, else high — the level npm itself assumes when none is given.
Rating Rate(const Advisory& a);

// One OSV document. InvalidArgument naming the field when it is not OSV (no id, no modified,
// an event that is not a version, ...).
absl::StatusOr<Advisory> ParseOsv(const json::value& doc);
absl::StatusOr<Advisory> ParseOsvText(std::string_view text);
json::value ToOsvJson(const Advisory& a);

// One line of the npm / Node Security WG export (module_name, vulnerable_versions, ...). A line
// may also be an object of such advisories keyed by id; both give advisories with id
// "NSWG-ECO-<id>". The vulnerable range is kept as given in
// affected[0].database_specific.vulnerable_versions and converted into SEMVER events (one range
// per comparator set) with the same meaning under npm's ordering (prereleases included).
absl::StatusOr<std::vector<Advisory>> ParseNpmAdvisoryLine(std::string_view line);

// Converts a node-semver range (loose, prereleases included, as npm audit reads it) into OSV
// ranges with the same meaning. InvalidArgument when the range does not parse.
absl::StatusOr<std::vector<AffectedRange>> RangeToOsv(std::string_view range);

// A span of versions: from `lo` (inclusive; nullopt: from the least version) to `hi`
// (nullopt: without end).
struct Interval {
  std::optional<semver::Version> lo;
  std::optional<semver::Version> hi;
  bool hi_inclusive = false;
};

// One SEMVER/ECOSYSTEM range with its versions parsed and its events sorted, as the OSV
// evaluation algorithm walks them.
struct CompiledRange {
  struct SortedEvent {
    Event::Kind kind = Event::Kind::kIntroduced;
    bool zero = false;  // introduced "0": before every version.
    semver::Version version;
  };
  std::vector<SortedEvent>
      events;  // By version, "0" first; ties: introduced, fixed, last_affected.
  bool has_limit = false;
  bool infinite_limit = false;          // A limit "*".
  std::vector<semver::Version> limits;  // The others.

  // The OSV algorithm: BeforeLimits, then the walk over the sorted events.
  bool Affects(const semver::Version& v) const;
  // The affected versions as disjoint intervals, in order (the walk's step function).
  std::vector<Interval> Intervals() const;
};
CompiledRange CompileRange(const AffectedRange& r);

// What an advisory says about one npm package, compiled once (the bulk endpoint keeps these in
// memory): its ranges and its explicitly listed versions.
struct CompiledAffected {
  CompiledAffected() = default;
  CompiledAffected(const Advisory& a, std::string_view package);

  std::vector<CompiledRange> ranges;
  std::vector<semver::Version> versions;

  // OSV's IsVulnerable for this package: a listed version, or inside a range.
  bool Affects(const semver::Version& v) const;
  std::vector<Interval> Intervals() const;
  // npm's vulnerable_versions: ">=1.0.0 <1.2.3 || >=2.0.0 <=2.1.0 || 3.0.0-beta.1";
  // "<0.0.0-0" (matches nothing) when nothing is affected.
  std::string VulnerableRange() const;
  // The complement, as npm v6 / pnpm's patched_versions: ">=1.2.3 <2.0.0 || >2.1.0"; "<0.0.0"
  // (pnpm's "no fix") when every version is affected.
  std::string PatchedRange() const;
};

// Whether `version` of `package` (an npm package) is affected: the OSV evaluation algorithm per
// range or listed in `versions`. Withdrawn advisories affect nothing.
bool IsAffected(const Advisory& a, std::string_view package, const semver::Version& version);

// The `vulnerable_versions` / `patched_versions` ranges for `package` (CompiledAffected).
std::string VulnerableRange(const Advisory& a, std::string_view package);
std::string PatchedRange(const Advisory& a, std::string_view package);

// The npm package names the advisory is about (ecosystem "npm").
std::vector<std::string> NpmPackages(const Advisory& a);

// The web page of the advisory: its ADVISORY reference, else a GHSA or OSV link.
std::string AdvisoryUrl(const Advisory& a);

// RFC 3339 timestamps as OSV uses them.
std::optional<absl::Time> ParseTimestamp(std::string_view s);
std::string FormatTimestamp(absl::Time t);

}  // namespace bulwark::advisories
