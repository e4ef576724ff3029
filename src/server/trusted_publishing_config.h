#pragma once
// Config `trusted_publishing:` (docs/trusted-publishing.md, docs/config.md): the OIDC issuers
// the operator trusts per CI provider type, the audience, token lifetime and clock skew.

#include <yaml-cpp/yaml.h>

#include "accounts/oidc/trusted_publishing.h"
#include "bulwark/base/status.h"

namespace bulwark {

absl::Status ParseTrustedPublishingConfig(const YAML::Node& node,
                                          oidc::TrustedPublishingOptions& out);

}  // namespace bulwark
