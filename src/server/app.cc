#include "base/strings.h"
#include "server/app.h"

#include <filesystem>

#include "bulwark/env/clock.h"
#include "bulwark/env/random.h"
#include "base/log.h"
#include "server/key_file.h"
#include "server/partner_keys.h"

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
  // The key sealing TOTP secrets, created at first start (docs/security.md).
  BULWARK_ASSIGN_OR_RETURN(std::string tfa_key,
                           LoadOrCreateKeyFile(config.data_dir + "/keys/totp.key",
                                               SecretBox::kKeyBytes, SystemRandom()));
  BULWARK_ASSIGN_OR_RETURN(SecretBox tfa_box, SecretBox::Create(std::move(tfa_key)));
  app->accounts_->SetTfaKey(std::move(tfa_box));
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
  if (mode == Mode::kServe) {
    BULWARK_RETURN_IF_ERROR(app->LoadNamePolicy());
    app->packages_->SetNameGate(app->name_policy_.get());
  }
  // The version gate and moderation queue (docs/moderation.md).
  BULWARK_ASSIGN_OR_RETURN(app->moderation_store_,
                           NewSqliteModerationStore(config.data_dir + "/bulwark.sqlite3"));
  const ScanningConfig& scanning = config.scanning;
  if (!scanning.indicators.empty()) {
    app->scanner_ = std::make_shared<IndicatorScanner>(scanning.indicators);
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
  app->downloads_ = std::make_unique<DownloadCounter>(*app->store_, RealClock());
  if (mode == Mode::kServe) {
    DownloadCounter* counter = app->downloads_.get();
    app->flush_downloads_ = std::make_unique<Periodic>(absl::Seconds(10), [counter] {
      absl::Status s = counter->Flush();
      if (!s.ok()) LogWarning("download counts not written yet: %s", s.ToString());
    });
  }
  app->api_ = std::make_unique<RegistryApi>(*app->accounts_, *app->packages_, RealClock(),
                                            config.api, app->downloads_.get(),
                                            app->advisories_.get());
  app->api_->SetModeration(app->moderation_.get());
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

absl::Status App::Listen() { return server_->Listen(); }
void App::Run() { server_->Run(); }
void App::Stop() { server_->Stop(); }

}  // namespace bulwark
