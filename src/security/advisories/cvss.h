#pragma once
// CVSS scores. v3.0 and v3.1 vectors are scored with the specification's base formula
// (https://www.first.org/cvss/v3.1/specification-document §7.1 and Appendix A); v4.0 vectors
// with the v4.0 method (https://www.first.org/cvss/v4.0/specification-document §8): the
// vector's MacroVector (EQ1..EQ6) is looked up in FIRST's table and the score interpolated
// by the vector's severity distance from the MacroVector's highest-severity vectors.

#include <optional>
#include <string_view>

#include "bulwark/base/status.h"

namespace bulwark::advisories {

// The base score (0.0-10.0, one decimal) of a "CVSS:3.0/..." or "CVSS:3.1/..." vector.
// InvalidArgument when the prefix, a base metric or its value is missing or unknown, or a
// metric repeats. Temporal and environmental metrics are accepted and ignored.
absl::StatusOr<double> CvssV3BaseScore(std::string_view vector);

// The CVSS-BTE score (0.0-10.0, one decimal) of a "CVSS:4.0/..." vector, as FIRST's reference
// calculator computes it: the eleven base metrics are required, threat (E), environmental (CR,
// IR, AR, MAV..MSA) and supplemental (S, AU, R, V, RE, U) metrics are optional and must come in
// the specification's order (§7, Table 23). A vector with only base metrics yields CVSS-B.
// InvalidArgument for another prefix, a missing, unknown, repeated or out-of-order metric, or a
// value the metric does not have.
absl::StatusOr<double> CvssV4Score(std::string_view vector);

// The qualitative level of a score (§5): "none", "low", "medium", "high", "critical".
std::string_view CvssLevel(double score);

}  // namespace bulwark::advisories
