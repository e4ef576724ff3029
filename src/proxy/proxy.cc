#include "proxy/proxy.h"

#include <algorithm>
#include <thread>

#include "accounts/access_policy.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/semver.h"
#include "base/strings.h"
#include "packaging/packument.h"

namespace bulwark::proxy {
namespace {

// Packuments kept parsed in memory; beyond this the least recently fetched go (they stay in
// the ProxyStore).
constexpr size_t kMaxMemoryEntries = 5000;
// RFC 7234 §5.5.2 ("Revalidation Failed"): npm prints nothing, curl and people do.
constexpr char kStaleWarning[] = "111 bulwark \"Revalidation Failed\"";
// Fetched tarballs held in memory while queued for the store; beyond this a first fetch is
// stored before it is served (the disk is behind; memory must not grow without bound).
constexpr uint64_t kMaxPendingBytes = 256ull << 20;

std::string HowToAllow(std::string_view name, std::string_view version) {
  return StrCat(" An administrator can allow it by adding {name: \"", name, "\"",
                version.empty() ? std::string() : StrCat(", range: \"", version, "\""),
                "} to proxy.allow in the config (docs/proxy.md).");
}

// scheme://host[:port] of a URL.
std::string_view Origin(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  size_t end = url.find('/', scheme + 3);
  return url.substr(0, end);
}

std::string EncodeName(std::string_view name) {
  // "@scope/pkg" travels as "@scope%2fpkg", as npm sends it.
  std::string out(name);
  if (size_t slash = out.find('/'); slash != std::string::npos) out.replace(slash, 1, "%2f");
  return out;
}

}  // namespace

bool ListEntryMatches(const ListEntry& e, std::string_view name, std::string_view version,
                      std::string_view publisher) {
  if (!GlobMatch(e.name, name)) return false;
  if (!e.range.empty() && (version.empty() || !semver::Satisfies(version, e.range))) return false;
  if (!e.publisher.empty() && e.publisher != publisher) return false;
  return true;
}

Proxy::Proxy(ProxyConfig config, ProxyStore& store, BlobStore& blobs, HttpClient& http,
             Clock& clock, Guards guards)
    : config_(std::move(config)),
      store_(store),
      blobs_(blobs),
      http_(http),
      clock_(clock),
      guards_(std::move(guards)) {
  writer_ = std::thread([this] { PersistLoop(); });
}

Proxy::~Proxy() {
  {
    absl::MutexLock l(&pmu_);
    stop_ = true;
  }
  writer_.join();  // The loop empties the queue before it returns.
}

void Proxy::Flush() {
  absl::MutexLock l(&pmu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pmu_) { return queue_.empty() && !busy_; };
  pmu_.Await(absl::Condition(&done));
}

void Proxy::PersistLoop() {
  absl::MutexLock l(&pmu_);
  while (true) {
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pmu_) { return stop_ || !queue_.empty(); };
    pmu_.Await(absl::Condition(&ready));
    if (queue_.empty()) return;  // Stopping, and everything written.
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    pmu_.Unlock();
    if (p.packument) {
      // A lost touch only revalidates sooner; a lost document is fetched again.
      absl::Status put = p.packument->body.empty()
                             ? store_.TouchPackument(p.packument->name, p.packument->fetched)
                             : store_.PutPackument(*p.packument);
      if (!put.ok()) {
        LogWarning("proxy: packument of %s not cached: %s", p.packument->name, put.ToString());
      }
      pmu_.Lock();
      busy_ = false;
      pending_bytes_ -= p.packument->body.size();
      continue;
    }
    absl::Status s = Persist(p);
    // Nothing recorded: the next request fetches it again.
    if (!s.ok()) {
      LogWarning("proxy: tarball of %s@%s not stored: %s", p.record.name, p.record.version,
                 s.ToString());
    }
    pmu_.Lock();
    busy_ = false;
    pending_bytes_ -= p.bytes->size();
    pending_.erase(StrCat(p.record.name, "@", p.record.version));
  }
}

absl::Status Proxy::Persist(const Pending& p) {
  BULWARK_RETURN_IF_ERROR(blobs_.Put(p.record.blob_key, *p.bytes));
  absl::Status s = store_.PutTarball(p.record);
  if (!s.ok()) {
    LogWarning("proxy: tarball of %s not recorded: %s", p.record.name, s.ToString());
  }
  if (p.verdict) {
    s = store_.PutVerdict(*p.verdict);
    if (!s.ok()) LogWarning("proxy: verdict for %s not stored: %s", p.record.name, s.ToString());
  }
  return absl::OkStatus();
}

std::vector<const UplinkConfig*> Proxy::Routes(std::string_view name) const {
  if (guards_.is_private && guards_.is_private(name)) return {};
  std::vector<std::string> names;
  if (!config_.default_uplink.empty()) names.push_back(config_.default_uplink);
  for (const ProxyRoute& r : config_.routes) {
    if (!GlobMatch(r.pattern, name)) continue;
    if (r.uplinks) names = *r.uplinks;
    break;
  }
  std::vector<const UplinkConfig*> out;
  for (const std::string& n : names) {
    if (auto it = config_.uplinks.find(n); it != config_.uplinks.end()) out.push_back(&it->second);
  }
  return out;
}

const UplinkConfig* Proxy::Route(std::string_view name) const {
  std::vector<const UplinkConfig*> all = Routes(name);
  return all.empty() ? nullptr : all.front();
}

absl::StatusOr<Proxy::Uplinks> Proxy::Guard(std::string_view name) {
  Uplinks uplinks = Routes(name);
  if (uplinks.empty()) return absl::NotFoundError("Not found");
  if (guards_.local_exists) {
    absl::StatusOr<bool> local = guards_.local_exists(name);
    // A store error must not send a private name upstream: fail closed.
    if (!local.ok()) return local.status();
    if (*local) return absl::NotFoundError("Not found");
  }
  return uplinks;
}

absl::StatusOr<HttpResponse> Proxy::Fetch(const UplinkConfig& uplink, HttpRequest request) {
  {
    absl::MutexLock l(&mu_);
    int& n = in_flight_[uplink.name];
    auto below = [&n, max = uplink.max_concurrency] { return n < max; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&below), uplink.timeout)) {
      return absl::UnavailableError(
          StrCat("uplink ", uplink.name, ": too many requests in flight"));
    }
    ++n;
  }
  if (!uplink.auth_token.empty()) {
    request.headers.emplace_back("authorization", StrCat("Bearer ", uplink.auth_token));
  }
  request.headers.emplace_back("user-agent", "bulwark-proxy");
  request.timeout = uplink.timeout;
  absl::StatusOr<HttpResponse> res;
  for (int attempt = 0; attempt <= uplink.retries; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
    res = http_.Fetch(request);
    // Retried: a refused or broken connection, a 5xx. Not a timeout: retrying a slow uplink
    // only makes the client wait longer for the stale copy.
    bool retry = (!res.ok() && absl::IsUnavailable(res.status())) ||
                 (res.ok() && res->status >= 500);
    if (!retry) break;
  }
  {
    absl::MutexLock l(&mu_);
    --in_flight_[uplink.name];
  }
  return res;
}

absl::StatusOr<json::object> Proxy::Probe(const UplinkConfig& uplink, std::string_view name) {
  HttpRequest req;
  req.url = StrCat(uplink.url, "/", EncodeName(name));
  req.headers.emplace_back("accept", "application/json");
  req.max_body = uplink.max_packument_bytes;
  BULWARK_ASSIGN_OR_RETURN(HttpResponse res, Fetch(uplink, std::move(req)));
  if (res.status == 404) return absl::NotFoundError(StrCat(uplink.name, " has no ", name));
  if (res.status != 200) {
    return absl::UnavailableError(StrCat("uplink ", uplink.name, " answered ", res.status));
  }
  return ParseUpstreamPackument(res.body, name);
}

absl::StatusOr<Proxy::Fresh> Proxy::Document(std::string_view name, const Uplinks& uplinks) {
  if (uplinks.size() == 1) return DocumentFrom(name, *uplinks.front());
  {
    // A copy within max_age from any of them: no request (not even to a first uplink that is
    // down, which would cost every request a connection attempt).
    const absl::Time now = clock_.Now();
    absl::MutexLock l(&mu_);
    if (auto it = cache_.find(std::string(name)); it != cache_.end()) {
      for (const UplinkConfig* u : uplinks) {
        if (it->second.uplink == u->name && now - it->second.fetched < u->max_age) {
          return Fresh{it->second.doc, "", u};
        }
      }
    }
  }
  std::optional<Fresh> stale;
  absl::Status failure = absl::NotFoundError("Not found");
  for (const UplinkConfig* u : uplinks) {
    absl::StatusOr<Fresh> f = DocumentFrom(name, *u);
    if (f.ok() && f->warning.empty()) return f;
    if (f.ok()) {
      if (!stale) stale = *std::move(f);
      continue;
    }
    // Verdaccio's order: the next uplink when this one is down or does not have the name.
    if (!absl::IsNotFound(f.status()) && absl::IsNotFound(failure)) failure = f.status();
  }
  if (stale) return *std::move(stale);
  return failure;
}

absl::StatusOr<Proxy::Fresh> Proxy::DocumentFrom(std::string_view name,
                                                 const UplinkConfig& uplink) {
  const absl::Time now = clock_.Now();
  const std::string key(name);
  Entry cached;
  bool have = false;
  {
    absl::MutexLock l(&mu_);
    if (auto it = cache_.find(key); it != cache_.end() && it->second.uplink == uplink.name) {
      if (now - it->second.fetched < uplink.max_age) return Fresh{it->second.doc, "", &uplink};
      cached = it->second;
      have = true;
    }
  }
  if (!have) {
    absl::StatusOr<UpstreamPackument> stored = store_.GetPackument(name);
    if (stored.ok() && stored->uplink == uplink.name) {
      auto doc = ParseUpstreamPackument(stored->body, name);
      if (doc.ok()) {
        cached.uplink = uplink.name;
        cached.etag = stored->etag;
        cached.fetched = stored->fetched;
        cached.doc = std::make_shared<const json::object>(*std::move(doc));
        have = true;
        if (now - cached.fetched < uplink.max_age) {
          absl::MutexLock l(&mu_);
          cache_[key] = cached;
          return Fresh{cached.doc, "", &uplink};
        }
      }
    }
  }

  HttpRequest req;
  req.url = StrCat(uplink.url, "/", EncodeName(name));
  // The full document: the abbreviated one has no `time`, which the cooldown needs.
  req.headers.emplace_back("accept", "application/json");
  if (have && !cached.etag.empty()) req.headers.emplace_back("if-none-match", cached.etag);
  req.max_body = uplink.max_packument_bytes;
  absl::StatusOr<HttpResponse> res = Fetch(uplink, std::move(req));

  absl::Status failure;
  if (res.ok() && res->status == 304 && have) {
    {
      // Through the writer's queue, so it lands after a Put of the same name still queued.
      // An empty body marks a touch (a stored document is never empty).
      absl::MutexLock pl(&pmu_);
      Pending p;
      p.packument = UpstreamPackument{std::string(name), uplink.name, "", now, ""};
      queue_.push_back(std::move(p));
    }
    cached.fetched = now;
    absl::MutexLock l(&mu_);
    cache_[key] = cached;
    return Fresh{cached.doc, "", &uplink};
  }
  if (res.ok() && res->status == 200) {
    auto doc = ParseUpstreamPackument(res->body, name);
    if (doc.ok()) {
      UpstreamPackument row{std::string(name), uplink.name, std::string(res->Header("etag")), now,
                            std::move(res->body)};
      Entry e;
      e.uplink = uplink.name;
      e.etag = row.etag;
      // Written behind the response, like tarballs: the commit's fsync is not the client's
      // wait (memory answers until then; a crash before it only means fetching it again).
      bool queued = false;
      {
        absl::MutexLock pl(&pmu_);
        if (pending_bytes_ + row.body.size() <= kMaxPendingBytes) {
          pending_bytes_ += row.body.size();
          Pending p;
          p.packument = std::move(row);
          queue_.push_back(std::move(p));
          queued = true;
        }
      }
      if (!queued) {  // The writer is behind: stored now.
        absl::Status put = store_.PutPackument(row);
        if (!put.ok()) LogWarning("proxy: packument of %s not cached: %s", name, put.ToString());
      }
      e.fetched = now;
      e.doc = std::make_shared<const json::object>(*std::move(doc));
      absl::MutexLock l(&mu_);
      if (cache_.size() >= kMaxMemoryEntries && !cache_.contains(key)) {
        auto oldest = std::min_element(cache_.begin(), cache_.end(), [](const auto& a,
                                                                        const auto& b) {
          return a.second.fetched < b.second.fetched;
        });
        cache_.erase(oldest);
      }
      cache_[key] = e;
      return Fresh{e.doc, "", &uplink};
    }
    failure = doc.status();
  } else if (res.ok() && res->status == 404) {
    return absl::NotFoundError("Not found");
  } else if (res.ok()) {
    failure = absl::UnavailableError(StrCat("uplink answered HTTP ", res->status));
  } else {
    failure = res.status();
  }
  LogWarning("proxy: uplink %s failed for %s: %s", uplink.name, name, failure.ToString());
  if (have) {
    // Stale-if-error (RFC 5861): the cached copy, with a warning, rather than no install.
    return Fresh{cached.doc, kStaleWarning, &uplink};
  }
  return absl::UnavailableError(
      StrCat("uplink ", uplink.name, " is unavailable and ", name, " is not cached"));
}

absl::StatusOr<Proxy::Packument> Proxy::GetPackument(std::string_view name,
                                                     const std::string& base_url) {
  BULWARK_ASSIGN_OR_RETURN(Uplinks uplinks, Guard(name));
  const FirewallConfig& fw = config_.firewall;
  UpstreamVersion any;  // Name-level checks: no version.
  if (!Allowed(name, any)) {
    for (const ListEntry& e : fw.deny) {
      if (e.range.empty() && e.publisher.empty() && GlobMatch(e.name, name)) {
        return Refuse(name, "", StrCat("the name is on the deny list (", e.name, ")"));
      }
    }
    if (auto why = Typosquat(name)) return Refuse(name, "", *why);
  }
  BULWARK_ASSIGN_OR_RETURN(Fresh fresh, Document(name, uplinks));
  const absl::Time now = clock_.Now();
  const std::string key(name);
  if (!fresh.warning.empty()) {
    // The uplink is down: offer only the versions whose tarballs are stored, so npm resolves
    // to something it can install (when none is stored, the document as it was).
    auto stored = store_.ListTarballVersions(name);
    if (stored.ok()) {
      // And those fetched moments ago, still on their way to the store.
      absl::MutexLock l(&pmu_);
      for (const auto& [key, p] : pending_) {
        if (p.record.name == name) stored->push_back(p.record.version);
      }
    }
    if (stored.ok() && !stored->empty()) {
      json::object doc = *fresh.doc;
      if (auto* versions = doc.if_contains("versions"); versions && versions->is_object()) {
        json::object kept;
        for (const std::string& v : *stored) {
          if (auto* m = versions->as_object().if_contains(v)) kept[v] = *m;
        }
        *versions = std::move(kept);
      }
      ShapeOptions options;
      options.base_url = base_url;
      options.now = now;
      options.cooldown = fw.cooldown;
      auto shaped = std::make_shared<const ShapedPackument>(ShapePackument(doc, name, options));
      return Packument{std::move(shaped), fresh.warning};
    }
  }
  {
    absl::MutexLock l(&mu_);
    auto it = cache_.find(key);
    // Shapes depend on the time only through the cooldown: reshaped at most once a minute.
    if (it != cache_.end() && it->second.doc == fresh.doc &&
        now - it->second.shaped_at < absl::Minutes(1)) {
      if (auto s = it->second.shaped.find(base_url); s != it->second.shaped.end()) {
        return Packument{s->second, fresh.warning};
      }
    }
  }
  ShapeOptions options;
  options.base_url = base_url;
  options.now = now;
  options.cooldown = fw.cooldown;
  auto shaped = std::make_shared<ShapedPackument>(ShapePackument(*fresh.doc, name, options));
  // Allow-listed versions skip the cooldown: reshape them back in.
  if (!shaped->cooling.empty() && !fw.allow.empty()) {
    bool any_allowed = false;
    for (const auto& v : UpstreamVersions(*fresh.doc)) {
      if (Allowed(name, v)) any_allowed = true;
    }
    if (any_allowed) {
      // Rare: reshape without cooldown and drop what the allow list does not cover.
      ShapeOptions all = options;
      all.cooldown = absl::ZeroDuration();
      json::object doc = *fresh.doc;
      if (json::object* versions = doc.if_contains("versions") ? &doc["versions"].as_object()
                                                               : nullptr) {
        for (const std::string& v : shaped->cooling) {
          UpstreamVersion uv;
          uv.version = v;
          if (!Allowed(name, uv)) versions->erase(v);
        }
      }
      auto reshaped = std::make_shared<ShapedPackument>(ShapePackument(doc, name, all));
      reshaped->cooling.clear();
      for (const std::string& v : shaped->cooling) {
        UpstreamVersion uv;
        uv.version = v;
        if (!Allowed(name, uv)) reshaped->cooling.push_back(v);
      }
      shaped = std::move(reshaped);
    }
  }
  {
    absl::MutexLock l(&mu_);
    if (auto it = cache_.find(key); it != cache_.end() && it->second.doc == fresh.doc) {
      if (now - it->second.shaped_at >= absl::Minutes(1)) {
        it->second.shaped.clear();
        it->second.shaped_at = now;
      }
      if (it->second.shaped.size() < 8) it->second.shaped[base_url] = shaped;
    }
  }
  return Packument{std::move(shaped), fresh.warning};
}

std::optional<std::string> Proxy::Typosquat(std::string_view name) {
  if (!config_.firewall.typosquat || !guards_.typosquat) return std::nullopt;
  const std::string key(name);
  {
    absl::MutexLock l(&mu_);
    if (auto it = squats_.find(key); it != squats_.end()) return it->second;
  }
  std::optional<std::string> why = guards_.typosquat(name);
  absl::MutexLock l(&mu_);
  if (squats_.size() >= 100000) squats_.clear();  // Bounded; recomputing is only slower.
  squats_[key] = why;
  return why;
}

bool Proxy::Allowed(std::string_view name, const UpstreamVersion& v) const {
  for (const ListEntry& e : config_.firewall.allow) {
    if (ListEntryMatches(e, name, v.version, v.publisher)) return true;
  }
  return false;
}

absl::Status Proxy::Refuse(std::string_view name, std::string_view version, std::string_view why) {
  std::string what = version.empty() ? std::string(name) : StrCat(name, "@", version);
  std::string message = StrCat("Bulwark's proxy firewall refused ", what, ": ", why, ".",
                               HowToAllow(name, version));
  if (guards_.events) guards_.events(kRefusedEvent, "", StrCat(what, ": ", why), name);
  LogWarning("proxy: refused %s: %s", what, why);
  return absl::PermissionDeniedError(message);
}

std::optional<std::string> Proxy::Refusal(std::string_view name, const UpstreamVersion& v) {
  for (const ListEntry& e : config_.firewall.deny) {
    if (ListEntryMatches(e, name, v.version, v.publisher)) {
      std::string rule = e.name;
      if (!e.range.empty()) rule += StrCat(" ", e.range);
      if (!e.publisher.empty()) rule += StrCat(" by ", e.publisher);
      return StrCat("it is on the deny list (", rule, ")");
    }
  }
  if (config_.firewall.advisories && guards_.malicious) {
    if (auto why = guards_.malicious(name, v.version)) return *why;
  }
  return std::nullopt;
}

std::optional<std::string> Proxy::ScanRefusal(std::string_view name, const UpstreamVersion& v,
                                              std::string_view bytes,
                                              std::optional<ProxyVerdict>* allow) {
  if (!config_.firewall.scan || !guards_.scanner) return std::nullopt;
  auto verdict = store_.GetVerdict(name, v.version);
  if (verdict.ok()) {
    if (verdict->action == "refuse") return verdict->reason;
    return std::nullopt;
  }
  ProxyVerdict record{std::string(name), v.version, "allow", "", clock_.Now()};
  auto contents = ReadTarball(bytes, guards_.tarball_limits);
  if (!contents.ok()) {
    // Not readable under our limits: not scannable, so not served (fail closed).
    record.action = "refuse";
    record.reason = StrCat("the tarball cannot be scanned (", contents.status().message(), ")");
  } else {
    auto manifest = ParseJson(contents->package_json);
    json::object empty;
    const json::object& m =
        manifest.ok() && manifest->is_object() ? manifest->get_object() : empty;
    Identity upstream{StrCat("upstream:", v.publisher)};
    PublishCandidate candidate{upstream, name, v.version, m, bytes, *contents};
    auto report = guards_.scanner->Scan(candidate);
    if (!report.ok()) {
      record.action = "refuse";
      record.reason = StrCat("the scan did not finish (", report.status().message(), ")");
    } else if (report->verdict >= scan::Verdict::kHold) {
      record.action = "refuse";
      std::string rules;
      for (const auto& f : report->findings) {
        if (f.suggests < scan::Verdict::kHold) continue;
        if (!rules.empty()) rules += ", ";
        rules += f.rule_id;
        if (rules.size() > 200) break;
      }
      record.reason = StrCat("the malware scan's verdict is ", scan::VerdictName(report->verdict),
                             rules.empty() ? std::string() : StrCat(" (", rules, ")"));
    }
  }
  if (record.action != "refuse") {
    *allow = std::move(record);  // Stored with the tarball, off the request path.
    return std::nullopt;
  }
  absl::Status put = store_.PutVerdict(record);
  if (!put.ok()) LogWarning("proxy: verdict for %s not stored: %s", name, put.ToString());
  return record.reason;
}

absl::StatusOr<Proxy::Tarball> Proxy::GetTarball(std::string_view name, std::string_view file) {
  BULWARK_ASSIGN_OR_RETURN(Uplinks uplinks, Guard(name));
  BULWARK_ASSIGN_OR_RETURN(Fresh fresh, Document(name, uplinks));
  const UplinkConfig* uplink = fresh.uplink;  // Its tarballs come from where the document did.
  std::optional<UpstreamVersion> found;
  for (UpstreamVersion& v : UpstreamVersions(*fresh.doc)) {
    if (TarballFileName(name, v.version) == file) {
      found = std::move(v);
      break;
    }
  }
  if (!found) return absl::NotFoundError("Not found");
  const UpstreamVersion& v = *found;
  const bool allowed = Allowed(name, v);
  const FirewallConfig& fw = config_.firewall;
  if (!allowed) {
    if (auto why = Refusal(name, v)) return Refuse(name, v.version, *why);
    if (auto why = Typosquat(name)) return Refuse(name, v.version, *why);
    if (fw.cooldown > absl::ZeroDuration() &&
        (!v.published || clock_.Now() - *v.published < fw.cooldown)) {
      return Refuse(name, v.version,
                    StrCat("it was published upstream less than ",
                           absl::ToInt64Hours(fw.cooldown), " hours ago (proxy.cooldown_hours)"));
    }
  }
  // Fetched moments ago and still queued for the store: served from memory.
  {
    absl::MutexLock l(&pmu_);
    if (auto it = pending_.find(StrCat(name, "@", v.version)); it != pending_.end()) {
      return Tarball{it->second.record.blob_key, it->second.record.size, it->second.bytes};
    }
  }
  // Fetched before: served from the blob store.
  if (auto stored = store_.GetTarball(name, v.version); stored.ok()) {
    if (auto exists = blobs_.Exists(stored->blob_key); exists.ok() && *exists) {
      if (!allowed && fw.scan && guards_.scanner) {
        auto verdict = store_.GetVerdict(name, v.version);
        if (verdict.ok() && verdict->action == "refuse") {
          return Refuse(name, v.version, verdict->reason);
        }
      }
      return Tarball{stored->blob_key, stored->size};
    }
  }
  // Only from the uplink itself: a packument pointing the tarball at another host would make
  // this server fetch arbitrary URLs (server-side request forgery).
  if (Origin(v.tarball_url).empty() || Origin(v.tarball_url) != Origin(uplink->url)) {
    return absl::FailedPreconditionError(
        StrCat("the upstream's tarball URL for ", name, "@", v.version,
               " is not on the uplink ", uplink->name));
  }
  if (v.integrity.empty() && v.shasum.empty()) {
    return absl::FailedPreconditionError(
        StrCat("the upstream declares no checksum for ", name, "@", v.version));
  }
  HttpRequest req;
  req.url = v.tarball_url;
  req.max_body = uplink->max_tarball_bytes;
  BULWARK_ASSIGN_OR_RETURN(HttpResponse res, Fetch(*uplink, std::move(req)));
  if (res.status == 404) return absl::NotFoundError("Not found");
  if (res.status != 200) {
    return absl::UnavailableError(
        StrCat("uplink ", uplink->name, " answered HTTP ", res.status, " for ", file));
  }
  // The strongest checksum the upstream declares; sha512 whenever present.
  bool match = false;
  if (StartsWith(v.integrity, "sha512-")) {
    match = Sha512Integrity(res.body) == v.integrity;
  } else if (!v.shasum.empty()) {
    match = HexEncode(Sha1(res.body)) == AsciiStrToLower(v.shasum);
  } else {
    return absl::FailedPreconditionError(
        StrCat("the upstream declares no usable checksum for ", name, "@", v.version));
  }
  if (!match) {
    if (guards_.events) {
      guards_.events(kIntegrityEvent, "",
                     StrCat(name, "@", v.version, " from ", uplink->name,
                            " does not match its declared integrity"),
                     name);
    }
    return absl::UnavailableError(StrCat("the tarball of ", name, "@", v.version, " from ",
                                         uplink->name, " does not match its integrity"));
  }
  Pending p;
  if (!allowed) {
    if (auto why = ScanRefusal(name, v, res.body, &p.verdict)) {
      return Refuse(name, v.version, *why);
    }
  }
  std::string key = HexEncode(Sha512(res.body));
  p.record = ProxiedTarball{std::string(name), v.version, key, v.integrity, res.body.size(),
                            clock_.Now()};
  p.bytes = std::make_shared<const std::string>(std::move(res.body));
  Tarball out{key, p.bytes->size(), p.bytes};
  // The first fetch is served from memory and written behind it (the blob's fsync and the
  // commit cost more than the 5 ms budget over the upstream's latency). The queue is written
  // in order and flushed at shutdown; a crash in between loses only the stored copy, and the
  // next request fetches and verifies it again.
  {
    absl::MutexLock l(&pmu_);
    std::string pending_key = StrCat(name, "@", v.version);
    if (pending_.contains(pending_key)) return out;  // A concurrent first fetch queued it.
    if (pending_bytes_ + p.bytes->size() <= kMaxPendingBytes) {
      pending_bytes_ += p.bytes->size();
      pending_.emplace(pending_key, p);
      queue_.push_back(std::move(p));
      return out;
    }
  }
  // The writer is behind: stored before it is served, as the store would otherwise grow
  // without bound in memory.
  BULWARK_RETURN_IF_ERROR(Persist(p));
  out.bytes = nullptr;
  return out;
}

absl::StatusOr<std::vector<std::string>> Proxy::ProbeConfusion(
    const std::vector<std::string>& names) {
  std::vector<std::string> findings;
  for (const std::string& name : names) {
    for (const auto& [uplink_name, uplink] : config_.uplinks) {
      auto doc = Probe(uplink, name);
      if (absl::IsNotFound(doc.status())) {
        // No longer offered: should it come back, that is a new finding.
        absl::Status s = store_.ClearConfusion(name, uplink_name);
        if (!s.ok()) LogWarning("proxy: confusion finding not cleared: %s", s.ToString());
        continue;
      }
      if (!doc.ok()) return doc.status();
      std::string versions;
      for (const auto& v : UpstreamVersions(*doc)) {
        if (!versions.empty()) versions += ", ";
        versions += v.version;
        if (versions.size() > 120) {
          versions += ", ...";
          break;
        }
      }
      std::string finding = StrCat(name, " (", uplink_name, " offers: ",
                                   versions.empty() ? "no versions" : versions, ")");
      std::string detail = StrCat("uplink ", uplink_name, " offers private name ", name, ": ",
                                  versions.empty() ? "no versions" : versions,
                                  "; only the private package is served");
      auto fresh = store_.RecordConfusion(name, uplink_name, detail, clock_.Now());
      // A store error reports it again rather than not at all.
      if (!fresh.ok()) LogWarning("proxy: confusion finding not recorded: %s", fresh.status().ToString());
      if (!fresh.ok() || *fresh) {
        LogWarning("proxy: %s", detail);
        if (guards_.events) guards_.events(kConfusionEvent, "", detail, name);
        if (guards_.confusion_alert) guards_.confusion_alert(name, detail);
      }
      findings.push_back(std::move(finding));
    }
  }
  return findings;
}

}  // namespace bulwark::proxy
