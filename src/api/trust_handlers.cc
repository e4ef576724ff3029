// Trusted publishing over the npm protocol (docs/trusted-publishing.md, npm-registry-api.md
// §9.1-9.2): `npm trust github|gitlab|circleci|list|revoke` and the OIDC token exchange that
// `npm publish` calls in CI.

#include <algorithm>

#include "accounts/oidc/trusted_publishing.h"
#include "accounts/tokens.h"
#include "api/registry_api.h"
#include "base/strings.h"

namespace bulwark {
namespace {

constexpr std::string_view kNotEnabled =
    "trusted publishing is not enabled on this registry (no trusted_publishing.issuers)";

// npm logs `error.body.message` of a failed exchange at verbose level (lib/utils/oidc.js), so
// the reason travels as `message` besides the usual `error`.
http::Response WithMessage(http::Response r) {
  auto body = ParseJson(r.body);
  if (body.ok() && body->is_object()) {
    json::object& o = body->get_object();
    if (auto e = GetString(o, "error")) o["message"] = std::string(*e);
    r.body = ToJson(*body);
  }
  return r;
}

// "npm:" + the host name clients reach us by: what npm asks GitHub for (§9.1 step 1).
std::string DefaultAudience(std::string_view base_url) {
  std::string_view host = base_url.substr(base_url.find("://") + 3);
  if (!host.empty() && host[0] == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return StrCat("npm:", AsciiStrToLower(host));
}

}  // namespace

http::Response RegistryApi::TrustRoute(Ctx& ctx, const std::vector<std::string>& segs) {
  // segs: ["-", "package", "<pkg>", "trust", ["<id>"]]
  const std::string& name = segs[2];
  const std::string& m = ctx.req.method;
  if (segs.size() > 5) return ErrorResponse(absl::NotFoundError("Not found"));
  if (trust_ == nullptr) return ErrorResponse(absl::UnimplementedError(std::string(kNotEnabled)));
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  auto pkg = packages_.Read(name, ctx.who());
  if (!pkg.ok()) return ErrorResponse(pkg.status());
  if (std::find(pkg->maintainers.begin(), pkg->maintainers.end(), who->user) ==
      pkg->maintainers.end()) {
    return ErrorResponse(absl::PermissionDeniedError(
        StrCat("only owners of ", name, " may see or change its trusted publishers")));
  }
  const bool get = m == "GET" || m == "HEAD";
  if (segs.size() == 4 && get) {
    auto configs = trust_->ListConfigs(name);
    if (!configs.ok()) return ErrorResponse(configs.status());
    json::array out;
    for (const auto& c : *configs) out.emplace_back(oidc::TrustedPublishing::ConfigJson(c));
    return NoStore(JsonResponse(200, out));
  }
  // Changes: an account-level security setting. Granular tokens (including the ones trusted
  // publishing mints, which are limited to this package) may not make them, or a CI job could
  // link further identities to keep access; and 2FA applies in both modes.
  absl::Status s = CheckTokenAllows(*who, "");
  if (s.ok()) s = SecondFactor(ctx, who->user, TfaAction::kAccountChange);
  if (!s.ok()) return ErrorResponse(s);
  if (segs.size() == 4 && m == "POST") {
    auto body = ParseJson(ctx.req.body);
    if (!body.ok()) return ErrorResponse(body.status());
    json::array items;
    if (body->is_array()) {
      items = body->get_array();
    } else if (body->is_object()) {
      items.push_back(*body);
    }
    if (items.empty() || items.size() > 16) {
      return ErrorResponse(absl::InvalidArgumentError("expected 1 to 16 trust configurations"));
    }
    json::array out;
    for (const auto& item : items) {
      if (!item.is_object()) {
        return ErrorResponse(absl::InvalidArgumentError("a trust configuration is an object"));
      }
      auto added = trust_->AddConfig(name, item.get_object(), who->user);
      if (!added.ok()) return ErrorResponse(added.status());
      accounts_.RecordEvent("trust.added", who->user, ctx.req.remote_ip,
                            StrCat(added->type, " ", added->claims, " id ", added->id), name);
      out.emplace_back(oidc::TrustedPublishing::ConfigJson(*added));
    }
    return NoStore(JsonResponse(201, out));
  }
  if (segs.size() == 5 && m == "DELETE") {
    s = trust_->RevokeConfig(name, segs[4]);
    if (!s.ok()) return ErrorResponse(s);
    accounts_.RecordEvent("trust.revoked", who->user, ctx.req.remote_ip, StrCat("id ", segs[4]),
                          name);
    return NoStore(JsonResponse(200, json::object{{"ok", true}}));
  }
  return ErrorResponse(absl::NotFoundError("Not found"));
}

http::Response RegistryApi::OidcExchange(Ctx& ctx, const std::string& package) {
  if (trust_ == nullptr) {
    return WithMessage(ErrorResponse(absl::UnimplementedError(std::string(kNotEnabled))));
  }
  std::string_view auth = StripAsciiWhitespace(ctx.req.Header("authorization"));
  if (!StartsWith(auth, "Bearer ") && !StartsWith(auth, "bearer ")) {
    return WithMessage(ErrorResponse(
        absl::UnauthenticatedError("the OIDC id token must be sent as a Bearer token")));
  }
  std::string_view jwt = StripAsciiWhitespace(auth.substr(7));
  const oidc::Purpose purpose = ctx.req.Header("npm-command") == "stage"
                                    ? oidc::Purpose::kStagePublish
                                    : oidc::Purpose::kPublish;
  auto refused = [&](const absl::Status& s) {
    accounts_.RecordEvent("oidc.refused", "", ctx.req.remote_ip, std::string(s.message()), package);
    return WithMessage(ErrorResponse(s));
  };
  auto result = trust_->Exchange(jwt, package, DefaultAudience(ctx.base_url), purpose);
  if (!result.ok()) return refused(result.status());
  const TrustConfigRecord& config = result->config;
  // The token is issued to the owner who linked the CI identity, so the package's ownership
  // rules still apply: once they are no longer an owner, the link stops working.
  Identity owner;
  owner.user = config.created_by;
  auto pkg = packages_.Read(package, owner);
  if (!pkg.ok() || std::find(pkg->maintainers.begin(), pkg->maintainers.end(),
                             config.created_by) == pkg->maintainers.end()) {
    return refused(absl::UnauthenticatedError(
        StrCat("OIDC token exchange refused: ", config.created_by, ", who added trusted publisher ",
               config.id, ", is no longer an owner of ", package, "; an owner must add it again")));
  }
  TokenOptions options;
  options.name = StrCat("trusted publishing (", config.type, ")");
  options.description = StrCat("OIDC ", result->issuer, " sub ", result->subject, ", trust ",
                               config.id);
  options.packages = {package};
  options.bypass_2fa = true;  // The CI identity is the second factor; owners can still demand
                              // codes for every publish with `npm access set mfa=publish`.
  options.lifetime = trust_->options().token_lifetime;
  auto minted = accounts_.CreateToken(config.created_by, options, ctx.req.remote_ip);
  if (!minted.ok()) return WithMessage(ErrorResponse(minted.status()));
  accounts_.RecordEvent("oidc.exchanged", config.created_by, ctx.req.remote_ip,
                        StrCat(result->issuer, " sub ", result->subject, " via trust ", config.id,
                               ": token ", minted->record.prefix, " for ",
                               absl::FormatDuration(*options.lifetime)),
                        package);
  json::object body{{"token", minted->secret}};
  if (minted->record.expires) body["expires"] = absl::FormatTime(*minted->record.expires);
  return NoStore(JsonResponse(201, body));
}

}  // namespace bulwark
