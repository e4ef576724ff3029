// The upstream proxy's side of the package endpoints (docs/proxy.md): when a name is not stored
// here, its packument, versions and tarballs come from proxy::Proxy, which applies the
// dependency-confusion guard and the firewall. Rendered documents join the package cache, so
// repeated reads take the same path (and the same I/O-thread fast path) as local packages.

#include <algorithm>

#include "api/registry_api.h"
#include "api/routes.h"
#include "base/semver.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "packaging/packument.h"
#include "proxy/proxy.h"

namespace bulwark {
namespace {

// Whether the proxy may answer: there is one, the local lookup found nothing, and nothing of
// that name is stored here in any state (an unreadable or unpublished local package is still
// local: it must never be shadowed by an upstream one).
// ?write=true reads feed writes to local packages (npm-registry-api.md §1.7): never proxied.
bool ProxyApplies(proxy::Proxy* proxy, PackageService& packages, const http::Request& req,
                  const absl::Status& local, const std::string& name) {
  if (!proxy || !absl::IsNotFound(local) || QueryParam(req.query, "write")) return false;
  auto rev = packages.Revision(name);
  return rev.ok() && *rev == 0;
}

}  // namespace

std::optional<http::Response> RegistryApi::ProxyPackument(Ctx& ctx, const std::string& name,
                                                          const absl::Status& local) {
  if (!ProxyApplies(proxy_, packages_, ctx.req, local, name)) return std::nullopt;
  const bool public_read = packages_.PubliclyReadable(name, false);
  if (!public_read && !ctx.who()) return ErrorResponse(absl::NotFoundError("Not found"));
  auto doc = proxy_->GetPackument(name, ctx.base_url);
  if (!doc.ok()) return ErrorResponse(doc.status());
  const proxy::UplinkConfig* uplink = proxy_->Route(name);
  // The I/O-thread fast path serves an entry for the API cache's TTL without asking the proxy;
  // only when the uplink's max_age is at least that long (else revalidation would be late).
  const bool fast = public_read && doc->warning.empty() && uplink &&
                    uplink->max_age >= options_.cache_ttl;
  std::shared_ptr<const CachedPackage> entry;
  bool fresh = false;
  if (auto cached = cache_.Find(name, ctx.base_url, clock_.Now(), &fresh);
      cached && cached->source == doc->doc && cached->public_read == fast) {
    entry = cached;
  } else {
    auto e = std::make_shared<CachedPackage>();
    e->name = name;
    e->rev = -1;  // Never equal to a stored revision: LoadCached always asks again.
    e->public_read = fast;
    e->full = MakeRenderedDoc(doc->doc->full, 'f');
    e->corgi = MakeRenderedDoc(doc->doc->corgi, 'a');
    e->last_modified = FormatHttpDate(doc->doc->modified);
    for (const auto& [file, v] : doc->doc->tarballs) {
      TarballRef ref;  // No blob yet: the fast path hands tarball requests to GetTarball.
      ref.shasum = v.shasum;
      e->tarballs.emplace(file, std::move(ref));
    }
    // Versions held back by the cooldown: their tarballs too go to GetTarball, which says why.
    for (const std::string& v : doc->doc->cooling) e->tarballs.emplace(TarballFileName(name, v), TarballRef());
    e->source = doc->doc;
    if (doc->warning.empty()) cache_.Put(ctx.base_url, e, clock_.Now());
    entry = std::move(e);
  }
  http::Response res;
  ServeFromCache(ctx.req, *entry, "", res);
  if (!doc->warning.empty()) res.Set("warning", doc->warning);
  return res;
}

std::optional<http::Response> RegistryApi::ProxyVersion(Ctx& ctx, const std::string& name,
                                                        const std::string& spec,
                                                        const absl::Status& local) {
  if (!ProxyApplies(proxy_, packages_, ctx.req, local, name)) return std::nullopt;
  if (!packages_.PubliclyReadable(name, false) && !ctx.who()) {
    return ErrorResponse(absl::NotFoundError("Not found"));
  }
  auto doc = proxy_->GetPackument(name, ctx.base_url);
  if (!doc.ok()) return ErrorResponse(doc.status());
  auto full = ParseJson(doc->doc->full);
  if (!full.ok() || !full->is_object()) return ErrorResponse(full.status());
  const json::object& o = full->get_object();
  const json::object* versions = GetObject(o, "versions");
  const json::object* tags = GetObject(o, "dist-tags");
  std::string version = spec;
  if (tags) {
    if (auto t = GetString(*tags, spec)) version = std::string(*t);
  }
  if (versions && !versions->contains(version)) {
    std::vector<std::string> all;
    for (const auto& kv : *versions) all.emplace_back(kv.key());
    if (auto best = semver::MaxSatisfying(all, spec)) version = *best;
  }
  const json::object* v = versions ? GetObject(*versions, version) : nullptr;
  if (!v) return ErrorResponse(absl::NotFoundError(StrCat("version not found: ", name, "@", spec)));
  http::Response res = JsonResponse(200, *v);
  if (!doc->warning.empty()) res.Set("warning", doc->warning);
  return res;
}

std::optional<http::Response> RegistryApi::ProxyTarball(Ctx& ctx, const std::string& name,
                                                        const std::string& file,
                                                        const absl::Status& local) {
  if (!ProxyApplies(proxy_, packages_, ctx.req, local, name)) return std::nullopt;
  const bool public_read = packages_.PubliclyReadable(name, false);
  if (!public_read && !ctx.who()) return ErrorResponse(absl::NotFoundError("Not found"));
  auto tarball = proxy_->GetTarball(name, file);
  if (!tarball.ok()) return ErrorResponse(tarball.status());
  std::string etag = StrCat("\"", tarball->blob_key.substr(0, 40), "\"");
  http::Response res;
  res.Set("etag", etag);
  if (std::string_view inm = ctx.req.Header("if-none-match"); !inm.empty() && inm == etag) {
    res.status = 304;
    return res;
  }
  if (downloads_ && ctx.req.method == "GET") downloads_->Count(name);
  if (tarball->bytes) {
    // A first fetch, still on its way to the store (docs/proxy.md §Tarballs).
    res.shared_body = tarball->bytes;
  } else {
    auto loc = packages_.blobs().Locate(tarball->blob_key);
    if (!loc.ok()) return ErrorResponse(loc.status());
    res.file_path = loc->path;
    res.file_size = loc->size;
  }
  // Never a Content-Encoding on tarballs: clients would inflate them and fail integrity.
  res.Set("content-type", "application/octet-stream");
  res.Set("cache-control", public_read ? "public, max-age=31536000, immutable"
                                       : "private, max-age=31536000, immutable");
  return res;
}

// GET /-/bulwark/v1/proxy/refusals[?limit=N&before=ID]: refusals, confusion attempts and
// integrity failures of the proxy, newest first. Administrators only.
http::Response RegistryApi::ProxyRefusals(Ctx& ctx) {
  auto who = RequireAdmin(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  SecurityStore* log = accounts_.event_log();
  if (!log) return ErrorResponse(absl::NotFoundError("the security event log is not enabled"));
  EventQuery q;
  q.kind_prefix = "proxy.";
  int64_t limit = 100, before = 0;
  if (auto v = QueryParam(ctx.req.query, "limit"); v && !SimpleAtoi(*v, &limit)) {
    return ErrorResponse(absl::InvalidArgumentError("limit must be a number"));
  }
  if (auto v = QueryParam(ctx.req.query, "before"); v && !SimpleAtoi(*v, &before)) {
    return ErrorResponse(absl::InvalidArgumentError("before must be an event id"));
  }
  q.limit = static_cast<size_t>(std::clamp<int64_t>(limit, 1, 500));
  q.before_id = std::max<int64_t>(before, 0);
  auto events = log->ListEvents(q);
  if (!events.ok()) return ErrorResponse(events.status());
  json::array list;
  for (const auto& e : *events) {
    list.push_back(json::object{{"id", e.id},
                                {"time", FormatIsoTime(e.time)},
                                {"kind", e.kind},
                                {"package", e.package},
                                {"detail", e.detail}});
  }
  return NoStore(JsonResponse(200, json::object{{"events", std::move(list)}}));
}

}  // namespace bulwark
