#pragma once
// Reading one section of the YAML config file: typed fields, unknown-key refusal, durations.
// Shared by the section parsers in server/*_config.cc; errors are InvalidArgument naming the key.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "base/strings.h"
#include "bulwark/base/status.h"
#include "yaml-cpp/yaml.h"

namespace bulwark::config {

inline absl::Status Bad(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("config: ", where, ": ", what));
}

// `node[key]` into `out` when present; `where` is the section prefix ("email_domains.").
template <typename T>
absl::Status Get(const YAML::Node& node, const char* key, T& out, std::string_view where) {
  if (!node || !node[key]) return absl::OkStatus();
  try {
    out = node[key].as<T>();
  } catch (const YAML::Exception& e) {
    return Bad(StrCat(where, key), e.what());
  }
  return absl::OkStatus();
}

// InvalidArgument naming the first key of `node` that is not in `known`.
absl::Status OnlyKeys(const YAML::Node& node, std::string_view where,
                      std::initializer_list<std::string_view> known);

// A duration in whole units of `unit`, at least `min` units; `where` as for Get.
absl::Status GetDuration(const YAML::Node& node, const char* key, absl::Duration unit,
                         int64_t min, absl::Duration& out, std::string_view where);

}  // namespace bulwark::config
