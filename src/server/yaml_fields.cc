#include "server/yaml_fields.h"

#include <algorithm>

namespace bulwark::config {

absl::Status OnlyKeys(const YAML::Node& node, std::string_view where,
                      std::initializer_list<std::string_view> known) {
  if (!node) return absl::OkStatus();
  if (!node.IsMap()) return Bad(where, "must be a mapping");
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return absl::InvalidArgumentError(StrCat("config: unknown key \"", where, ".", key, "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status GetDuration(const YAML::Node& node, const char* key, absl::Duration unit,
                         int64_t min, absl::Duration& out, std::string_view where) {
  int64_t n = out / unit;
  BULWARK_RETURN_IF_ERROR(Get(node, key, n, where));
  if (n < min) return Bad(StrCat(where, key), StrCat("must be at least ", min));
  out = unit * n;
  return absl::OkStatus();
}

}  // namespace bulwark::config
