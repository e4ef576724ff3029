#pragma once
// Pages for security keys and second factors: the second step of signing in (code or key), the
// account settings page (register, rename, remove keys), web-2FA approval, and the script that
// calls navigator.credentials. Served with CSP `script-src 'self'`: the only script is
// WebAuthnScript() at kWebAuthnScriptPath; options travel in a JSON data block.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::web {

inline constexpr std::string_view kWebAuthnScriptPath = "/-/web/static/webauthn.js";
std::string_view WebAuthnScript();

// The second step: `handle` identifies the server-side challenge. `key_request` is the JSON of
// the navigator.credentials.get() options (empty: the account has no keys); `code` shows the
// one-time code field.
struct SecondStep {
  std::string title;      // "Sign in to Bulwark", "Approve npm publish".
  std::string intro;      // A sentence above the choices.
  std::string action;     // The form target.
  std::string handle;
  std::string key_request;
  bool code = false;
  std::string error;
};
std::string SecondStepPage(const SecondStep& step);

// The settings page's sign-in (a web session for the account pages).
std::string SignInPage(std::string_view action, std::string_view error);

struct KeyRow {
  std::string id;  // base64url credential id.
  std::string name;
  std::string algorithm;
  std::string attestation;
  std::string created;
  std::string last_used;  // "never" when unused.
};
struct SettingsView {
  std::string user;
  std::string tfa;  // "off", "auth-only", "auth-and-writes".
  std::vector<KeyRow> keys;
  std::string error;
  std::string notice;
};
std::string SettingsPage(const SettingsView& view);

// "Touch your key": runs navigator.credentials.create() with `create_request` (JSON) and posts
// the result with `handle` to `action`.
std::string RegisterKeyPage(std::string_view user, std::string_view key_name,
                            std::string_view action, std::string_view handle,
                            std::string_view create_request, std::string_view error);

// A plain message page (`ok`: success style, else error style).
std::string MessagePage(std::string_view title, std::string_view message, bool ok);

}  // namespace bulwark::web
