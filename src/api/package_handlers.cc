// Package endpoints: packuments, versions, tarballs, publish and the document PUTs, unpublish,
// dist-tags, access (npm-registry-api.md §2-§3).

#include <algorithm>

#include "base/strings.h"
#include "absl/strings/ascii.h"
#include "api/registry_api.h"
#include "accounts/email/email_security.h"
#include "api/routes.h"
#include "base/hash.h"
#include "base/package_name.h"
#include "base/semver.h"
#include "base/time_format.h"
#include "http/gzip.h"
#include "packaging/packument.h"

namespace bulwark {
namespace {

// Below this size gzip costs more than it saves.
constexpr size_t kGzipMinBytes = 1024;

RenderedDoc MakeDoc(std::string body, char kind) {
  RenderedDoc d;
  d.etag = StrCat("\"", HexEncode(Sha256(body)).substr(0, 24), "-", std::string(1, kind),
                        "\"");
  if (body.size() >= kGzipMinBytes) {
    d.gzip = std::make_shared<const std::string>(http::GzipCompress(body));
  }
  d.body = std::make_shared<const std::string>(std::move(body));
  return d;
}

double QValue(std::string_view accept, std::string_view type) {
  for (std::string_view part : StrSplit(accept, ',')) {
    part = StripAsciiWhitespace(part);
    std::string_view media = StripAsciiWhitespace(part.substr(0, part.find(';')));
    if (!EqualsIgnoreCase(media, type)) continue;
    size_t q = part.find("q=");
    if (q == std::string_view::npos) return 1.0;
    double v = 0;
    if (!SimpleAtod(part.substr(q + 2), &v)) return 0;
    return v;
  }
  return 0;
}

// Abbreviated iff the corgi type is acceptable at least as much as application/json
// (npm-registry-api.md §2.1); never for ?write=true.
bool WantsCorgi(const http::RequestHead& req) {
  if (QueryParam(req.query, "write")) return false;
  std::string_view accept = req.Header("accept");
  double corgi = QValue(accept, "application/vnd.npm.install-v1+json");
  return corgi > 0 && corgi >= QValue(accept, "application/json");
}

bool ValidName(std::string_view name) {
  return SplitPackageName(name).has_value() && ValidatePackageName(name).valid_for_old_packages;
}

bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  if (if_none_match.empty()) return false;
  std::string_view bare = etag.substr(1, etag.size() - 2);
  for (std::string_view tag : StrSplit(if_none_match, ',')) {
    tag = StripAsciiWhitespace(tag);
    if (StartsWith(tag, "W/")) tag.remove_prefix(2);
    if (tag == "*") return true;
    if (tag.size() >= 2 && tag.front() == '"') tag = tag.substr(1, tag.size() - 2);
    if (EndsWith(tag, "-gz")) tag.remove_suffix(3);
    if (tag == bare) return true;
  }
  return false;
}

}  // namespace

std::string RegistryApi::CurrentEmail(std::string_view user) const {
  if (options_.hide_emails) return "";
  auto u = accounts_.GetUser(user);
  return u.ok() ? u->email : "";
}

bool RegistryApi::EmailsCurrent(const CachedPackage& entry) const {
  for (const auto& [user, email] : entry.emails) {
    if (CurrentEmail(user) != email) return false;
  }
  return true;
}
RenderedDoc MakeRenderedDoc(std::string body, char kind) { return MakeDoc(std::move(body), kind); }

std::shared_ptr<const CachedPackage> RegistryApi::Render(const PackageRecord& p,
                                                         const std::string& base_url) {
  auto entry = std::make_shared<CachedPackage>();
  entry->name = p.name;
  entry->rev = p.rev;
  entry->restricted = p.restricted;
  entry->public_read = packages_.PubliclyReadable(p.name, p.restricted);
  entry->maintainers = p.maintainers;
  EmailLookup emails = [this, &entry](std::string_view user) -> std::string {
    std::string email = CurrentEmail(user);
    for (const auto& [u, e] : entry->emails) {
      if (u == user) return email;
    }
    entry->emails.emplace_back(std::string(user), email);
    return email;
  };
  entry->full = MakeDoc(ToJson(RenderFullPackument(p, base_url, emails)), 'f');
  entry->corgi = MakeDoc(ToJson(RenderAbbreviatedPackument(p, base_url)), 'a');
  entry->last_modified = FormatHttpDate(p.modified);
  for (const auto& [ver, v] : p.versions) {
    if (v.unpublished) continue;
    TarballRef ref;
    ref.blob_key = v.blob_key;
    ref.shasum = v.shasum;
    ref.size = v.size;
    if (auto loc = packages_.blobs().Locate(v.blob_key); loc.ok()) {
      ref.blob_path = loc->path;
      ref.size = loc->size;
    }
    entry->tarballs.emplace(TarballFileName(p.name, ver), std::move(ref));
  }
  return entry;
}

bool RegistryApi::ServeFromCache(const http::Request& req, const CachedPackage& entry,
                                 const std::string& file, http::Response& res) {
  const char* cache_control = entry.public_read ? "no-cache" : "private, no-cache";
  if (!file.empty()) {
    auto it = entry.tarballs.find(file);
    if (it == entry.tarballs.end()) {
      res = ErrorResponse(absl::NotFoundError("Not found"));
      return true;
    }
    std::shared_ptr<const std::string> bytes = blob_cache_.Find(it->second.blob_key);
    // Without the bytes in memory or a local file, the worker path loads or reports them.
    if (!bytes && (it->second.blob_path.empty() || it->second.size <= blob_cache_.max_blob_bytes())) {
      return false;
    }
    std::string etag = StrCat("\"", it->second.shasum, "\"");
    if (EtagMatches(req.Header("if-none-match"), etag)) {
      res = http::Response();
      res.status = 304;
      res.Set("etag", etag);
      return true;
    }
    res = http::Response();
    if (downloads_ && req.method == "GET") downloads_->Count(entry.name);
    if (bytes) {
      res.shared_body = std::move(bytes);
    } else {
      res.file_path = it->second.blob_path;
      res.file_size = it->second.size;
    }
    // Never a Content-Encoding on tarballs: clients would inflate them and fail integrity.
    res.Set("content-type", "application/octet-stream");
    res.Set("etag", etag);
    res.Set("cache-control", entry.public_read ? "public, max-age=31536000, immutable"
                                               : "private, max-age=31536000, immutable");
    return true;
  }
  const bool corgi = WantsCorgi(req);
  const RenderedDoc& doc = corgi ? entry.corgi : entry.full;
  const bool gz = doc.gzip && http::AcceptsGzip(req.Header("accept-encoding"));
  std::string etag = doc.etag;
  if (gz) etag.insert(etag.size() - 1, "-gz");
  res = http::Response();
  res.Set("etag", etag);
  res.Set("last-modified", entry.last_modified);
  res.Set("cache-control", cache_control);
  res.Set("vary", "Accept, Accept-Encoding");
  if (EtagMatches(req.Header("if-none-match"), doc.etag)) {
    res.status = 304;
    return true;
  }
  res.Set("content-type", corgi ? "application/vnd.npm.install-v1+json" : "application/json");
  if (gz) {
    res.Set("content-encoding", "gzip");
    res.shared_body = doc.gzip;
  } else {
    res.shared_body = doc.body;
  }
  return true;
}

absl::StatusOr<std::shared_ptr<const CachedPackage>> RegistryApi::LoadCached(
    Ctx& ctx, const std::string& name) {
  if (!ValidName(name)) return absl::NotFoundError("Not found");
  bool fresh = false;
  auto entry = cache_.Find(name, ctx.base_url, clock_.Now(), &fresh);
  if (entry && !QueryParam(ctx.req.query, "write")) {
    BULWARK_ASSIGN_OR_RETURN(int64_t rev, packages_.Revision(name));
    if (rev == entry->rev && EmailsCurrent(*entry)) {
      const auto& who = ctx.who();
      bool maintainer =
          who && (who->admin || std::find(entry->maintainers.begin(), entry->maintainers.end(),
                                          who->user) != entry->maintainers.end());
      if (entry->public_read || maintainer) {
        cache_.Touch(name, ctx.base_url, clock_.Now());
        return entry;
      }
    }
  }
  BULWARK_ASSIGN_OR_RETURN(PackageRecord p, packages_.Read(name, ctx.who()));
  auto rendered = Render(p, ctx.base_url);
  cache_.Put(ctx.base_url, rendered, clock_.Now());
  return rendered;
}

http::Response RegistryApi::GetPackument(Ctx& ctx, const std::string& name) {
  auto entry = LoadCached(ctx, name);
  if (!entry.ok()) {
    if (auto proxied = ProxyPackument(ctx, name, entry.status())) return std::move(*proxied);
    return ErrorResponse(entry.status());
  }
  http::Response res;
  ServeFromCache(ctx.req, **entry, "", res);
  if (QueryParam(ctx.req.query, "write")) {
    // Write reads feed deprecate/unpublish/owner PUTs: always the full, current document.
    res.headers.erase(std::remove_if(res.headers.begin(), res.headers.end(),
                                     [](const auto& h) { return h.first == "cache-control"; }),
                      res.headers.end());
    res.Set("cache-control", "no-store");
  }
  return res;
}

http::Response RegistryApi::GetVersion(Ctx& ctx, const std::string& name, const std::string& spec) {
  if (!ValidName(name)) return ErrorResponse(absl::NotFoundError("Not found"));
  auto p = packages_.Read(name, ctx.who());
  if (!p.ok()) {
    if (auto proxied = ProxyVersion(ctx, name, spec, p.status())) return std::move(*proxied);
    return ErrorResponse(p.status());
  }
  std::string version = spec;
  if (auto tag = p->dist_tags.find(spec); tag != p->dist_tags.end()) {
    version = tag->second;
  } else if (!p->versions.count(spec)) {
    // A range picks the highest matching live version, as the registry's version endpoint does.
    std::vector<std::string> live;
    for (const auto& [v, rec] : p->versions) {
      if (!rec.unpublished) live.push_back(v);
    }
    if (auto best = semver::MaxSatisfying(live, spec)) version = *best;
  }
  EmailLookup emails = [this](std::string_view user) { return CurrentEmail(user); };
  auto obj = RenderVersion(*p, version, ctx.base_url, emails);
  if (!obj) {
    return ErrorResponse(
        absl::NotFoundError(StrCat("version not found: ", name, "@", spec)));
  }
  return JsonResponse(200, *obj);
}

http::Response RegistryApi::GetTarball(Ctx& ctx, const std::string& name, const std::string& file) {
  auto entry = LoadCached(ctx, name);
  if (!entry.ok()) {
    if (auto proxied = ProxyTarball(ctx, name, file, entry.status())) return std::move(*proxied);
    return ErrorResponse(entry.status());
  }
  if (auto it = (*entry)->tarballs.find(file); it != (*entry)->tarballs.end() &&
                                               it->second.size <= blob_cache_.max_blob_bytes() &&
                                               !blob_cache_.Find(it->second.blob_key)) {
    auto bytes = packages_.blobs().Get(it->second.blob_key);
    if (bytes.ok()) {
      blob_cache_.Put(it->second.blob_key,
                      std::make_shared<const std::string>(std::move(*bytes)));
    }
  }
  http::Response res;
  if (ServeFromCache(ctx.req, **entry, file, res)) return res;
  // Known version whose blob is missing: storage is damaged (bulwark fsck reports it).
  return ErrorResponse(absl::InternalError(StrCat("blob missing for ", name, "/", file)));
}

http::Response RegistryApi::PutPackage(Ctx& ctx, const std::string& name, bool with_rev) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  if (!SplitPackageName(name)) {
    return ErrorResponse(absl::InvalidArgumentError("invalid package name"));
  }
  auto body = JsonBody(ctx);
  if (!body.ok()) return ErrorResponse(body.status());
  // Every document PUT is a write that needs the second factor in auth-and-writes mode, except
  // npm star/unstar ({_id, _rev, users}: no versions, no maintainers), which npm sends without
  // otplease and which changes only the caller's own star (§3.2, §5.5).
  const bool star = !body->contains("versions") && !body->contains("maintainers") &&
                    body->contains("users") && !body->contains("_attachments");
  if (!star) {
    absl::Status gate = PackageWriteGate(ctx, *who, name);
    // An address nobody proved is no way to reach a publisher (docs/email.md, config switch).
    if (gate.ok() && email_) gate = email_->CheckMayPublish(who->user);
    if (!gate.ok()) return ErrorResponse(gate);
  }
  const json::object* attachments = GetObject(*body, "_attachments");
  if (!with_rev && attachments && !attachments->empty()) {
    if (auto staged = MaybeStage(ctx, *who, name, *body)) return std::move(*staged);
    auto result = packages_.Publish(*who, name, *body);
    if (!result.ok()) {
      absl::Status s = result.status();
      // Tarball limits are the publisher's problem (400), not throttling (429 makes npm retry).
      if (absl::IsResourceExhausted(s)) s = absl::InvalidArgumentError(s.message());
      return ErrorResponse(s);
    }
    http::Response r = JsonResponse(201, json::object{{"ok", true},
                                                      {"id", name},
                                                      {"success", true}});
    if (result->already_published) {
      r.Set("npm-notice", StrCat(name, "@", result->version, " was already published"));
    } else if (!result->notice.empty()) {
      // npm prints it as "npm notice ..." (a warning from the publish gate, or a hold).
      r.Set("npm-notice", result->notice);
    }
    return r;
  }
  absl::Status s = packages_.ApplyDocument(*who, name, *body);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, json::object{{"ok", true}, {"id", name}});
}

http::Response RegistryApi::DeletePackage(Ctx& ctx, const std::string& name) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  absl::Status s = PackageWriteGate(ctx, *who, name);
  if (s.ok()) s = packages_.UnpublishPackage(*who, name);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, json::object{{"ok", true}});
}

http::Response RegistryApi::DeleteTarball(Ctx& ctx, const std::string& name,
                                          const std::string& file) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  // No second factor here: this DELETE changes nothing (the version was unpublished by the
  // document PUT before it, which needed one), and npm sends it in the same otplease as that
  // PUT with the same, by then spent, code (§3.4).
  absl::Status s = PackageWriteGate(ctx, *who, name, /*otp_applies=*/false);
  if (s.ok()) s = packages_.DeleteTarball(*who, name, file);
  if (!s.ok()) return ErrorResponse(s);
  return JsonResponse(200, json::object{{"ok", true}});
}

// /-/package/<pkg>/{dist-tags[/<tag>], visibility, collaborators, access}
http::Response RegistryApi::PackageSubresource(Ctx& ctx, const std::vector<std::string>& segs) {
  // segs: ["-", "package", "<pkg>", "<what>", ...]
  if (segs.size() < 4) return ErrorResponse(absl::NotFoundError("Not found"));
  const std::string& name = segs[2];
  const std::string& what = segs[3];
  const std::string& m = ctx.req.method;
  auto tags_json = [&](const PackageRecord& p) {
    json::object o;
    for (const auto& [tag, v] : p.dist_tags) o[tag] = v;
    return o;
  };
  if (what == "dist-tags") {
    if (segs.size() == 4 && (m == "GET" || m == "HEAD")) {
      auto p = packages_.Read(name, ctx.who());
      if (!p.ok()) return ErrorResponse(p.status());
      http::Response r = JsonResponse(200, tags_json(*p));
      r.Set("cache-control", "no-cache");
      return r;
    }
    if (segs.size() != 5) return ErrorResponse(absl::NotFoundError("Not found"));
    auto who = RequireUser(ctx);
    if (!who.ok()) return ErrorResponse(who.status());
    // Unlike npmjs, every dist-tag change needs the second factor, not only `latest`: `next`
    // or `beta` are installed by name too, so moving them is as good as publishing.
    absl::Status s = PackageWriteGate(ctx, *who, name);
    if (!s.ok()) return ErrorResponse(s);
    if (m == "PUT") {
      auto v = ParseJson(ctx.req.body);
      if (!v.ok() || !v->is_string()) {
        return ErrorResponse(absl::InvalidArgumentError("the body must be a JSON string version"));
      }
      s = packages_.SetDistTag(*who, name, segs[4], std::string(v->get_string()));
    } else if (m == "DELETE") {
      s = packages_.RemoveDistTag(*who, name, segs[4]);
    } else {
      return ErrorResponse(absl::NotFoundError("Not found"));
    }
    if (!s.ok()) return ErrorResponse(s);
    auto p = packages_.Read(name, ctx.who());
    if (!p.ok()) return ErrorResponse(p.status());
    return JsonResponse(200, tags_json(*p));
  }
  if (segs.size() != 4) return ErrorResponse(absl::NotFoundError("Not found"));
  if (what == "visibility" && (m == "GET" || m == "HEAD")) {
    auto p = packages_.Read(name, ctx.who());
    if (!p.ok()) return ErrorResponse(p.status());
    return JsonResponse(200, json::object{{"public", !p->restricted}});
  }
  if (what == "collaborators" && (m == "GET" || m == "HEAD")) {
    auto p = packages_.Read(name, ctx.who());
    if (!p.ok()) return ErrorResponse(p.status());
    json::object o;
    for (const auto& u : p->maintainers) o[u] = "write";
    return JsonResponse(200, o);
  }
  if (what == "access" && m == "POST") {
    auto who = RequireUser(ctx);
    if (!who.ok()) return ErrorResponse(who.status());
    auto body = JsonBody(ctx);
    if (!body.ok()) return ErrorResponse(body.status());
    if (body->contains("publish_requires_tfa")) return SetPackageMfa(ctx, name, *body);
    absl::Status gate = PackageWriteGate(ctx, *who, name);
    if (!gate.ok()) return ErrorResponse(gate);
    if (auto access = GetString(*body, "access")) {
      if (*access != "public" && *access != "restricted") {
        return ErrorResponse(
            absl::InvalidArgumentError("access must be \"public\" or \"restricted\""));
      }
      absl::Status s = packages_.SetRestricted(*who, name, *access == "restricted");
      if (!s.ok()) return ErrorResponse(s);
      return JsonResponse(200, json::object{{"ok", true}});
    }
    return ErrorResponse(absl::InvalidArgumentError(
        "expected {\"access\": ...} or {\"publish_requires_tfa\": ...}"));
  }
  return ErrorResponse(absl::NotFoundError("Not found"));
}

}  // namespace bulwark
