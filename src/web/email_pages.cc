#include "web/email_pages.h"

#include "base/strings.h"
#include "web/pages.h"

namespace bulwark::web {
namespace {

std::string Layout(std::string_view title, std::string_view body) {
  return StrCat(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
      HtmlEscape(title),
      " · Bulwark</title><style>"
      "body{font-family:system-ui,sans-serif;max-width:30rem;margin:4rem auto;padding:0 1rem;"
      "color:#1b1f24}h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}"
      "input,textarea{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}"
      "button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem}"
      ".error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem;border-radius:4px}"
      ".ok{background:#e6f4ea;border:1px solid #9cc9a8;padding:.6rem;border-radius:4px}"
      "</style></head><body><h1>",
      HtmlEscape(title), "</h1>", body, "</body></html>\n");
}

std::string Note(std::string_view text, bool error) {
  if (text.empty()) return "";
  return StrCat("<p class=\"", error ? "error\" role=\"alert" : "ok", "\" id=\"",
                error ? "error" : "notice", "\">", HtmlEscape(text), "</p>");
}

}  // namespace

std::string EmailCodePage(std::string_view action, std::string_view user,
                          std::string_view message, bool error) {
  return Layout(
      "Check your email",
      StrCat(Note(message, error), "<form method=\"post\" action=\"", HtmlEscape(action), "\">",
             "<input type=\"hidden\" name=\"username\" value=\"", HtmlEscape(user), "\">",
             "<label for=\"email_code\">Verification code</label>",
             "<input id=\"email_code\" name=\"email_code\" inputmode=\"numeric\" "
             "autocomplete=\"one-time-code\" required autofocus>",
             "<button type=\"submit\">Verify</button></form>"));
}

std::string ConfirmLinkPage(std::string_view action) {
  return Layout("Confirm your email address",
                StrCat("<form method=\"post\" action=\"", HtmlEscape(action), "\">",
                       "<button type=\"submit\" id=\"confirm\">Confirm</button></form>"));
}

std::string ResetPasswordPage(std::string_view action, std::string_view user,
                              std::string_view error) {
  return Layout(
      "Choose a new password",
      StrCat(Note(error, true), "<p>Account: <strong>", HtmlEscape(user), "</strong></p>",
             "<form method=\"post\" action=\"", HtmlEscape(action), "\">",
             "<label for=\"password\">New password</label>",
             "<input id=\"password\" name=\"password\" type=\"password\" "
             "autocomplete=\"new-password\" required autofocus>",
             "<button type=\"submit\">Set password</button></form>"));
}

std::string ForgotPasswordPage(std::string_view action, std::string_view recovery_url,
                               std::string_view notice) {
  return Layout(
      "Forgot your password?",
      StrCat(Note(notice, false), "<form method=\"post\" action=\"", HtmlEscape(action), "\">",
             "<label for=\"user\">User name or email address</label>",
             "<input id=\"user\" name=\"user\" required autofocus>",
             "<button type=\"submit\">Send a reset link</button></form>",
             "<p>No access to your address? <a href=\"", HtmlEscape(recovery_url),
             "\">Ask for account recovery</a>.</p>"));
}

std::string RecoveryRequestPage(std::string_view action, std::string_view notice,
                                std::string_view error) {
  std::string body = StrCat(Note(notice, false), Note(error, true));
  if (notice.empty()) {
    StrAppend(&body,
              "<p>If you can still log in with two-factor authentication or a recovery code, do "
              "that instead. Otherwise an administrator reviews this request and contacts you.</p>",
              "<form method=\"post\" action=\"", HtmlEscape(action), "\">",
              "<label for=\"user\">User name</label><input id=\"user\" name=\"user\" required>",
              "<label for=\"contact\">How can we reach you?</label>",
              "<input id=\"contact\" name=\"contact\" required>",
              "<label for=\"message\">What happened, and how can you prove the account is "
              "yours?</label><textarea id=\"message\" name=\"message\" rows=\"5\"></textarea>",
              "<button type=\"submit\">Send</button></form>");
  }
  return Layout("Account recovery", body);
}

std::string EmailMessagePage(std::string_view title, std::string_view message, bool ok) {
  return Layout(title, Note(message, !ok));
}

}  // namespace bulwark::web
