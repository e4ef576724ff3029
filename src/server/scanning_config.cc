#include "server/scanning_config.h"

#include <filesystem>

#include "base/strings.h"
#include "server/yaml_fields.h"

namespace bulwark {
namespace {

using config::Bad;
using config::Get;
using config::OnlyKeys;

absl::StatusOr<GateAction> Action(const YAML::Node& n, std::string_view where) {
  std::string s;
  try {
    s = n.as<std::string>();
  } catch (const YAML::Exception& e) {
    return Bad(where, e.what());
  }
  auto a = ParseAction(s);
  if (!a) return Bad(where, StrCat("\"", s, "\" is not one of publish, warn, hold, reject"));
  return *a;
}

}  // namespace

absl::Status ParseScanningConfig(const YAML::Node& node, const YAML::Node& moderation,
                                 const std::string& base_dir, ScanningConfig& out) {
  BULWARK_RETURN_IF_ERROR(OnlyKeys(node, "scanning",
                                   {"enabled", "timeout_ms", "on_error", "high_impact_downloads",
                                    "policy", "rules", "between_versions", "worm", "indicators",
                                    "rules_dirs"}));
  const std::string w = "scanning.";
  BULWARK_RETURN_IF_ERROR(Get(node, "enabled", out.enabled, w));
  PublishPolicy& policy = out.gate.policy;
  int64_t timeout_ms = absl::ToInt64Milliseconds(policy.timeout);
  BULWARK_RETURN_IF_ERROR(Get(node, "timeout_ms", timeout_ms, w));
  if (timeout_ms < 1) return Bad("scanning.timeout_ms", "must be positive");
  policy.timeout = absl::Milliseconds(timeout_ms);
  std::string on_error = policy.fail_open ? "fail-open" : "fail-closed";
  BULWARK_RETURN_IF_ERROR(Get(node, "on_error", on_error, w));
  if (on_error != "fail-open" && on_error != "fail-closed") {
    return Bad("scanning.on_error", "must be fail-open or fail-closed");
  }
  policy.fail_open = on_error == "fail-open";
  BULWARK_RETURN_IF_ERROR(Get(node, "high_impact_downloads", policy.high_impact_downloads, w));
  if (node && node["policy"]) {
    const YAML::Node p = node["policy"];
    BULWARK_RETURN_IF_ERROR(
        OnlyKeys(p, "scanning.policy", {"default", "new", "high_impact", "private"}));
    for (const auto& cls_kv : p) {
      std::string cls_name = cls_kv.first.as<std::string>();
      std::string where = StrCat("scanning.policy.", cls_name);
      BULWARK_RETURN_IF_ERROR(OnlyKeys(cls_kv.second, where, {"clean", "warn", "hold", "reject"}));
      PublishPolicy::VerdictMap& map = policy.by_class[*ParsePackageClass(cls_name)];
      for (const auto& v_kv : cls_kv.second) {
        std::string verdict = v_kv.first.as<std::string>();
        BULWARK_ASSIGN_OR_RETURN(GateAction a, Action(v_kv.second, StrCat(where, ".", verdict)));
        int idx = verdict == "clean" ? 0 : verdict == "warn" ? 1 : verdict == "hold" ? 2 : 3;
        map[idx] = a;
      }
    }
  }
  if (node && node["rules"]) {
    const YAML::Node r = node["rules"];
    if (!r.IsMap()) return Bad("scanning.rules", "must map rule ids to actions");
    for (const auto& kv : r) {
      std::string rule = kv.first.as<std::string>();
      BULWARK_ASSIGN_OR_RETURN(GateAction a, Action(kv.second, StrCat("scanning.rules.", rule)));
      policy.rules[rule] = a;
    }
  }
  if (node && node["between_versions"]) {
    const YAML::Node b = node["between_versions"];
    const std::string bw = "scanning.between_versions.";
    BULWARK_RETURN_IF_ERROR(
        OnlyKeys(b, "scanning.between_versions",
                 {"large_file_bytes", "long_line_bytes", "young_dependency_days", "dormant_days"}));
    BetweenVersionsOptions& o = out.gate.between;
    BULWARK_RETURN_IF_ERROR(Get(b, "large_file_bytes", o.large_file_bytes, bw));
    BULWARK_RETURN_IF_ERROR(Get(b, "long_line_bytes", o.long_line_bytes, bw));
    int64_t young = absl::ToInt64Hours(o.young_dependency) / 24;
    int64_t dormant = absl::ToInt64Hours(o.dormant) / 24;
    BULWARK_RETURN_IF_ERROR(Get(b, "young_dependency_days", young, bw));
    BULWARK_RETURN_IF_ERROR(Get(b, "dormant_days", dormant, bw));
    if (young < 0 || dormant < 1) return Bad("scanning.between_versions", "days must be positive");
    o.young_dependency = absl::Hours(24 * young);
    o.dormant = absl::Hours(24 * dormant);
  }
  if (node && node["worm"]) {
    const YAML::Node wn = node["worm"];
    BULWARK_RETURN_IF_ERROR(OnlyKeys(wn, "scanning.worm", {"packages", "window_minutes"}));
    int64_t minutes = absl::ToInt64Minutes(out.gate.worm.window);
    BULWARK_RETURN_IF_ERROR(Get(wn, "packages", out.gate.worm.packages, "scanning.worm."));
    BULWARK_RETURN_IF_ERROR(Get(wn, "window_minutes", minutes, "scanning.worm."));
    if (out.gate.worm.packages < 1 || minutes < 1) {
      return Bad("scanning.worm", "packages must be at least 1 and window_minutes positive");
    }
    out.gate.worm.window = absl::Minutes(minutes);
  }
  if (node && node["rules_dirs"]) {
    const YAML::Node list = node["rules_dirs"];
    if (!list.IsSequence()) return Bad("scanning.rules_dirs", "must be a list of folders");
    for (const auto& item : list) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        return Bad("scanning.rules_dirs[]", "must be a folder path");
      }
      std::filesystem::path dir(item.Scalar());
      if (dir.is_relative()) dir = std::filesystem::path(base_dir) / dir;
      out.rules_dirs.push_back(dir.lexically_normal().string());
    }
  }
  if (node && node["indicators"]) {
    const YAML::Node list = node["indicators"];
    if (!list.IsSequence()) return Bad("scanning.indicators", "must be a list");
    for (const auto& item : list) {
      BULWARK_RETURN_IF_ERROR(
          OnlyKeys(item, "scanning.indicators[]", {"id", "text", "verdict", "explanation"}));
      Indicator ind;
      std::string verdict = "hold";
      BULWARK_RETURN_IF_ERROR(Get(item, "id", ind.id, "scanning.indicators[]."));
      BULWARK_RETURN_IF_ERROR(Get(item, "text", ind.text, "scanning.indicators[]."));
      BULWARK_RETURN_IF_ERROR(Get(item, "verdict", verdict, "scanning.indicators[]."));
      BULWARK_RETURN_IF_ERROR(Get(item, "explanation", ind.explanation, "scanning.indicators[]."));
      if (ind.id.empty() || ind.text.empty()) {
        return Bad("scanning.indicators[]", "id and text are required");
      }
      if (verdict == "warn")
        ind.verdict = scan::Verdict::kWarn;
      else if (verdict == "hold")
        ind.verdict = scan::Verdict::kHold;
      else if (verdict == "reject")
        ind.verdict = scan::Verdict::kReject;
      else
        return Bad("scanning.indicators[].verdict", "must be warn, hold or reject");
      out.indicators.push_back(std::move(ind));
    }
  }

  BULWARK_RETURN_IF_ERROR(OnlyKeys(moderation, "moderation",
                                   {"reports_per_hour", "partner_keys_file", "partner_keys_url"}));
  const std::string m = "moderation.";
  BULWARK_RETURN_IF_ERROR(Get(moderation, "reports_per_hour", out.moderation.reports_per_hour, m));
  if (out.moderation.reports_per_hour < 1) {
    return Bad("moderation.reports_per_hour", "must be positive");
  }
  BULWARK_RETURN_IF_ERROR(Get(moderation, "partner_keys_file", out.partner_keys_file, m));
  BULWARK_RETURN_IF_ERROR(Get(moderation, "partner_keys_url", out.partner_keys_url, m));
  if (!out.partner_keys_file.empty() &&
      std::filesystem::path(out.partner_keys_file).is_relative()) {
    out.partner_keys_file =
        (std::filesystem::path(base_dir) / out.partner_keys_file).lexically_normal().string();
  }
  if (!out.partner_keys_url.empty() && !StartsWith(out.partner_keys_url, "http://") &&
      !StartsWith(out.partner_keys_url, "https://")) {
    return Bad("moderation.partner_keys_url", "must be an http:// or https:// URL");
  }
  return absl::OkStatus();
}

}  // namespace bulwark
