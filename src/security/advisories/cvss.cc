#include "security/advisories/cvss.h"

#include <cmath>
#include <cstdint>
#include <map>
#include <string>

#include "base/strings.h"

namespace bulwark::advisories {
namespace {

// Roundup as defined in CVSS v3.1 Appendix A: on integers, so that 4.000000000001 is not
// rounded up to 4.1 by floating-point noise. v3.0 defined it as ceil(x * 10) / 10.
double Roundup31(double x) {
  int64_t i = static_cast<int64_t>(std::llround(x * 100000));
  if (i % 10000 == 0) return static_cast<double>(i) / 100000.0;
  return static_cast<double>(i / 10000 + 1) / 10.0;
}
double Roundup30(double x) { return std::ceil(x * 10) / 10; }

}  // namespace

absl::StatusOr<double> CvssV3BaseScore(std::string_view vector) {
  bool v31;
  if (ConsumePrefix(&vector, "CVSS:3.1/")) {
    v31 = true;
  } else if (ConsumePrefix(&vector, "CVSS:3.0/")) {
    v31 = false;
  } else {
    return absl::InvalidArgumentError("not a CVSS v3 vector (expected a CVSS:3.x/ prefix)");
  }
  std::map<std::string, std::string, std::less<>> m;
  for (std::string_view part : StrSplit(vector, '/')) {
    size_t colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == part.size()) {
      return absl::InvalidArgumentError(StrCat("malformed CVSS metric: ", part));
    }
    if (!m.emplace(std::string(part.substr(0, colon)), std::string(part.substr(colon + 1)))
             .second) {
      return absl::InvalidArgumentError(StrCat("repeated CVSS metric: ", part.substr(0, colon)));
    }
  }
  auto value = [&](std::string_view metric,
                   std::initializer_list<std::pair<std::string_view, double>> table)
      -> absl::StatusOr<double> {
    auto it = m.find(metric);
    if (it == m.end()) return absl::InvalidArgumentError(StrCat("missing CVSS metric ", metric));
    for (const auto& [k, v] : table) {
      if (it->second == k) return v;
    }
    return absl::InvalidArgumentError(StrCat("bad CVSS value ", metric, ":", it->second));
  };
  BULWARK_ASSIGN_OR_RETURN(double scope_changed, value("S", {{"U", 0}, {"C", 1}}));
  const bool changed = scope_changed != 0;
  BULWARK_ASSIGN_OR_RETURN(double av, value("AV", {{"N", 0.85}, {"A", 0.62}, {"L", 0.55},
                                                   {"P", 0.2}}));
  BULWARK_ASSIGN_OR_RETURN(double ac, value("AC", {{"L", 0.77}, {"H", 0.44}}));
  // Privileges weigh more when the scope changes (§7.4).
  BULWARK_ASSIGN_OR_RETURN(double pr, value("PR", {{"N", 0.85}, {"L", changed ? 0.68 : 0.62},
                                                   {"H", changed ? 0.5 : 0.27}}));
  BULWARK_ASSIGN_OR_RETURN(double ui, value("UI", {{"N", 0.85}, {"R", 0.62}}));
  BULWARK_ASSIGN_OR_RETURN(double c, value("C", {{"H", 0.56}, {"L", 0.22}, {"N", 0}}));
  BULWARK_ASSIGN_OR_RETURN(double i, value("I", {{"H", 0.56}, {"L", 0.22}, {"N", 0}}));
  BULWARK_ASSIGN_OR_RETURN(double a, value("A", {{"H", 0.56}, {"L", 0.22}, {"N", 0}}));

  const double iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const double impact =
      changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  const double exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0.0;
  const double raw = changed ? std::min(1.08 * (impact + exploitability), 10.0)
                             : std::min(impact + exploitability, 10.0);
  return v31 ? Roundup31(raw) : Roundup30(raw);
}

std::string_view CvssLevel(double score) {
  if (score <= 0) return "none";
  if (score < 4.0) return "low";
  if (score < 7.0) return "medium";
  if (score < 9.0) return "high";
  return "critical";
}

}  // namespace bulwark::advisories
