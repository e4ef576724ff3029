#pragma once
// The composition root: builds the storage backends, services and the HTTP server from a Config.
// Backends and engines are chosen here by name, never by static registration.

#include <memory>

#include "accounts/access_policy.h"
#include "accounts/account_service.h"
#include "accounts/security_keys.h"
#include "bulwark/storage/webauthn_store.h"
#include "bulwark/storage/trust_store.h"
#include "bulwark/storage/stage_store.h"
#include "bulwark/env/http_fetcher.h"
#include "accounts/oidc/trusted_publishing.h"
#include "api/registry_api.h"
#include "bulwark/env/blob_store.h"
#include "bulwark/storage/advisory_store.h"
#include "bulwark/storage/metadata_store.h"
#include "bulwark/storage/security_store.h"
#include "bulwark/stats/stats_section.h"
#include "accounts/mfa_policy.h"
#include "jobs/high_impact.h"
#include "bulwark/storage/moderation_store.h"
#include "http/server.h"
#include "jobs/download_counter.h"
#include "jobs/periodic.h"
#include "packaging/package_service.h"
#include "security/moderation.h"
#include "security/name_policy.h"
#include "security/scan_gate.h"
#include "server/breached_passwords.h"
#include "server/config.h"
#include "server/name_index.h"
#include "server/signing_keys.h"

namespace bulwark {

// The WebAuthn relying party for a public URL: its host is the RP ID, scheme://host[:port] the
// origin. InvalidArgument for a URL without a host name.
absl::StatusOr<webauthn::RelyingParty> RelyingPartyFromUrl(std::string_view url);

class App {
 public:
  enum class Mode {
    kAdmin,  // For CLI commands: stores and services only; LoadNamePolicy() when needed.
    kServe,  // Also builds the name policy and puts it in the publish path.
  };
  // Opens (creating) the data directory's stores. Does not listen yet.
  static absl::StatusOr<std::unique_ptr<App>> Open(const Config& config,
                                                   Mode mode = Mode::kAdmin);

  // Builds the typosquat index (logging its size, build time and memory) and the name policy.
  // Idempotent. A missing snapshot is a warning (see name_index_info()), not an error.
  absl::Status LoadNamePolicy();
  NamePolicy* name_policy() { return name_policy_.get(); }  // Null before LoadNamePolicy().
  const NameIndexInfo& name_index_info() const { return name_index_info_; }
  const Config& config() const { return config_; }

  absl::Status Listen();  // Binds the HTTP server; port() is known after.
  uint16_t port() const { return server_->port(); }
  void Run();             // Serves until Stop().
  void Stop();

  MetadataStore& store() { return *store_; }
  AdvisoryStore& advisories() { return *advisories_; }
  BlobStore& blobs() { return *blobs_; }
  AccountService& accounts() { return *accounts_; }
  SecurityStore& security() { return *security_; }
  HighImpactIndex& high_impact() { return *high_impact_; }
  // The sections of `bulwark stats` and GET /-/bulwark/v1/stats (security.md §Statistics).
  StatsReport& stats() { return *stats_; }
  SecurityKeys& security_keys() { return *keys_; }
  PackageService& packages() { return *packages_; }
  SigningKeys& signing_keys() { return *signing_keys_; }
  ModerationStore& moderation_store() { return *moderation_store_; }
  ModerationService& moderation() { return *moderation_; }

 private:
  App() = default;
  Config config_;
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<AdvisoryStore> advisories_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<SigningKeys> signing_keys_;  // Before packages_, which points to it.
  std::unique_ptr<AccessPolicy> policy_;
  // Before accounts_, which points into it, so it is destroyed after.
  std::unique_ptr<LoadedPasswordFilter> password_filter_;
  std::unique_ptr<SecurityStore> security_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<HighImpactIndex> high_impact_;
  std::unique_ptr<MfaPolicy> mfa_;
  std::unique_ptr<StatsReport> stats_;
  std::unique_ptr<WebAuthnStore> webauthn_store_;  // Before keys_, which points into it.
  std::unique_ptr<SecurityKeys> keys_;
  std::unique_ptr<PackageService> packages_;
  std::unique_ptr<ModerationStore> moderation_store_;
  // The publish scanner (docs/moderation.md): the admin's indicators until the scan engine
  // (security/scan/) is wired here; null without either.
  std::shared_ptr<PublishScanner> scanner_;
  std::unique_ptr<ScanGate> scan_gate_;
  std::unique_ptr<PartnerKeySource> partner_keys_;
  std::unique_ptr<ModerationService> moderation_;
  NameIndexInfo name_index_info_;
  std::unique_ptr<NamePolicy> name_policy_;
  std::unique_ptr<DownloadCounter> downloads_;
  std::unique_ptr<Periodic> flush_downloads_;  // Serve mode only; flushes once more at exit.
  std::unique_ptr<Periodic> security_jobs_;    // Serve mode: high-impact refresh, event pruning.
  // Trusted publishing (docs/trusted-publishing.md); before api_, which points to it.
  std::unique_ptr<TrustStore> trust_store_;
  std::unique_ptr<HttpFetcher> http_fetcher_;
  std::unique_ptr<oidc::TrustedPublishing> trust_;
  std::unique_ptr<StageStore> stage_store_;  // Staged publishing (docs/staging.md).
  std::unique_ptr<RegistryApi> api_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace bulwark
