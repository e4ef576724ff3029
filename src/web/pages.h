#pragma once
// HTML pages Bulwark serves itself: plain, script-free, self-contained (CSP default-src 'none').

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::web {

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

std::string HomePage();
// The `npm login` web flow's page. `action` is the form's target ("" hides the form); `error`
// is shown above it.
std::string LoginPage(std::string_view action, std::string_view error);
std::string LoginDonePage(std::string_view user);

// A package's page: its description, versions and the form to report it to the moderators
// (posted to `report_action`). `notice` (a thank-you) or `error` is shown above the form.
struct PackageView {
  std::string name;
  std::string description;
  std::string latest;
  std::vector<std::string> versions;  // Live ones, newest first.
};
std::string PackagePage(const PackageView& pkg, std::string_view report_action,
                        std::string_view notice, std::string_view error);

}  // namespace bulwark::web
