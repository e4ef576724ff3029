#include "base/strings.h"
#include "web/pages.h"


namespace bulwark::web {
namespace {

std::string Layout(std::string_view title, std::string_view body) {
  return StrCat(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>",
      HtmlEscape(title),
      " · Bulwark</title><style>"
      "body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;"
      "color:#1b1f24}h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}"
      "input,select,textarea{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}"
      "button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem}"
      ".error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem;border-radius:4px}"
      ".ok{background:#e6f4ea;border:1px solid #9cc9a8;padding:.6rem;border-radius:4px}"
      "</style></head><body>",
      body, "</body></html>\n");
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string HomePage() {
  return Layout("Registry",
                "<h1>Bulwark</h1><p>An npm registry. Point your client at this address:</p>"
                "<pre>npm config set registry &lt;this URL&gt;</pre>");
}

std::string LoginPage(std::string_view action, std::string_view error) {
  std::string body = "<h1>Sign in to Bulwark</h1>";
  if (!error.empty()) {
    StrAppend(&body, "<p class=\"error\" role=\"alert\">", HtmlEscape(error), "</p>");
  }
  if (!action.empty()) {
    StrAppend(&body, "<p>Signing in completes <code>npm login</code> in your terminal.</p>",
                    "<form method=\"post\" action=\"", HtmlEscape(action), "\">",
                    "<label for=\"username\">User name</label>",
                    "<input id=\"username\" name=\"username\" autocomplete=\"username\" required "
                    "autofocus>",
                    "<label for=\"password\">Password</label>",
                    "<input id=\"password\" name=\"password\" type=\"password\" "
                    "autocomplete=\"current-password\" required>",
                    // Optional for everyone, required by the server for accounts with 2FA:
                    // one page, no second round trip that would reveal which accounts have it.
                    "<label for=\"otp\">One-time code (if you use two-factor "
                    "authentication)</label>",
                    "<input id=\"otp\" name=\"otp\" autocomplete=\"one-time-code\">",
                    "<button type=\"submit\">Sign in</button></form>");
  }
  return Layout("Sign in", body);
}

std::string LoginDonePage(std::string_view user) {
  return Layout("Signed in", StrCat("<h1>Signed in</h1><p class=\"ok\">You are signed in as <b>",
                                          HtmlEscape(user),
                                          "</b>. You can close this window and return to your "
                                          "terminal.</p>"));
}

std::string PackagePage(const PackageView& pkg, std::string_view report_action,
                        std::string_view notice, std::string_view error) {
  std::string body = StrCat("<h1>", HtmlEscape(pkg.name), "</h1>");
  if (!pkg.description.empty()) StrAppend(&body, "<p>", HtmlEscape(pkg.description), "</p>");
  if (!pkg.latest.empty()) {
    StrAppend(&body, "<p>Latest version: <code id=\"latest\">", HtmlEscape(pkg.latest),
              "</code></p><pre>npm install ", HtmlEscape(pkg.name), "</pre>");
  }
  StrAppend(&body, "<h2>Report this package</h2>");
  if (!notice.empty()) {
    StrAppend(&body, "<p class=\"ok\" role=\"status\">", HtmlEscape(notice), "</p>");
  }
  if (!error.empty()) {
    StrAppend(&body, "<p class=\"error\" role=\"alert\">", HtmlEscape(error), "</p>");
  }
  StrAppend(&body,
            "<p>Malware, a stolen account, spam or a name squat: tell the moderators.</p>"
            "<form method=\"post\" action=\"", HtmlEscape(report_action), "\">",
            "<label for=\"version\">Version (optional)</label><select id=\"version\" "
            "name=\"version\"><option value=\"\">All versions</option>");
  for (const auto& v : pkg.versions) {
    StrAppend(&body, "<option>", HtmlEscape(v), "</option>");
  }
  StrAppend(&body,
            "</select><label for=\"reason\">What is wrong?</label>"
            "<textarea id=\"reason\" name=\"reason\" rows=\"5\" maxlength=\"4000\" required>"
            "</textarea><label for=\"contact\">Your email (optional)</label>"
            "<input id=\"contact\" name=\"contact\" type=\"email\" autocomplete=\"email\">"
            "<button type=\"submit\">Send report</button></form>");
  return Layout(pkg.name, body);
}

}  // namespace bulwark::web
