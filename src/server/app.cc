#include "base/strings.h"
#include "server/app.h"

#include <filesystem>

#include "bulwark/env/clock.h"
#include "bulwark/env/random.h"

namespace bulwark {

absl::StatusOr<std::unique_ptr<App>> App::Open(const Config& config) {
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
  BULWARK_ASSIGN_OR_RETURN(app->blobs_, NewFsBlobStore(config.data_dir + "/blobs"));
  app->policy_ = std::make_unique<AccessPolicy>(
      config.packages.empty() ? AccessPolicy::Default() : AccessPolicy(config.packages));
  app->accounts_ = std::make_unique<AccountService>(*app->store_, RealClock(), SystemRandom(),
                                                    config.accounts);
  app->packages_ = std::make_unique<PackageService>(*app->store_, *app->blobs_, RealClock(),
                                                    *app->policy_, config.registry);
  app->api_ = std::make_unique<RegistryApi>(*app->accounts_, *app->packages_, RealClock(),
                                            config.api);
  app->server_ = http::NewBeastServer(config.server, *app->api_);
  return app;
}

absl::Status App::Listen() { return server_->Listen(); }
void App::Run() { server_->Run(); }
void App::Stop() { server_->Stop(); }

}  // namespace bulwark
