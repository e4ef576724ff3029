#include "base/strings.h"
#include "server/app.h"

#include <filesystem>

#include "bulwark/env/clock.h"
#include "bulwark/env/random.h"
#include "base/log.h"
#include "server/key_file.h"
#include "server/security_stats.h"
#include "security/engine_scanner.h"
#include "server/partner_keys.h"
#include "server/proxy_wiring.h"

namespace bulwark {

absl::StatusOr<std::unique_ptr<App>> App::Open(const Config& config, Mode mode) {
  std::unique_ptr<App> app(new App());
  app->config_ = config;
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        StrCat("cannot create data directory ", config.data_dir, ": ", ec.message()));
  }
  BULWARK_ASSIGN_OR_RETURN(app->store_,
                           NewSqliteMetadataStore(config.data_dir + "/bulwark.sqlite3"));
  BULWARK_ASSIGN_OR_RETURN(app->advisories_,
                           NewSqliteAdvisoryStore(config.data_dir + "/bulwark.sqlite3"));
  BULWARK_ASSIGN_OR_RETURN(app->blobs_, NewFsBlobStore(config.data_dir + "/blobs"));
  app->policy_ = std::make_unique<AccessPolicy>(
      config.packages.empty() ? AccessPolicy::Default() : AccessPolicy(config.packages));
  app->accounts_ = std::make_unique<AccountService>(*app->store_, RealClock(), SystemRandom(),
                                                    config.accounts);
  BULWARK_ASSIGN_OR_RETURN(app->security_,
                           NewSqliteSecurityStore(config.data_dir + "/security.sqlite3"));
  app->accounts_->SetEventLog(app->security_.get());
  // The key sealing TOTP secrets, created at first start (docs/security.md).
  BULWARK_ASSIGN_OR_RETURN(std::string tfa_key,
                           LoadOrCreateKeyFile(config.data_dir + "/keys/totp.key",
                                               SecretBox::kKeyBytes, SystemRandom()));
  BULWARK_ASSIGN_OR_RETURN(SecretBox tfa_box, SecretBox::Create(std::move(tfa_key)));
  app->accounts_->SetTfaKey(std::move(tfa_box));
  // Security keys (docs/security.md §Security keys): a second factor like TOTP.
  BULWARK_ASSIGN_OR_RETURN(app->webauthn_store_,
                           NewSqliteWebAuthnStore(config.data_dir + "/bulwark.sqlite3"));
  app->accounts_->SetWebAuthnStore(app->webauthn_store_.get());
  app->keys_ = std::make_unique<SecurityKeys>(*app->webauthn_store_, *app->accounts_, RealClock(),
                                              SystemRandom(), config.security_keys);
  if (!config.api.public_url.empty()) {
    auto rp = RelyingPartyFromUrl(config.api.public_url);
    if (rp.ok()) {
      app->keys_->SetRelyingParty(*std::move(rp));
    } else {
      // Not fatal: the registry works, only security keys cannot be registered or used.
      LogWarning("security keys are unavailable: %s", rp.status().ToString());
    }
  }
  auto filter = LoadPasswordFilter(config);
  if (filter.ok()) {
    app->password_filter_ = *std::move(filter);
    app->accounts_->SetBreachedPasswords(&app->password_filter_->filter);
  } else if (absl::IsNotFound(filter.status())) {
    LogWarning("no breached-password filter (%s): breached passwords are not refused",
               filter.status().ToString());
  } else {
    return filter.status();  // A corrupt filter must not silently turn the check off.
  }
  app->packages_ = std::make_unique<PackageService>(*app->store_, *app->blobs_, RealClock(),
                                                    *app->policy_, config.registry);
  // Registry signing keys, outside the database; created at first start (docs/signatures.md).
  BULWARK_ASSIGN_OR_RETURN(
      app->signing_keys_,
      SigningKeys::Open(config.signing_keys_dir.empty() ? config.data_dir + "/keys/signing"
                                                        : config.signing_keys_dir,
                        RealClock()));
  app->packages_->SetSigner(app->signing_keys_.get());
  if (mode == Mode::kServe) {
    // Versions stored before signing existed are signed once, so everything served verifies.
    BULWARK_ASSIGN_OR_RETURN(size_t signed_now, app->packages_->SignUnsignedVersions());
    if (signed_now > 0) LogInfo("signed %d versions published before signing", signed_now);
    BULWARK_RETURN_IF_ERROR(app->LoadNamePolicy());
    app->packages_->SetNameGate(app->name_policy_.get());
  }
  // The version gate and moderation queue (docs/moderation.md).
  BULWARK_ASSIGN_OR_RETURN(app->moderation_store_,
                           NewSqliteModerationStore(config.data_dir + "/bulwark.sqlite3"));
  const ScanningConfig& scanning = config.scanning;
  if (mode == Mode::kServe) {
    // The engine (docs/scanning.md) plus the operator's literal indicators; only the server
    // publishes, so admin commands skip compiling the rule databases. A rule pack that does
    // not compile stops start-up, naming its file and line.
    scan::ScannerOptions engine_options;
    engine_options.rule_dirs = scanning.rules_dirs;
    BULWARK_ASSIGN_OR_RETURN(std::unique_ptr<scan::Scanner> engine,
                             scan::Scanner::Create(engine_options));
    app->scanner_ = std::make_shared<EngineScanner>(std::move(engine), scanning.indicators);
  }
  if (scanning.enabled) {
    app->scan_gate_ = std::make_unique<ScanGate>(
        *app->store_, *app->moderation_store_, *app->blobs_, RealClock(), *app->packages_,
        app->scanner_, scanning.gate, config.registry.tarball);
    app->packages_->SetPublishGate(app->scan_gate_.get());
  }
  app->moderation_ = std::make_unique<ModerationService>(
      *app->store_, *app->moderation_store_, *app->advisories_, *app->packages_, RealClock(),
      scanning.moderation);
  app->partner_keys_ = NewPartnerKeySource(scanning, RealClock());
  app->moderation_->SetPartnerKeys(app->partner_keys_.get());
  // Revocations by the gate and by partner reports join the security event log.
  SecurityEventSink events = [accounts = app->accounts_.get()](std::string_view kind,
                                                               std::string_view user,
                                                               std::string detail,
                                                               std::string_view package) {
    accounts->RecordEvent(kind, user, "", std::move(detail), package);
  };
  app->moderation_->SetEventSink(events);
  BULWARK_RETURN_IF_ERROR(app->OpenSandbox(mode));
  if (app->scan_gate_) app->scan_gate_->SetEventSink(events);
  // The expired-domain monitor (docs/email-domains.md).
  BULWARK_RETURN_IF_ERROR(app->OpenDomainMonitor(mode));
  app->downloads_ = std::make_unique<DownloadCounter>(*app->store_, RealClock());
  if (mode == Mode::kServe) {
    DownloadCounter* counter = app->downloads_.get();
    app->flush_downloads_ = std::make_unique<Periodic>(absl::Seconds(10), [counter] {
      absl::Status s = counter->Flush();
      if (!s.ok()) LogWarning("download counts not written yet: %s", s.ToString());
    });
  }
  // Mandatory 2FA (security.md): high-impact packages recomputed by a periodic job, which also
  // prunes old security events.
  app->high_impact_ =
      std::make_unique<HighImpactIndex>(*app->store_, RealClock(), config.high_impact);
  app->mfa_ = std::make_unique<MfaPolicy>(*app->accounts_, app->security_.get(),
                                          app->high_impact_.get(), RealClock(), config.mfa);
  if (mode == Mode::kServe) {
    absl::Status first = app->high_impact_->Refresh();
    if (!first.ok()) LogWarning("high-impact packages not computed yet: %s", first.ToString());
    DownloadCounter* counter = app->downloads_.get();
    HighImpactIndex* impact = app->high_impact_.get();
    SecurityStore* security = app->security_.get();
    const absl::Duration retention = config.event_retention;
    app->security_jobs_ = std::make_unique<Periodic>(
        config.high_impact.refresh, [counter, impact, security, retention] {
          counter->Flush().IgnoreError();  // Fresh counts; a failure keeps them for later.
          absl::Status s = impact->Refresh();
          if (!s.ok()) LogWarning("high-impact packages not refreshed: %s", s.ToString());
          auto pruned = security->PruneEvents(RealClock().Now() - retention);
          if (!pruned.ok()) LogWarning("security events not pruned: %s", pruned.status().ToString());
        });
  } else {
    // Admin commands (bulwark stats) compute it once, now.
    absl::Status first = app->high_impact_->Refresh();
    if (!first.ok()) LogWarning("high-impact packages not computed: %s", first.ToString());
  }
  // Stats sections; other subsystems add theirs here (security.md §Statistics).
  app->stats_ = std::make_unique<StatsReport>();
  app->stats_->Add(NewAccountStats(*app->store_, *app->high_impact_, app->webauthn_store_.get()));
  app->stats_->Add(NewEventStats(*app->security_, config.event_retention));
  app->stats_->Add(NewAdvisoryStats(*app->advisories_, RealClock()));
  app->stats_->Add(NewModerationStats(*app->moderation_));
  app->stats_->Add(NewEmailDomainStats(*app->domain_store_));
  BULWARK_RETURN_IF_ERROR(app->OpenEmail(mode));
  // Password reset and recovery by email refuse accounts whose domain the monitor flagged.
  if (app->email_security_) app->email_security_->SetDomainStatus(app->domain_monitor_.get());
  app->stats_->Add(NewSandboxStats(*app->sandbox_store_));
  app->api_ = std::make_unique<RegistryApi>(*app->accounts_, *app->packages_, RealClock(),
                                            config.api, app->downloads_.get(),
                                            app->advisories_.get());
  app->api_->SetMfaPolicy(app->mfa_.get());
  app->api_->SetStats(app->stats_.get());
  app->api_->SetSecurityKeys(app->keys_.get());
  app->api_->SetModeration(app->moderation_.get());
  app->api_->SetEmailDomainStatus(app->domain_monitor_.get());
  app->api_->SetEmailSecurity(app->email_security_.get());
  if (config.proxy.enabled()) {
    // The upstream proxy and its firewall (docs/proxy.md), its cache in its own file.
    if (!app->http_client_) {
      BULWARK_ASSIGN_OR_RETURN(app->http_client_, NewCurlHttpClient());
    }
    BULWARK_ASSIGN_OR_RETURN(app->proxy_store_,
                             NewSqliteProxyStore(config.data_dir + "/proxy.sqlite3"));
    TarballLimits fetched_limits = config.registry.tarball;
    fetched_limits.normalize_dot_components = true;  // Served as fetched; read to scan only.
    app->proxy_ = std::make_unique<proxy::Proxy>(
        config.proxy, *app->proxy_store_, *app->blobs_, *app->http_client_, RealClock(),
        MakeProxyGuards(*app->store_, *app->advisories_, config.private_names,
                        app->name_policy_.get(), app->scanner_.get(), fetched_limits, events,
                        app->moderation_store_.get()));
    app->api_->SetProxy(app->proxy_.get());
    if (mode == Mode::kServe) app->StartProxyProbe();
  }
  app->api_->SetSandbox(app->sandbox_.get());
  // Trusted publishing: the OIDC issuers come from config (docs/trusted-publishing.md).
  BULWARK_ASSIGN_OR_RETURN(app->trust_store_,
                           NewSqliteTrustStore(config.data_dir + "/bulwark.sqlite3"));
  if (!app->http_client_) {
    BULWARK_ASSIGN_OR_RETURN(app->http_client_, NewCurlHttpClient());
  }
  app->trust_ = std::make_unique<oidc::TrustedPublishing>(
      *app->trust_store_, *app->http_client_, RealClock(), SystemRandom(),
      config.trusted_publishing);
  if (!config.trusted_publishing.issuers.empty()) app->api_->SetTrustedPublishing(app->trust_.get());
  BULWARK_ASSIGN_OR_RETURN(app->stage_store_,
                           NewSqliteStageStore(config.data_dir + "/bulwark.sqlite3"));
  app->api_->SetStageStore(app->stage_store_.get());
  app->server_ = http::NewBeastServer(config.server, *app->api_);
  return app;
}

absl::Status App::LoadNamePolicy() {
  if (name_policy_) return absl::OkStatus();
  BULWARK_ASSIGN_OR_RETURN(
      std::shared_ptr<const typosquat::Index> index,
      LoadPopularityIndex(config_.typosquat, *store_, RealClock(), name_index_info_));
  const NameIndexInfo& info = name_index_info_;
  if (!info.enabled) {
    LogWarning("typosquat protection is disabled (typosquat.enabled: false); private names "
               "are still protected");
  } else if (index) {
    LogInfo("typosquat index: %d protected names (%d from the snapshot, %d imported) built in "
            "%d ms, %.1f MiB",
            info.indexed_names, info.snapshot_names, info.imported_names,
            absl::ToInt64Milliseconds(info.build_time),
            static_cast<double>(info.memory_bytes) / (1 << 20));
    if (info.counted_names > 0 || info.protected_names > 0) {
      LogInfo("typosquat index includes %d packages by downloads counted here (30 days) and %d "
              "names protected by administrators",
              info.counted_names, info.protected_names);
    }
  } else {
    LogWarning("typosquat index is empty: no snapshot and no imported popularity");
  }
  name_policy_ = std::make_unique<NamePolicy>(*store_, RealClock(), std::move(index),
                                              config_.private_names, config_.typosquat.engine);
  return absl::OkStatus();
}

absl::Status App::Listen() {
  BULWARK_RETURN_IF_ERROR(server_->Listen());
  if (config_.api.public_url.empty()) {
    // No public URL: security keys work on http://localhost:<port> (a secure context and a
    // valid RP ID; an IP address is not). Pages reached under another name redirect there.
    keys_->SetRelyingParty(
        webauthn::RelyingParty{"localhost", StrCat("http://localhost:", server_->port()), false});
  }
  return absl::OkStatus();
}

absl::StatusOr<webauthn::RelyingParty> RelyingPartyFromUrl(std::string_view url) {
  std::string_view rest = url;
  std::string scheme;
  if (ConsumePrefix(&rest, "https://")) {
    scheme = "https://";
  } else if (ConsumePrefix(&rest, "http://")) {
    scheme = "http://";
  } else {
    return absl::InvalidArgumentError("public_url must start with http:// or https://");
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    return absl::InvalidArgumentError(
        "public_url: security keys need a host name, not an IP address");
  }
  host = host.substr(0, host.find(':'));
  if (host.empty()) return absl::InvalidArgumentError("public_url has no host");
  if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "public_url: security keys need a host name, not an IP address");
  }
  webauthn::RelyingParty rp;
  rp.id = std::string(host);
  for (char& c : rp.id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  rp.origin = StrCat(scheme, rp.id, authority.substr(host.size()));
  return rp;
}
void App::Run() { server_->Run(); }
void App::Stop() { server_->Stop(); }

}  // namespace bulwark
