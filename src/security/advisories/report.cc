#include "security/advisories/report.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/strings.h"

namespace bulwark::advisories {
namespace {

constexpr semver::Options kNpm{.loose = true, .include_prerelease = true};

std::string JoinedRange(const AuditFinding& f) {
  std::vector<std::string> ranges;
  for (const AdvisoryIndex::Entry* e : f.via) {
    std::string r = e->affected.VulnerableRange();
    if (std::find(ranges.begin(), ranges.end(), r) == ranges.end()) ranges.push_back(r);
  }
  return StrJoin(ranges, " || ");
}

std::string Plural(int64_t n, std::string_view one, std::string_view many) {
  return StrCat(n, " ", n == 1 ? one : many);
}

}  // namespace

int64_t AuditReport::total() const {
  int64_t t = 0;
  for (int64_t c : counts) t += c;
  return t;
}

AuditReport Audit(const Lockfile& lockfile, const AdvisoryIndex& index) {
  AuditReport report;
  report.format = lockfile.format;
  report.dependencies = lockfile.packages.size();
  std::map<std::string, AuditFinding> by_name;
  for (const LockedPackage& p : lockfile.packages) {
    const std::vector<AdvisoryIndex::Entry>& entries = index.For(p.name);
    if (entries.empty()) continue;
    auto v = semver::Parse(p.version, kNpm);
    if (!v.ok()) continue;
    for (const AdvisoryIndex::Entry& e : entries) {
      if (!e.affected.Affects(*v)) continue;
      AuditFinding& f = by_name[p.name];
      f.name = p.name;
      if (std::find(f.via.begin(), f.via.end(), &e) == f.via.end()) f.via.push_back(&e);
      f.severity = std::max(f.severity, e.severity);
      if (f.nodes.empty() || f.nodes.back().path != p.path) f.nodes.push_back(p);
    }
  }
  for (auto& [name, f] : by_name) {
    std::sort(f.via.begin(), f.via.end(),
              [](const auto* a, const auto* b) { return a->advisory->id < b->advisory->id; });
    ++report.counts[static_cast<int>(f.severity)];
    report.findings.push_back(std::move(f));
  }
  return report;
}

std::string RenderAuditText(const AuditReport& r) {
  const std::string audited =
      StrCat("(", Plural(static_cast<int64_t>(r.dependencies), "package", "packages"),
             " audited from ", LockfileFormatName(r.format), ")");
  if (r.findings.empty()) return StrCat("found 0 vulnerabilities ", audited, "\n");
  std::string out = "# bulwark audit report\n\n";
  for (const AuditFinding& f : r.findings) {
    StrAppend(&out, f.name, "  ", JoinedRange(f), "\n");
    StrAppend(&out, "Severity: ", SeverityName(f.severity), "\n");
    for (const AdvisoryIndex::Entry* e : f.via) {
      const json::object& b = e->bulk;
      StrAppend(&out, std::string_view(b.at("title").as_string()), " - ",
                std::string_view(b.at("url").as_string()), "\n");
    }
    std::vector<std::string> fixes;
    for (const AdvisoryIndex::Entry* e : f.via) {
      std::string p = e->affected.PatchedRange();
      if (std::find(fixes.begin(), fixes.end(), p) == fixes.end()) fixes.push_back(p);
    }
    if (fixes.size() == 1 && fixes[0] == "<0.0.0") {
      out += "No fix available\n";
    } else {
      StrAppend(&out, "Fixed in: ", StrJoin(fixes, " and "), "\n");
    }
    for (const LockedPackage& n : f.nodes) StrAppend(&out, n.path, "  (", n.version, ")\n");
    out += "\n";
  }
  std::vector<std::string> parts;
  int levels = 0;
  for (int s = static_cast<int>(Severity::kLow); s <= static_cast<int>(Severity::kCritical); ++s) {
    if (r.counts[s] > 0) {
      ++levels;
      parts.push_back(StrCat(r.counts[s], " ", SeverityName(static_cast<Severity>(s))));
    }
  }
  const int64_t total = r.total();
  if (levels == 1 && r.counts[0] == 0) {
    StrAppend(&out, parts[0], " severity vulnerabilit", total == 1 ? "y" : "ies");
  } else {
    StrAppend(&out, Plural(total, "vulnerability", "vulnerabilities"), " (", StrJoin(parts, ", "),
              ")");
  }
  StrAppend(&out, " ", audited, "\n");
  return out;
}

json::object RenderAuditJson(const AuditReport& r) {
  json::object vulns;
  for (const AuditFinding& f : r.findings) {
    json::array via;
    for (const AdvisoryIndex::Entry* e : f.via) {
      const json::object& b = e->bulk;
      via.push_back(json::object{{"source", b.at("id")},
                                 {"name", f.name},
                                 {"dependency", f.name},
                                 {"title", b.at("title")},
                                 {"url", b.at("url")},
                                 {"severity", b.at("severity")},
                                 {"cwe", b.at("cwe")},
                                 {"cvss", b.at("cvss")},
                                 {"range", b.at("vulnerable_versions")},
                                 {"patched", e->affected.PatchedRange()}});
    }
    json::array nodes, versions;
    for (const LockedPackage& n : f.nodes) {
      nodes.emplace_back(n.path);
      if (std::find(versions.begin(), versions.end(), json::value(n.version)) == versions.end()) {
        versions.emplace_back(n.version);
      }
    }
    vulns[f.name] = json::object{{"name", f.name},
                                 {"severity", std::string(SeverityName(f.severity))},
                                 {"via", std::move(via)},
                                 {"effects", json::array{}},
                                 {"range", JoinedRange(f)},
                                 {"nodes", std::move(nodes)},
                                 {"versions", std::move(versions)}};
  }
  json::object counts;
  for (int s = 0; s <= static_cast<int>(Severity::kCritical); ++s) {
    counts[SeverityName(static_cast<Severity>(s))] = r.counts[s];
  }
  counts["total"] = r.total();
  return json::object{
      {"auditReportVersion", 2},
      {"vulnerabilities", std::move(vulns)},
      {"metadata",
       json::object{{"vulnerabilities", std::move(counts)},
                    {"dependencies", json::object{{"total", static_cast<int64_t>(r.dependencies)}}},
                    {"lockfile", std::string(LockfileFormatName(r.format))}}}};
}

bool ValidAuditLevel(std::string_view level) {
  return level == "none" || (ParseSeverity(level).has_value() && level != "medium");
}

int AuditExitCode(const AuditReport& r, std::string_view level) {
  if (level == "none") return 0;
  const int from = static_cast<int>(ParseSeverity(level).value_or(Severity::kLow));
  for (int s = from; s <= static_cast<int>(Severity::kCritical); ++s) {
    if (r.counts[s] > 0) return 1;
  }
  return 0;
}

}  // namespace bulwark::advisories
