// Moderation endpoints (docs/moderation.md): reports from anyone, the admin queue, the
// token-leak partner endpoint, the package page with its report form, and the moderation
// counters. Routed by RegistryApi::ModerationRoute; the logic is security/moderation.cc's.

#include "api/registry_api.h"
#include "api/routes.h"
#include "base/strings.h"
#include "security/moderation.h"
#include "web/pages.h"

namespace bulwark {
namespace {

constexpr std::string_view kApi = "/-/bulwark/v1/";

std::optional<int64_t> CaseId(std::string_view s) {
  int64_t id = 0;
  if (!SimpleAtoi(s, &id) || id <= 0) return std::nullopt;
  return id;
}

}  // namespace

absl::StatusOr<Identity> RegistryApi::RequireAdmin(const Ctx& ctx) const {
  BULWARK_ASSIGN_OR_RETURN(Identity who, RequireUser(ctx));
  if (!who.admin) return absl::PermissionDeniedError("only administrators may moderate");
  return who;
}

std::optional<http::Response> RegistryApi::ModerationRoute(Ctx& ctx, const std::string& p) {
  const std::string& m = ctx.req.method;
  const bool get = m == "GET" || m == "HEAD";
  if (StartsWith(p, "/-/web/package/")) {
    std::vector<std::string> segs = SplitSegments(p, 3);  // -, web, package, <name>, [report]
    if (segs.size() == 4 && get) return PackagePage(ctx, segs[3]);
    if (segs.size() == 5 && segs[4] == "report" && m == "POST") return PackagePage(ctx, segs[3]);
    return std::nullopt;
  }
  if (!StartsWith(p, kApi)) return std::nullopt;
  std::string rest = p.substr(kApi.size());
  if (!moderation_) {
    if (rest == "reports" || StartsWith(rest, "moderation") || rest == "token-leaks" ||
        rest == "stats/moderation" || rest == "notices") {
      return ErrorResponse(absl::UnavailableError("moderation is not enabled on this registry"));
    }
    return std::nullopt;
  }
  if (rest == "reports" && m == "POST") return CreateReport(ctx);
  if (rest == "token-leaks" && m == "POST") return TokenLeaks(ctx);
  if (rest == "stats/moderation" && get) {
    // Aggregate figures only, for any signed-in user (as /-/bulwark/v1/stats).
    if (auto who = RequireUser(ctx); !who.ok()) return ErrorResponse(who.status());
    auto stats = moderation_->Stats();
    if (!stats.ok()) return ErrorResponse(stats.status());
    return NoStore(JsonResponse(200, *stats));
  }
  if (rest == "notices" && get) return UserNotices(ctx);
  if (rest == "moderation" || StartsWith(rest, "moderation/")) {
    return ModerationQueue(ctx, SplitSegments(rest.substr(std::string_view("moderation").size())));
  }
  return std::nullopt;
}

http::Response RegistryApi::CreateReport(Ctx& ctx) {
  auto body = JsonBody(ctx);
  if (!body.ok()) return ErrorResponse(body.status());
  ReportRequest r;
  r.package = GetString(*body, "package").value_or("");
  r.version = GetString(*body, "version").value_or("");
  r.reason = GetString(*body, "reason").value_or("");
  r.contact = GetString(*body, "contact").value_or("");
  r.reporter = ctx.who() ? ctx.who()->user : "anonymous";
  r.remote_ip = ctx.req.remote_ip;
  if (r.package.empty()) return ErrorResponse(absl::InvalidArgumentError("name the package"));
  // Reports must not reveal private packages: only what the reporter can read is reportable.
  if (auto readable = packages_.Read(r.package, ctx.who()); !readable.ok()) {
    return ErrorResponse(readable.status());
  }
  auto id = moderation_->Report(r);
  if (!id.ok()) return ErrorResponse(id.status());
  return NoStore(JsonResponse(201, json::object{{"ok", true}, {"id", *id}}));
}

http::Response RegistryApi::ModerationQueue(Ctx& ctx, const std::vector<std::string>& segs) {
  auto who = RequireAdmin(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  const std::string& m = ctx.req.method;
  if (segs.empty() && (m == "GET" || m == "HEAD")) {
    bool all = QueryParam(ctx.req.query, "all").has_value();
    auto cases = moderation_->List(all);
    if (!cases.ok()) return ErrorResponse(cases.status());
    json::array out;
    for (const auto& c : *cases) out.emplace_back(ModerationService::CaseJson(c));
    return NoStore(JsonResponse(200, json::object{{"cases", std::move(out)}}));
  }
  std::optional<int64_t> id = segs.empty() ? std::nullopt : CaseId(segs[0]);
  if (!id) return ErrorResponse(absl::NotFoundError("Not found"));
  if (segs.size() == 1 && (m == "GET" || m == "HEAD")) {
    auto shown = moderation_->Show(*id);
    if (!shown.ok()) return ErrorResponse(shown.status());
    return NoStore(JsonResponse(200, *shown));
  }
  if (segs.size() != 2 || m != "POST") return ErrorResponse(absl::NotFoundError("Not found"));
  json::object body;
  if (!ctx.req.body.empty()) {
    auto parsed = JsonBody(ctx);
    if (!parsed.ok()) return ErrorResponse(parsed.status());
    body = std::move(*parsed);
  }
  std::string note(GetString(body, "note").value_or(""));
  if (segs[1] == "approve") {
    absl::Status s = moderation_->Approve(*id, who->user, note);
    if (!s.ok()) return ErrorResponse(s);
    return NoStore(JsonResponse(200, json::object{{"ok", true}}));
  }
  if (segs[1] == "remove") {
    auto removed =
        moderation_->Remove(*id, who->user, GetBool(body, "whole_package").value_or(false), note);
    if (!removed.ok()) return ErrorResponse(removed.status());
    json::array versions;
    for (const auto& v : removed->versions) versions.emplace_back(v);
    return NoStore(JsonResponse(200, json::object{{"ok", true},
                                                  {"versions", std::move(versions)},
                                                  {"placeholder", removed->placeholder},
                                                  {"advisory", removed->advisory_id}}));
  }
  return ErrorResponse(absl::NotFoundError("Not found"));
}

http::Response RegistryApi::TokenLeaks(Ctx& ctx) {
  auto answer =
      moderation_->HandleTokenLeaks(ctx.req.body, ctx.req.Header("github-public-key-identifier"),
                                    ctx.req.Header("github-public-key-signature"));
  if (!answer.ok()) return ErrorResponse(answer.status());
  return NoStore(JsonResponse(200, *answer));
}

http::Response RegistryApi::UserNotices(Ctx& ctx) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  auto events = moderation_->Events(who->user);
  if (!events.ok()) return ErrorResponse(events.status());
  return NoStore(JsonResponse(200, json::object{{"notices", std::move(*events)}}));
}

http::Response RegistryApi::PackagePage(Ctx& ctx, const std::string& name) {
  auto p = packages_.Read(name, ctx.who());
  if (!p.ok()) {
    if (absl::IsNotFound(p.status())) {
      return HtmlPage(
          404, web::PackagePage({name, "", "", {}}, "", "", "No such package on this registry."));
    }
    return ErrorResponse(p.status());
  }
  web::PackageView view;
  view.name = p->name;
  view.description = p->description;
  if (auto it = p->dist_tags.find("latest"); it != p->dist_tags.end()) view.latest = it->second;
  std::vector<std::pair<absl::Time, std::string>> live;
  for (const auto& [ver, v] : p->versions) {
    if (!v.unpublished) live.emplace_back(v.published, ver);
  }
  std::sort(live.rbegin(), live.rend());
  for (auto& [t, v] : live) view.versions.push_back(v);
  std::string action = StrCat("/-/web/package/", PercentEncodeComponent(p->name), "/report");
  if (ctx.req.method != "POST") return HtmlPage(200, web::PackagePage(view, action, "", ""));
  ReportRequest r;
  r.package = p->name;
  r.version = QueryParam(ctx.req.body, "version").value_or("");
  r.reason = QueryParam(ctx.req.body, "reason").value_or("");
  r.contact = QueryParam(ctx.req.body, "contact").value_or("");
  r.reporter = ctx.who() ? ctx.who()->user : "anonymous";
  r.remote_ip = ctx.req.remote_ip;
  auto id = moderation_ ? moderation_->Report(r)
                        : absl::StatusOr<int64_t>(absl::UnavailableError("reports are off"));
  if (id.ok()) {
    return HtmlPage(201, web::PackagePage(
                         view, action,
                         StrCat("Thank you: report #", *id, " is in the moderators' queue."), ""));
  }
  http::Response r2 = HtmlPage(ErrorResponse(id.status()).status,
                           web::PackagePage(view, action, "", std::string(id.status().message())));
  if (auto wait = ThrottleRetryAfter(id.status())) r2.Set("retry-after", StrCat(*wait));
  return r2;
}

}  // namespace bulwark
