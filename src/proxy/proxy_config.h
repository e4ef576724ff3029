#pragma once
// Config of the upstream proxy (docs/proxy.md, docs/config.md `uplinks:`, `packages:` `proxy:`,
// `proxy:`). Parsed by server/proxy_config.cc.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace bulwark::proxy {

struct UplinkConfig {
  std::string name;  // The key under `uplinks:`; "default" for `serve --uplink URL`.
  std::string url;   // Base URL, no trailing slash.
  std::string auth_token;  // Sent as `Authorization: Bearer`; empty: none.
  absl::Duration timeout = absl::Seconds(30);   // One request, connect included.
  absl::Duration max_age = absl::Minutes(2);    // Cached metadata served without revalidating.
  int retries = 2;           // Extra attempts after a network error or a 5xx.
  int max_concurrency = 16;  // Requests in flight to this uplink at once.
  uint64_t max_packument_bytes = 64ull << 20;  // The largest real packuments are ~40 MB.
  uint64_t max_tarball_bytes = 256ull << 20;
};

// One `packages:` rule, for routing (Verdaccio's `proxy:`). The first rule whose pattern
// matches decides: its uplinks (tried in order: the next when one is down or lacks the name),
// local only when `proxy:` is given empty, or the default uplink when the rule has no `proxy:`
// key.
struct ProxyRoute {
  std::string pattern;  // Same glob as the access rules.
  std::optional<std::vector<std::string>> uplinks;
};

// Allow and deny entries of the firewall: every field given must match.
struct ListEntry {
  std::string name;       // Glob over the package name; required.
  std::string range;      // A semver range; empty: every version.
  std::string publisher;  // The upstream's _npmUser.name; empty: anyone.
};

struct FirewallConfig {
  // Versions younger than this (upstream `time`) are not offered; zero: no cooldown.
  absl::Duration cooldown = absl::ZeroDuration();
  std::vector<ListEntry> allow;  // Skips the firewall (scan, advisories, typosquat, cooldown).
  std::vector<ListEntry> deny;   // Refused whatever else says.
  bool scan = true;              // Scan tarballs before first served.
  bool typosquat = true;         // Refuse names that imitate popular packages.
  bool advisories = true;        // Refuse versions a MAL- advisory names.
  // How often `serve` asks the uplinks about every private name (the confusion probe); zero:
  // never (doctor and `proxy probe` only).
  absl::Duration probe_interval = absl::Hours(6);
};

struct ProxyConfig {
  std::map<std::string, UplinkConfig> uplinks;  // By name.
  std::vector<ProxyRoute> routes;               // From `packages:`, in order.
  // The uplink for names no `packages:` rule routes (`serve --uplink`); empty: none.
  std::string default_uplink;
  FirewallConfig firewall;
  bool enabled() const { return !uplinks.empty(); }
};

}  // namespace bulwark::proxy
