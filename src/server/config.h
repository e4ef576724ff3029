#pragma once
// Bulwark's configuration: defaults that need no file, a YAML file (docs/config.md), and
// command-line overrides, in that order.

#include <string>
#include <vector>

#include "accounts/access_policy.h"
#include "accounts/oidc/trusted_publishing.h"
#include "accounts/account_service.h"
#include "accounts/security_keys.h"
#include "api/registry_api.h"
#include "bulwark/base/status.h"
#include "http/server.h"
#include "proxy/proxy_config.h"
#include "jobs/high_impact.h"
#include "packaging/package_service.h"
#include "security/name_policy.h"
#include "server/domains_config.h"
#include "server/email_config.h"
#include "server/sandbox_config.h"
#include "server/scanning_config.h"

namespace bulwark {

struct Config {
  std::string listen = "127.0.0.1:4873";
  std::string data_dir = "./data";
  std::string log_level = "info";
  http::ServerOptions server;
  ApiOptions api;
  AccountOptions accounts;
  SecurityKeyOptions security_keys;  // `auth.security_keys:` (docs/config.md).
  RegistryOptions registry;
  std::vector<PackageRule> packages;  // Empty: AccessPolicy::Default().
  TyposquatConfig typosquat;          // `typosquat:`; snapshot path absolute when set.
  PrivateNamesConfig private_names;   // `private:` (dependency confusion).
  MfaOptions mfa;                     // `auth.require_2fa_*` (mandatory 2FA).
  HighImpactOptions high_impact;      // `auth.high_impact`.
  absl::Duration event_retention = absl::Hours(24 * 365);  // `auth.event_retention_days`.
  // `signing.keys_dir`: the registry's signing keys; empty: <data_dir>/keys/signing. Absolute
  // when set in a file (relative paths are taken from the config file's folder).
  std::string signing_keys_dir;
  SandboxConfig sandbox;              // `sandbox:` (docs/sandbox.md).
  ScanningConfig scanning;            // `scanning:` and `moderation:` (docs/moderation.md).
  DomainsConfig email_domains;        // `email_domains:` (docs/email-domains.md).
  EmailConfig email;                  // `email:` (docs/email.md).
  proxy::ProxyConfig proxy;           // `uplinks:`, `packages: proxy:`, `proxy:` (docs/proxy.md).
  // `trusted_publishing:` (docs/trusted-publishing.md); no issuers: OIDC exchange refused.
  oidc::TrustedPublishingOptions trusted_publishing;
};

// InvalidArgument naming the key and the problem for a bad file; NotFound when it is missing.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);
absl::StatusOr<Config> ParseConfig(const std::string& yaml_text, const std::string& base_dir);
// Splits "host:port" / "[v6]:port" / "port" into server options.
absl::Status ApplyListen(Config& config, const std::string& listen);

}  // namespace bulwark
