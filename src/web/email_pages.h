#pragma once
// The email pages (docs/email.md): the login page's emailed-code step, link confirmation,
// password reset and the account recovery request form. Script-free like every Bulwark page.

#include <string>
#include <string_view>

namespace bulwark::web {

// The web login's second step for an emailed code; posts `username` and `email_code`.
std::string EmailCodePage(std::string_view action, std::string_view user,
                          std::string_view message, bool error);
// A button that follows a verification link with POST (mail scanners that prefetch links with
// GET must not spend them).
std::string ConfirmLinkPage(std::string_view action);
std::string ResetPasswordPage(std::string_view action, std::string_view user,
                              std::string_view error);
// The form asking for a reset link (posts `user`) and the answer (`notice`).
std::string ForgotPasswordPage(std::string_view action, std::string_view recovery_url,
                               std::string_view notice);
std::string RecoveryRequestPage(std::string_view action, std::string_view notice,
                                std::string_view error);
std::string EmailMessagePage(std::string_view title, std::string_view message, bool ok);

}  // namespace bulwark::web
