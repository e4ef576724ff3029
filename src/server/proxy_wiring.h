#pragma once
// Connects the upstream proxy (docs/proxy.md) to the rest of the registry: the local store for
// the dependency-confusion guard, the private-name config, the typosquat engine, MAL- advisories
// and the scan engine for the firewall, and the security event log.

#include "bulwark/storage/advisory_store.h"
#include "bulwark/storage/metadata_store.h"
#include "bulwark/storage/moderation_store.h"
#include "packaging/publish_scanner.h"
#include "proxy/proxy.h"
#include "security/event_sink.h"
#include "security/name_policy.h"

#include <functional>
#include <string>
#include <vector>

namespace bulwark {

// `names` and `scanner` may be null (admin commands: no typosquat check, no scan). With
// `notices`, each new dependency-confusion finding is a notice to every administrator
// (GET /-/bulwark/v1/notices, kind "proxy-confusion").
proxy::Guards MakeProxyGuards(MetadataStore& store, AdvisoryStore& advisories,
                              const PrivateNamesConfig& private_names, NamePolicy* names,
                              PublishScanner* scanner, const TarballLimits& limits,
                              SecurityEventSink events, ModerationStore* notices = nullptr);

// The private names the confusion probe asks uplinks about: reserved names and every package
// stored here, sorted, at most `max` (the second member says whether some were left out).
absl::StatusOr<std::pair<std::vector<std::string>, bool>> PrivateNamesToProbe(
    const PrivateNamesConfig& private_names, MetadataStore& store, size_t max = 2000);

// One run of `serve`'s periodic confusion probe (proxy.probe_interval_hours): asks every uplink
// about every private name; new findings become events and notices through the proxy's guards.
// Stops early when `stop()` turns true (shutdown). Returns the number of findings (new or not).
absl::StatusOr<size_t> RunConfusionProbe(const PrivateNamesConfig& private_names,
                                         MetadataStore& store, proxy::Proxy& proxy,
                                         const std::function<bool()>& stop);

// The dependency-confusion risks of the set-up, one sentence each (`bulwark doctor`):
//  - rules under `packages:` that route a private scope or reserved name to an uplink;
//  - private names (reserved names, local packages) that an uplink offers (each also recorded as
//    a proxy.confusion event), with "private versions lower than upstream's" when so;
//  - unscoped private names no uplink has yet: anyone could register them upstream.
// Asks every uplink about every private name (at most `max_probes`).
absl::StatusOr<std::vector<std::string>> ProxyRisks(const proxy::ProxyConfig& config,
                                                    const PrivateNamesConfig& private_names,
                                                    MetadataStore& store, proxy::Proxy& proxy,
                                                    size_t max_probes = 2000);

// Whether `name` is private by config (a private scope or a reserved name).
bool IsPrivateByConfig(const PrivateNamesConfig& config, std::string_view name);

}  // namespace bulwark
