// The OSV model and its evaluation. Sources: the OSV schema
// (https://ossf.github.io/osv-schema/, "Evaluation" for the affected-version algorithm) and
// npm's own reading of vulnerable_versions (@npmcli/metavuln-calculator: semver with
// {loose: true, includePrerelease: true}), which is why prereleases follow plain semver order
// here, as they do in OSV.

#include "security/advisories/advisory.h"

#include <algorithm>
#include <set>

#include "base/strings.h"
#include "security/advisories/cvss.h"

namespace bulwark::advisories {
namespace {

constexpr semver::Options kNpmAudit{.loose = true, .include_prerelease = true};

std::string Str(const json::object& o, std::string_view key) {
  auto s = GetString(o, key);
  return s ? std::string(*s) : std::string();
}

std::vector<std::string> Strings(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const json::array* a = GetArray(o, key)) {
    for (const auto& e : *a) {
      if (e.is_string()) out.emplace_back(e.get_string());
    }
  }
  return out;
}

json::array StringArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

absl::StatusOr<semver::Version> ParseEventVersion(std::string_view v) {
  auto parsed = semver::Parse(v, kNpmAudit);
  if (!parsed.ok()) return absl::InvalidArgumentError(StrCat("not a semver version: \"", v, "\""));
  return parsed;
}

bool Evaluated(const AffectedRange& r) { return r.type == "SEMVER" || r.type == "ECOSYSTEM"; }

// A limit "containing *" is infinity (OSV "Special values").
bool IsInfiniteLimit(std::string_view v) { return v.find('*') != std::string_view::npos; }

}  // namespace

CompiledRange CompileRange(const AffectedRange& r) {
  CompiledRange c;
  for (const Event& e : r.events) {
    if (e.kind == Event::Kind::kLimit) {
      c.has_limit = true;
      if (IsInfiniteLimit(e.version)) {
        c.infinite_limit = true;
      } else if (auto v = semver::Parse(e.version, kNpmAudit); v.ok()) {
        c.limits.push_back(std::move(*v));
      }
      continue;
    }
    CompiledRange::SortedEvent s;
    s.kind = e.kind;
    if (e.kind == Event::Kind::kIntroduced && e.version == "0") {
      s.zero = true;
    } else {
      auto v = semver::Parse(e.version, kNpmAudit);
      if (!v.ok()) continue;  // Refused at parse time; stored data is not trusted to crash us.
      s.version = std::move(*v);
    }
    c.events.push_back(std::move(s));
  }
  // Events in evaluation order: by version, "0" first, ties in Kind order (introduced, fixed,
  // last_affected). With that tie order, Intervals and the evaluation loop agree on every
  // version (a version both fixed and last_affected is not affected, as the loop says).
  std::stable_sort(c.events.begin(), c.events.end(),
                   [](const CompiledRange::SortedEvent& a, const CompiledRange::SortedEvent& b) {
                     if (a.zero != b.zero) return a.zero;
                     if (!a.zero) {
                       int cmp = semver::Compare(a.version, b.version);
                       if (cmp != 0) return cmp < 0;
                     }
                     return static_cast<int>(a.kind) < static_cast<int>(b.kind);
                   });
  return c;
}

// The OSV evaluation algorithm (schema "Evaluation": IncludedInRanges and BeforeLimits),
// verbatim: a range applies below any of its limits (all versions when it has none, or one is
// "*"), and its sorted events are walked: introduced makes the version vulnerable from there,
// fixed ends that at itself, last_affected after itself.
bool CompiledRange::Affects(const semver::Version& v) const {
  if (has_limit && !infinite_limit) {
    bool before = false;
    for (const semver::Version& l : limits) before = before || semver::Compare(v, l) < 0;
    if (!before) return false;
  }
  bool vulnerable = false;
  for (const SortedEvent& e : events) {
    switch (e.kind) {
      case Event::Kind::kIntroduced:
        if (e.zero || semver::Compare(v, e.version) >= 0) vulnerable = true;
        break;
      case Event::Kind::kFixed:
        if (semver::Compare(v, e.version) >= 0) vulnerable = false;
        break;
      case Event::Kind::kLastAffected:
        if (semver::Compare(v, e.version) > 0) vulnerable = false;
        break;
      case Event::Kind::kLimit:
        break;
    }
  }
  return vulnerable;
}

// The same step function as Affects, as intervals: introduced opens [X (or from the least
// version for "0"), fixed closes X), last_affected closes X]; events that do not change the
// state are skipped, exactly as they change nothing in the loop. The limits then cut every
// interval below the greatest limit.
std::vector<Interval> CompiledRange::Intervals() const {
  std::vector<Interval> out;
  bool open = false;
  std::optional<semver::Version> lo;
  auto close = [&](bool incl, const semver::Version& hi) {
    open = false;
    if (lo && !incl && semver::Compare(*lo, hi) >= 0) return;  // Empty.
    out.push_back(Interval{lo, hi, incl});
  };
  for (const SortedEvent& e : events) {
    switch (e.kind) {
      case Event::Kind::kIntroduced:
        if (!open) {
          open = true;
          lo = e.zero ? std::nullopt : std::optional<semver::Version>(e.version);
        }
        break;
      case Event::Kind::kFixed:
        if (open) close(false, e.version);
        break;
      case Event::Kind::kLastAffected:
        if (open) close(true, e.version);
        break;
      case Event::Kind::kLimit:
        break;
    }
  }
  if (open) out.push_back(Interval{lo, std::nullopt, false});
  if (!has_limit || infinite_limit) return out;
  if (limits.empty()) return {};  // Only unparseable limits: BeforeLimits is never true.
  const semver::Version* top = &limits[0];
  for (const semver::Version& l : limits) {
    if (semver::Compare(l, *top) > 0) top = &l;
  }
  std::vector<Interval> cut;
  for (Interval& i : out) {
    if (!i.hi || semver::Compare(*i.hi, *top) > 0 ||
        (semver::Compare(*i.hi, *top) == 0 && i.hi_inclusive)) {
      i.hi = *top;
      i.hi_inclusive = false;
    }
    if (i.lo) {
      const int c = semver::Compare(*i.lo, *i.hi);
      if (c > 0 || (c == 0 && !i.hi_inclusive)) continue;  // Empty once cut.
    }
    cut.push_back(std::move(i));
  }
  return cut;
}

namespace {

std::string FormatInterval(const Interval& i) {
  if (!i.lo && !i.hi) return "*";
  if (i.lo && i.hi && i.hi_inclusive && semver::Compare(*i.lo, *i.hi) == 0) {
    return i.lo->ToString();
  }
  std::string lo = i.lo ? StrCat(">=", i.lo->ToString()) : std::string();
  if (!i.hi) return lo;
  std::string hi = StrCat(i.hi_inclusive ? "<=" : "<", i.hi->ToString());
  return lo.empty() ? hi : StrCat(lo, " ", hi);
}

// The version right after `v` in semver order, so that ">v" can be written as the inclusive
// "introduced" OSV has: 1.2.3 -> 1.2.4-0 (nothing sorts between them), 1.2.3-a -> 1.2.3-a.0.
semver::Version Successor(semver::Version v) {
  if (v.prerelease.empty()) {
    v.patch += 1;
  }
  v.prerelease.emplace_back(uint64_t{0});
  v.build.clear();
  return v;
}

absl::StatusOr<absl::Time> RequiredTime(const json::object& o, std::string_view key) {
  auto s = GetString(o, key);
  if (!s) return absl::InvalidArgumentError(StrCat("OSV advisory has no \"", key, "\""));
  auto t = ParseTimestamp(*s);
  if (!t) return absl::InvalidArgumentError(StrCat("\"", key, "\" is not an RFC 3339 time"));
  return *t;
}

std::optional<absl::Time> OptionalTime(const json::object& o, std::string_view key) {
  auto s = GetString(o, key);
  if (!s) return std::nullopt;
  return ParseTimestamp(*s);
}

absl::StatusOr<Affected> ParseAffected(const json::object& o) {
  Affected aff;
  if (const json::object* pkg = GetObject(o, "package")) {
    aff.ecosystem = Str(*pkg, "ecosystem");
    aff.package = Str(*pkg, "name");
  }
  aff.versions = Strings(o, "versions");
  if (const json::object* ds = GetObject(o, "database_specific")) aff.database_specific = *ds;
  if (const json::array* sev = GetArray(o, "severity")) {
    for (const auto& e : *sev) {
      if (e.is_object()) {
        aff.severity.push_back({Str(e.get_object(), "type"), Str(e.get_object(), "score")});
      }
    }
  }
  aff.raw = o;
  const bool npm = aff.ecosystem == "npm";
  if (npm && aff.package.empty()) return absl::InvalidArgumentError("affected package has no name");
  if (const json::array* ranges = GetArray(o, "ranges")) {
    for (const auto& rv : *ranges) {
      if (!rv.is_object()) return absl::InvalidArgumentError("a range is not an object");
      AffectedRange r;
      r.type = Str(rv.get_object(), "type");
      r.raw = rv.get_object();
      if (const json::array* events = GetArray(rv.get_object(), "events")) {
        for (const auto& ev : *events) {
          if (!ev.is_object() || ev.get_object().size() != 1) {
            return absl::InvalidArgumentError("an event must be an object with one key");
          }
          const auto& [key, val] = *ev.get_object().begin();
          Event e;
          if (key == "introduced") {
            e.kind = Event::Kind::kIntroduced;
          } else if (key == "fixed") {
            e.kind = Event::Kind::kFixed;
          } else if (key == "last_affected") {
            e.kind = Event::Kind::kLastAffected;
          } else if (key == "limit") {
            e.kind = Event::Kind::kLimit;
          } else {
            return absl::InvalidArgumentError(StrCat("unknown event \"", std::string(key), "\""));
          }
          if (!val.is_string()) return absl::InvalidArgumentError("an event version not a string");
          e.version = std::string(val.get_string());
          if (npm && Evaluated(r) && !(e.kind == Event::Kind::kIntroduced && e.version == "0") &&
              !(e.kind == Event::Kind::kLimit && IsInfiniteLimit(e.version))) {
            BULWARK_RETURN_IF_ERROR(ParseEventVersion(e.version).status());
          }
          r.events.push_back(std::move(e));
        }
      }
      aff.ranges.push_back(std::move(r));
    }
  }
  return aff;
}

}  // namespace

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kLow:
      return "low";
    case Severity::kModerate:
      return "moderate";
    case Severity::kHigh:
      return "high";
    case Severity::kCritical:
      return "critical";
  }
  return "high";
}

std::optional<Severity> ParseSeverity(std::string_view s) {
  std::string l = AsciiStrToLower(s);
  if (l == "info" || l == "none") return Severity::kInfo;
  if (l == "low") return Severity::kLow;
  if (l == "moderate" || l == "medium") return Severity::kModerate;
  if (l == "high") return Severity::kHigh;
  if (l == "critical") return Severity::kCritical;
  return std::nullopt;
}

bool Advisory::IsMalware() const { return StartsWith(id, "MAL-"); }

std::vector<std::string> Advisory::CweIds() const { return Strings(database_specific, "cwe_ids"); }

Rating Rate(const Advisory& a) {
  Rating r;
  // OSV puts severity either on the advisory or on each affected package, never both.
  std::vector<SeverityEntry> all = a.severity;
  if (all.empty()) {
    for (const Affected& aff : a.affected)
      all.insert(all.end(), aff.severity.begin(), aff.severity.end());
  }
  for (const SeverityEntry& s : all) {
    if (s.type != "CVSS_V3") continue;
    auto score = CvssV3BaseScore(s.score);
    if (!score.ok()) continue;
    r.score = *score;
    r.vector = s.score;
    break;
  }
  // A v3 score is preferred when both exist: it is what npm, GHSA and most tools show, so
  // levels stay comparable; a v4-only advisory is scored with the v4.0 method.
  if (r.vector.empty()) {
    for (const SeverityEntry& s : all) {
      if (s.type != "CVSS_V4") continue;
      auto score = CvssV4Score(s.score);
      if (!score.ok()) {
        if (r.vector.empty()) r.vector = s.score;  // Kept for display even when unscorable.
        continue;
      }
      r.score = *score;
      r.vector = s.score;
      break;
    }
  }
  if (!r.score) {
    // The npm export carries the score next to the vector; trust it when the vector failed.
    auto it = a.database_specific.find("cvss_score");
    if (it != a.database_specific.end() && it->value().is_number()) {
      r.score = it->value().to_number<double>();
    }
  }
  std::optional<Severity> level;
  if (auto s = GetString(a.database_specific, "severity")) level = ParseSeverity(*s);
  if (!level && r.score) level = ParseSeverity(CvssLevel(*r.score));
  r.level = level.value_or(Severity::kHigh);
  if (a.IsMalware()) r.level = Severity::kCritical;  // Any installed version is a compromise.
  return r;
}

absl::StatusOr<Advisory> ParseOsv(const json::value& doc) {
  if (!doc.is_object()) return absl::InvalidArgumentError("an OSV advisory is a JSON object");
  const json::object& o = doc.get_object();
  Advisory a;
  a.id = Str(o, "id");
  if (a.id.empty()) return absl::InvalidArgumentError("OSV advisory has no \"id\"");
  BULWARK_ASSIGN_OR_RETURN(a.modified, RequiredTime(o, "modified"));
  a.published = OptionalTime(o, "published");
  a.withdrawn = OptionalTime(o, "withdrawn");
  a.aliases = Strings(o, "aliases");
  a.summary = Str(o, "summary");
  a.details = Str(o, "details");
  if (const json::array* sev = GetArray(o, "severity")) {
    for (const auto& s : *sev) {
      if (!s.is_object()) continue;
      a.severity.push_back({Str(s.get_object(), "type"), Str(s.get_object(), "score")});
    }
  }
  if (const json::array* refs = GetArray(o, "references")) {
    for (const auto& r : *refs) {
      if (!r.is_object()) continue;
      a.references.push_back({Str(r.get_object(), "type"), Str(r.get_object(), "url")});
    }
  }
  if (const json::array* affected = GetArray(o, "affected")) {
    for (const auto& av : *affected) {
      if (!av.is_object()) return absl::InvalidArgumentError("an affected entry is not an object");
      auto aff = ParseAffected(av.get_object());
      if (!aff.ok()) {
        return absl::InvalidArgumentError(StrCat(a.id, ": ", aff.status().message()));
      }
      a.affected.push_back(std::move(*aff));
    }
  }
  if (const json::object* ds = GetObject(o, "database_specific")) a.database_specific = *ds;
  a.raw = o;
  return a;
}

absl::StatusOr<Advisory> ParseOsvText(std::string_view text) {
  BULWARK_ASSIGN_OR_RETURN(json::value v, ParseJson(text));
  return ParseOsv(v);
}

namespace {

// Sets `key` to `v`, or removes it when `keep` is false (a field the model has cleared).
template <typename T>
void SetOrErase(json::object& o, std::string_view key, bool keep, T&& v) {
  if (keep) {
    o[key] = std::forward<T>(v);
  } else {
    o.erase(key);
  }
}

json::array SeverityArray(const std::vector<SeverityEntry>& list) {
  json::array sev;
  for (const auto& s : list) sev.push_back(json::object{{"type", s.type}, {"score", s.score}});
  return sev;
}

}  // namespace

json::value ToOsvJson(const Advisory& a) {
  // What the model names is written from the model; the rest of the document as it was read.
  json::object o = a.raw;
  if (!o.contains("schema_version")) o["schema_version"] = "1.6.0";
  o["id"] = a.id;
  o["modified"] = FormatTimestamp(a.modified);
  SetOrErase(o, "published", a.published.has_value(),
             a.published ? FormatTimestamp(*a.published) : std::string());
  SetOrErase(o, "withdrawn", a.withdrawn.has_value(),
             a.withdrawn ? FormatTimestamp(*a.withdrawn) : std::string());
  SetOrErase(o, "aliases", !a.aliases.empty(), StringArray(a.aliases));
  SetOrErase(o, "summary", !a.summary.empty(), a.summary);
  SetOrErase(o, "details", !a.details.empty(), a.details);
  SetOrErase(o, "severity", !a.severity.empty(), SeverityArray(a.severity));
  json::array affected;
  for (const Affected& aff : a.affected) {
    json::object ao = aff.raw;
    json::object pkg;
    if (const json::object* p = GetObject(aff.raw, "package")) pkg = *p;
    pkg["ecosystem"] = aff.ecosystem;
    pkg["name"] = aff.package;
    ao["package"] = std::move(pkg);
    json::array ranges;
    for (const AffectedRange& r : aff.ranges) {
      json::array events;
      for (const Event& e : r.events) {
        static constexpr std::string_view kNames[] = {"introduced", "fixed", "last_affected",
                                                      "limit"};
        events.push_back(json::object{{kNames[static_cast<int>(e.kind)], e.version}});
      }
      json::object ro = r.raw;
      ro["type"] = r.type;
      ro["events"] = std::move(events);
      ranges.push_back(std::move(ro));
    }
    SetOrErase(ao, "ranges", !ranges.empty(), std::move(ranges));
    SetOrErase(ao, "versions", !aff.versions.empty(), StringArray(aff.versions));
    SetOrErase(ao, "severity", !aff.severity.empty(), SeverityArray(aff.severity));
    SetOrErase(ao, "database_specific", !aff.database_specific.empty(), aff.database_specific);
    affected.push_back(std::move(ao));
  }
  o["affected"] = std::move(affected);
  json::array refs;
  for (const auto& r : a.references) refs.push_back(json::object{{"type", r.type}, {"url", r.url}});
  SetOrErase(o, "references", !refs.empty(), std::move(refs));
  SetOrErase(o, "database_specific", !a.database_specific.empty(), a.database_specific);
  return o;
}

absl::StatusOr<std::vector<AffectedRange>> RangeToOsv(std::string_view range) {
  auto parsed = semver::Range::Parse(range, kNpmAudit);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(StrCat("not a semver range: \"", range, "\""));
  }
  std::vector<AffectedRange> out;
  // The normalised form lists comparator sets ("||") of comparators (" "), each an operator
  // and a canonical version, or "" for any version.
  const std::string norm = parsed->ToString();
  for (size_t start = 0, end = 0; end != std::string::npos; start = end + 2) {
    end = norm.find("||", start);
    std::string_view set = std::string_view(norm).substr(start, end - start);
    std::optional<semver::Version> lo, hi;
    bool lo_incl = true, hi_incl = true;
    for (std::string_view c : StrSplit(set, ' ', SkipEmpty())) {
      std::string_view op;
      for (std::string_view candidate : {">=", "<=", ">", "<", "="}) {
        if (StartsWith(c, candidate)) {
          op = candidate;
          break;
        }
      }
      auto v = semver::Parse(c.substr(op.size()), kNpmAudit);
      if (!v.ok()) return absl::InvalidArgumentError(StrCat("bad comparator \"", c, "\""));
      const bool lower = op == ">=" || op == ">" || op.empty() || op == "=";
      const bool upper = op == "<=" || op == "<" || op.empty() || op == "=";
      const bool incl = op != ">" && op != "<";
      if (lower) {
        int cmp = lo ? semver::Compare(*v, *lo) : 1;
        if (cmp > 0 || (cmp == 0 && !incl)) {
          lo = *v;
          lo_incl = incl;
        }
      }
      if (upper) {
        int cmp = hi ? semver::Compare(*v, *hi) : -1;
        if (cmp < 0 || (cmp == 0 && !incl)) {
          hi = *v;
          hi_incl = incl;
        }
      }
    }
    if (lo && !lo_incl) {
      lo = Successor(*lo);
      lo_incl = true;
    }
    if (!lo && hi && !hi_incl && hi->ToString() == "0.0.0-0") continue;  // The least version.
    if (lo && hi) {
      int cmp = semver::Compare(*lo, *hi);
      if (cmp > 0 || (cmp == 0 && !hi_incl)) continue;  // Matches nothing ("<0.0.0-0").
    }
    AffectedRange r{"SEMVER", {}};
    r.events.push_back({Event::Kind::kIntroduced, lo ? lo->ToString() : "0"});
    if (hi) {
      r.events.push_back(
          {hi_incl ? Event::Kind::kLastAffected : Event::Kind::kFixed, hi->ToString()});
    }
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<Advisory>> ParseNpmAdvisoryLine(std::string_view line) {
  BULWARK_ASSIGN_OR_RETURN(json::value v, ParseJson(line));
  if (!v.is_object()) return absl::InvalidArgumentError("an npm advisory is a JSON object");
  std::vector<const json::object*> objects;
  if (v.get_object().contains("module_name")) {
    objects.push_back(&v.get_object());
  } else {
    // Some exports hold the whole set as one object keyed by advisory id.
    for (const auto& [k, e] : v.get_object()) {
      if (!e.is_object() || !e.get_object().contains("module_name")) {
        return absl::InvalidArgumentError("not an npm advisory (no module_name)");
      }
      objects.push_back(&e.get_object());
    }
  }
  std::vector<Advisory> out;
  for (const json::object* op : objects) {
    const json::object& o = *op;
    Advisory a;
    auto id = GetInt(o, "id");
    if (!id) return absl::InvalidArgumentError("npm advisory has no numeric id");
    a.id = StrCat("NSWG-ECO-", *id);
    a.database_specific["npm_advisory_id"] = *id;
    a.summary = Str(o, "title");
    a.details = Str(o, "overview");
    a.aliases = Strings(o, "cves");
    auto modified = ParseTimestamp(Str(o, "updated_at"));
    auto created = ParseTimestamp(Str(o, "created_at"));
    if (!modified) modified = created;
    if (!modified) return absl::InvalidArgumentError(StrCat(a.id, ": no updated_at"));
    a.modified = *modified;
    a.published = ParseTimestamp(Str(o, "publish_date"));
    if (!a.published) a.published = created;
    if (auto vec = GetString(o, "cvss_vector"); vec && !vec->empty()) {
      a.severity.push_back({"CVSS_V3", std::string(*vec)});
    }
    // The export writes one score as 5.0 in one place and 5 in another; a double either way,
    // so that re-imports compare equal.
    if (auto it = o.find("cvss_score"); it != o.end() && it->value().is_number()) {
      a.database_specific["cvss_score"] = it->value().to_number<double>();
    }
    for (std::string_view key : {"recommendation", "coordinating_vendor"}) {
      auto it = o.find(key);
      if (it != o.end() && !it->value().is_null()) a.database_specific[key] = it->value();
    }
    if (auto sev = GetString(o, "severity"); sev && ParseSeverity(*sev)) {
      a.database_specific["severity"] = std::string(SeverityName(*ParseSeverity(*sev)));
    }
    std::vector<std::string> cwes = Strings(o, "cwe");
    if (auto cwe = GetString(o, "cwe"); cwe && !cwe->empty()) cwes.emplace_back(*cwe);
    if (!cwes.empty()) a.database_specific["cwe_ids"] = StringArray(cwes);
    for (const std::string& url : Strings(o, "references")) a.references.push_back({"WEB", url});
    a.references.push_back(
        {"ADVISORY", StrCat("https://github.com/nodejs/security-wg/blob/main/vuln/npm/", *id,
                            ".json")});

    Affected aff;
    aff.ecosystem = "npm";
    aff.package = Str(o, "module_name");
    if (aff.package.empty()) return absl::InvalidArgumentError(StrCat(a.id, ": no module_name"));
    std::string vulnerable = Str(o, "vulnerable_versions");
    if (vulnerable.empty()) vulnerable = "*";
    auto ranges = RangeToOsv(vulnerable);
    if (!ranges.ok()) {
      return absl::InvalidArgumentError(StrCat(a.id, ": ", ranges.status().message()));
    }
    aff.ranges = std::move(*ranges);
    aff.database_specific["vulnerable_versions"] = vulnerable;
    if (auto patched = GetString(o, "patched_versions")) {
      aff.database_specific["patched_versions"] = std::string(*patched);
    }
    a.affected.push_back(std::move(aff));
    out.push_back(std::move(a));
  }
  return out;
}

CompiledAffected::CompiledAffected(const Advisory& a, std::string_view package) {
  for (const Affected& aff : a.affected) {
    if (aff.ecosystem != "npm" || aff.package != package) continue;
    for (const AffectedRange& r : aff.ranges) {
      if (Evaluated(r)) ranges.push_back(CompileRange(r));
    }
    for (const std::string& listed : aff.versions) {
      if (auto v = semver::Parse(listed, kNpmAudit); v.ok()) versions.push_back(std::move(*v));
    }
  }
}

bool CompiledAffected::Affects(const semver::Version& v) const {
  for (const semver::Version& listed : versions) {
    if (semver::Compare(listed, v) == 0) return true;
  }
  for (const CompiledRange& r : ranges) {
    if (r.Affects(v)) return true;
  }
  return false;
}

std::vector<Interval> CompiledAffected::Intervals() const {
  std::vector<Interval> out;
  for (const CompiledRange& r : ranges) {
    for (Interval& i : r.Intervals()) out.push_back(std::move(i));
  }
  for (const semver::Version& v : versions) out.push_back(Interval{v, v, true});
  return out;
}

std::string CompiledAffected::VulnerableRange() const {
  std::vector<std::string> sets;
  std::set<std::string> seen;
  for (const Interval& i : Intervals()) {
    std::string set = FormatInterval(i);
    if (set == "*") return "*";
    // Several affected entries often repeat one range: keep the first of each.
    if (seen.insert(set).second) sets.push_back(std::move(set));
  }
  if (sets.empty()) return "<0.0.0-0";
  return StrJoin(sets, " || ");
}

std::string CompiledAffected::PatchedRange() const {
  std::vector<Interval> all = Intervals();
  if (all.empty()) return "*";
  // Lower bounds in order (none first); then merge what overlaps or touches.
  std::sort(all.begin(), all.end(), [](const Interval& a, const Interval& b) {
    if (!a.lo || !b.lo) return !a.lo && b.lo;
    return semver::Compare(*a.lo, *b.lo) < 0;
  });
  std::vector<Interval> merged;
  for (Interval& i : all) {
    if (!merged.empty()) {
      Interval& last = merged.back();
      const bool touches = !last.hi || (i.lo && semver::Compare(*last.hi, *i.lo) >= 0) || !i.lo;
      if (touches) {
        if (!last.hi) continue;
        if (!i.hi) {
          last.hi.reset();
          continue;
        }
        const int c = semver::Compare(*i.hi, *last.hi);
        if (c > 0 || (c == 0 && i.hi_inclusive)) {
          last.hi = i.hi;
          last.hi_inclusive = i.hi_inclusive;
        }
        continue;
      }
    }
    merged.push_back(std::move(i));
  }
  std::vector<std::string> gaps;
  if (merged.front().lo) gaps.push_back(StrCat("<", merged.front().lo->ToString()));
  for (size_t k = 0; k < merged.size(); ++k) {
    const Interval& i = merged[k];
    if (!i.hi) break;
    std::string from = StrCat(i.hi_inclusive ? ">" : ">=", i.hi->ToString());
    if (k + 1 == merged.size()) {
      gaps.push_back(std::move(from));
    } else {
      gaps.push_back(StrCat(from, " <", merged[k + 1].lo->ToString()));
    }
  }
  // pnpm's word for "no fix": patched_versions "<0.0.0".
  return gaps.empty() ? "<0.0.0" : StrJoin(gaps, " || ");
}

bool IsAffected(const Advisory& a, std::string_view package, const semver::Version& version) {
  if (a.withdrawn) return false;
  return CompiledAffected(a, package).Affects(version);
}

std::string VulnerableRange(const Advisory& a, std::string_view package) {
  return CompiledAffected(a, package).VulnerableRange();
}

std::string PatchedRange(const Advisory& a, std::string_view package) {
  return CompiledAffected(a, package).PatchedRange();
}

std::vector<std::string> NpmPackages(const Advisory& a) {
  std::vector<std::string> out;
  for (const Affected& aff : a.affected) {
    if (aff.ecosystem == "npm" && !aff.package.empty() &&
        std::find(out.begin(), out.end(), aff.package) == out.end()) {
      out.push_back(aff.package);
    }
  }
  return out;
}

std::string AdvisoryUrl(const Advisory& a) {
  for (const Reference& r : a.references) {
    if (r.type == "ADVISORY" && !r.url.empty()) return r.url;
  }
  if (StartsWith(a.id, "GHSA-")) return StrCat("https://github.com/advisories/", a.id);
  for (const std::string& alias : a.aliases) {
    if (StartsWith(alias, "GHSA-")) return StrCat("https://github.com/advisories/", alias);
  }
  return StrCat("https://osv.dev/vulnerability/", a.id);
}

std::optional<absl::Time> ParseTimestamp(std::string_view s) {
  if (s.empty()) return std::nullopt;
  const std::string text(s);
  absl::Time t;
  std::string err;
  for (const char* format : {"%Y-%m-%d%ET%H:%M:%E*S%Ez", "%Y-%m-%d%ET%H:%M%Ez", "%Y-%m-%d"}) {
    if (absl::ParseTime(format, text, absl::UTCTimeZone(), &t, &err)) return t;
  }
  return std::nullopt;
}

std::string FormatTimestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

}  // namespace bulwark::advisories
