#pragma once
// The npm registry protocol over http::Application (reference: npm-registry-api.md). Handlers
// are grouped by endpoint family: package_handlers.cc, account_handlers.cc, misc_handlers.cc.
// Status codes become HTTP statuses in exactly one place (ErrorResponse).

#include <memory>
#include <optional>
#include <string>

#include "accounts/account_service.h"
#include "api/packument_cache.h"
#include "base/json.h"
#include "bulwark/env/clock.h"
#include "bulwark/storage/advisory_store.h"
#include "http/message.h"
#include "jobs/download_counter.h"
#include "packaging/package_service.h"

namespace bulwark {

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

  uint64_t BodyLimit(const http::RequestHead& head) override;
  bool TryFast(const http::Request& request, http::Response& response) override;
  http::Response Handle(const http::Request& request) override;

  // Maps a Status to an npm-style JSON error response (logs internal errors). An OTP challenge
  // (accounts' OtpRequiredError) gets `WWW-Authenticate: OTP` instead of the Bearer challenge.
  static http::Response ErrorResponse(const absl::Status& status);

 private:
  struct Ctx {
    const http::Request& req;
    std::string base_url;
    AuthResult auth;
    const std::optional<Identity>& who() const { return auth.identity; }
  };

  http::Response Dispatch(Ctx& ctx);
  std::string BaseUrl(const http::RequestHead& req) const;
  // 401 unless the request carries valid credentials.
  absl::StatusOr<Identity> RequireUser(const Ctx& ctx) const;
  absl::StatusOr<json::object> JsonBody(const Ctx& ctx) const;
  // The second-factor policy for this request: the code travels in the `npm-otp` header.
  absl::Status SecondFactor(const Ctx& ctx, const std::string& user, TfaAction action);

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
  http::Response UserPackages(Ctx& ctx, const std::string& user);
  // misc_handlers.cc
  http::Response Search(Ctx& ctx);
  http::Response StarredByUser(Ctx& ctx);
  // audit_handlers.cc
  http::Response AuditBulk(Ctx& ctx);
  http::Response AuditQuick(Ctx& ctx);
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
};

// JSON response helpers shared by the handler files.
http::Response JsonResponse(int status, const json::value& body);
http::Response NoStore(http::Response r);

}  // namespace bulwark
