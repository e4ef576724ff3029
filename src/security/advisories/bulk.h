#pragma once
// npm audit's bulk advisory exchange (npm-registry-api.md §7.1): the request maps package names
// to installed versions; the answer lists, per package, the advisories affecting at least one
// of them, in the shape @npmcli/metavuln-calculator reads.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "security/advisories/advisory.h"

namespace bulwark::advisories {

using BulkRequest = std::map<std::string, std::vector<std::string>>;

// Limits on what one request may ask, against requests built to make the server work hard
// (npm sends one name per installed package; large monorepos have a few thousand).
inline constexpr size_t kMaxBulkPackages = 50000;
inline constexpr size_t kMaxBulkVersionsPerPackage = 1000;

// {"name": ["1.0.0", ...], ...}. InvalidArgument when the body is not that shape or is too big.
absl::StatusOr<BulkRequest> ParseBulkRequest(std::string_view json_text);

// One advisory as npm expects it for `package`: id, url, title, severity, vulnerable_versions,
// cwe, cvss {score, vectorString}.
json::object BulkEntry(const Advisory& a, std::string_view package);

// The answer: for each requested package, the advisories (not withdrawn) that affect at least
// one requested version. Versions that are not semver are skipped. Packages without any are
// left out, so a clean project gets {}.
json::object BulkResponse(const BulkRequest& request, const std::vector<Advisory>& advisories);

}  // namespace bulwark::advisories
