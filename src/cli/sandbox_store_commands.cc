// `bulwark sandbox show NAME@VERSION [--json]`: the stored run-time report with what is new since
// the previous version. `bulwark sandbox queue NAME@VERSION [--now]`: queues a run for the
// server's worker, or with --now runs it here and stores the report (quarantining a malicious
// version as the worker would). docs/sandbox.md.

#include <cstdio>

#include "base/strings.h"
#include "cli/sandbox_cli.h"
#include "sandbox/report.h"
#include "server/app.h"

namespace bulwark::cli {
namespace {

struct StoreFlags {
  std::string spec;
  bool json = false;
  bool now = false;
};

// "name@version", the name possibly scoped ("@scope/name@1.0.0").
bool SplitSpec(std::string_view spec, std::string& name, std::string& version) {
  size_t at = spec.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == spec.size()) return false;
  name = std::string(spec.substr(0, at));
  version = std::string(spec.substr(at + 1));
  return true;
}

int Show(CommonFlags& flags, const StoreFlags& f) {
  std::string name, version;
  if (!SplitSpec(f.spec, name, version)) {
    return Fail(absl::InvalidArgumentError("expected NAME@VERSION"));
  }
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  auto report = (*app)->sandbox().Report(name, version);
  if (!report.ok()) return Fail(report.status());
  if (f.json) {
    std::printf("%s\n", ToJson(*report).c_str());
  } else {
    std::printf("%s", sandbox::FormatReport(*report).c_str());
  }
  return 0;
}

int Queue(CommonFlags& flags, const StoreFlags& f) {
  std::string name, version;
  if (!SplitSpec(f.spec, name, version)) {
    return Fail(absl::InvalidArgumentError("expected NAME@VERSION"));
  }
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  sandbox::SandboxService& service = (*app)->sandbox();
  if (!f.now) {
    auto id = service.Enqueue(name, version, "admin:cli");
    if (!id.ok()) return Fail(id.status());
    std::printf("queued %s@%s (job %lld)\n", name.c_str(), version.c_str(),
                static_cast<long long>(*id));
    return 0;
  }
  auto report = service.RunVersion(name, version);
  if (!report.ok()) return Fail(report.status());
  auto stored = service.Report(name, version);
  std::printf("%s", sandbox::FormatReport(stored.ok() ? *stored : *report).c_str());
  return 0;
}

}  // namespace

void AddSandboxStoreCommands(CLI::App& sandbox, CommonFlags& flags, int& exit_code) {
  auto show_flags = std::make_shared<StoreFlags>();
  CLI::App* show = sandbox.add_subcommand("show", "show a version's stored sandbox report");
  AddCommonFlags(show, flags);
  show->add_option("SPEC", show_flags->spec, "NAME@VERSION")->required();
  show->add_flag("--json", show_flags->json, "print the report as JSON");
  show->callback([&flags, show_flags, &exit_code] { exit_code = Show(flags, *show_flags); });

  auto queue_flags = std::make_shared<StoreFlags>();
  CLI::App* queue = sandbox.add_subcommand("queue", "queue a version for a sandbox run");
  AddCommonFlags(queue, flags);
  queue->add_option("SPEC", queue_flags->spec, "NAME@VERSION")->required();
  queue->add_flag("--now", queue_flags->now, "run it now, here, instead of queueing it");
  queue->callback([&flags, queue_flags, &exit_code] { exit_code = Queue(flags, *queue_flags); });
}

}  // namespace bulwark::cli
