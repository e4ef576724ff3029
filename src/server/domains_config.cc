#include "server/domains_config.h"

#include <filesystem>

#include "base/strings.h"
#include "server/yaml_fields.h"

namespace bulwark {
namespace {

using config::Bad;
using config::Get;
using config::OnlyKeys;

absl::Status GetDuration(const YAML::Node& node, const char* key, absl::Duration unit,
                         int64_t min, absl::Duration& out) {
  return config::GetDuration(node, key, unit, min, out, "email_domains.");
}

}  // namespace

absl::Status ParseDomainsConfig(const YAML::Node& node, const YAML::Node& packuments,
                                const std::string& base_dir, DomainsConfig& out,
                                bool& hide_emails) {
  BULWARK_RETURN_IF_ERROR(OnlyKeys(packuments, "packuments", {"hide_emails"}));
  BULWARK_RETURN_IF_ERROR(Get(packuments, "hide_emails", hide_emails, "packuments."));
  BULWARK_RETURN_IF_ERROR(OnlyKeys(
      node, "email_domains",
      {"enabled", "interval_minutes", "recheck_minutes", "retry_minutes", "retry_max_minutes",
       "resolver", "dns_timeout_ms", "rdap_base", "rdap_bootstrap", "rdap_timeout_ms",
       "rdap_spacing_ms", "tries"}));
  const std::string w = "email_domains.";
  BULWARK_RETURN_IF_ERROR(Get(node, "enabled", out.enabled, w));
  BULWARK_RETURN_IF_ERROR(GetDuration(node, "interval_minutes", absl::Minutes(1), 1, out.interval));
  DomainMonitorOptions& m = out.monitor;
  BULWARK_RETURN_IF_ERROR(GetDuration(node, "recheck_minutes", absl::Minutes(1), 0, m.recheck));
  BULWARK_RETURN_IF_ERROR(GetDuration(node, "retry_minutes", absl::Minutes(1), 0, m.retry_base));
  BULWARK_RETURN_IF_ERROR(
      GetDuration(node, "retry_max_minutes", absl::Minutes(1), 1, m.retry_max));
  BULWARK_RETURN_IF_ERROR(Get(node, "resolver", out.resolver, w));
  BULWARK_RETURN_IF_ERROR(
      GetDuration(node, "dns_timeout_ms", absl::Milliseconds(1), 1, out.dns_timeout));
  BULWARK_RETURN_IF_ERROR(Get(node, "rdap_base", out.rdap_base, w));
  if (!out.rdap_base.empty() && !StartsWith(out.rdap_base, "http://") &&
      !StartsWith(out.rdap_base, "https://")) {
    return Bad("email_domains.rdap_base", "must start with http:// or https://");
  }
  BULWARK_RETURN_IF_ERROR(Get(node, "rdap_bootstrap", out.rdap_bootstrap, w));
  if (!out.rdap_bootstrap.empty() && std::filesystem::path(out.rdap_bootstrap).is_relative()) {
    out.rdap_bootstrap =
        (std::filesystem::path(base_dir) / out.rdap_bootstrap).lexically_normal().string();
  }
  BULWARK_RETURN_IF_ERROR(
      GetDuration(node, "rdap_timeout_ms", absl::Milliseconds(1), 1, m.rdap_timeout));
  BULWARK_RETURN_IF_ERROR(
      GetDuration(node, "rdap_spacing_ms", absl::Milliseconds(1), 0, m.rdap_spacing));
  BULWARK_RETURN_IF_ERROR(Get(node, "tries", m.tries, w));
  if (m.tries < 1 || m.tries > 5) return Bad("email_domains.tries", "must be 1 to 5");
  return absl::OkStatus();
}

}  // namespace bulwark
