#include "accounts/mfa_policy.h"

#include <algorithm>

#include "base/package_name.h"
#include "base/strings.h"

namespace bulwark {

MfaPolicy::MfaPolicy(AccountService& accounts, SecurityStore* package_policies,
                     const HighImpactLookup* high_impact, Clock& clock, MfaOptions options)
    : accounts_(accounts),
      package_policies_(package_policies),
      high_impact_(high_impact),
      clock_(clock),
      options_(std::move(options)) {}

std::vector<std::string> MfaPolicy::Mandates(std::string_view package) const {
  std::vector<std::string> why;
  if (options_.require_2fa_for_publish) {
    why.push_back("this registry requires it of every publisher");
  }
  if (auto parts = SplitPackageName(package); parts && !parts->scope.empty()) {
    const auto& scopes = options_.require_2fa_scopes;
    if (std::find(scopes.begin(), scopes.end(), parts->scope) != scopes.end()) {
      why.push_back(StrCat("the scope ", parts->scope, " requires it of its members"));
    }
  }
  if (high_impact_) {
    if (auto reason = high_impact_->Why(package)) {
      why.push_back(StrCat(package, " is a high-impact package (", *reason, ")"));
    }
  }
  return why;
}

absl::StatusOr<PackageMfa> MfaPolicy::GetPackageMfa(std::string_view package) {
  if (!package_policies_) return PackageMfa::kNone;
  return package_policies_->GetPackageMfa(package);
}

absl::Status MfaPolicy::SetPackageMfa(std::string_view package, PackageMfa mfa,
                                      std::string_view by) {
  if (!package_policies_) {
    return absl::UnavailableError("per-package two-factor policies are not available");
  }
  return package_policies_->SetPackageMfa(package, mfa, by, clock_.Now());
}

absl::Status MfaPolicy::CheckPackageWrite(const Identity& who, std::string_view package,
                                          std::string_view otp, std::string_view remote_ip,
                                          bool otp_applies, std::string* notice) {
  // TOTP's mode, or auth-and-writes for an account whose second factor is security keys only.
  BULWARK_ASSIGN_OR_RETURN(std::optional<TfaMode> mode, accounts_.EffectiveTfaMode(who.user));
  const bool enabled = mode.has_value();
  const bool writes_mode = enabled && *mode == TfaMode::kAuthAndWrites;
  std::vector<std::string> mandates = Mandates(package);
  if (!mandates.empty() && !writes_mode) {
    return absl::PermissionDeniedError(StrCat(
        "changing ", package, " requires two-factor authentication in auth-and-writes mode: ",
        StrJoin(mandates, "; "), ". ",
        enabled ? "Your account uses auth-only; switch with: npm profile enable-2fa "
                  "auth-and-writes"
                : "Enable it with: npm profile enable-2fa auth-and-writes"));
  }
  BULWARK_ASSIGN_OR_RETURN(PackageMfa policy, GetPackageMfa(package));
  if (policy != PackageMfa::kNone && !enabled) {
    return absl::PermissionDeniedError(StrCat(
        "the owners of ", package, " require two-factor authentication for changes to it (npm "
        "access set mfa=", policy == PackageMfa::kPublish ? "publish" : "automation",
        "). Enable it with: npm profile enable-2fa auth-and-writes"));
  }
  if (!otp_applies) return absl::OkStatus();
  bool need_otp = writes_mode || (policy != PackageMfa::kNone && enabled);
  // Automation tokens exist so that CI can publish without a person typing a code; the owners
  // of a package can refuse that with mfa=publish (npm's semantics).
  if (who.bypass_2fa && policy != PackageMfa::kPublish) need_otp = false;
  if (!need_otp) return absl::OkStatus();
  // kAccountChange demands a code in either mode: the package policy applies to auth-only
  // accounts too.
  return accounts_.CheckSecondFactor(who.user, TfaAction::kAccountChange, otp, remote_ip,
                                     notice);
}

}  // namespace bulwark
