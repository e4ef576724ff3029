// `bulwark doctor`: risks in the current set-up, one a line. Exit 0 when there are none, 1 when
// there are some, 2 on error. With uplinks, also the proxy's dependency-confusion risks.

#include <cstdio>
#include <string>
#include <vector>

#include "base/strings.h"
#include "cli/common.h"
#include "server/app.h"
#include "server/proxy_wiring.h"

namespace bulwark::cli {
namespace {

int Doctor(const CommonFlags& flags) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  if (absl::Status s = (*app)->LoadNamePolicy(); !s.ok()) return Fail(s);
  const NameIndexInfo& info = (*app)->name_index_info();

  std::vector<std::string> risks;
  if (!info.enabled) {
    risks.push_back(
        "typosquat protection is disabled (typosquat.enabled: false): look-alikes "
        "of popular packages can be published");
  } else {
    if (!info.snapshot_problem.empty()) risks.push_back(info.snapshot_problem);
    if (info.indexed_names == 0) {
      risks.push_back(
          "no popular names are protected: neither a snapshot nor imported "
          "popularity (bulwark popularity import FILE)");
    }
  }
  for (const auto& [name, owners] : config->private_names.names) {
    // A client that reads this registry and a public one (or a proxy that falls through to
    // the public registry) can be handed a public package of the same name: dependency confusion.
    risks.push_back(StrCat("private name ", name,
                           " is unscoped and so exposed to dependency confusion: anyone can "
                           "publish it on a public registry; move it into a private scope (@org/",
                           name, ")"));
  }
  for (const auto& [scope, members] : config->private_names.scopes) {
    if (members.empty()) {
      risks.push_back(
          StrCat("private scope ", scope, " has no members: only admins can publish in it"));
    }
  }
  // The upstream proxy's dependency-confusion risks (docs/proxy.md); asks the uplinks.
  if (proxy::Proxy* proxy = (*app)->proxy()) {
    auto proxy_risks = ProxyRisks(config->proxy, config->private_names, (*app)->store(), *proxy);
    if (!proxy_risks.ok()) return Fail(proxy_risks.status());
    risks.insert(risks.end(), proxy_risks->begin(), proxy_risks->end());
  }
  for (const auto& r : risks) std::printf("risk: %s\n", r.c_str());
  if (info.enabled && info.indexed_names > 0) {
    std::printf("ok: typosquat protection covers %zu popular names\n", info.indexed_names);
  }
  std::printf("%zu risk%s found\n", risks.size(), risks.size() == 1 ? "" : "s");
  return risks.empty() ? 0 : 1;
}

}  // namespace

void AddDoctorCommand(CLI::App& app, CommonFlags& flags, int& exit_code) {
  CLI::App* doctor = app.add_subcommand("doctor", "list risks of the current set-up");
  AddCommonFlags(doctor, flags);
  doctor->add_option("--uplink", flags.uplink, "also check against this uplink URL");
  doctor->callback([&flags, &exit_code] { exit_code = Doctor(flags); });
}

}  // namespace bulwark::cli
