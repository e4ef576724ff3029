#include "security/advisories/records.h"

#include <algorithm>

#include "base/strings.h"

namespace bulwark::advisories {

AdvisoryRecord ToRecord(const Advisory& a) {
  AdvisoryRecord r;
  r.id = a.id;
  r.modified = a.modified;
  r.withdrawn = a.withdrawn;
  r.severity = std::string(SeverityName(Rate(a).level));
  r.packages = NpmPackages(a);
  r.json = ToJson(ToOsvJson(a));
  return r;
}

absl::StatusOr<Advisory> FromRecord(const AdvisoryRecord& r) {
  auto a = ParseOsvText(r.json);
  if (!a.ok()) {
    return absl::InternalError(StrCat("corrupt advisory ", r.id, ": ", a.status().message()));
  }
  return a;
}

bool ValidAdvisoryId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<Advisory> PrepareAdminWrite(Advisory a, const Advisory* stored, absl::Time now) {
  if (!ValidAdvisoryId(a.id)) {
    return absl::InvalidArgumentError(StrCat(
        "advisory id \"", a.id, "\" must be 1 to 128 letters, digits, '.', '_', ':' or '-'"));
  }
  if (NpmPackages(a).empty()) {
    return absl::InvalidArgumentError("the advisory names no npm package (affected[].package "
                                      "with ecosystem \"npm\")");
  }
  if (a.summary.empty() && !a.IsMalware()) {
    return absl::InvalidArgumentError("the advisory needs a summary (npm shows it as the title)");
  }
  absl::Time modified = now;
  // Strictly later than what is stored, even when clocks disagree between nodes.
  if (stored && modified <= stored->modified) modified = stored->modified + absl::Microseconds(1);
  a.modified = modified;
  if (!a.published) a.published = stored && stored->published ? *stored->published : now;
  return a;
}

Advisory MalwareAdvisory(std::string_view package, std::string_view version,
                         std::string_view summary, absl::Time now) {
  Advisory a;
  std::string id = StrCat("MAL-BULWARK-", package, "-", version);
  for (char& c : id) {
    if (!ValidAdvisoryId(std::string_view(&c, 1))) c = '_';
  }
  a.id = id.substr(0, 128);
  a.summary = summary.empty() ? StrCat("Malicious code in ", package) : std::string(summary);
  a.modified = now;
  a.published = now;
  Affected aff;
  aff.ecosystem = "npm";
  aff.package = std::string(package);
  aff.versions.emplace_back(version);
  a.affected.push_back(std::move(aff));
  a.database_specific["source"] = "bulwark moderation";
  return a;
}

Advisory Withdrawn(Advisory a, absl::Time now) {
  a.withdrawn = now;
  a.modified = std::max(now, a.modified + absl::Microseconds(1));
  return a;
}

}  // namespace bulwark::advisories
