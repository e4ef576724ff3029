#pragma once
// `uplinks:`, the `proxy:` field of `packages:` rules, and `proxy:` (the firewall) of the
// config file (docs/config.md, docs/proxy.md).

#include <string>

#include <yaml-cpp/yaml.h>

#include "bulwark/base/status.h"
#include "proxy/proxy_config.h"

namespace bulwark {

// InvalidArgument naming the key for a bad value; an uplink named by a rule must exist.
absl::Status ParseProxyConfig(const YAML::Node& uplinks, const YAML::Node& packages,
                              const YAML::Node& proxy, proxy::ProxyConfig& out);
// `serve --uplink URL`: an uplink named "default" for every name no rule routes.
absl::Status ApplyUplinkFlag(const std::string& url, proxy::ProxyConfig& out);

}  // namespace bulwark
