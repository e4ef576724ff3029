#include "security/publish_policy.h"

#include <algorithm>

namespace bulwark {

std::string_view ActionName(GateAction a) {
  constexpr std::string_view kNames[] = {"publish", "warn", "hold", "reject"};
  return kNames[static_cast<int>(a)];
}

std::optional<GateAction> ParseAction(std::string_view name) {
  if (name == "publish") return GateAction::kPublish;
  if (name == "warn") return GateAction::kWarn;
  if (name == "hold") return GateAction::kHold;
  if (name == "reject") return GateAction::kReject;
  return std::nullopt;
}

std::string_view PackageClassName(PackageClass c) {
  constexpr std::string_view kNames[] = {"default", "new", "high_impact", "private"};
  return kNames[static_cast<int>(c)];
}

std::optional<PackageClass> ParsePackageClass(std::string_view name) {
  if (name == "default") return PackageClass::kDefault;
  if (name == "new") return PackageClass::kNew;
  if (name == "high_impact") return PackageClass::kHighImpact;
  if (name == "private") return PackageClass::kPrivate;
  return std::nullopt;
}

PackageClass Classify(bool new_package, bool restricted_scoped, bool high_impact) {
  if (restricted_scoped) return PackageClass::kPrivate;
  if (new_package) return PackageClass::kNew;
  if (high_impact) return PackageClass::kHighImpact;
  return PackageClass::kDefault;
}

GateAction Decide(const PublishPolicy& policy, PackageClass cls, const scan::ScanReport& report) {
  auto it = policy.by_class.find(cls);
  const PublishPolicy::VerdictMap& map =
      it != policy.by_class.end() ? it->second : PublishPolicy::kIdentity;
  GateAction action = map[static_cast<int>(report.verdict)];
  for (const scan::Finding& f : report.findings) {
    auto rule = policy.rules.find(f.rule_id);
    if (rule != policy.rules.end()) action = std::max(action, rule->second);
  }
  return action;
}

}  // namespace bulwark
