// App::OpenSandbox (docs/sandbox.md §Queue): the report store (its own sandbox.sqlite3), the
// service, and in serve mode with `sandbox.enabled` the publish hook and the queue worker. The
// moderation view shows a case's sandbox report either way.

#include <unistd.h>

#include <climits>

#include "base/log.h"
#include "base/strings.h"
#include "bulwark/env/clock.h"
#include "server/app.h"

namespace bulwark {
namespace {

std::string ThisBinary() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "bulwark";
}

}  // namespace

// Where dependencies resolve from inside the sandbox (docs/sandbox.md): this server, at its
// public URL, else at the address it listens on (the bound port once it listens).
std::string App::SandboxRegistryUrl() const {
  if (!config_.api.public_url.empty()) return config_.api.public_url;
  std::string_view listen = config_.listen;
  const size_t colon = listen.rfind(':');
  const std::string_view host = colon == std::string_view::npos ? listen : listen.substr(0, colon);
  if (server_ && server_->port() != 0) return StrCat("http://", host, ":", server_->port(), "/");
  return StrCat("http://", listen, "/");
}

absl::Status App::OpenSandbox(Mode mode) {
  const SandboxConfig& sc = config_.sandbox;
  BULWARK_ASSIGN_OR_RETURN(sandbox_store_,
                           NewSqliteSandboxStore(config_.data_dir + "/sandbox.sqlite3"));
  sandbox_ = std::make_unique<sandbox::SandboxService>(
      *sandbox_store_, *store_, *blobs_, *packages_, *moderation_store_, RealClock(),
      sandbox::SubprocessRunner(sc.binary.empty() ? ThisBinary() : sc.binary,
                                sc.timeout_seconds, [this] { return SandboxRegistryUrl(); }));
  sandbox::SandboxService* service = sandbox_.get();
  // The malware advisory is drafted (pending, not matching) as soon as a version is quarantined.
  ModerationService* moderation = moderation_.get();
  service->SetQuarantineHook([moderation](int64_t case_id, std::string_view findings) {
    auto id = moderation->DraftPendingAdvisory(
        case_id, StrCat("The sandbox saw: ", findings, "."));
    if (!id.ok()) LogWarning("sandbox: advisory of case %d not drafted: %s",
                             static_cast<int>(case_id), id.status().ToString());
  });
  moderation_->SetSandboxLookup(
      [service](std::string_view name, std::string_view version) -> std::optional<std::string> {
        return service->Summary(name, version);
      });
  if (mode == Mode::kServe && sc.enabled) {
    packages_->OnPublished([service](const std::string& name, const std::string& version) {
      auto id = service->Enqueue(name, version, "publish");
      if (!id.ok()) LogWarning("sandbox: %s@%s not queued: %s", name, version, id.status().ToString());
    });
    service->Start(absl::Milliseconds(sc.poll_ms));
    LogInfo("sandbox: every accepted publish is run in the sandbox (limit %d s)",
            sc.timeout_seconds);
  }
  return absl::OkStatus();
}

}  // namespace bulwark
