#pragma once
// Config `email_domains:` (the expired-domain monitor, docs/email-domains.md) and
// `packuments:` (what packuments show of maintainers).

#include <string>

#include <yaml-cpp/yaml.h>

#include "absl/time/time.h"
#include "accounts/domains/domain_monitor.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct DomainsConfig {
  bool enabled = true;                      // The periodic job in `serve`.
  absl::Duration interval = absl::Hours(6);  // Between two runs of the job.
  // DNS server(s) as "HOST:PORT[,HOST:PORT]"; empty: the system's resolv.conf.
  std::string resolver;
  absl::Duration dns_timeout = absl::Seconds(3);
  // RDAP: one base URL for every domain, or an RFC 9224 bootstrap file (IANA's dns.json
  // format); `rdap_base` wins when both are set. Neither: RDAP is not asked.
  std::string rdap_base;
  std::string rdap_bootstrap;  // Absolute when set.
  DomainMonitorOptions monitor;
};

// `email_domains` and `packuments` (may be null nodes). `hide_emails` receives
// `packuments.hide_emails`.
absl::Status ParseDomainsConfig(const YAML::Node& email_domains, const YAML::Node& packuments,
                                const std::string& base_dir, DomainsConfig& out,
                                bool& hide_emails);

}  // namespace bulwark
