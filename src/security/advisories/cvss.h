#pragma once
// CVSS base scores. v3.0 and v3.1 vectors are scored with the specification's base formula
// (https://www.first.org/cvss/v3.1/specification-document §7.1 and Appendix A); v4.0 vectors
// are recognised but not scored (their score is a lookup over macro vectors, not a formula).

#include <optional>
#include <string_view>

#include "bulwark/base/status.h"

namespace bulwark::advisories {

// The base score (0.0-10.0, one decimal) of a "CVSS:3.0/..." or "CVSS:3.1/..." vector.
// InvalidArgument when the prefix, a base metric or its value is missing or unknown, or a
// metric repeats. Temporal and environmental metrics are accepted and ignored.
absl::StatusOr<double> CvssV3BaseScore(std::string_view vector);

// The qualitative level of a score (§5): "none", "low", "medium", "high", "critical".
std::string_view CvssLevel(double score);

}  // namespace bulwark::advisories
