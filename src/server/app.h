#pragma once
// The composition root: builds the storage backends, services and the HTTP server from a Config.
// Backends and engines are chosen here by name, never by static registration.

#include <atomic>
#include <memory>

#include "accounts/access_policy.h"
#include "accounts/domains/domain_monitor.h"
#include "bulwark/storage/domain_store.h"
#include "accounts/email/email_security.h"
#include "bulwark/storage/email_store.h"
#include "mail/mail_queue.h"
#include "accounts/account_service.h"
#include "accounts/security_keys.h"
#include "bulwark/storage/webauthn_store.h"
#include "bulwark/storage/trust_store.h"
#include "bulwark/storage/stage_store.h"
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
#include "bulwark/storage/sandbox_store.h"
#include "sandbox/service.h"
#include "http/server.h"
#include "bulwark/env/http_client.h"
#include "bulwark/storage/proxy_store.h"
#include "proxy/proxy.h"
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
  ~App();  // Stops the periodic jobs before the services they use.

  // Builds the typosquat index (logging its size, build time and memory) and the name policy.
  // Idempotent. A missing snapshot is a warning (see name_index_info()), not an error.
  absl::Status LoadNamePolicy();
  // server/sandbox_wiring.cc: the report store and the sandbox service; in serve mode with
  // sandbox.enabled, the publish hook and the queue worker.
  absl::Status OpenSandbox(Mode mode);
  std::string SandboxRegistryUrl() const;
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
  // The expired-domain monitor (docs/email-domains.md); also the EmailDomainStatus seam that
  // password reset and recovery consult.
  DomainMonitor& domain_monitor() { return *domain_monitor_; }
  EmailDomainStatus& email_domain_status() { return *domain_monitor_; }
  DomainStore& domain_store() { return *domain_store_; }
  // (Re)builds the monitor's resolver and RDAP client from `config` (the CLI's --resolver and
  // --rdap-base override the file). InvalidArgument for a bad resolver list or bootstrap file.
  absl::Status ConfigureDomainLookups(const DomainsConfig& config);
  // Email account security (docs/email.md); null when `email.transport` is "none". The
  // expired-domain monitor is plugged in by App::Open (SetDomainStatus).
  EmailSecurity* email_security() { return email_security_.get(); }
  EmailStore* email_store() { return email_store_.get(); }
  MailQueue* mail_queue() { return mail_queue_.get(); }
  // The upstream proxy (docs/proxy.md); null without uplinks in the config.
  proxy::Proxy* proxy() { return proxy_.get(); }
  ProxyStore* proxy_store() { return proxy_store_.get(); }
  sandbox::SandboxService& sandbox() { return *sandbox_; }

 private:
  App() = default;
  // App::Open's part for the monitor (app_domains.cc): store, lookups, listener, job.
  absl::Status OpenDomainMonitor(Mode mode);
  // server/email_app.cc: the email store, mail queue and EmailSecurity when mail is configured.
  absl::Status OpenEmail(Mode mode);
  // The upstream proxy's periodic dependency-confusion probe (serve mode; app_proxy.cc).
  void StartProxyProbe();
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
  std::unique_ptr<SandboxStore> sandbox_store_;            // docs/sandbox.md
  std::unique_ptr<sandbox::SandboxService> sandbox_;
  NameIndexInfo name_index_info_;
  std::unique_ptr<NamePolicy> name_policy_;
  std::unique_ptr<DownloadCounter> downloads_;
  std::unique_ptr<Periodic> flush_downloads_;  // Serve mode only; flushes once more at exit.
  std::unique_ptr<Periodic> security_jobs_;    // Serve mode: high-impact refresh, event pruning.
  // The expired-domain monitor: its store, lookups, and (serve mode) its periodic job.
  std::unique_ptr<DomainStore> domain_store_;
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<HttpClient> http_client_;  // Also the proxy's and OIDC's; before all three.
  std::unique_ptr<DomainMonitor> domain_monitor_;
  std::unique_ptr<Periodic> domain_jobs_;
  // Periodic runs its function once more when destroyed; the domain check must not (it would
  // go to the network during shutdown).
  std::atomic<bool> stopping_{false};
  // Mail and email security (docs/email.md), in dependency order.
  std::unique_ptr<EmailStore> email_store_;
  std::unique_ptr<MailTransport> mail_transport_;
  std::unique_ptr<MailQueue> mail_queue_;
  std::unique_ptr<EmailSecurity> email_security_;
  std::unique_ptr<ProxyStore> proxy_store_;
  std::unique_ptr<proxy::Proxy> proxy_;
  std::unique_ptr<Periodic> proxy_jobs_;  // Checks stopping_ too: no probe at shutdown.
  // Trusted publishing (docs/trusted-publishing.md); before api_, which points to it.
  std::unique_ptr<TrustStore> trust_store_;
  std::unique_ptr<oidc::TrustedPublishing> trust_;
  std::unique_ptr<StageStore> stage_store_;  // Staged publishing (docs/staging.md).
  std::unique_ptr<RegistryApi> api_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace bulwark
