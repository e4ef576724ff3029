// App's part for the upstream proxy's periodic dependency-confusion probe (docs/proxy.md
// §Dependency confusion): every proxy.probe_interval_hours, every uplink is asked about every
// private name; a new finding is a proxy.confusion event and a notice to the administrators.

#include "base/log.h"
#include "server/app.h"
#include "server/proxy_wiring.h"

namespace bulwark {

void App::StartProxyProbe() {
  const absl::Duration interval = config_.proxy.firewall.probe_interval;
  if (!proxy_ || interval <= absl::ZeroDuration()) return;
  proxy::Proxy* proxy = proxy_.get();
  MetadataStore* store = store_.get();
  const PrivateNamesConfig* private_names = &config_.private_names;
  std::atomic<bool>* stopping = &stopping_;
  // Periodic runs the function once more when destroyed: `stopping` keeps that run (and a run
  // in progress, between names) off the network at shutdown.
  proxy_jobs_ = std::make_unique<Periodic>(interval, [=] {
    if (*stopping) return;
    auto found = RunConfusionProbe(*private_names, *store, *proxy, [stopping] {
      return stopping->load();
    });
    if (!found.ok()) {
      LogWarning("proxy: confusion probe incomplete: %s", found.status().ToString());
    } else if (*found > 0) {
      LogInfo("proxy: confusion probe: %d private names offered by uplinks", *found);
    }
  });
}

}  // namespace bulwark
