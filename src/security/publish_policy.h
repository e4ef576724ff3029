#pragma once
// The publish policy (docs/moderation.md): maps a scan report to what happens to the version,
// per package class. Pure: no I/O.
//
// action = max(by_class[class][report.verdict], rules[rule_id] for every finding with an
// override). Overrides only raise (an administrator can make "install-script" hold everywhere;
// a finding the engine considers reject-worthy cannot be lowered by a rule).

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "bulwark/scan/findings.h"
#include "packaging/publish_gate.h"

namespace bulwark {

using GateAction = GateDecision::Action;

// NOTE: the names are persisted in config files; do not rename.
enum class PackageClass {
  kDefault,     // "default": a new version of an existing package.
  kNew,         // "new": the package's first version.
  kHighImpact,  // "high_impact": downloads here or imported popularity over the threshold.
  kPrivate,     // "private": a scoped package readable by its maintainers only.
};

struct PublishPolicy {
  // Indexed by scan::Verdict (clean, warn, hold, reject).
  using VerdictMap = std::array<GateAction, 4>;
  static constexpr VerdictMap kIdentity = {GateAction::kPublish, GateAction::kWarn,
                                           GateAction::kHold, GateAction::kReject};
  std::map<PackageClass, VerdictMap> by_class = {{PackageClass::kDefault, kIdentity},
                                                 {PackageClass::kNew, kIdentity},
                                                 {PackageClass::kHighImpact, kIdentity},
                                                 {PackageClass::kPrivate, kIdentity}};
  std::map<std::string, GateAction> rules;  // rule_id -> action (raises only).
  // Engine failure or timeout: publish with a warning (open) or refuse with 503 (closed).
  bool fail_open = false;
  absl::Duration timeout = absl::Seconds(20);
  // Downloads (here, 30 days) or imported popularity at which a package is high-impact.
  uint64_t high_impact_downloads = 10000;
};

std::string_view ActionName(GateAction a);
std::optional<GateAction> ParseAction(std::string_view name);
std::string_view PackageClassName(PackageClass c);
std::optional<PackageClass> ParsePackageClass(std::string_view name);

// The class of a package: private first (restricted scoped), then new, then high-impact.
PackageClass Classify(bool new_package, bool restricted_scoped, bool high_impact);

GateAction Decide(const PublishPolicy& policy, PackageClass cls, const scan::ScanReport& report);

}  // namespace bulwark
