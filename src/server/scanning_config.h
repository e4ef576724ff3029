#pragma once
// Config `scanning:` and `moderation:` (docs/moderation.md): the publish gate's policy, the
// between-version and worm thresholds, admin indicators, reports and the token-leak partner keys.

#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "bulwark/base/status.h"
#include "security/indicator_scanner.h"
#include "security/moderation.h"
#include "security/scan_gate.h"

namespace bulwark {

struct ScanningConfig {
  bool enabled = true;  // false: no version gate at all (not even leaked-token revocation).
  GateOptions gate;
  std::vector<Indicator> indicators;
  // `scanning.rules_dirs`: extra YARA rule packs (*.yar) and known-bad hash lists (*.sha256)
  // compiled with the built-in pack at start (docs/scanning.md). Absolute.
  std::vector<std::string> rules_dirs;
  ModerationOptions moderation;
  std::string partner_keys_file;  // Absolute when set.
  std::string partner_keys_url;
};

absl::Status ParseScanningConfig(const YAML::Node& scanning, const YAML::Node& moderation,
                                 const std::string& base_dir, ScanningConfig& out);

}  // namespace bulwark
