// Fuzzes the advisory parsers that read outside input (src/security/advisories): OSV documents
// (import, the admin API), lines of the npm / Node Security WG export, and npm audit's bulk
// request body, and CVSS vectors (v3.x and v4.0, also reached through an OSV document's
// severity). Must not crash, hang or trip a sanitizer. Invariants: a parsed OSV document
// stored and read again is the same document; its vulnerable_versions range parses as a
// node-semver range; a version the advisory affects is inside that range; a CVSS score is
// within 0.0-10.0 with one decimal.

#include <cstddef>
#include <cstdint>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "base/json.h"
#include "security/advisories/advisory.h"
#include "security/advisories/bulk.h"
#include "security/advisories/cvss.h"

namespace {

namespace adv = bulwark::advisories;
constexpr bulwark::semver::Options kNpm{.loose = true, .include_prerelease = true};

void Check(bool ok) {
  if (!ok) std::abort();
}

void Exercise(const adv::Advisory& a) {
  const std::string stored = bulwark::ToJson(adv::ToOsvJson(a));
  auto again = adv::ParseOsvText(stored);
  Check(again.ok());
  Check(bulwark::ToJson(adv::ToOsvJson(*again)) == stored);
  adv::Rate(a);
  adv::AdvisoryUrl(a);
  for (const std::string& p : adv::NpmPackages(a)) {
    const std::string range = adv::VulnerableRange(a, p);
    auto parsed = bulwark::semver::Range::Parse(range, kNpm);
    Check(parsed.ok());
    adv::PatchedRange(a, p);
    for (const auto& aff : a.affected) {
      for (const auto& r : aff.ranges) {
        for (const auto& e : r.events) {
          auto v = bulwark::semver::Parse(e.version, kNpm);
          if (!v.ok() || a.withdrawn) continue;
          if (adv::IsAffected(a, p, *v)) Check(parsed->Test(*v));
        }
      }
    }
  }
}

}  // namespace

void CheckScore(const absl::StatusOr<double>& score) {
  if (!score.ok()) return;
  Check(*score >= 0 && *score <= 10);
  Check(std::fabs(*score * 10 - std::round(*score * 10)) < 1e-9);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto a = adv::ParseOsvText(text); a.ok()) Exercise(*a);
  if (auto list = adv::ParseNpmAdvisoryLine(text); list.ok()) {
    for (const adv::Advisory& a : *list) Exercise(a);
  }
  if (auto req = adv::ParseBulkRequest(text); req.ok()) adv::BulkResponse(*req, {});
  CheckScore(adv::CvssV4Score(text));
  CheckScore(adv::CvssV3BaseScore(text));
  return 0;
}
