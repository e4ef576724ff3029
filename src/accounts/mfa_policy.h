#pragma once
// Mandatory two-factor authentication for package writes (docs/security.md §Mandatory 2FA):
// the operator may require it of every publisher, a scope of its members (a stand-in for
// organisations), high-impact packages of their maintainers, and owners of their package
// (`npm access set mfa=publish|automation`). The API asks this policy once per package write;
// it also decides whether the write needs a one-time password, so a code is checked once.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/account_service.h"
#include "bulwark/storage/security_store.h"

namespace bulwark {

// Whether a package is high-impact, and why (e.g. "it has 1234567 downloads this week").
class HighImpactLookup {
 public:
  virtual ~HighImpactLookup() = default;
  virtual std::optional<std::string> Why(std::string_view package) const = 0;
};

struct MfaOptions {
  // Every publisher needs 2FA in auth-and-writes mode (PyPI's rule for all users).
  bool require_2fa_for_publish = false;
  // Writes to packages in these scopes ("@acme") need 2FA in auth-and-writes mode.
  std::vector<std::string> require_2fa_scopes;
};

class MfaPolicy {
 public:
  // `package_policies` and `high_impact` may be null (no per-package policy / none high-impact).
  MfaPolicy(AccountService& accounts, SecurityStore* package_policies,
            const HighImpactLookup* high_impact, Clock& clock, MfaOptions options);

  // For a write by `who` to `package` (token restrictions already checked):
  //  - PermissionDenied when a mandate applies and the account lacks the required 2FA; the
  //    message says which mandate and how to enable 2FA;
  //  - when `otp_applies`, the one-time password check (OtpRequiredError without a valid
  //    `otp`): in auth-and-writes mode, or when the package's owners require it; automation
  //    (bypass_2fa) tokens skip it unless the package policy is `publish`.
  absl::Status CheckPackageWrite(const Identity& who, std::string_view package,
                                 std::string_view otp, std::string_view remote_ip,
                                 bool otp_applies = true, std::string* notice = nullptr);
  // Why writes to `package` need auth-and-writes 2FA; empty when nothing requires it.
  std::vector<std::string> Mandates(std::string_view package) const;

  absl::StatusOr<PackageMfa> GetPackageMfa(std::string_view package);
  absl::Status SetPackageMfa(std::string_view package, PackageMfa mfa, std::string_view by);

  const MfaOptions& options() const { return options_; }

 private:
  AccountService& accounts_;
  SecurityStore* const package_policies_;
  const HighImpactLookup* const high_impact_;
  Clock& clock_;
  const MfaOptions options_;
};

}  // namespace bulwark
