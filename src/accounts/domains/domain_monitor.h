#pragma once
// The expired-domain monitor (docs/email-domains.md): looks up the domain of every account's
// email address in DNS (Resolver) and RDAP (HttpClient + bootstrap), keeps the facts in the
// DomainStore, flags accounts whose domain could be taken over, and answers the
// EmailDomainStatus seam for password reset and recovery.
//
// Thread-safety: CheckAll runs one at a time (a periodic job or the CLI); FlaggedReason and
// Flagged may be called from any thread at any time.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accounts/domains/rdap.h"
#include "bulwark/accounts/email_domain_status.h"
#include "bulwark/env/clock.h"
#include "bulwark/env/http_client.h"
#include "bulwark/env/resolver.h"
#include "bulwark/storage/domain_store.h"
#include "bulwark/storage/metadata_store.h"

namespace bulwark {

struct DomainMonitorOptions {
  // Per-domain rate limit: a domain is looked up again only this long after a good check.
  absl::Duration recheck = absl::Hours(24);
  // After a failed lookup: retry_base * 2^(failures-1), at most retry_max.
  absl::Duration retry_base = absl::Minutes(5);
  absl::Duration retry_max = absl::Hours(24);
  // Per-RDAP-server rate limit: at least this long between two requests to one base URL.
  absl::Duration rdap_spacing = absl::Seconds(1);
  // Tries of one lookup within a check before it counts as failed (transient loss).
  int tries = 2;
  absl::Duration rdap_timeout = absl::Seconds(10);  // One RDAP request, connect included.
};

struct DomainCheckOptions {
  bool force = false;  // Look every domain up now, ignoring `recheck` and backoff.
};

struct DomainCheckSummary {
  size_t accounts = 0;           // Accounts with a checkable address.
  size_t unchecked_accounts = 0; // Addresses without a usable domain.
  size_t domains = 0;
  size_t looked_up = 0;          // Domains actually queried (not served from the cache).
  size_t failed = 0;             // Domains whose DNS or RDAP lookup failed this time.
  std::vector<std::string> errors;       // "<domain>: <why>" for the failures.
  std::vector<DomainRecord> records;     // Every domain's state after the check.
  std::vector<FlaggedAccount> flagged;   // Every flagged account after the check.
  std::vector<std::string> newly_flagged;  // Users flagged by this check.
  std::vector<std::string> cleared;        // Users no longer flagged.
};

class DomainMonitor final : public EmailDomainStatus {
 public:
  // Called once per account that becomes flagged (`flagged` true) or healthy again (false), after
  // the store recorded it: App wires it to the security event log and the user's notices.
  using ChangeListener = std::function<void(const FlaggedAccount& account, bool flagged)>;
  using Sleeper = std::function<void(absl::Duration)>;

  DomainMonitor(MetadataStore& users, DomainStore& store, Clock& clock,
                DomainMonitorOptions options);

  // The lookups (not owned). Without a resolver DNS is not asked; without an HTTP client or a
  // bootstrap, RDAP is not asked (their facts stay unknown, which flags nothing).
  void SetResolver(Resolver* resolver) { resolver_ = resolver; }
  void SetRdap(HttpClient* http, std::optional<domains::RdapBootstrap> bootstrap) {
    http_ = http;
    bootstrap_ = std::move(bootstrap);
  }
  void SetListener(ChangeListener listener) { listener_ = std::move(listener); }
  void SetSleeper(Sleeper sleeper) { sleep_ = std::move(sleeper); }  // Tests: a fake clock.

  // Checks every account's domain (from the cache when checked within `recheck` or backing off),
  // updates the flagged accounts and tells the listener. A lookup failure keeps the domain's
  // previous facts, hence its verdict. Errors only for the stores.
  absl::StatusOr<DomainCheckSummary> CheckAll(const DomainCheckOptions& options);

  // Flagged accounts as last stored (by any process).
  absl::StatusOr<std::vector<FlaggedAccount>> Flagged();

  // EmailDomainStatus: "<reason>: <detail>" when `user` is flagged and still has the flagged
  // address. Reads a snapshot of the store refreshed every few seconds, so flags set by
  // `bulwark domains check` in another process reach the server.
  std::optional<std::string> FlaggedReason(std::string_view user) const override;

 private:
  struct RdapAnswer {
    RdapState state = RdapState::kUnknown;
    std::string server;
    domains::RdapDomain domain;
  };
  // Looks `r` up; true when every lookup that was asked answered.
  bool Lookup(DomainRecord& r, std::map<std::string, absl::StatusOr<RdapAnswer>>& rdap_cache,
              std::string& error);
  absl::StatusOr<RdapAnswer> QueryRdap(const std::string& registrable);
  void Pace(const std::string& server);

  MetadataStore& users_;
  DomainStore& store_;
  Clock& clock_;
  const DomainMonitorOptions options_;
  Resolver* resolver_ = nullptr;
  HttpClient* http_ = nullptr;
  std::optional<domains::RdapBootstrap> bootstrap_;
  ChangeListener listener_;
  Sleeper sleep_;
  std::map<std::string, absl::Time> last_rdap_request_;  // CheckAll's thread only.

  mutable absl::Mutex mu_;
  mutable std::map<std::string, FlaggedAccount, std::less<>> snapshot_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time snapshot_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace bulwark
