#include "security/advisories/records.h"

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

}  // namespace bulwark::advisories
