#pragma once
// The upstream proxy (docs/proxy.md): packuments and tarballs of names that are neither local
// nor private, fetched from an uplink, cached (memory and ProxyStore), revalidated with ETags,
// served stale when the uplink fails, and guarded by the firewall.
//
// The dependency-confusion guard comes first in every call: a name that is private here
// (config `private:`), routed local-only by `packages:`, or stored locally in any state, is
// answered NotFound without a byte sent upstream.
//
// Errors: NotFound (not proxied, or the uplink has no such package/version), PermissionDenied
// (the firewall refused; the message says why and how an administrator allows it),
// Unavailable (the uplink failed and nothing is cached; a tarball whose bytes do not match the
// upstream's integrity), FailedPrecondition (the upstream declares no checksum or points the
// tarball elsewhere than the uplink).
//
// Thread-safe.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "base/json.h"
#include "bulwark/env/blob_store.h"
#include "bulwark/env/clock.h"
#include "bulwark/env/http_client.h"
#include "bulwark/storage/proxy_store.h"
#include "packaging/publish_scanner.h"
#include "packaging/tarball.h"
#include "proxy/proxy_config.h"
#include "proxy/upstream_doc.h"
#include "security/event_sink.h"

namespace bulwark::proxy {

// Event kinds in the security event log. NOTE: persisted; do not rename.
inline constexpr std::string_view kRefusedEvent = "proxy.refused";
inline constexpr std::string_view kConfusionEvent = "proxy.confusion";
inline constexpr std::string_view kIntegrityEvent = "proxy.integrity";

// What the proxy asks of the rest of the registry; every member may be left empty.
struct Guards {
  // Whether `name` is stored locally (any state). An error is treated as "local" (fail closed).
  std::function<absl::StatusOr<bool>(std::string_view name)> local_exists;
  // Whether `name` is private here (config `private:` scopes and names).
  std::function<bool(std::string_view name)> is_private;
  // Why `name` imitates a popular package (the typosquat engine's block or hold), or nullopt.
  std::function<std::optional<std::string>(std::string_view name)> typosquat;
  // Why `name@version` is known malicious (a MAL- advisory), or nullopt.
  std::function<std::optional<std::string>(std::string_view name, std::string_view version)>
      malicious;
  PublishScanner* scanner = nullptr;  // Not owned; null: no scan.
  TarballLimits tarball_limits;
  SecurityEventSink events;
};

class Proxy {
 public:
  Proxy(ProxyConfig config, ProxyStore& store, BlobStore& blobs, HttpClient& http, Clock& clock,
        Guards guards);

  // The uplink that serves `name`, or null when the name is never proxied (private, local-only
  // by `packages:`, or no route). Does not look at the local store.
  const UplinkConfig* Route(std::string_view name) const;

  struct Packument {
    std::shared_ptr<const ShapedPackument> doc;
    // Non-empty when the uplink failed and a cached copy is served: a `Warning` header value.
    std::string warning;
  };
  absl::StatusOr<Packument> GetPackument(std::string_view name, const std::string& base_url);

  struct Tarball {
    std::string blob_key;
    uint64_t size = 0;
  };
  // `file` is the name in our URL ("<unscoped>-<version>.tgz").
  absl::StatusOr<Tarball> GetTarball(std::string_view name, std::string_view file);

  // Asks `uplink` whether it offers `name` (for doctor and the confusion probe). The parsed
  // upstream document, NotFound when it has none, or the fetch error.
  absl::StatusOr<json::object> Probe(const UplinkConfig& uplink, std::string_view name);
  // Probes each name (local or private) on every uplink and records a proxy.confusion event for
  // each one an uplink offers. Returns the "name (uplink: versions)" findings.
  absl::StatusOr<std::vector<std::string>> ProbeConfusion(const std::vector<std::string>& names);

  const ProxyConfig& config() const { return config_; }

 private:
  struct Entry {
    std::string uplink;
    std::string etag;
    absl::Time fetched;
    std::shared_ptr<const json::object> doc;
    absl::flat_hash_map<std::string, std::shared_ptr<const ShapedPackument>> shaped;
    absl::Time shaped_at;
  };
  struct Fresh {
    std::shared_ptr<const json::object> doc;
    std::string warning;
  };

  // The guard shared by packuments and tarballs: NotFound when `name` must not go upstream.
  absl::StatusOr<const UplinkConfig*> Guard(std::string_view name);
  // The upstream document, from memory, the store or the uplink (revalidated after max_age).
  absl::StatusOr<Fresh> Document(std::string_view name, const UplinkConfig& uplink);
  // One request to the uplink, within its concurrency limit, with retries.
  absl::StatusOr<HttpResponse> Fetch(const UplinkConfig& uplink, HttpRequest request);
  // Firewall checks that need no bytes: deny list, advisories. nullopt: none refuses.
  std::optional<std::string> Refusal(std::string_view name, const UpstreamVersion& v);
  bool Allowed(std::string_view name, const UpstreamVersion& v) const;
  // Why `name` is a typosquat (memoised), or nullopt.
  std::optional<std::string> Typosquat(std::string_view name);
  absl::Status Refuse(std::string_view name, std::string_view version, std::string_view why);
  // The scan verdict for fetched bytes; nullopt when the version may be served.
  std::optional<std::string> ScanRefusal(std::string_view name, const UpstreamVersion& v,
                                         std::string_view bytes);

  const ProxyConfig config_;
  ProxyStore& store_;
  BlobStore& blobs_;
  HttpClient& http_;
  Clock& clock_;
  const Guards guards_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> cache_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> in_flight_ ABSL_GUARDED_BY(mu_);  // By uplink.
  // guards_.typosquat's answers by name (the index does not change while serving).
  absl::flat_hash_map<std::string, std::optional<std::string>> squats_ ABSL_GUARDED_BY(mu_);
};

// Whether `entry` matches `name@version` published by `publisher`.
bool ListEntryMatches(const ListEntry& entry, std::string_view name, std::string_view version,
                      std::string_view publisher);

}  // namespace bulwark::proxy
