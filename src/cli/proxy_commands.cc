// `bulwark proxy refusals [--limit N] [--json]`: what the upstream proxy refused, the
// dependency-confusion attempts and integrity failures it saw (security events proxy.*);
// `bulwark proxy probe`: asks every uplink about every private name now (docs/proxy.md).

#include <cstdio>

#include "base/json.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "cli/common.h"
#include "server/app.h"
#include "server/proxy_wiring.h"

namespace bulwark::cli {
namespace {

int Refusals(const CommonFlags& flags, size_t limit, bool as_json) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  EventQuery q;
  q.kind_prefix = "proxy.";
  q.limit = limit;
  auto events = (*app)->security().ListEvents(q);
  if (!events.ok()) return Fail(events.status());
  if (as_json) {
    json::array list;
    for (const auto& e : *events) {
      list.push_back(json::object{{"id", e.id},
                                  {"time", FormatIsoTime(e.time)},
                                  {"kind", e.kind},
                                  {"package", e.package},
                                  {"detail", e.detail}});
    }
    std::printf("%s\n", ToJson(list).c_str());
    return 0;
  }
  for (const auto& e : *events) {
    std::printf("%s  %-16s %s\n", FormatIsoTime(e.time).c_str(), e.kind.c_str(),
                e.detail.c_str());
  }
  if (events->empty()) std::printf("no refusals\n");
  return 0;
}

int Probe(const CommonFlags& flags) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  if (!(*app)->proxy()) {
    return Fail(absl::FailedPreconditionError("no uplinks configured (docs/proxy.md)"));
  }
  auto risks = ProxyRisks(config->proxy, config->private_names, (*app)->store(), *(*app)->proxy());
  if (!risks.ok()) return Fail(risks.status());
  for (const auto& r : *risks) std::printf("risk: %s\n", r.c_str());
  std::printf("%zu risk%s found\n", risks->size(), risks->size() == 1 ? "" : "s");
  return risks->empty() ? 0 : 1;
}

}  // namespace

void AddProxyCommands(CLI::App& app, CommonFlags& flags, int& exit_code) {
  CLI::App* proxy = app.add_subcommand("proxy", "the upstream proxy and its firewall");
  proxy->require_subcommand(1);
  CLI::App* refusals = proxy->add_subcommand(
      "refusals", "what the proxy refused, confusion attempts, integrity failures");
  AddCommonFlags(refusals, flags);
  static size_t limit = 100;
  static bool as_json = false;
  refusals->add_option("--limit", limit, "how many, newest first (default 100)");
  refusals->add_flag("--json", as_json, "print JSON");
  refusals->callback([&flags, &exit_code] { exit_code = Refusals(flags, limit, as_json); });
  CLI::App* probe = proxy->add_subcommand(
      "probe", "ask every uplink about every private name (dependency confusion)");
  AddCommonFlags(probe, flags);
  probe->add_option("--uplink", flags.uplink, "an uplink URL besides the configured ones");
  probe->callback([&flags, &exit_code] { exit_code = Probe(flags); });
}

}  // namespace bulwark::cli
