#include "web/security_pages.h"

#include "base/strings.h"
#include "web/pages.h"

namespace bulwark::web {
namespace {

std::string Layout(std::string_view title, std::string_view body, bool script = false) {
  return StrCat(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>",
      HtmlEscape(title), " · Bulwark</title>",
      script ? StrCat("<script src=\"", kWebAuthnScriptPath, "\" defer></script>") : "",
      "<style>"
      "body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;"
      "color:#1b1f24}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}"
      "label{display:block;margin:.8rem 0 .2rem}"
      "input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}"
      "button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem}"
      "table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem;"
      "border-bottom:1px solid #ddd;vertical-align:top}"
      ".error{background:#fde8e8;border:1px solid #e0a0a0;padding:.6rem;border-radius:4px}"
      ".ok{background:#e6f4ea;border:1px solid #9cc9a8;padding:.6rem;border-radius:4px}"
      ".or{margin:1.2rem 0;color:#666}"
      "</style></head><body>",
      body, "</body></html>\n");
}

std::string Alert(std::string_view error) {
  if (error.empty()) return "";
  return StrCat("<p class=\"error\" role=\"alert\" id=\"error\">", HtmlEscape(error), "</p>");
}

// JSON inside <script type="application/json">: the text is not entity-decoded, so only
// "</script" could end it early; escaping every '<' rules that out.
std::string DataBlock(std::string_view id, std::string_view json) {
  std::string safe;
  for (char c : json) {
    if (c == '<') {
      safe += "\\u003c";
    } else {
      safe.push_back(c);
    }
  }
  return StrCat("<script type=\"application/json\" id=\"", id, "\">", safe, "</script>");
}

// The form the script fills with the browser's response and submits.
std::string KeyForm(std::string_view action, std::string_view handle, std::string_view label,
                    bool create) {
  std::string fields = create ? "attestation_object" : "authenticator_data,signature,user_handle";
  std::string hidden;
  const std::string all = StrCat("credential_id,client_data,", fields);  // Outlives the views.
  for (std::string_view f : StrSplit(all, ',')) {
    StrAppend(&hidden, "<input type=\"hidden\" name=\"", f, "\" id=\"key-", f, "\">");
  }
  return StrCat("<form method=\"post\" action=\"", HtmlEscape(action), "\" id=\"key-form\">",
                "<input type=\"hidden\" name=\"handle\" value=\"", HtmlEscape(handle), "\">",
                "<input type=\"hidden\" name=\"method\" value=\"key\">", hidden,
                "<button type=\"button\" id=\"use-key\">", HtmlEscape(label), "</button>",
                "<p class=\"error\" role=\"alert\" id=\"key-error\" hidden></p></form>");
}

}  // namespace

std::string SecondStepPage(const SecondStep& s) {
  std::string body = StrCat("<h1>", HtmlEscape(s.title), "</h1>", Alert(s.error), "<p>",
                            HtmlEscape(s.intro), "</p>");
  const bool key = !s.key_request.empty();
  if (key) {
    StrAppend(&body, DataBlock("webauthn-request", s.key_request),
              KeyForm(s.action, s.handle, "Use my security key", false));
  }
  if (key && s.code) StrAppend(&body, "<p class=\"or\">or</p>");
  if (s.code) {
    StrAppend(&body, "<form method=\"post\" action=\"", HtmlEscape(s.action), "\">",
              "<input type=\"hidden\" name=\"handle\" value=\"", HtmlEscape(s.handle), "\">",
              "<input type=\"hidden\" name=\"method\" value=\"code\">",
              "<label for=\"otp\">One-time code from your authenticator app (or a recovery "
              "code)</label>",
              "<input id=\"otp\" name=\"otp\" autocomplete=\"one-time-code\" required autofocus>",
              "<button type=\"submit\">Continue</button></form>");
  }
  return Layout(s.title, body, key);
}

std::string SignInPage(std::string_view action, std::string_view error) {
  return Layout(
      "Sign in",
      StrCat("<h1>Sign in to Bulwark</h1>", Alert(error),
             "<p>Sign in to manage your account's security keys.</p>",
             "<form method=\"post\" action=\"", HtmlEscape(action), "\">",
             "<label for=\"username\">User name</label>",
             "<input id=\"username\" name=\"username\" autocomplete=\"username\" required "
             "autofocus>",
             "<label for=\"password\">Password</label>",
             "<input id=\"password\" name=\"password\" type=\"password\" "
             "autocomplete=\"current-password\" required>",
             "<button type=\"submit\">Sign in</button></form>"));
}

std::string SettingsPage(const SettingsView& v) {
  std::string body = StrCat("<h1>Account settings</h1>", Alert(v.error));
  if (!v.notice.empty()) {
    StrAppend(&body, "<p class=\"ok\" role=\"status\" id=\"notice\">", HtmlEscape(v.notice),
              "</p>");
  }
  StrAppend(&body, "<p>Signed in as <b id=\"user\">", HtmlEscape(v.user),
            "</b>. Two-factor authentication: <b id=\"tfa\">", HtmlEscape(v.tfa), "</b>.</p>",
            "<h2>Security keys</h2>");
  if (v.keys.empty()) {
    StrAppend(&body, "<p id=\"no-keys\">No security keys yet.</p>");
  } else {
    StrAppend(&body, "<table id=\"keys\"><tr><th>Name</th><th>Type</th><th>Added</th>"
                     "<th>Last used</th><th></th></tr>");
    for (const KeyRow& k : v.keys) {
      StrAppend(&body, "<tr data-key=\"", HtmlEscape(k.id), "\"><td class=\"key-name\">",
                HtmlEscape(k.name), "</td><td>", HtmlEscape(k.algorithm), " (",
                HtmlEscape(k.attestation), ")</td><td>", HtmlEscape(k.created), "</td><td>",
                HtmlEscape(k.last_used), "</td><td>",
                "<form method=\"post\" action=\"/-/web/settings/keys/rename\">",
                "<input type=\"hidden\" name=\"id\" value=\"", HtmlEscape(k.id), "\">",
                "<input name=\"name\" aria-label=\"New name\" required value=\"",
                HtmlEscape(k.name), "\">",
                "<input name=\"password\" type=\"password\" aria-label=\"Password\" "
                "placeholder=\"Password\" autocomplete=\"current-password\" required>",
                "<button type=\"submit\" name=\"do\" value=\"rename\">Rename</button></form>",
                "<form method=\"post\" action=\"/-/web/settings/keys/remove\">",
                "<input type=\"hidden\" name=\"id\" value=\"", HtmlEscape(k.id), "\">",
                "<input name=\"password\" type=\"password\" aria-label=\"Password\" "
                "placeholder=\"Password\" autocomplete=\"current-password\" required>",
                "<button type=\"submit\">Remove</button></form></td></tr>");
    }
    StrAppend(&body, "</table>");
  }
  StrAppend(&body, "<h2>Add a security key</h2>",
            "<form method=\"post\" action=\"/-/web/settings/keys/new\" id=\"add-key\">",
            "<label for=\"key-name\">Name for the key</label>",
            "<input id=\"key-name\" name=\"name\" maxlength=\"64\" required>",
            "<label for=\"confirm-password\">Your password (to confirm it is you)</label>",
            "<input id=\"confirm-password\" name=\"password\" type=\"password\" "
            "autocomplete=\"current-password\" required>",
            "<button type=\"submit\">Add security key</button></form>",
            "<form method=\"post\" action=\"/-/web/signout\"><button type=\"submit\">Sign "
            "out</button></form>");
  return Layout("Account settings", body);
}

std::string RegisterKeyPage(std::string_view user, std::string_view key_name,
                            std::string_view action, std::string_view handle,
                            std::string_view create_request, std::string_view error) {
  return Layout("Add a security key",
                StrCat("<h1>Add a security key</h1>", Alert(error), "<p>Adding <b>",
                       HtmlEscape(key_name), "</b> to <b>", HtmlEscape(user),
                       "</b>. Press the button, then touch your key.</p>",
                       DataBlock("webauthn-request", create_request),
                       KeyForm(action, handle, "Register my security key", true),
                       "<p><a href=\"/-/web/settings\">Cancel</a></p>"),
                true);
}

std::string MessagePage(std::string_view title, std::string_view message, bool ok) {
  return Layout(title, StrCat("<h1>", HtmlEscape(title), "</h1><p class=\"", ok ? "ok" : "error",
                              "\" role=\"", ok ? "status" : "alert", "\">", HtmlEscape(message),
                              "</p>"));
}

std::string_view WebAuthnScript() {
  static constexpr char kScript[] = R"js(// Bulwark: calls navigator.credentials with the options in the page's data block and posts
// the browser's response with the form beside it. No other script runs on Bulwark's pages.
'use strict';
(function () {
  const data = document.getElementById('webauthn-request');
  const button = document.getElementById('use-key');
  if (!data || !button) return;
  const req = JSON.parse(data.textContent);
  const dec = (s) => {
    const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
    return Uint8Array.from(b, (c) => c.charCodeAt(0));
  };
  const enc = (buf) => {
    let s = '';
    for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const set = (name, value) => { document.getElementById('key-' + name).value = value; };
  const fail = (message) => {
    const e = document.getElementById('key-error');
    e.textContent = message;
    e.hidden = false;
    button.disabled = false;
  };
  if (!window.PublicKeyCredential) {
    fail('This browser does not support security keys here (a secure origin is needed).');
    button.disabled = true;
    return;
  }
  const creds = (ids) => ids.map((id) => ({ type: 'public-key', id: dec(id) }));
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      if (req.mode === 'create') {
        const cred = await navigator.credentials.create({ publicKey: {
          rp: { id: req.rpId, name: 'Bulwark' },
          user: { id: dec(req.userId), name: req.userName, displayName: req.userName },
          challenge: dec(req.challenge),
          pubKeyCredParams: [{ type: 'public-key', alg: -8 }, { type: 'public-key', alg: -7 },
            { type: 'public-key', alg: -257 }],
          excludeCredentials: creds(req.exclude),
          authenticatorSelection: { residentKey: 'discouraged',
            userVerification: req.userVerification },
          attestation: 'none', timeout: 120000,
        } });
        set('credential_id', enc(cred.rawId));
        set('client_data', enc(cred.response.clientDataJSON));
        set('attestation_object', enc(cred.response.attestationObject));
      } else {
        const cred = await navigator.credentials.get({ publicKey: {
          rpId: req.rpId, challenge: dec(req.challenge), allowCredentials: creds(req.allow),
          userVerification: req.userVerification, timeout: 120000,
        } });
        set('credential_id', enc(cred.rawId));
        set('client_data', enc(cred.response.clientDataJSON));
        set('authenticator_data', enc(cred.response.authenticatorData));
        set('signature', enc(cred.response.signature));
        set('user_handle', cred.response.userHandle ? enc(cred.response.userHandle) : '');
      }
      document.getElementById('key-form').submit();
    } catch (err) {
      fail('The security key did not answer (' + err.name + '). Try again.');
    }
  });
})();
)js";
  return kScript;
}

}  // namespace bulwark::web
