// Bulwark's own security endpoints (docs/security.md): the user's security event log, recovery
// code regeneration, registry statistics, and `npm access set mfa=...` (npm-registry-api.md §3.7).

#include <algorithm>

#include "api/registry_api.h"
#include "api/routes.h"
#include "base/strings.h"
#include "base/time_format.h"

namespace bulwark {
namespace {

constexpr size_t kMaxEventsPerPage = 500;

json::object EventJson(const SecurityEvent& e) {
  return json::object{{"id", e.id},           {"time", FormatIsoTime(e.time)},
                      {"kind", e.kind},       {"user", e.user},
                      {"address", e.address}, {"package", e.package},
                      {"detail", e.detail}};
}

}  // namespace

// GET /-/bulwark/v1/events[?limit=N&before=ID&kind=PREFIX]: the caller's own events, newest
// first; administrators may add ?user=NAME (or ?user=* for everyone).
http::Response RegistryApi::ListEvents(Ctx& ctx) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  SecurityStore* log = accounts_.event_log();
  if (!log) return ErrorResponse(absl::NotFoundError("the security event log is not enabled"));
  EventQuery q;
  q.user = who->user;
  if (auto u = QueryParam(ctx.req.query, "user"); u && *u != who->user) {
    if (!who->admin) {
      return ErrorResponse(absl::PermissionDeniedError("only administrators see others' events"));
    }
    q.user = *u == "*" ? "" : *u;
  }
  int64_t limit = 100, before = 0;
  if (auto v = QueryParam(ctx.req.query, "limit"); v && !SimpleAtoi(*v, &limit)) {
    return ErrorResponse(absl::InvalidArgumentError("limit must be a number"));
  }
  if (auto v = QueryParam(ctx.req.query, "before"); v && !SimpleAtoi(*v, &before)) {
    return ErrorResponse(absl::InvalidArgumentError("before must be an event id"));
  }
  q.limit = static_cast<size_t>(std::clamp<int64_t>(limit, 1, kMaxEventsPerPage));
  q.before_id = std::max<int64_t>(before, 0);
  q.kind_prefix = QueryParam(ctx.req.query, "kind").value_or("");
  auto events = log->ListEvents(q);
  if (!events.ok()) return ErrorResponse(events.status());
  json::array list;
  for (const auto& e : *events) list.push_back(EventJson(e));
  json::object body{{"events", std::move(list)}};
  if (events->size() == q.limit) body["next_before"] = events->back().id;
  return NoStore(JsonResponse(200, body));
}

// POST /-/bulwark/v1/recovery-codes {"password": "..."} with npm-otp: new recovery codes,
// shown once; the old ones stop working.
http::Response RegistryApi::RegenerateRecoveryCodes(Ctx& ctx) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  if (absl::Status s = CheckTokenAllows(*who, ""); !s.ok()) return ErrorResponse(s);
  auto body = JsonBody(ctx);
  if (!body.ok()) return ErrorResponse(body.status());
  auto password = GetString(*body, "password");
  if (!password || password->empty()) {
    return ErrorResponse(absl::InvalidArgumentError("password is required"));
  }
  auto codes = accounts_.RegenerateRecoveryCodes(who->user, *password, ctx.req.Header("npm-otp"),
                                                 ctx.req.remote_ip);
  if (!codes.ok()) return ErrorResponse(codes.status());
  json::array list;
  for (const auto& c : *codes) list.emplace_back(c);
  return NoStore(JsonResponse(200, json::object{{"recovery_codes", std::move(list)}}));
}

// GET /-/bulwark/v1/stats: aggregate figures only (no names), for any signed-in user.
http::Response RegistryApi::Stats(Ctx& ctx) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  if (!stats_) return ErrorResponse(absl::NotFoundError("statistics are not enabled"));
  return NoStore(JsonResponse(200, stats_->Collect()));
}

// POST /-/package/<name>/access {"publish_requires_tfa": ..., "automation_token_overrides_tfa":
// ...}: `npm access set mfa=none|publish|automation`.
http::Response RegistryApi::SetPackageMfa(Ctx& ctx, const std::string& name,
                                          const json::object& body) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  if (!mfa_) return ErrorResponse(absl::NotFoundError("package two-factor policies are off"));
  auto requires_tfa = GetBool(body, "publish_requires_tfa");
  if (!requires_tfa) {
    return ErrorResponse(absl::InvalidArgumentError("publish_requires_tfa must be true or false"));
  }
  PackageMfa mfa = !*requires_tfa ? PackageMfa::kNone
                   : GetBool(body, "automation_token_overrides_tfa").value_or(false)
                       ? PackageMfa::kAutomation
                       : PackageMfa::kPublish;
  // Under the current policy (so turning it off needs what it demands).
  absl::Status gate = PackageWriteGate(ctx, *who, name);
  if (!gate.ok()) return ErrorResponse(gate);
  auto p = packages_.Read(name, ctx.who());
  if (!p.ok()) return ErrorResponse(p.status());
  if (!who->admin &&
      std::find(p->maintainers.begin(), p->maintainers.end(), who->user) == p->maintainers.end()) {
    return ErrorResponse(absl::PermissionDeniedError(
        StrCat("only the owners of ", name, " may change its two-factor policy")));
  }
  if (mfa != PackageMfa::kNone) {
    // An owner without 2FA would lock themselves out of their own package.
    auto mode = accounts_.EffectiveTfaMode(who->user);
    if (!mode.ok()) return ErrorResponse(mode.status());
    if (!*mode) {
      return ErrorResponse(absl::PermissionDeniedError(
          "enable two-factor authentication on your account first: npm profile enable-2fa "
          "auth-and-writes"));
    }
  }
  absl::Status s = mfa_->SetPackageMfa(name, mfa, who->user);
  if (!s.ok()) return ErrorResponse(s);
  const char* word = mfa == PackageMfa::kNone      ? "none"
                     : mfa == PackageMfa::kPublish ? "publish"
                                                   : "automation";
  accounts_.RecordEvent("package.mfa_changed", who->user, ctx.req.remote_ip,
                        StrCat("mfa=", word), name);
  return JsonResponse(200, json::object{{"ok", true}, {"mfa", word}});
}

}  // namespace bulwark
