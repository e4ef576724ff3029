#pragma once
// The npm registry protocol over http::Application (reference: npm-registry-api.md). Handlers
// are grouped by endpoint family: package_handlers.cc, account_handlers.cc, misc_handlers.cc.
// Status codes become HTTP statuses in exactly one place (ErrorResponse).

#include <memory>
#include <optional>
#include <string>

#include "accounts/account_service.h"
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
};

class RegistryApi final : public http::Application {
 public:
  // `downloads` (optional) counts every tarball served. `advisories` (optional) answers npm
  // audit; without it audits find nothing.
  RegistryApi(AccountService& accounts, PackageService& packages, Clock& clock, ApiOptions options,
              DownloadCounter* downloads = nullptr, AdvisoryStore* advisories = nullptr);

  // The moderation queue, reports and token-leak endpoints (not owned; null: those answer 503).
  void SetModeration(ModerationService* moderation) { moderation_ = moderation; }

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
  oidc::TrustedPublishing* trust_ = nullptr;
  StageStore* stages_ = nullptr;
};

// JSON response helpers shared by the handler files.
http::Response JsonResponse(int status, const json::value& body);
http::Response NoStore(http::Response r);
// An HTML page with the headers every Bulwark page carries (no caching, no framing, CSP that
// allows only Bulwark's own script).
http::Response HtmlPage(int status, std::string body);

}  // namespace bulwark
