#include "base/strings.h"
#include "api/registry_api.h"

#include "absl/strings/ascii.h"
#include "api/routes.h"
#include "base/log.h"
#include "web/pages.h"

namespace bulwark {

http::Response JsonResponse(int status, const json::value& body) {
  return http::Response::Json(status, ToJson(body));
}

http::Response NoStore(http::Response r) {
  r.Set("cache-control", "no-store");
  return r;
}

RegistryApi::RegistryApi(AccountService& accounts, PackageService& packages, Clock& clock,
                         ApiOptions options, DownloadCounter* downloads,
                         AdvisoryStore* advisories)
    : accounts_(accounts),
      packages_(packages),
      clock_(clock),
      options_(std::move(options)),
      cache_(options_.cache_ttl, options_.cache_entries),
      blob_cache_(options_.tarball_cache_bytes, options_.tarball_cache_max_blob),
      downloads_(downloads),
      advisories_(advisories),
      advisory_index_(NewAdvisoryIndexCache(advisories)) {
  packages_.OnChange([this](const std::string& name) { cache_.Invalidate(name); });
}

http::Response RegistryApi::ErrorResponse(const absl::Status& status) {
  int code = 500;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      code = 400;
      break;
    case absl::StatusCode::kUnauthenticated:
      code = 401;
      break;
    case absl::StatusCode::kPermissionDenied:
      code = 403;
      break;
    case absl::StatusCode::kNotFound:
      code = 404;
      break;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      code = 409;
      break;
    case absl::StatusCode::kFailedPrecondition:
      code = 422;
      break;
    case absl::StatusCode::kResourceExhausted:
      code = 429;
      break;
    case absl::StatusCode::kUnimplemented:
      code = 501;
      break;
    case absl::StatusCode::kUnavailable:
      code = 503;
      break;
    default:
      break;
  }
  std::string message(status.message());
  if (code == 500) {
    // Internals stay in the log.
    LogError("internal error: %s", status.ToString());
    message = "internal error";
  }
  json::object body{{"error", message}};
  if (auto web = WebOtpUrls(status)) {
    // npm opens authUrl and polls doneUrl, then retries with the token (§1.5).
    body["authUrl"] = web->first;
    body["doneUrl"] = web->second;
  }
  http::Response r = JsonResponse(code, body);
  if (IsOtpRequired(status)) {
    // Its own element: npm splits the header on commas and looks for "otp" (§1.5), then
    // prompts for a code on a terminal. The body says "one-time password" for clients that
    // only read the body, and a wrong code is also shown as a notice (npm prints those even
    // on errors, while its EOTP message cannot tell "missing" from "wrong").
    r.Set("www-authenticate", "OTP");
    if (IsWrongOtp(status)) r.Set("npm-notice", message);
  } else if (IsIpRefused(status)) {
    // npm reports this element as EAUTHIP "Login is not allowed from your IP address" (§1.5).
    r.Set("www-authenticate", "ipaddress");
  } else if (auto wait = ThrottleRetryAfter(status)) {
    r.Set("retry-after", StrCat(*wait));
  } else if (code == 401) {
    r.Set("www-authenticate", "Bearer realm=\"bulwark\"");
  }
  return r;
}

std::string RegistryApi::BaseUrl(const http::RequestHead& req) const {
  if (!options_.public_url.empty()) return options_.public_url;
  std::string_view host = req.Header("host");
  bool ok = !host.empty() && host.size() <= 255;
  for (char c : host) {
    // Host goes into URLs we hand out: allow only host[:port] characters (no injection).
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']') {
      ok = false;
    }
  }
  return StrCat(req.secure ? "https://" : "http://", ok ? host : options_.fallback_host);
}

absl::StatusOr<Identity> RegistryApi::RequireUser(const Ctx& ctx) const {
  if (ctx.auth.identity) return *ctx.auth.identity;
  if (ctx.auth.ip_refused) return IpRefusedError(ctx.auth.rejected);
  if (!ctx.auth.rejected.empty()) return absl::UnauthenticatedError(ctx.auth.rejected);
  return absl::UnauthenticatedError("You must be logged in to do this. Run npm login.");
}

absl::Status RegistryApi::SecondFactor(const Ctx& ctx, const std::string& user,
                                       TfaAction action) {
  return WithWebOtp(ctx, user,
                    accounts_.CheckSecondFactor(user, action, ctx.req.Header("npm-otp"),
                                                ctx.req.remote_ip, &ctx.notice));
}

absl::Status RegistryApi::PackageWriteGate(const Ctx& ctx, const Identity& who,
                                           const std::string& package, bool otp_applies) {
  BULWARK_RETURN_IF_ERROR(CheckTokenAllows(who, package));
  if (mfa_) {
    return WithWebOtp(ctx, who.user,
                      mfa_->CheckPackageWrite(who, package, ctx.req.Header("npm-otp"),
                                              ctx.req.remote_ip, otp_applies, &ctx.notice));
  }
  if (!otp_applies || who.bypass_2fa) return absl::OkStatus();
  return SecondFactor(ctx, who.user, TfaAction::kWrite);
}

void RegistryApi::RecordBlockedWrite(const Ctx& ctx, const http::Response& res) {
  const std::string& m = ctx.req.method;
  if (m == "GET" || m == "HEAD" || (res.status != 401 && res.status != 403 && res.status != 429)) {
    return;
  }
  const std::string& path = ctx.req.path;
  // Logins and web-login forms record their own events (login.failure, login.throttled).
  if (StartsWith(path, "/-/user/org.couchdb.user:") || StartsWith(path, "/-/web/login/") ||
      StartsWith(path, "/-/v1/")) {
    return;
  }
  std::string user = ctx.who() ? ctx.who()->user : ctx.auth.token_user;
  std::string why;
  if (auto body = ParseJson(res.body); body.ok() && body->is_object()) {
    why = std::string(GetString(body->get_object(), "error").value_or(""));
  }
  if (why.empty()) why = ctx.auth.rejected;
  std::string package;
  if (auto route = ParsePackageRoute(path)) {
    package = route->name;
  } else if (StartsWith(path, "/-/package/")) {
    if (auto decoded = PercentDecode(path)) {
      auto segs = SplitSegments(*decoded, 2);
      if (segs.size() > 2) package = segs[2];
    }
  }
  std::string token;
  if (ctx.who() && !ctx.who()->token_prefix.empty()) {
    token = StrCat(" with token ", ctx.who()->token_prefix);
  } else if (ctx.req.Header("authorization").empty()) {
    token = " without credentials";
  }
  accounts_.RecordEvent("write.blocked", user, ctx.req.remote_ip,
                        StrCat(m, " ", path, token, ": ", res.status, " ", why), package);
}

absl::StatusOr<json::object> RegistryApi::JsonBody(const Ctx& ctx) const {
  BULWARK_ASSIGN_OR_RETURN(json::value v, ParseJson(ctx.req.body));
  if (!v.is_object()) return absl::InvalidArgumentError("the request body must be a JSON object");
  return std::move(v.get_object());
}

uint64_t RegistryApi::BodyLimit(const http::RequestHead& head) {
  if (head.method == "GET" || head.method == "HEAD") return 0;
  if (head.method == "PUT" && !StartsWith(head.path, "/-/")) return options_.max_publish_body;
  // `npm stage publish` posts the whole publish document (§9.4).
  if (head.method == "POST" && StartsWith(head.path, "/-/stage/package/")) {
    return options_.max_publish_body;
  }
  return options_.max_json_body;
}

bool RegistryApi::TryFast(const http::Request& req, http::Response& res) {
  if ((req.method != "GET" && req.method != "HEAD") || StartsWith(req.path, "/-/")) {
    return false;
  }
  // Credentials are checked on the worker pool (a dead token earns an npm-notice there).
  if (!req.Header("authorization").empty()) return false;
  auto route = ParsePackageRoute(req.path);
  if (!route || (route->kind != PackageRoute::Kind::kPackument &&
                 route->kind != PackageRoute::Kind::kTarball)) {
    return false;
  }
  bool fresh = false;
  auto entry = cache_.Find(route->name, BaseUrl(req), clock_.Now(), &fresh);
  if (!entry || !fresh || !entry->public_read) return false;
  if (route->kind == PackageRoute::Kind::kPackument && QueryParam(req.query, "write")) {
    return false;  // ?write=true always reads the store (npm-registry-api.md §1.7).
  }
  return ServeFromCache(req, *entry, route->kind == PackageRoute::Kind::kTarball ? route->arg : "",
                        res);
}

http::Response RegistryApi::Handle(const http::Request& req) {
  Ctx ctx{req, BaseUrl(req), {}, {}};
  auto auth = accounts_.Authenticate(req.Header("authorization"), req.remote_ip);
  if (!auth.ok()) return ErrorResponse(auth.status());
  ctx.auth = std::move(*auth);
  http::Response res = Dispatch(ctx);
  RecordBlockedWrite(ctx, res);
  if (ctx.notice.empty() && email_domains_ && ctx.who()) {
    // The owner of an account whose email domain was flagged hears it on every authenticated
    // request until the address changes (docs/email-domains.md): email is the channel in doubt.
    if (auto why = email_domains_->FlaggedReason(ctx.who()->user)) {
      ctx.notice = StrCat("The domain of your account's email address can no longer be trusted (",
                          *why, "). Password reset by email is disabled; change your address.");
    }
  }
  if (!ctx.notice.empty()) res.Set("npm-notice", ctx.notice);
  if (!ctx.auth.rejected.empty() && (res.status < 400 || res.status == 401) &&
      ctx.notice.empty() && !StartsWith(req.path, "/-/npm/v1/oidc/")) {
    // A dead token on a read is served anonymously, with a hint (npm/cli#8816); on a 401 the
    // notice is what npm shows besides its generic E401 text (it prints notices on errors).
    res.Set("npm-notice", ctx.auth.rejected);
  }
  return res;
}

http::Response RegistryApi::Dispatch(Ctx& ctx) {
  const http::Request& req = ctx.req;
  const std::string& m = req.method;
  const bool get = m == "GET" || m == "HEAD";
  if (!StartsWith(req.path, "/-/")) {
    if (req.path == "/" && get) {
      http::Response r;
      r.body = web::HomePage();
      r.Set("content-type", "text/html; charset=utf-8");
      return r;
    }
    auto route = ParsePackageRoute(req.path);
    if (!route) return ErrorResponse(absl::NotFoundError("Not found"));
    using K = PackageRoute::Kind;
    switch (route->kind) {
      case K::kPackument:
        if (get) return GetPackument(ctx, route->name);
        if (m == "PUT") return PutPackage(ctx, route->name, false);
        break;
      case K::kPackageRev:
        if (m == "PUT") return PutPackage(ctx, route->name, true);
        if (m == "DELETE") return DeletePackage(ctx, route->name);
        break;
      case K::kVersion:
        if (get) return GetVersion(ctx, route->name, route->arg);
        break;
      case K::kTarball:
        if (get) return GetTarball(ctx, route->name, route->arg);
        break;
      case K::kTarballRev:
        if (m == "DELETE") return DeleteTarball(ctx, route->name, route->arg);
        break;
    }
    return ErrorResponse(absl::NotFoundError("Not found"));
  }

  auto decoded = PercentDecode(req.path);
  if (!decoded) return ErrorResponse(absl::InvalidArgumentError("malformed URL escape"));
  const std::string& p = *decoded;
  if (p == "/-/ping") return JsonResponse(200, json::object{});
  if (p == "/-/whoami" && get) return Whoami(ctx);
  if (p == "/-/v1/search" && get) return Search(ctx);
  if (p == "/-/v1/login" && m == "POST") return StartWebLogin(ctx);
  if (StartsWith(p, "/-/v1/done/2fa/") && get) return PollWebOtp(ctx, p.substr(15));
  if (StartsWith(p, "/-/v1/done/") && get) return PollWebLogin(ctx, p.substr(11));
  if (StartsWith(p, "/-/web/login/")) return WebLoginPage(ctx, p.substr(13));
  // The package page and its report form (moderation) are plain pages, on any host name; the
  // rest of /-/web/ is the security-key pages, kept on the relying party's origin.
  if (StartsWith(p, "/-/web/package/")) {
    if (auto r = ModerationRoute(ctx, p)) return std::move(*r);
  }
  if (StartsWith(p, "/-/web/")) return WebPages(ctx, p);
  if (StartsWith(p, "/-/user/org.couchdb.user:")) {
    std::string rest = p.substr(25);
    std::string name = rest.substr(0, rest.find('/'));
    if (m == "PUT") return CouchLogin(ctx, name);
    if (get) return GetCouchUser(ctx, name);
  }
  if (StartsWith(p, "/-/user/token/") && m == "DELETE") return Logout(ctx, p.substr(14));
  if (p == "/-/npm/v1/user" && get) return GetProfile(ctx);
  if (p == "/-/npm/v1/user" && m == "POST") return UpdateProfile(ctx);
  if (p == "/-/npm/v1/tokens" && get) return ListTokens(ctx);
  if (p == "/-/npm/v1/tokens" && m == "POST") return CreateToken(ctx);
  if (StartsWith(p, "/-/npm/v1/tokens/token/") && m == "DELETE") {
    return RevokeToken(ctx, p.substr(23));
  }
  if (StartsWith(p, "/-/package/")) {
    std::vector<std::string> segs = SplitSegments(p, 2);
    if (segs.size() >= 4 && segs[3] == "trust") return TrustRoute(ctx, segs);
    if (segs.size() == 4 && segs[3] == "staging") return StagingPolicy(ctx, segs[2]);
    return PackageSubresource(ctx, segs);
  }
  if (p == "/-/stage" || StartsWith(p, "/-/stage/")) return StageRoute(ctx, p);
  // Absolute path: npm drops a registry path prefix here (npm-registry-api.md §9.1).
  constexpr std::string_view kOidcExchange = "/-/npm/v1/oidc/token/exchange/package/";
  if (StartsWith(p, kOidcExchange) && m == "POST") {
    return OidcExchange(ctx, p.substr(kOidcExchange.size()));
  }
  if (p == "/-/_view/starredByUser" && get) return StarredByUser(ctx);
  if (StartsWith(p, "/-/user/") && EndsWith(p, "/package") && get) {
    return UserPackages(ctx, p.substr(8, p.size() - 8 - 8));
  }
  if (p == "/-/bulwark/v1/events" && get) return ListEvents(ctx);
  if (p == "/-/bulwark/v1/recovery-codes" && m == "POST") return RegenerateRecoveryCodes(ctx);
  if (p == "/-/bulwark/v1/stats" && get) return Stats(ctx);
  if (p == "/-/npm/v1/security/advisories/bulk" && m == "POST") return AuditBulk(ctx);
  if ((p == "/-/npm/v1/security/audits/quick" || p == "/-/npm/v1/security/audits") &&
      m == "POST") {
    return AuditQuick(ctx);
  }
  if (p == "/-/bulwark/v1/advisories") return AdvisoryAdmin(ctx, "");
  if (StartsWith(p, "/-/bulwark/v1/advisories/")) return AdvisoryAdmin(ctx, p.substr(25));
  if (p == "/-/npm/v1/keys" && get) return GetSigningKeys(ctx);
  if (auto r = EmailRoute(ctx, p)) return std::move(*r);
  if (p == "/-/bulwark/v1/proxy/refusals" && get) return ProxyRefusals(ctx);
  if (auto r = ModerationRoute(ctx, p)) return std::move(*r);
  if (auto r = SandboxRoute(ctx, p)) return std::move(*r);
  return ErrorResponse(absl::NotFoundError("Not found"));
}

}  // namespace bulwark
