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
// Tarballs fetched for the first time are served from memory while a queue of its own writes
// them to the BlobStore and the ProxyStore (off the request path); the destructor and Flush()
// write everything queued.
//
// Thread-safe.

#include <deque>
#include <functional>
#include <memory>
#include <thread>
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
  // Told once per new dependency-confusion finding (the probe), after its event: the admins'
  // alert. `detail` is the event's sentence.
  std::function<void(std::string_view name, const std::string& detail)> confusion_alert;
};

class Proxy {
 public:
  Proxy(ProxyConfig config, ProxyStore& store, BlobStore& blobs, HttpClient& http, Clock& clock,
        Guards guards);
  ~Proxy();  // Writes the queued tarballs.
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // The uplinks that serve `name`, in the order they are tried, or none when the name is never
  // proxied (private, local-only by `packages:`, or no route). Does not look at the local store.
  std::vector<const UplinkConfig*> Routes(std::string_view name) const;
  // The first of Routes(name), or null.
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
    // Set while the bytes are still queued for the store (a first fetch): serve these; else
    // the blob is stored under `blob_key`.
    std::shared_ptr<const std::string> bytes;
  };
  // `file` is the name in our URL ("<unscoped>-<version>.tgz").
  absl::StatusOr<Tarball> GetTarball(std::string_view name, std::string_view file);

  // Asks `uplink` whether it offers `name` (for doctor and the confusion probe). The parsed
  // upstream document, NotFound when it has none, or the fetch error.
  absl::StatusOr<json::object> Probe(const UplinkConfig& uplink, std::string_view name);
  // Probes each name (local or private) on every uplink. Returns the "name (uplink: versions)"
  // findings; each new one (not recorded in the ProxyStore yet, or offered again after the
  // uplink had stopped) is also a proxy.confusion event and a Guards::confusion_alert.
  absl::StatusOr<std::vector<std::string>> ProbeConfusion(const std::vector<std::string>& names);

  // Waits until the tarballs queued so far are stored (tests, shutdown).
  void Flush();

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
    const UplinkConfig* uplink = nullptr;  // The one the document came from.
  };
  using Uplinks = std::vector<const UplinkConfig*>;
  // A fetched tarball waiting for the store, or (with `packument`) a fetched document.
  struct Pending {
    ProxiedTarball record;
    std::shared_ptr<const std::string> bytes;
    std::optional<ProxyVerdict> verdict;  // The scan's "allow", stored with it.
    std::optional<UpstreamPackument> packument;
  };

  // The guard shared by packuments and tarballs: NotFound when `name` must not go upstream.
  absl::StatusOr<Uplinks> Guard(std::string_view name);
  // The upstream document from the first of `uplinks` that has it: a fresh cached copy of any,
  // else each in turn (the next when one is down or answers 404), else a stale copy.
  absl::StatusOr<Fresh> Document(std::string_view name, const Uplinks& uplinks);
  // The upstream document, from memory, the store or the uplink (revalidated after max_age).
  absl::StatusOr<Fresh> DocumentFrom(std::string_view name, const UplinkConfig& uplink);
  // One request to the uplink, within its concurrency limit, with retries.
  absl::StatusOr<HttpResponse> Fetch(const UplinkConfig& uplink, HttpRequest request);
  // Firewall checks that need no bytes: deny list, advisories. nullopt: none refuses.
  std::optional<std::string> Refusal(std::string_view name, const UpstreamVersion& v);
  bool Allowed(std::string_view name, const UpstreamVersion& v) const;
  // Why `name` is a typosquat (memoised), or nullopt.
  std::optional<std::string> Typosquat(std::string_view name);
  absl::Status Refuse(std::string_view name, std::string_view version, std::string_view why);
  // The scan verdict for fetched bytes; nullopt when the version may be served.
  // A new "allow" verdict goes to `*allow` (stored with the tarball); a refusal is stored now.
  std::optional<std::string> ScanRefusal(std::string_view name, const UpstreamVersion& v,
                                         std::string_view bytes,
                                         std::optional<ProxyVerdict>* allow);
  // Writes one queued tarball: blob first, then its row (crash safety: docs/design.md).
  absl::Status Persist(const Pending& p);
  void PersistLoop();

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

  // The persist queue: tarballs served from memory until stored, by "name@version".
  absl::Mutex pmu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(pmu_);
  absl::flat_hash_map<std::string, Pending> pending_ ABSL_GUARDED_BY(pmu_);
  uint64_t pending_bytes_ ABSL_GUARDED_BY(pmu_) = 0;
  bool busy_ ABSL_GUARDED_BY(pmu_) = false;  // The writer holds an item off the queue.
  bool stop_ ABSL_GUARDED_BY(pmu_) = false;
  std::thread writer_;
};

// Whether `entry` matches `name@version` published by `publisher`.
bool ListEntryMatches(const ListEntry& entry, std::string_view name, std::string_view version,
                      std::string_view publisher);

}  // namespace bulwark::proxy
