#pragma once
// The npm registry protocol over http::Application (reference: npm-registry-api.md). Handlers
// are grouped by endpoint family: package_handlers.cc, account_handlers.cc, misc_handlers.cc.
// Status codes become HTTP statuses in exactly one place (ErrorResponse).

#include <memory>
#include <optional>
#include <string>

#include "accounts/account_service.h"
#include "bulwark/accounts/email_domain_status.h"
#include "accounts/mfa_policy.h"
#include "bulwark/stats/stats_section.h"
#include "accounts/security_keys.h"
#include "api/packument_cache.h"
#include "base/json.h"
#include "bulwark/env/clock.h"
#include "bulwark/storage/advisory_store.h"
#include "http/message.h"
#include "jobs/download_counter.h"
#include "packaging/package_service.h"

namespace bulwark {

class ModerationService;
class EmailSecurity;  // accounts/email (docs/email.md)
namespace proxy {
class Proxy;
}
namespace sandbox {
class SandboxService;
}  // namespace sandbox
namespace oidc {
class TrustedPublishing;
}
class StageStore;
struct StagedVersion;
class AdvisoryIndexCache;  // audit_handlers.cc
std::shared_ptr<AdvisoryIndexCache> NewAdvisoryIndexCache(AdvisoryStore* store);

struct ApiOptions {
  // Base URL for tarball, login and pagination URLs, without trailing slash. Empty: built from
  // the request's Host header (validated), so tarball URLs follow the host the client used.
  std::string public_url;
  std::string fallback_host = "127.0.0.1:4873";  // When a request has no usable Host.
  uint64_t max_publish_body = 200ull << 20;  // Base64 inflates tarballs by a third.
  uint64_t max_json_body = 1ull << 20;
  bool allow_registration = false;  // `npm adduser` may create accounts.
  absl::Duration cache_ttl = absl::Seconds(5);
  size_t cache_entries = 20000;
  uint64_t tarball_cache_bytes = 32ull << 20;  // Hot tarballs kept in memory.
  uint64_t tarball_cache_max_blob = 1ull << 20;  // Larger tarballs stream from disk.
  // `packuments.hide_emails`: maintainers and _npmUser carry no email (docs/email-domains.md).
  bool hide_emails = false;
};

class RegistryApi final : public http::Application {
 public:
  // `downloads` (optional) counts every tarball served. `advisories` (optional) answers npm
  // audit; without it audits find nothing.
  RegistryApi(AccountService& accounts, PackageService& packages, Clock& clock, ApiOptions options,
              DownloadCounter* downloads = nullptr, AdvisoryStore* advisories = nullptr);

  // The moderation queue, reports and token-leak endpoints (not owned; null: those answer 503).
  void SetModeration(ModerationService* moderation) { moderation_ = moderation; }
  // Accounts whose email domain is flagged get an npm-notice on their authenticated requests
  // (docs/email-domains.md). Not owned; null: no notice.
  void SetEmailDomainStatus(const EmailDomainStatus* status) { email_domains_ = status; }
  // Sandbox reports and the admin queue endpoint (not owned; null: those answer 503).
  void SetSandbox(sandbox::SandboxService* sandbox) { sandbox_ = sandbox; }

  uint64_t BodyLimit(const http::RequestHead& head) override;
  bool TryFast(const http::Request& request, http::Response& response) override;
  http::Response Handle(const http::Request& request) override;

  // Maps a Status to an npm-style JSON error response (logs internal errors). An OTP challenge
  // (accounts' OtpRequiredError) gets `WWW-Authenticate: OTP` instead of the Bearer challenge.
  static http::Response ErrorResponse(const absl::Status& status);

  // Mandatory 2FA for package writes (not owned; null: only the account's own 2FA mode).
  void SetMfaPolicy(MfaPolicy* mfa) { mfa_ = mfa; }
  // The report behind GET /-/bulwark/v1/stats (not owned; null: 404).
  void SetStats(StatsReport* stats) { stats_ = stats; }
  // Security keys (web pages, web 2FA). Optional; must outlive the API. Set before serving.
  void SetSecurityKeys(SecurityKeys* keys) { keys_ = keys; }
  // Verified addresses, emailed login codes, password reset and recovery requests
  // (docs/email.md). Optional (null: mail is not configured); must outlive the API.
  void SetEmailSecurity(EmailSecurity* email) { email_ = email; }
  // The upstream proxy (docs/proxy.md; not owned; null: only local packages). Set before serving.
  void SetProxy(proxy::Proxy* proxy) { proxy_ = proxy; }
  // Trusted publishing (`npm trust`, the OIDC exchange). Not owned; null: those answer 501.
  void SetTrustedPublishing(oidc::TrustedPublishing* trust) { trust_ = trust; }
  // Staged publishing (`npm stage`). Not owned; null: those answer 501.
  void SetStageStore(StageStore* stages) { stages_ = stages; }

 private:
  struct Ctx {
    const http::Request& req;
    std::string base_url;
    AuthResult auth;
    // Sent as an npm-notice with the response (a recovery code was spent).
    mutable std::string notice;
    const std::optional<Identity>& who() const { return auth.identity; }
  };

  http::Response Dispatch(Ctx& ctx);
  std::string BaseUrl(const http::RequestHead& req) const;
  // 401 unless the request carries valid credentials.
  absl::StatusOr<Identity> RequireUser(const Ctx& ctx) const;
  absl::StatusOr<json::object> JsonBody(const Ctx& ctx) const;
  // The second-factor policy for this request: the code travels in the `npm-otp` header.
  absl::Status SecondFactor(const Ctx& ctx, const std::string& user, TfaAction action);
  // Everything a write to `package` must pass besides ownership: the token's restrictions
  // (read-only, packages, scopes), mandatory 2FA, and (when `otp_applies`) the one-time password.
  absl::Status PackageWriteGate(const Ctx& ctx, const Identity& who, const std::string& package,
                                bool otp_applies = true);
  // Records a refused write (401/403/429 to a non-GET) in the security event log.
  void RecordBlockedWrite(const Ctx& ctx, const http::Response& res);
  // When `status` is an OTP challenge for a missing code and `user` has security keys, starts
  // a web-2FA approval and attaches its authUrl/doneUrl (npm-registry-api.md §1.5).
  absl::Status WithWebOtp(const Ctx& ctx, const std::string& user, absl::Status status);

  // package_handlers.cc
  http::Response GetPackument(Ctx& ctx, const std::string& name);
  http::Response GetVersion(Ctx& ctx, const std::string& name, const std::string& spec);
  http::Response GetTarball(Ctx& ctx, const std::string& name, const std::string& file);
  http::Response PutPackage(Ctx& ctx, const std::string& name, bool with_rev);
  http::Response DeletePackage(Ctx& ctx, const std::string& name);
  http::Response DeleteTarball(Ctx& ctx, const std::string& name, const std::string& file);
  http::Response PackageSubresource(Ctx& ctx, const std::vector<std::string>& segs);
  absl::StatusOr<std::shared_ptr<const CachedPackage>> LoadCached(Ctx& ctx,
                                                                  const std::string& name);
  std::shared_ptr<const CachedPackage> Render(const PackageRecord& p, const std::string& base_url);
  // A user's email as packuments show it: current, or "" when hidden (packuments.hide_emails).
  std::string CurrentEmail(std::string_view user) const;
  // Whether every address `entry` shows is still the account's.
  bool EmailsCurrent(const CachedPackage& entry) const;
  bool ServeFromCache(const http::Request& req, const CachedPackage& entry,
                      const std::string& file, http::Response& res);
  // account_handlers.cc
  http::Response CouchLogin(Ctx& ctx, const std::string& name);
  http::Response GetCouchUser(Ctx& ctx, const std::string& name);
  http::Response Logout(Ctx& ctx, const std::string& token);
  http::Response Whoami(Ctx& ctx);
  http::Response StartWebLogin(Ctx& ctx);
  http::Response PollWebLogin(Ctx& ctx, const std::string& id);
  http::Response WebLoginPage(Ctx& ctx, const std::string& id);
  http::Response ListTokens(Ctx& ctx);
  http::Response CreateToken(Ctx& ctx);
  http::Response RevokeToken(Ctx& ctx, const std::string& key);
  http::Response GetProfile(Ctx& ctx);
  http::Response UpdateProfile(Ctx& ctx);
  json::object ProfileJson(const UserRecord& user, json::value tfa);
  // The profile's "tfa" field: {mode, pending} (security keys alone: auth-and-writes) or false.
  absl::StatusOr<json::value> TfaJson(const std::string& user);
  // A doneUrl poll (web login, web 2FA): 202 + Retry-After while pending, 200 {token} once,
  // 404 with `unknown` for an expired or unknown id.
  http::Response DoneUrlResponse(const absl::StatusOr<std::optional<std::string>>& token,
                                 std::string_view unknown);
  // POST /-/npm/v1/user without `tfa`: `npm profile set password|email|...` (§5.2).
  http::Response SetProfileFields(Ctx& ctx, const Identity& who, const json::object& body);
  http::Response UserPackages(Ctx& ctx, const std::string& user);
  // security_handlers.cc: /-/bulwark/v1/{events,recovery-codes,stats}, npm access set mfa.
  http::Response ListEvents(Ctx& ctx);
  http::Response RegenerateRecoveryCodes(Ctx& ctx);
  http::Response Stats(Ctx& ctx);
  http::Response SetPackageMfa(Ctx& ctx, const std::string& name, const json::object& body);
  // web_handlers.cc: security keys and the account pages.
  http::Response WebPages(Ctx& ctx, const std::string& path);
  http::Response WebSecondStep(Ctx& ctx, const std::string& user, const std::string& context,
                               const std::string& action, const std::string& title,
                               const std::string& intro, const std::string& error,
                               int status);
  http::Response WebSignIn(Ctx& ctx);
  http::Response WebSettings(Ctx& ctx, const std::string& path);
  http::Response WebOtpPage(Ctx& ctx, const std::string& id);
  http::Response PollWebOtp(Ctx& ctx, const std::string& id);
  // The login page's second step (account_handlers.cc calls it); nullopt when the request
  // is not a second-step post.
  std::optional<http::Response> WebLoginSecondStep(Ctx& ctx, const std::string& id,
                                                   const std::string& action);
  // Pages using WebAuthn must be on the relying party's origin: a GET on another host name
  // is redirected there (nullopt: no redirect needed).
  std::optional<http::Response> ToRpOrigin(const Ctx& ctx) const;
  // email_handlers.cc: /-/bulwark/email/* pages and /-/bulwark/v1/{password-reset,
  // recovery-requests,email/verify}; nullopt for other paths.
  std::optional<http::Response> EmailRoute(Ctx& ctx, const std::string& path);
  // The emailed-code check of a login whose password (and second factor) were right: OK, or
  // the OTP challenge that makes npm prompt. `context`: "cli" or "web:<session>".
  absl::Status EmailLoginCheck(const Ctx& ctx, const UserRecord& user, std::string_view context,
                               std::string_view code, bool send_if_needed = true);
  // The web login page's emailed-code step (a post with `email_code`); nullopt otherwise.
  std::optional<http::Response> WebLoginEmailStep(Ctx& ctx, const std::string& id,
                                                  const std::string& action);
  // The settings sign-in page's emailed-code check (after the password, or a post carrying
  // `email_code`): nullopt when signed in, else the page to show.
  std::optional<http::Response> WebSignInEmailStep(Ctx& ctx, const UserRecord* checked,
                                                   std::string* user);
  // The `bulwark_device` cookie's verified device id, or "".
  std::string DeviceFromCookie(const Ctx& ctx) const;
  // misc_handlers.cc
  http::Response Search(Ctx& ctx);
  http::Response StarredByUser(Ctx& ctx);
  // moderation_handlers.cc
  std::optional<http::Response> ModerationRoute(Ctx& ctx, const std::string& decoded_path);
  absl::StatusOr<Identity> RequireAdmin(const Ctx& ctx) const;
  http::Response CreateReport(Ctx& ctx);
  http::Response ModerationQueue(Ctx& ctx, const std::vector<std::string>& segs);
  http::Response TokenLeaks(Ctx& ctx);
  http::Response UserNotices(Ctx& ctx);
  http::Response PackagePage(Ctx& ctx, const std::string& name);
  // proxy_handlers.cc: names that are not local, from the uplinks (docs/proxy.md). nullopt
  // when the request is not the proxy's (no proxy, a local name, or `local` is not NotFound).
  std::optional<http::Response> ProxyPackument(Ctx& ctx, const std::string& name,
                                               const absl::Status& local);
  std::optional<http::Response> ProxyTarball(Ctx& ctx, const std::string& name,
                                             const std::string& file, const absl::Status& local);
  std::optional<http::Response> ProxyVersion(Ctx& ctx, const std::string& name,
                                             const std::string& spec, const absl::Status& local);
  // GET /-/bulwark/v1/proxy/refusals: the proxy's security events, for administrators.
  http::Response ProxyRefusals(Ctx& ctx);
  // sandbox_handlers.cc
  std::optional<http::Response> SandboxRoute(Ctx& ctx, const std::string& decoded_path);
  // audit_handlers.cc
  http::Response AuditBulk(Ctx& ctx);
  http::Response AuditQuick(Ctx& ctx);
  // keys_handlers.cc
  http::Response GetSigningKeys(Ctx& ctx);
  // trust_handlers.cc: /-/package/<pkg>/trust[/<id>] and the OIDC token exchange.
  http::Response TrustRoute(Ctx& ctx, const std::vector<std::string>& segs);
  http::Response OidcExchange(Ctx& ctx, const std::string& package);
  // stage_handlers.cc: /-/stage...
  http::Response StageRoute(Ctx& ctx, const std::string& decoded_path);
  // Owners of the package (or, for a new package, whoever staged it) see a staged version.
  absl::StatusOr<bool> MaySeeStaged(const Identity& who, const StagedVersion& v);
  http::Response StageRelease(Ctx& ctx, const Identity& who,
                              const std::vector<std::string>& segs);
  // Validates and stores a publish document as a staged version (owners of an existing
  // package; the tarball must match dist.integrity).
  absl::StatusOr<StagedVersion> StageDocument(const Ctx& ctx, const Identity& who,
                                              const std::string& name, const json::object& body);
  // PutPackage's hook: when `name` requires staging and `who` is an automation token, stages
  // the publish instead and answers 201 with a notice; nullopt otherwise.
  std::optional<http::Response> MaybeStage(Ctx& ctx, const Identity& who, const std::string& name,
                                           const json::object& body);
  http::Response StagingPolicy(Ctx& ctx, const std::string& name);
  // advisory_admin_handlers.cc: /-/bulwark/v1/advisories[/ID]
  http::Response AdvisoryAdmin(Ctx& ctx, const std::string& id);

  AccountService& accounts_;
  PackageService& packages_;
  Clock& clock_;
  const ApiOptions options_;
  PackumentCache cache_;
  BlobCache blob_cache_;
  DownloadCounter* const downloads_;
  AdvisoryStore* const advisories_;
  const std::shared_ptr<AdvisoryIndexCache> advisory_index_;  // Null without advisories_.
  MfaPolicy* mfa_ = nullptr;
  StatsReport* stats_ = nullptr;
  SecurityKeys* keys_ = nullptr;
  ModerationService* moderation_ = nullptr;
  const EmailDomainStatus* email_domains_ = nullptr;
  EmailSecurity* email_ = nullptr;
  proxy::Proxy* proxy_ = nullptr;
  sandbox::SandboxService* sandbox_ = nullptr;
  oidc::TrustedPublishing* trust_ = nullptr;
  StageStore* stages_ = nullptr;
};

// JSON response helpers shared by the handler files.
http::Response JsonResponse(int status, const json::value& body);
http::Response NoStore(http::Response r);
// A rendered packument document (body, gzip, ETag) as the package cache keeps it.
RenderedDoc MakeRenderedDoc(std::string body, char kind);
// An HTML page with the headers every Bulwark page carries (no caching, no framing, CSP that
// allows only Bulwark's own script).
http::Response HtmlPage(int status, std::string body);

}  // namespace bulwark
