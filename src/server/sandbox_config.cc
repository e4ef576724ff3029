#include "server/sandbox_config.h"

#include "base/strings.h"

namespace bulwark {

absl::Status ParseSandboxConfig(const YAML::Node& node, SandboxConfig& out) {
  if (!node) return absl::OkStatus();
  if (!node.IsMap()) return absl::InvalidArgumentError("config: sandbox: must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    try {
      if (key == "enabled") {
        out.enabled = kv.second.as<bool>();
      } else if (key == "timeout_seconds") {
        out.timeout_seconds = kv.second.as<int>();
      } else if (key == "poll_ms") {
        out.poll_ms = kv.second.as<int>();
      } else if (key == "binary") {
        out.binary = kv.second.as<std::string>();
      } else {
        return absl::InvalidArgumentError(StrCat("config: unknown key \"sandbox.", key, "\""));
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(StrCat("config: sandbox.", key, ": ", e.what()));
    }
  }
  if (out.timeout_seconds < 5 || out.timeout_seconds > 3600) {
    return absl::InvalidArgumentError("config: sandbox.timeout_seconds: must be 5..3600");
  }
  if (out.poll_ms < 100) return absl::InvalidArgumentError("config: sandbox.poll_ms: at least 100");
  return absl::OkStatus();
}

}  // namespace bulwark
