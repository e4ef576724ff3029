// App's part for the expired-domain monitor (docs/email-domains.md): the store, the lookups
// chosen by config, the listener that records events and notices, and the periodic job.

#include <fstream>
#include <sstream>

#include "base/log.h"
#include "base/strings.h"
#include "server/app.h"
#include "server/security_stats.h"

namespace bulwark {

App::~App() {
  // The jobs call into the services below them: stop them first.
  stopping_ = true;
  domain_jobs_.reset();
  proxy_jobs_.reset();
  security_jobs_.reset();
  flush_downloads_.reset();
}

absl::Status App::ConfigureDomainLookups(const DomainsConfig& config) {
  ResolverOptions dns;
  dns.servers = config.resolver;
  dns.timeout = config.dns_timeout;
  BULWARK_ASSIGN_OR_RETURN(resolver_, NewCaresResolver(dns));
  if (!http_client_) {
    BULWARK_ASSIGN_OR_RETURN(http_client_, NewCurlHttpClient());
  }
  std::optional<domains::RdapBootstrap> bootstrap;
  if (!config.rdap_base.empty()) {
    if (!StartsWith(config.rdap_base, "http://") && !StartsWith(config.rdap_base, "https://")) {
      return absl::InvalidArgumentError("the RDAP base URL must start with http:// or https://");
    }
    bootstrap = domains::RdapBootstrap::Single(config.rdap_base);
  } else if (!config.rdap_bootstrap.empty()) {
    std::ifstream in(config.rdap_bootstrap, std::ios::binary);
    if (!in) {
      return absl::InvalidArgumentError(
          StrCat("cannot read the RDAP bootstrap file ", config.rdap_bootstrap));
    }
    std::string text(domains::kMaxBootstrapBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    auto parsed = domains::RdapBootstrap::Parse(text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          StrCat(config.rdap_bootstrap, ": ", parsed.status().message()));
    }
    bootstrap = *std::move(parsed);
  }
  domain_monitor_->SetResolver(resolver_.get());
  domain_monitor_->SetRdap(bootstrap ? http_client_.get() : nullptr, std::move(bootstrap));
  return absl::OkStatus();
}

absl::Status App::OpenDomainMonitor(Mode mode) {
  const DomainsConfig& config = config_.email_domains;
  BULWARK_ASSIGN_OR_RETURN(domain_store_,
                           NewSqliteDomainStore(config_.data_dir + "/domains.sqlite3"));
  domain_monitor_ =
      std::make_unique<DomainMonitor>(*store_, *domain_store_, RealClock(), config.monitor);
  BULWARK_RETURN_IF_ERROR(ConfigureDomainLookups(config));
  // A newly flagged account: an event in the security log, and a notice the owner reads at
  // GET /-/bulwark/v1/notices (the npm-notice on each authenticated request comes from the
  // EmailDomainStatus seam in RegistryApi). Email is no channel here: it is the one in doubt.
  domain_monitor_->SetListener([accounts = accounts_.get(), notices = moderation_store_.get()](
                                   const FlaggedAccount& a, bool flagged) {
    if (flagged) {
      std::string detail = StrCat(a.email, ": ", a.reason, " (", a.detail, ")");
      accounts->RecordEvent("email.domain_flagged", a.user, "", detail, "");
      absl::Status s = notices->RecordNotice(UserNotice{
          0, a.user, "email-domain-flagged",
          StrCat("the domain of your email address ", a.email, " can no longer be trusted (",
                 a.detail, "): password reset by email is disabled; change your address"),
          RealClock().Now()});
      if (!s.ok()) LogWarning("notice for %s not recorded: %s", a.user, s.ToString());
      LogWarning("account %s flagged: email domain %s %s", a.user, a.domain, a.reason);
    } else {
      accounts->RecordEvent("email.domain_cleared", a.user, "",
                            StrCat(a.email, ": no longer ", a.reason), "");
    }
  });
  if (mode == Mode::kServe && config.enabled) {
    DomainMonitor* monitor = domain_monitor_.get();
    std::atomic<bool>* stopping = &stopping_;
    domain_jobs_ = std::make_unique<Periodic>(config.interval, [monitor, stopping] {
      if (*stopping) return;
      auto summary = monitor->CheckAll({});
      if (!summary.ok()) {
        LogWarning("email domains not checked: %s", summary.status().ToString());
      } else {
        LogInfo("email domains: %d checked, %d looked up, %d failed, %d accounts flagged",
                summary->domains, summary->looked_up, summary->failed, summary->flagged.size());
      }
    });
  }
  return absl::OkStatus();
}

namespace {

class EmailDomainStats final : public StatsSection {
 public:
  explicit EmailDomainStats(DomainStore& store) : store_(store) {}
  std::string name() const override { return "email_domains"; }
  absl::StatusOr<json::object> Collect() override {
    BULWARK_ASSIGN_OR_RETURN(std::vector<FlaggedAccount> flagged, store_.ListFlagged());
    BULWARK_ASSIGN_OR_RETURN(std::vector<DomainRecord> domains, store_.ListDomains());
    json::object by_reason;
    for (const auto& a : flagged) {
      auto it = by_reason.find(a.reason);
      if (it == by_reason.end()) {
        by_reason[a.reason] = 1;
      } else {
        it->value() = it->value().as_int64() + 1;
      }
    }
    int64_t failing = 0, flagged_domains = 0;
    for (const auto& d : domains) {
      failing += d.failures > 0;
      flagged_domains += !d.reason.empty();
    }
    json::object out;
    out["accounts_with_flagged_domains"] = static_cast<int64_t>(flagged.size());
    out["flagged_by_reason"] = std::move(by_reason);
    out["domains_checked"] = static_cast<int64_t>(domains.size());
    out["domains_flagged"] = flagged_domains;
    out["domains_failing_lookups"] = failing;
    return out;
  }

 private:
  DomainStore& store_;
};

}  // namespace

std::unique_ptr<StatsSection> NewEmailDomainStats(DomainStore& domains) {
  return std::make_unique<EmailDomainStats>(domains);
}

}  // namespace bulwark
