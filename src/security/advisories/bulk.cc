#include "security/advisories/bulk.h"

#include <cmath>

#include "base/strings.h"
#include "security/advisories/index.h"

namespace bulwark::advisories {

absl::StatusOr<BulkRequest> ParseBulkRequest(std::string_view json_text) {
  BULWARK_ASSIGN_OR_RETURN(json::value v, ParseJson(json_text));
  if (!v.is_object()) {
    return absl::InvalidArgumentError("expected an object of package names to version lists");
  }
  const json::object& o = v.get_object();
  if (o.size() > kMaxBulkPackages) {
    return absl::InvalidArgumentError(
        StrCat("at most ", kMaxBulkPackages, " packages per request"));
  }
  BulkRequest out;
  for (const auto& [name, versions] : o) {
    if (!versions.is_array()) {
      return absl::InvalidArgumentError(
          StrCat("versions of ", std::string_view(name.data(), name.size()), " must be an array"));
    }
    if (versions.get_array().size() > kMaxBulkVersionsPerPackage) {
      return absl::InvalidArgumentError(
          StrCat("at most ", kMaxBulkVersionsPerPackage, " versions per package"));
    }
    std::vector<std::string>& list = out[std::string(name)];
    for (const auto& e : versions.get_array()) {
      if (!e.is_string()) return absl::InvalidArgumentError("versions must be strings");
      list.emplace_back(e.get_string());
    }
  }
  return out;
}

json::object BulkEntry(const Advisory& a, std::string_view package) {
  const Rating r = Rate(a);
  json::array cwe;
  for (const std::string& c : a.CweIds()) cwe.emplace_back(c);
  json::object cvss;
  // npmjs sends {"score": 0, "vectorString": null} when an advisory has no CVSS.
  cvss["score"] = r.score ? std::round(*r.score * 10) / 10 : 0.0;
  if (r.vector.empty()) {
    cvss["vectorString"] = nullptr;
  } else {
    cvss["vectorString"] = r.vector;
  }
  std::string title = a.summary;
  if (title.empty()) title = a.IsMalware() ? StrCat("Malware in ", package) : a.id;
  return json::object{{"id", a.id},
                      {"url", AdvisoryUrl(a)},
                      {"title", title},
                      {"severity", std::string(SeverityName(r.level))},
                      {"vulnerable_versions", VulnerableRange(a, package)},
                      {"cwe", std::move(cwe)},
                      {"cvss", std::move(cvss)}};
}

json::object BulkResponse(const BulkRequest& request, const std::vector<Advisory>& advisories) {
  return AdvisoryIndex(advisories).Bulk(request);
}

}  // namespace bulwark::advisories
