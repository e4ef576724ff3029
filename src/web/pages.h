#pragma once
// HTML pages Bulwark serves itself: plain, script-free, self-contained (CSP default-src 'none').

#include <string>
#include <string_view>

namespace bulwark::web {

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

std::string HomePage();
// The `npm login` web flow's page. `action` is the form's target ("" hides the form); `error`
// is shown above it.
std::string LoginPage(std::string_view action, std::string_view error);
std::string LoginDonePage(std::string_view user);

}  // namespace bulwark::web
