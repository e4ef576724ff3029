// Account endpoints: legacy (CouchDB) and web login, logout, whoami, tokens, profile
// (npm-registry-api.md §4-§6).

#include "base/strings.h"
#include "api/registry_api.h"
#include "api/routes.h"
#include "api/token_options.h"
#include "accounts/email/email_security.h"
#include "base/time_format.h"
#include "web/email_pages.h"
#include "web/pages.h"

namespace bulwark {
namespace {

http::Response Html(int status, std::string body) { return HtmlPage(status, std::move(body)); }

// application/x-www-form-urlencoded field.
std::string FormField(std::string_view body, std::string_view key) {
  return QueryParam(body, key).value_or("");
}

json::array StringArray(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& e : v) a.emplace_back(e);
  return a;
}

json::object TokenJson(const TokenRecord& t) {
  json::object o{{"key", t.key},
                 {"token", t.prefix},
                 {"name", t.name},
                 {"created", FormatIsoTime(t.created)},
                 {"updated", FormatIsoTime(t.last_used.value_or(t.created))},
                 {"readonly", t.readonly},
                 {"cidr_whitelist", StringArray(t.cidr_whitelist)},
                 {"packages_and_scopes_permission", t.readonly ? "read-only" : "read-write"},
                 {"packages", StringArray(t.packages)},
                 {"scopes", StringArray(t.scopes)},
                 {"bypass_2fa", t.bypass_2fa}};
  if (!t.description.empty()) o["description"] = t.description;
  if (t.expires) o["expires"] = FormatIsoTime(*t.expires);
  o["last_used"] = t.last_used ? json::value(FormatIsoTime(*t.last_used)) : json::value(nullptr);
  return o;
}


// A wrong password is answered with the Basic challenge, which npm reports as "Incorrect or
// missing password" (§1.5); the Bearer one would blame the token that was fine.
http::Response PasswordAware(http::Response r) {
  if (r.status != 401) return r;
  for (auto& [k, v] : r.headers) {
    if (k == "www-authenticate" && StartsWith(v, "Bearer")) v = "Basic realm=\"bulwark\"";
  }
  return r;
}

const char* ModeName(TfaMode mode) {
  return mode == TfaMode::kAuthOnly ? "auth-only" : "auth-and-writes";
}

}  // namespace

http::Response RegistryApi::CouchLogin(Ctx& ctx, const std::string& name) {
  // Stale credentials on this request are ignored: it is how users get new ones (§1.3).
  auto body = JsonBody(ctx);
  if (!body.ok()) return ErrorResponse(body.status());
  auto password = GetString(*body, "password");
  auto body_name = GetString(*body, "name");
  if (!password || password->empty()) {
    return ErrorResponse(absl::InvalidArgumentError("a password is required"));
  }
  if (body_name && *body_name != name) {
    return ErrorResponse(absl::InvalidArgumentError("the user name does not match the URL"));
  }
  auto existing = accounts_.GetUser(name);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) {
    return ErrorResponse(existing.status());
  }
  if (!existing.ok() && GetString(*body, "email")) {
    // npm adduser for a new name.
    if (!options_.allow_registration) {
      return ErrorResponse(absl::PermissionDeniedError(
          "registration is disabled on this registry; ask an administrator for an account"));
    }
    auto created = accounts_.CreateUser(name, *GetString(*body, "email"), *password);
    if (!created.ok()) return ErrorResponse(created.status());
    if (email_) {
      // Sign-up: the address is unverified until its link is followed (docs/email.md).
      absl::Status sent = email_->SendVerification(*created, ctx.base_url);
      if (!sent.ok()) return ErrorResponse(sent);
      ctx.notice = "A link to verify your email address was sent to it.";
    }
  } else {
    auto user = accounts_.CheckPassword(name, *password, ctx.req.remote_ip);
    if (!user.ok()) return PasswordAware(ErrorResponse(user.status()));
    // Auth-phase 2FA before a token is minted (§4.2, §5.5): npm prompts and resends the PUT
    // with npm-otp.
    absl::Status second = SecondFactor(ctx, user->name, TfaAction::kLogin);
    if (!second.ok()) return ErrorResponse(second);
    // Enhanced login verification: a password-only login from a device not seen before needs
    // the code emailed now; npm prompts for it as a one-time password (docs/email.md).
    absl::Status emailed = EmailLoginCheck(ctx, *user, "cli", ctx.req.Header("npm-otp"));
    if (!emailed.ok()) return ErrorResponse(emailed);
  }
  TokenOptions opts;
  opts.name = "npm login";
  opts.login_session = true;
  auto minted = accounts_.CreateToken(name, opts, ctx.req.remote_ip);
  if (!minted.ok()) return ErrorResponse(minted.status());
  accounts_.RecordEvent("login.success", name, ctx.req.remote_ip, "legacy login (npm login)");
  return NoStore(JsonResponse(201, json::object{{"ok", true},
                                                {"id", StrCat("org.couchdb.user:", name)},
                                                {"rev", "1-0"},
                                                {"token", minted->secret}}));
}

http::Response RegistryApi::GetCouchUser(Ctx& ctx, const std::string& name) {
  // Emails are personal data: only signed-in users may look others up (npm owner add does).
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  auto user = accounts_.GetUser(name);
  if (!user.ok()) return ErrorResponse(user.status());
  return NoStore(JsonResponse(200, json::object{{"_id", StrCat("org.couchdb.user:", name)},
                                                {"name", user->name},
                                                {"email", user->email},
                                                {"type", "user"},
                                                {"roles", json::array{}}}));
}

http::Response RegistryApi::Logout(Ctx& ctx, const std::string& token) {
  // The token in the path proves possession; unknown or expired tokens still succeed so that
  // `npm logout` can always clean up (§4.4).
  absl::Status s = accounts_.RevokeSecret(token);
  if (!s.ok()) return ErrorResponse(s);
  return NoStore(JsonResponse(200, json::object{{"ok", true}}));
}

http::Response RegistryApi::Whoami(Ctx& ctx) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  return NoStore(JsonResponse(200, json::object{{"username", who->user}}));
}

http::Response RegistryApi::StartWebLogin(Ctx& ctx) {
  auto session = accounts_.StartWebLogin();
  if (!session.ok()) return ErrorResponse(session.status());
  return NoStore(JsonResponse(
      200, json::object{{"loginUrl", StrCat(ctx.base_url, "/-/web/login/", session->id)},
                        {"doneUrl", StrCat(ctx.base_url, "/-/v1/done/", session->id)}}));
}

http::Response RegistryApi::PollWebLogin(Ctx& ctx, const std::string& id) {
  return DoneUrlResponse(accounts_.PollWebLogin(id), "login session expired or unknown");
}

http::Response RegistryApi::DoneUrlResponse(
    const absl::StatusOr<std::optional<std::string>>& token, std::string_view unknown) {
  if (!token.ok()) {
    if (absl::IsNotFound(token.status())) {
      return ErrorResponse(absl::NotFoundError(std::string(unknown)));
    }
    return ErrorResponse(token.status());
  }
  if (!token->has_value()) {
    // npm reads Retry-After as seconds and needs a JSON body on the 202 (§4.1).
    http::Response r = JsonResponse(202, json::object{});
    r.Set("retry-after", "1");
    return NoStore(std::move(r));
  }
  return NoStore(JsonResponse(200, json::object{{"token", **token}}));
}

http::Response RegistryApi::WebLoginPage(Ctx& ctx, const std::string& id) {
  const std::string action = StrCat("/-/web/login/", PercentEncodeComponent(id));
  if (ctx.req.method == "GET" || ctx.req.method == "HEAD") {
    if (auto redirect = ToRpOrigin(ctx)) return *redirect;
    return Html(200, web::LoginPage(action, ""));
  }
  if (ctx.req.method != "POST") return ErrorResponse(absl::NotFoundError("Not found"));
  // The second step (a security key or a code), after the password was right.
  if (auto second = WebLoginSecondStep(ctx, id, action)) return *std::move(second);
  if (auto emailed = WebLoginEmailStep(ctx, id, action)) return *std::move(emailed);
  std::string user = FormField(ctx.req.body, "username");
  std::string password = FormField(ctx.req.body, "password");
  std::string otp = FormField(ctx.req.body, "otp");
  // CompleteWebLogin, with the emailed-code check (docs/email.md) before the token is minted.
  absl::Status s = [&]() -> absl::Status {
    BULWARK_ASSIGN_OR_RETURN(LoginSession session, accounts_.OpenWebLogin(id));
    BULWARK_ASSIGN_OR_RETURN(UserRecord u, accounts_.CheckPassword(user, password,
                                                                   ctx.req.remote_ip));
    BULWARK_RETURN_IF_ERROR(
        accounts_.CheckSecondFactor(u.name, TfaAction::kLogin, otp, ctx.req.remote_ip));
    BULWARK_RETURN_IF_ERROR(EmailLoginCheck(ctx, u, StrCat("web:", id), ""));
    return accounts_.FinishWebLogin(session.id, u.name, ctx.req.remote_ip);
  }();
  if (s.ok()) return Html(200, web::LoginDonePage(user));
  if (IsEmailCodeRequired(s)) {
    return Html(401, web::EmailCodePage(action, user, std::string(s.message()), false));
  }
  if (auto wait = ThrottleRetryAfter(s)) {
    http::Response r = Html(429, web::LoginPage(action, std::string(s.message())));
    r.Set("retry-after", StrCat(*wait));
    return r;
  }
  if (IsOtpRequired(s) && otp.empty() && keys_) {
    // Right password, second factor needed: ask for a key or a code on a page of its own
    // (401: not signed in yet).
    return WebSecondStep(ctx, user, StrCat("login:", id), action, "Sign in to Bulwark",
                         "Signing in completes npm login in your terminal.", "", 401);
  }
  if (IsOtpRequired(s)) {
    std::string why = otp.empty() ? "This account uses two-factor authentication: enter the "
                                    "code from your authenticator app (or a recovery code)."
                                  : "The code is wrong or was already used.";
    return Html(401, web::LoginPage(action, why));
  }
  if (absl::IsUnauthenticated(s)) return Html(401, web::LoginPage(action, std::string(s.message())));
  if (absl::IsNotFound(s) || absl::IsFailedPrecondition(s)) {
    return Html(410, web::LoginPage("", "This login link has expired or was already used. "
                                        "Run npm login again."));
  }
  return ErrorResponse(s);
}

http::Response RegistryApi::ListTokens(Ctx& ctx) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  auto tokens = accounts_.ListTokens(who->user);
  if (!tokens.ok()) return ErrorResponse(tokens.status());
  int64_t page = 0, per_page = 10;
  if (auto v = QueryParam(ctx.req.query, "page")) SimpleAtoi(*v, &page);
  if (auto v = QueryParam(ctx.req.query, "perPage")) SimpleAtoi(*v, &per_page);
  per_page = std::clamp<int64_t>(per_page, 1, 9999);
  page = std::max<int64_t>(page, 0);
  json::array objects;
  const int64_t total = static_cast<int64_t>(tokens->size());
  for (int64_t i = page * per_page; i < std::min(total, (page + 1) * per_page); ++i) {
    objects.push_back(TokenJson((*tokens)[i]));
  }
  json::object urls;
  if ((page + 1) * per_page < total) {
    urls["next"] = StrCat(ctx.base_url, "/-/npm/v1/tokens?page=", page + 1,
                                "&perPage=", per_page);
  }
  return NoStore(JsonResponse(
      200, json::object{{"objects", std::move(objects)}, {"total", total}, {"urls", urls}}));
}

http::Response RegistryApi::CreateToken(Ctx& ctx) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  if (absl::Status s = CheckTokenAllows(*who, ""); !s.ok()) return ErrorResponse(s);
  auto body = JsonBody(ctx);
  if (!body.ok()) return ErrorResponse(body.status());
  auto opts = ParseTokenOptions(*body);
  if (!opts.ok()) return ErrorResponse(opts.status());
  // Creating a token re-proves the password: a stolen session token cannot mint more.
  auto password = GetString(*body, "password");
  if (!password) return ErrorResponse(absl::UnauthenticatedError("password is required"));
  auto user = accounts_.CheckPassword(who->user, *password, ctx.req.remote_ip);
  if (!user.ok()) return PasswordAware(ErrorResponse(user.status()));
  absl::Status second = SecondFactor(ctx, who->user, TfaAction::kAccountChange);
  if (!second.ok()) return ErrorResponse(second);
  auto minted = accounts_.CreateToken(who->user, *opts, ctx.req.remote_ip);
  if (!minted.ok()) return ErrorResponse(minted.status());
  json::object o = TokenJson(minted->record);
  o["token"] = minted->secret;
  return NoStore(JsonResponse(201, o));
}

http::Response RegistryApi::RevokeToken(Ctx& ctx, const std::string& key) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  absl::Status s = CheckTokenAllows(*who, "");
  if (s.ok()) s = SecondFactor(ctx, who->user, TfaAction::kWrite);
  if (s.ok()) s = accounts_.RevokeToken(who->user, key, ctx.req.remote_ip);
  if (!s.ok()) return ErrorResponse(s);
  http::Response r;
  r.status = 204;
  return r;
}

http::Response RegistryApi::GetProfile(Ctx& ctx) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  auto user = accounts_.GetUser(who->user);
  if (!user.ok()) return ErrorResponse(user.status());
  auto tfa_json = TfaJson(who->user);
  if (!tfa_json.ok()) return ErrorResponse(tfa_json.status());
  return NoStore(JsonResponse(200, ProfileJson(*user, std::move(*tfa_json))));
}

absl::StatusOr<json::value> RegistryApi::TfaJson(const std::string& user) {
  BULWARK_ASSIGN_OR_RETURN(std::optional<TfaRecord> tfa, accounts_.GetTfa(user));
  BULWARK_ASSIGN_OR_RETURN(std::optional<TfaMode> mode, accounts_.EffectiveTfaMode(user));
  // TOTP's mode, or auth-and-writes for an account with security keys only; a pending TOTP
  // enrolment shows as pending.
  if (mode) return json::value(json::object{{"mode", ModeName(*mode)}, {"pending", false}});
  if (tfa) return json::value(json::object{{"mode", ModeName(tfa->mode)}, {"pending", tfa->pending}});
  return json::value(false);
}

json::object RegistryApi::ProfileJson(const UserRecord& user, json::value tfa) {
  return json::object{{"name", user.name},
                      {"email", user.email},
                      {"email_verified", user.email_verified != absl::InfinitePast()},
                      {"tfa", std::move(tfa)},
                      {"created", FormatIsoTime(user.created)},
                      {"updated", FormatIsoTime(user.updated)},
                      {"cidr_whitelist", nullptr},
                      {"fullname", ""}};
}

// POST /-/npm/v1/user: the two-factor state machine of `npm profile enable-2fa` and
// `disable-2fa` (§5.3, §5.4); the response is the profile with `tfa` set to what the step
// produced.
http::Response RegistryApi::UpdateProfile(Ctx& ctx) {
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  auto body = JsonBody(ctx);
  if (!body.ok()) return ErrorResponse(body.status());
  auto user = accounts_.GetUser(who->user);
  if (!user.ok()) return ErrorResponse(user.status());
  if (absl::Status s = CheckTokenAllows(*who, ""); !s.ok()) return ErrorResponse(s);
  auto it = body->find("tfa");
  if (it == body->end()) return SetProfileFields(ctx, *who, *body);
  const std::string_view otp = ctx.req.Header("npm-otp");
  if (it->value().is_array()) {
    // Step 8: the code confirming enrolment travels in the body, not in npm-otp.
    const json::array& codes = it->value().get_array();
    if (codes.empty() || !codes[0].is_string()) {
      return ErrorResponse(absl::InvalidArgumentError("tfa must hold the one-time password"));
    }
    auto recovery = accounts_.ConfirmTfa(who->user, codes[0].get_string(), ctx.req.remote_ip);
    if (!recovery.ok()) return ErrorResponse(recovery.status());
    json::array list;
    for (const auto& c : *recovery) list.emplace_back(c);
    return NoStore(JsonResponse(200, ProfileJson(*user, std::move(list))));
  }
  if (!it->value().is_object()) {
    return ErrorResponse(absl::InvalidArgumentError("tfa must be an object or an array"));
  }
  const json::object& tfa = it->value().get_object();
  std::string_view mode = GetString(tfa, "mode").value_or("");
  std::string_view password = GetString(tfa, "password").value_or("");
  if (password.empty()) {
    return ErrorResponse(absl::InvalidArgumentError("tfa.password is required"));
  }
  if (mode == "disable") {
    absl::Status s = accounts_.DisableTfa(who->user, password, otp, ctx.req.remote_ip);
    if (!s.ok()) return PasswordAware(ErrorResponse(WithWebOtp(ctx, who->user, s)));
    return NoStore(JsonResponse(200, ProfileJson(*user, false)));
  }
  TfaMode wanted;
  if (mode == "auth-only") {
    wanted = TfaMode::kAuthOnly;
  } else if (mode == "auth-and-writes") {
    wanted = TfaMode::kAuthAndWrites;
  } else {
    return ErrorResponse(absl::InvalidArgumentError(
        "tfa.mode must be \"auth-only\", \"auth-and-writes\" or \"disable\""));
  }
  auto change = accounts_.RequestTfa(who->user, wanted, password, otp, ctx.req.remote_ip);
  if (!change.ok()) {
    return PasswordAware(ErrorResponse(WithWebOtp(ctx, who->user, change.status())));
  }
  if (change->mode) {
    return NoStore(JsonResponse(
        200, ProfileJson(*user, json::object{{"mode", ModeName(*change->mode)},
                                             {"pending", false}})));
  }
  return NoStore(JsonResponse(200, ProfileJson(*user, json::string(change->otpauth_url))));
}

http::Response RegistryApi::SetProfileFields(Ctx& ctx, const Identity& who,
                                             const json::object& body) {
  const std::string_view otp = ctx.req.Header("npm-otp");
  // npm sends every writable key with its current value (from GET) and the one it changes.
  // Bulwark keeps no fullname/homepage/freenode/twitter/github: they may only stay empty.
  for (const char* key : {"fullname", "homepage", "freenode", "twitter", "github"}) {
    auto f = body.find(key);
    if (f == body.end() || f->value().is_null() ||
        (f->value().is_string() && f->value().get_string().empty())) {
      continue;
    }
    return ErrorResponse(absl::InvalidArgumentError(
        StrCat(key, " cannot be set on this registry: Bulwark keeps only the user name, email "
                    "and password (npm profile set email|password)")));
  }
  for (const auto& [k, v] : body) {
    if (k != "email" && k != "password" && k != "fullname" && k != "homepage" &&
        k != "freenode" && k != "twitter" && k != "github" && k != "name") {
      return ErrorResponse(absl::InvalidArgumentError(
          StrCat("unknown profile field \"", std::string_view(k), "\"")));
    }
  }
  if (auto pw = body.find("password"); pw != body.end() && !pw->value().is_null()) {
    const json::object* change = pw->value().if_object();
    auto old_pw = change ? GetString(*change, "old") : std::nullopt;
    auto new_pw = change ? GetString(*change, "new") : std::nullopt;
    if (!old_pw || !new_pw) {
      return ErrorResponse(absl::InvalidArgumentError(
          "password must be {\"old\": <current password>, \"new\": <new password>}"));
    }
    auto revoked = accounts_.ChangePassword(who.user, *old_pw, *new_pw, otp, who.token_key,
                                            ctx.req.remote_ip);
    if (!revoked.ok()) return PasswordAware(ErrorResponse(revoked.status()));
  }
  if (auto email = GetString(body, "email")) {
    auto current = accounts_.GetUser(who.user);
    if (!current.ok()) return ErrorResponse(current.status());
    if (email_ && *email != current->email) {
      // With mail configured the change waits for both addresses (docs/email.md).
      absl::Status s = AccountService::CheckEmail(*email);
      if (s.ok()) {
        s = accounts_.CheckSecondFactor(who.user, TfaAction::kAccountChange, otp,
                                        ctx.req.remote_ip);
      }
      if (s.ok()) s = email_->RequestEmailChange(*current, *email, ctx.base_url, ctx.req.remote_ip);
      if (!s.ok()) return ErrorResponse(WithWebOtp(ctx, who.user, s));
      ctx.notice = "Confirm the change with the links sent to the new and the current address.";
    } else {
      absl::Status s = accounts_.ChangeEmail(who.user, *email, otp, ctx.req.remote_ip);
      if (!s.ok()) return ErrorResponse(s);
    }
  }
  auto user = accounts_.GetUser(who.user);
  if (!user.ok()) return ErrorResponse(user.status());
  auto tfa_json = TfaJson(who.user);
  if (!tfa_json.ok()) return ErrorResponse(tfa_json.status());
  return NoStore(JsonResponse(200, ProfileJson(*user, std::move(*tfa_json))));
}

http::Response RegistryApi::UserPackages(Ctx& ctx, const std::string& user) {
  auto list = packages_.ListReadable(ctx.who());
  if (!list.ok()) return ErrorResponse(list.status());
  json::object o;
  for (const auto& p : *list) {
    if (std::find(p.maintainers.begin(), p.maintainers.end(), user) != p.maintainers.end()) {
      o[p.name] = "write";
    }
  }
  return JsonResponse(200, o);
}

}  // namespace bulwark
