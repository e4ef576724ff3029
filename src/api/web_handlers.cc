// Security keys on Bulwark's own pages (docs/security.md §Security keys): the second step of
// signing in (npm's web login and the settings sign-in), the account settings page, web 2FA
// for writes (authUrl/doneUrl, npm-registry-api.md §1.5) and the one script those pages run.

#include "accounts/webauthn/webauthn.h"
#include "api/registry_api.h"
#include "api/routes.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "web/pages.h"
#include "web/security_pages.h"

namespace bulwark {
namespace {

constexpr char kCookie[] = "bulwark_session";

std::string Field(std::string_view body, std::string_view key) {
  return QueryParam(body, key).value_or("");
}

std::optional<std::string> B64Field(std::string_view body, std::string_view key) {
  std::string v = Field(body, key);
  if (v.empty()) return std::string();
  return webauthn::Base64UrlDecode(v);
}

std::string CookieValue(std::string_view header) {
  for (std::string_view part : StrSplit(header, ';')) {
    part = StripAsciiWhitespace(part);
    if (ConsumePrefix(&part, kCookie) && ConsumePrefix(&part, "=")) return std::string(part);
  }
  return "";
}

http::Response SeeOther(std::string location) {
  http::Response r;
  r.status = 303;
  r.Set("location", std::move(location));
  r.Set("cache-control", "no-store");
  return r;
}

json::array B64List(const std::vector<std::string>& ids) {
  json::array a;
  for (const auto& id : ids) a.emplace_back(Base64UrlEncode(id));
  return a;
}

const char* AlgName(int alg) {
  return webauthn::CoseAlgName(static_cast<webauthn::CoseAlg>(alg));
}

std::string UserMessage(const absl::Status& s) {
  if (absl::IsInternal(s) || absl::IsUnknown(s) || absl::IsUnavailable(s)) {
    LogError("web page: %s", s.ToString());
    return "Something went wrong on the server; try again.";
  }
  return std::string(s.message());
}

}  // namespace

http::Response HtmlPage(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  r.Set("content-type", "text/html; charset=utf-8");
  r.Set("cache-control", "no-store");
  // No framing (clickjacking; WebAuthn refuses cross-origin frames anyway), nothing loaded from
  // elsewhere, and only Bulwark's own script file runs: no inline script.
  r.Set("x-frame-options", "DENY");
  r.Set("content-security-policy",
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; form-action 'self'");
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on form posts,
  // and the settings pages check Origin. Other sites still get no referrer (the login URL
  // carries a session id).
  r.Set("referrer-policy", "same-origin");
  return r;
}

std::optional<http::Response> RegistryApi::ToRpOrigin(const Ctx& ctx) const {
  if (!keys_) return std::nullopt;
  const std::string origin = keys_->relying_party().origin;
  if (origin.empty() || origin == ctx.base_url) return std::nullopt;
  // WebAuthn binds keys to one origin; the same page under another host name (127.0.0.1 for
  // localhost) could not use them.
  std::string target = StrCat(origin, ctx.req.path);
  if (!ctx.req.query.empty()) StrAppend(&target, "?", ctx.req.query);
  http::Response r;
  r.status = 302;
  r.Set("location", target);
  r.Set("cache-control", "no-store");
  return r;
}

absl::Status RegistryApi::WithWebOtp(const Ctx& ctx, const std::string& user,
                                     absl::Status status) {
  if (!keys_ || !IsOtpRequired(status) || IsWrongOtp(status)) return status;
  auto count = accounts_.SecurityKeyCount(user);
  if (!count.ok() || *count == 0) return status;
  std::string action(ctx.req.Header("npm-command"));
  if (action.empty() || action.size() > 32) action = ctx.req.method;
  auto session = keys_->StartWebOtp(user, action);
  if (!session.ok()) {
    LogWarning("web 2FA not offered: %s", session.status().ToString());
    return status;
  }
  // authUrl is on the relying party's origin (where keys work); doneUrl on the address npm
  // uses, since npm polls it as-is.
  const std::string origin = keys_->relying_party().origin;
  return WithWebOtpUrls(std::move(status),
                        StrCat(origin.empty() ? ctx.base_url : origin, "/-/web/2fa/", session->id),
                        StrCat(ctx.base_url, "/-/v1/done/2fa/", session->id));
}

http::Response RegistryApi::WebSecondStep(Ctx& ctx, const std::string& user,
                                          const std::string& context, const std::string& action,
                                          const std::string& title, const std::string& intro,
                                          const std::string& error, int status) {
  auto factors = keys_->FactorsOf(user);
  if (!factors.ok()) return ErrorResponse(factors.status());
  auto ceremony = keys_->BeginSecondFactor(user, context);
  if (!ceremony.ok()) return ErrorResponse(ceremony.status());
  web::SecondStep step;
  step.title = title;
  const char* how = factors->keys > 0 && factors->totp
                        ? "use your security key, or enter the code from your authenticator app "
                          "(or a recovery code)."
                    : factors->keys > 0
                        ? "use your security key."
                        : "enter the code from your authenticator app (or a recovery code).";
  step.intro = StrCat(intro, " This account uses two-factor authentication: ", how);
  step.action = action;
  step.handle = ceremony->handle;
  step.code = factors->totp;
  step.error = error;
  if (factors->keys > 0) {
    webauthn::RelyingParty rp = keys_->relying_party();
    step.key_request = ToJson(json::object{
        {"mode", "get"},
        {"rpId", rp.id},
        {"challenge", Base64UrlEncode(ceremony->challenge)},
        {"allow", B64List(ceremony->credential_ids)},
        {"userVerification", rp.require_user_verification ? "required" : "preferred"}});
  }
  return HtmlPage(status, web::SecondStepPage(step));
}

namespace {

// Reads the second step's post: a key response (method=key) or a code.
struct SecondStepPost {
  std::string handle;
  std::optional<AssertionResponse> assertion;
  std::string otp;
  bool malformed = false;
};

SecondStepPost ReadSecondStep(std::string_view body) {
  SecondStepPost p;
  p.handle = Field(body, "handle");
  if (Field(body, "method") == "key") {
    AssertionResponse a;
    auto id = B64Field(body, "credential_id");
    auto cd = B64Field(body, "client_data");
    auto ad = B64Field(body, "authenticator_data");
    auto sig = B64Field(body, "signature");
    auto uh = B64Field(body, "user_handle");
    if (!id || !cd || !ad || !sig || !uh || id->empty() || cd->empty() || ad->empty() ||
        sig->empty()) {
      p.malformed = true;
      return p;
    }
    a.credential_id = *id;
    a.client_data_json = *cd;
    a.authenticator_data = *ad;
    a.signature = *sig;
    a.user_handle = *uh;
    p.assertion = std::move(a);
  } else {
    p.otp = Field(body, "otp");
  }
  return p;
}

}  // namespace

std::optional<http::Response> RegistryApi::WebLoginSecondStep(Ctx& ctx, const std::string& id,
                                                              const std::string& action) {
  if (!keys_ || Field(ctx.req.body, "handle").empty()) return std::nullopt;
  SecondStepPost post = ReadSecondStep(ctx.req.body);
  const std::string context = StrCat("login:", id);
  std::string user;
  absl::StatusOr<std::string> done =
      post.malformed ? absl::InvalidArgumentError("the security key response is malformed")
                     : keys_->CompleteSecondFactor(post.handle, context,
                                                   post.assertion ? &*post.assertion : nullptr,
                                                   post.otp, ctx.req.remote_ip, &user);
  if (done.ok()) {
    absl::Status s = accounts_.FinishWebLogin(id, *done, ctx.req.remote_ip);
    if (s.ok()) return HtmlPage(200, web::LoginDonePage(*done));
    if (absl::IsNotFound(s) || absl::IsFailedPrecondition(s)) {
      return HtmlPage(410, web::LoginPage("", "This login link has expired or was already "
                                              "used. Run npm login again."));
    }
    return ErrorResponse(s);
  }
  if (user.empty()) {
    return HtmlPage(410, web::LoginPage("", "This sign-in step has expired or was already "
                                            "used. Run npm login again."));
  }
  const int status = absl::IsResourceExhausted(done.status()) ? 429 : 401;
  return WebSecondStep(ctx, user, context, action, "Sign in to Bulwark",
                       "Signing in completes npm login in your terminal.",
                       IsWrongOtp(done.status()) ? "The code is wrong or was already used."
                                                 : UserMessage(done.status()),
                       status);
}

http::Response RegistryApi::WebPages(Ctx& ctx, const std::string& path) {
  const bool get = ctx.req.method == "GET" || ctx.req.method == "HEAD";
  if (path == web::kWebAuthnScriptPath && get) {
    http::Response r;
    r.body = std::string(web::WebAuthnScript());
    r.Set("content-type", "text/javascript; charset=utf-8");
    r.Set("cache-control", "no-cache");
    r.Set("x-content-type-options", "nosniff");
    return r;
  }
  if (!keys_) return ErrorResponse(absl::NotFoundError("Not found"));
  if (get) {
    if (auto redirect = ToRpOrigin(ctx)) return *redirect;
  } else if (ctx.req.method == "POST") {
    // Cross-site request forgery: browsers send Origin on every POST; it must be ours.
    std::string_view origin = ctx.req.Header("origin");
    if (origin != keys_->relying_party().origin && origin != ctx.base_url) {
      return HtmlPage(403, web::MessagePage("Refused", "This form was posted from another site.",
                                            false));
    }
  }
  if (path == "/-/web/signin") return WebSignIn(ctx);
  if (StartsWith(path, "/-/web/2fa/")) return WebOtpPage(ctx, path.substr(11));
  if (path == "/-/web/signout" && ctx.req.method == "POST") {
    keys_->EndWebSession(CookieValue(ctx.req.Header("cookie"))).IgnoreError();
    http::Response r = SeeOther("/-/web/signin");
    r.Set("set-cookie", StrCat(kCookie, "=; Path=/-/web/; Max-Age=0; HttpOnly; SameSite=Strict"));
    return r;
  }
  if (path == "/-/web/settings" || StartsWith(path, "/-/web/settings/")) {
    return WebSettings(ctx, path);
  }
  return ErrorResponse(absl::NotFoundError("Not found"));
}

http::Response RegistryApi::WebSignIn(Ctx& ctx) {
  const std::string action = "/-/web/signin";
  if (ctx.req.method == "GET" || ctx.req.method == "HEAD") {
    return HtmlPage(200, web::SignInPage(action, ""));
  }
  if (ctx.req.method != "POST") return ErrorResponse(absl::NotFoundError("Not found"));
  const std::string intro = "Sign in to manage your account's security keys.";
  absl::StatusOr<std::string> user;
  if (email_ && !Field(ctx.req.body, "email_code").empty()) {
    std::string name;
    if (auto page = WebSignInEmailStep(ctx, nullptr, &name)) return *std::move(page);
    user = name;
  } else if (!Field(ctx.req.body, "handle").empty()) {
    SecondStepPost post = ReadSecondStep(ctx.req.body);
    std::string who;
    user = post.malformed
               ? absl::InvalidArgumentError("the security key response is malformed")
               : keys_->CompleteSecondFactor(post.handle, "signin",
                                             post.assertion ? &*post.assertion : nullptr,
                                             post.otp, ctx.req.remote_ip, &who);
    if (!user.ok()) {
      if (who.empty()) {
        return HtmlPage(410, web::SignInPage(action, UserMessage(user.status())));
      }
      return WebSecondStep(ctx, who, "signin", action, "Sign in to Bulwark", intro,
                           IsWrongOtp(user.status()) ? "The code is wrong or was already used."
                                                     : UserMessage(user.status()),
                           absl::IsResourceExhausted(user.status()) ? 429 : 401);
    }
  } else {
    auto checked = accounts_.CheckPassword(Field(ctx.req.body, "username"),
                                           Field(ctx.req.body, "password"), ctx.req.remote_ip);
    if (!checked.ok()) {
      http::Response r = HtmlPage(absl::IsResourceExhausted(checked.status()) ? 429 : 401,
                                  web::SignInPage(action, UserMessage(checked.status())));
      if (auto wait = ThrottleRetryAfter(checked.status())) r.Set("retry-after", StrCat(*wait));
      return r;
    }
    auto factors = keys_->FactorsOf(checked->name);
    if (!factors.ok()) return ErrorResponse(factors.status());
    if (factors->totp || factors->keys > 0) {
      return WebSecondStep(ctx, checked->name, "signin", action, "Sign in to Bulwark", intro, "",
                           200);
    }
    std::string name = checked->name;
    if (auto page = WebSignInEmailStep(ctx, &*checked, &name)) return *std::move(page);
    user = name;
  }
  auto cookie = keys_->StartWebSession(*user);
  if (!cookie.ok()) return ErrorResponse(cookie.status());
  http::Response r = SeeOther("/-/web/settings");
  const bool secure = StartsWith(keys_->relying_party().origin, "https:");
  // HttpOnly: no script reads it; SameSite=Strict: no other site's form carries it.
  r.Set("set-cookie", StrCat(kCookie, "=", *cookie, "; Path=/-/web/; HttpOnly; SameSite=Strict",
                             secure ? "; Secure" : ""));
  return r;
}

http::Response RegistryApi::WebSettings(Ctx& ctx, const std::string& path) {
  auto user = keys_->WebSessionUser(CookieValue(ctx.req.Header("cookie")));
  if (!user.ok()) {
    if (!absl::IsNotFound(user.status())) return ErrorResponse(user.status());
    return SeeOther("/-/web/signin");
  }
  web::SettingsView view;
  view.user = *user;
  const std::string_view body = ctx.req.body;
  const bool post = ctx.req.method == "POST";
  auto reauth = [&]() -> absl::Status {
    // Changes need the password again: a browser left signed in is not enough.
    return accounts_.CheckPassword(*user, Field(body, "password"), ctx.req.remote_ip).status();
  };
  int status = 200;
  if (post && path == "/-/web/settings/keys/new") {
    absl::Status ok = reauth();
    if (ok.ok()) {
      auto ceremony = keys_->BeginRegistration(*user, Field(body, "name"), "register");
      if (ceremony.ok()) {
        webauthn::RelyingParty rp = keys_->relying_party();
        std::string request = ToJson(json::object{
            {"mode", "create"},
            {"rpId", rp.id},
            {"challenge", Base64UrlEncode(ceremony->challenge)},
            {"userId", Base64UrlEncode(ceremony->user_handle)},
            {"userName", *user},
            {"exclude", B64List(ceremony->credential_ids)},
            {"userVerification", rp.require_user_verification ? "required" : "preferred"}});
        return HtmlPage(200, web::RegisterKeyPage(*user, Field(body, "name"),
                                                  "/-/web/settings/keys/finish",
                                                  ceremony->handle, request, ""));
      }
      ok = ceremony.status();
    }
    view.error = UserMessage(ok);
    status = absl::IsResourceExhausted(ok) ? 429 : absl::IsUnauthenticated(ok) ? 401 : 400;
  } else if (post && path == "/-/web/settings/keys/finish") {
    auto cd = B64Field(body, "client_data");
    auto att = B64Field(body, "attestation_object");
    absl::StatusOr<SecurityKeyRecord> added =
        !cd || !att || cd->empty() || att->empty()
            ? absl::InvalidArgumentError("the security key response is malformed")
            : keys_->FinishRegistration(Field(body, "handle"), "register", *user, *cd, *att);
    if (added.ok()) {
      view.notice = StrCat("Security key \"", added->name, "\" added.");
    } else {
      view.error = StrCat("The key was not added: ", UserMessage(added.status()));
      status = 400;
    }
  } else if (post && (path == "/-/web/settings/keys/rename" ||
                      path == "/-/web/settings/keys/remove")) {
    auto id = webauthn::Base64UrlDecode(Field(body, "id"));
    absl::Status s = reauth();
    if (s.ok() && !id) s = absl::InvalidArgumentError("no such security key");
    if (s.ok()) {
      s = path == "/-/web/settings/keys/rename" ? keys_->RenameKey(*user, *id, Field(body, "name"))
                                                : keys_->RemoveKey(*user, *id);
    }
    if (s.ok()) {
      view.notice = path == "/-/web/settings/keys/rename" ? "Security key renamed."
                                                          : "Security key removed.";
    } else {
      view.error = UserMessage(s);
      status = absl::IsResourceExhausted(s) ? 429 : absl::IsUnauthenticated(s) ? 401 : 400;
    }
  } else if (path != "/-/web/settings" || post) {
    return ErrorResponse(absl::NotFoundError("Not found"));
  }
  auto mode = accounts_.EffectiveTfaMode(*user);
  if (!mode.ok()) return ErrorResponse(mode.status());
  view.tfa = !*mode ? "off" : **mode == TfaMode::kAuthOnly ? "auth-only" : "auth-and-writes";
  auto keys = keys_->ListKeys(*user);
  if (!keys.ok()) return ErrorResponse(keys.status());
  for (const auto& k : *keys) {
    view.keys.push_back(web::KeyRow{Base64UrlEncode(k.id), k.name, AlgName(k.alg), k.attestation,
                                    FormatIsoTime(k.created),
                                    k.last_used ? FormatIsoTime(*k.last_used) : "never"});
  }
  return HtmlPage(status, web::SettingsPage(view));
}

http::Response RegistryApi::WebOtpPage(Ctx& ctx, const std::string& id) {
  auto session = keys_->GetWebOtp(id);
  if (!session.ok() || session->approved) {
    if (!session.ok() && !absl::IsNotFound(session.status())) {
      return ErrorResponse(session.status());
    }
    return HtmlPage(410, web::MessagePage("Link expired",
                                          "This approval link has expired or was already used. "
                                          "Run the npm command again.",
                                          false));
  }
  const std::string action = StrCat("/-/web/2fa/", id);
  const std::string context = StrCat("otp:", id);
  const std::string title = StrCat("Approve npm ", session->action);
  const std::string intro =
      StrCat("npm asks to run \"", session->action, "\" as ", session->user,
             ". Approve only if you started it in your terminal just now.");
  if (ctx.req.method == "GET" || ctx.req.method == "HEAD") {
    return WebSecondStep(ctx, session->user, context, action, title, intro, "", 200);
  }
  if (ctx.req.method != "POST") return ErrorResponse(absl::NotFoundError("Not found"));
  SecondStepPost post = ReadSecondStep(ctx.req.body);
  std::string who;
  absl::StatusOr<std::string> user =
      post.malformed ? absl::InvalidArgumentError("the security key response is malformed")
                     : keys_->CompleteSecondFactor(post.handle, context,
                                                   post.assertion ? &*post.assertion : nullptr,
                                                   post.otp, ctx.req.remote_ip, &who);
  if (user.ok() && *user == session->user) {
    absl::Status s = keys_->ApproveWebOtp(id);
    if (!s.ok()) return ErrorResponse(s);
    LogInfo("web 2FA: %s approved npm %s with a second factor", session->user, session->action);
    return HtmlPage(200, web::MessagePage("Approved", "Approved. You can close this window and "
                                                      "return to your terminal.",
                                          true));
  }
  if (who.empty()) {
    return HtmlPage(410, web::MessagePage("Link expired", UserMessage(user.status()), false));
  }
  return WebSecondStep(ctx, session->user, context, action, title, intro,
                       IsWrongOtp(user.status()) ? "The code is wrong or was already used."
                                                 : UserMessage(user.status()),
                       absl::IsResourceExhausted(user.status()) ? 429 : 401);
}

http::Response RegistryApi::PollWebOtp(Ctx& ctx, const std::string& id) {
  if (!keys_) return ErrorResponse(absl::NotFoundError("Not found"));
  return DoneUrlResponse(keys_->PollWebOtp(id), "two-factor request expired or unknown");
}

}  // namespace bulwark
