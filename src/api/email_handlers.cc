// Email endpoints and pages (docs/email.md): link confirmation, password reset, account recovery
// requests, and the emailed-code step of legacy and web logins.

#include <tuple>

#include "accounts/email/device_cookie.h"
#include "accounts/email/email_security.h"
#include "api/registry_api.h"
#include "api/routes.h"
#include "base/strings.h"
#include "web/email_pages.h"
#include "web/pages.h"

namespace bulwark {
namespace {

std::string Form(std::string_view body, std::string_view key) {
  return QueryParam(body, key).value_or("");
}

http::Response Page(int status, std::string body) { return HtmlPage(status, std::move(body)); }

// The same answer whether or not the account exists, has a verified address, or is on a
// flagged domain: the answer must not tell an attacker which accounts exist or are blocked.
constexpr std::string_view kResetAnswer =
    "If an account with a verified email address matches, a link to set a new password is on "
    "its way; it expires in 30 minutes. No mail? The address may be unverified, or its domain "
    "may no longer be trusted: recover the account by logging in with two-factor "
    "authentication or a recovery code, or file an account recovery request.";

constexpr std::string_view kRecoveryAnswer =
    "Your request was filed. An administrator will review it and contact you through the "
    "contact you gave; nothing is sent to the account's email address.";

// Link tokens are RandomId output: URL-safe characters only, bounded length.
bool PlausibleToken(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  for (char c : t) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string RegistryApi::DeviceFromCookie(const Ctx& ctx) const {
  if (!email_) return "";
  auto value = CookieValue(ctx.req.Header("cookie"), kDeviceCookie);
  if (!value) return "";
  return email_->DeviceId(*value).value_or("");
}

absl::Status RegistryApi::EmailLoginCheck(const Ctx& ctx, const UserRecord& user,
                                          std::string_view context, std::string_view code,
                                          bool send_if_needed) {
  if (!email_) return absl::OkStatus();
  bool known = false;
  if (context == "cli") {
    // npm sends the token it holds for this registry with the login: a valid token of this
    // account, which only a device that logged in before can have, makes the device known.
    // Basic credentials prove nothing beyond the password.
    known = ctx.who() && ctx.who()->user == user.name && !ctx.who()->token_key.empty();
  } else {
    std::string device = DeviceFromCookie(ctx);
    BULWARK_ASSIGN_OR_RETURN(known, email_->IsKnownDevice(user.name, device));
  }
  return email_->VerifyLogin(user, known, code, context, ctx.req.remote_ip, send_if_needed);
}

std::optional<http::Response> RegistryApi::WebLoginEmailStep(Ctx& ctx, const std::string& id,
                                                             const std::string& action) {
  if (!email_) return std::nullopt;
  auto code = QueryParam(ctx.req.body, "email_code");
  if (!code) return std::nullopt;
  const std::string name = Form(ctx.req.body, "username");
  auto session = accounts_.OpenWebLogin(id);
  if (!session.ok()) {
    return Page(410, web::LoginPage("", "This login link has expired or was already used. Run "
                                        "npm login again."));
  }
  auto user = accounts_.GetUser(name);
  if (!user.ok()) {
    return Page(401, web::EmailCodePage(action, name, "The code is wrong.", true));
  }
  absl::Status s = EmailLoginCheck(ctx, *user, StrCat("web:", id), *code, false);
  if (!s.ok()) {
    if (IsOtpRequired(s)) {
      return Page(401, web::EmailCodePage(action, name, std::string(s.message()), true));
    }
    return ErrorResponse(s);
  }
  // Remember this browser: reuse its device id if it has a valid cookie, else mint one.
  std::string device = DeviceFromCookie(ctx);
  std::string cookie;
  if (device.empty()) {
    std::tie(cookie, device) = email_->NewDevice();
  }
  if (absl::Status r = email_->RememberDevice(user->name, device); !r.ok()) return ErrorResponse(r);
  s = accounts_.FinishWebLogin(id, user->name, ctx.req.remote_ip);
  if (!s.ok()) return ErrorResponse(s);
  http::Response r = Page(200, web::LoginDonePage(user->name));
  if (!cookie.empty()) {
    // HttpOnly: no script reads it; a year, like npmjs' device cookies.
    r.Set("set-cookie", StrCat(kDeviceCookie, "=", cookie,
                               "; Path=/-/web/; Max-Age=31536000; HttpOnly; SameSite=Lax",
                               ctx.req.secure ? "; Secure" : ""));
  }
  return r;
}

std::optional<http::Response> RegistryApi::WebSignInEmailStep(Ctx& ctx, const UserRecord* checked,
                                                              std::string* user) {
  if (!email_) return std::nullopt;
  const std::string action = "/-/web/signin";
  std::string code;
  UserRecord account;
  if (checked) {
    account = *checked;
  } else {
    // The code step: the user name and the code, no password.
    code = Form(ctx.req.body, "email_code");
    auto found = accounts_.GetUser(Form(ctx.req.body, "username"));
    if (!found.ok()) {
      return Page(401, web::EmailCodePage(action, Form(ctx.req.body, "username"),
                                          "The code is wrong.", true));
    }
    account = *std::move(found);
  }
  // Without this step a password alone would sign in here and register a security key.
  absl::Status s = EmailLoginCheck(ctx, account, "signin", code, checked != nullptr);
  if (IsOtpRequired(s)) {
    return Page(401, web::EmailCodePage(action, account.name, std::string(s.message()),
                                        checked == nullptr));
  }
  if (!s.ok()) return ErrorResponse(s);
  // A browser that passed here keeps its device cookie from the login page, if it has one; the
  // settings page does not mint one (the login page is where devices are remembered).
  *user = account.name;
  return std::nullopt;
}

std::optional<http::Response> RegistryApi::EmailRoute(Ctx& ctx, const std::string& p) {
  const bool email_path = StartsWith(p, "/-/bulwark/email/") ||
                          p == "/-/bulwark/v1/password-reset" ||
                          p == "/-/bulwark/v1/recovery-requests" ||
                          p == "/-/bulwark/v1/email/verify";
  if (!email_path) return std::nullopt;
  if (!email_) {
    return ErrorResponse(absl::UnavailableError(
        "mail is not configured on this registry; ask an administrator"));
  }
  const std::string& m = ctx.req.method;
  const bool get = m == "GET" || m == "HEAD";
  const bool post = m == "POST";
  const std::string_view ip = ctx.req.remote_ip;

  if (p == "/-/bulwark/v1/password-reset" && post) {
    auto body = JsonBody(ctx);
    if (!body.ok()) return ErrorResponse(body.status());
    std::string_view who = GetString(*body, "user").value_or("");
    if (who.empty() || who.size() > 254) {
      return ErrorResponse(absl::InvalidArgumentError("\"user\" (a user name or address) is required"));
    }
    absl::Status s = email_->RequestReset(who, ctx.base_url, ip);
    if (!s.ok()) return ErrorResponse(s);
    return NoStore(JsonResponse(202, json::object{{"ok", true}, {"message", kResetAnswer}}));
  }
  if (p == "/-/bulwark/v1/recovery-requests" && post) {
    auto body = JsonBody(ctx);
    if (!body.ok()) return ErrorResponse(body.status());
    auto id = email_->FileRecovery(GetString(*body, "user").value_or(""),
                                   GetString(*body, "contact").value_or(""),
                                   GetString(*body, "message").value_or(""), ip);
    if (!id.ok()) return ErrorResponse(id.status());
    return NoStore(JsonResponse(202, json::object{{"ok", true}, {"message", kRecoveryAnswer}}));
  }
  if (p == "/-/bulwark/v1/email/verify" && post) {
    auto who = RequireUser(ctx);
    if (!who.ok()) return ErrorResponse(who.status());
    auto user = accounts_.GetUser(who->user);
    if (!user.ok()) return ErrorResponse(user.status());
    absl::Status s = email_->SendVerification(*user, ctx.base_url);
    if (!s.ok()) return ErrorResponse(s);
    return NoStore(JsonResponse(202, json::object{{"ok", true}}));
  }

  // Pages.
  if (StartsWith(p, "/-/bulwark/email/confirm/")) {
    std::string token = p.substr(25);
    if (!PlausibleToken(token)) {
      return Page(404, web::EmailMessagePage("Link not valid", "This link is not valid.", false));
    }
    if (get) return Page(200, web::ConfirmLinkPage(StrCat("/-/bulwark/email/confirm/", token)));
    if (!post) return ErrorResponse(absl::NotFoundError("Not found"));
    auto outcome = email_->FollowLink(token, ip);
    if (!outcome.ok()) {
      if (absl::IsNotFound(outcome.status()) || absl::IsFailedPrecondition(outcome.status())) {
        return Page(410, web::EmailMessagePage("Link not valid",
                                               std::string(outcome.status().message()), false));
      }
      return ErrorResponse(outcome.status());
    }
    return Page(200, web::EmailMessagePage("Thank you", outcome->message, true));
  }
  if (StartsWith(p, "/-/bulwark/email/reset/")) {
    std::string token = p.substr(23);
    const std::string action = StrCat("/-/bulwark/email/reset/", token);
    auto user = PlausibleToken(token) ? email_->ResetUser(token)
                                      : absl::StatusOr<std::string>(absl::NotFoundError(""));
    if (!user.ok()) {
      if (!absl::IsNotFound(user.status())) return ErrorResponse(user.status());
      return Page(410, web::EmailMessagePage(
                           "Link not valid",
                           "This link is unknown, was already used, or has expired. Ask for a "
                           "new one.", false));
    }
    if (get) return Page(200, web::ResetPasswordPage(action, *user, ""));
    if (!post) return ErrorResponse(absl::NotFoundError("Not found"));
    absl::Status s = email_->CompleteReset(token, Form(ctx.req.body, "password"), ip);
    if (absl::IsInvalidArgument(s)) {
      return Page(400, web::ResetPasswordPage(action, *user, std::string(s.message())));
    }
    if (absl::IsNotFound(s)) {
      return Page(410, web::EmailMessagePage("Link not valid", std::string(s.message()), false));
    }
    if (!s.ok()) return ErrorResponse(s);
    return Page(200, web::EmailMessagePage(
                         "Password changed",
                         "Your new password is set and every login session was signed out. Log "
                         "in again with npm login.", true));
  }
  if (p == "/-/bulwark/email/forgot") {
    const std::string recovery = "/-/bulwark/email/recovery";
    if (get) return Page(200, web::ForgotPasswordPage(p, recovery, ""));
    if (!post) return ErrorResponse(absl::NotFoundError("Not found"));
    std::string who = Form(ctx.req.body, "user");
    if (!who.empty() && who.size() <= 254) {
      absl::Status s = email_->RequestReset(who, ctx.base_url, ip);
      if (!s.ok()) return ErrorResponse(s);
    }
    return Page(200, web::ForgotPasswordPage(p, recovery, kResetAnswer));
  }
  if (p == "/-/bulwark/email/recovery") {
    if (get) return Page(200, web::RecoveryRequestPage(p, "", ""));
    if (!post) return ErrorResponse(absl::NotFoundError("Not found"));
    auto id = email_->FileRecovery(Form(ctx.req.body, "user"), Form(ctx.req.body, "contact"),
                                   Form(ctx.req.body, "message"), ip);
    if (absl::IsInvalidArgument(id.status())) {
      return Page(400, web::RecoveryRequestPage(p, "", std::string(id.status().message())));
    }
    if (!id.ok()) return ErrorResponse(id.status());
    return Page(200, web::RecoveryRequestPage(p, kRecoveryAnswer, ""));
  }
  return ErrorResponse(absl::NotFoundError("Not found"));
}

}  // namespace bulwark
