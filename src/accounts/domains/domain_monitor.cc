#include "accounts/domains/domain_monitor.h"

#include <algorithm>
#include <set>

#include "accounts/domains/email_domain.h"
#include "accounts/domains/verdict.h"
#include "base/log.h"
#include "base/strings.h"

namespace bulwark {
namespace {

// How long FlaggedReason trusts its snapshot of the store before reading it again.
constexpr absl::Duration kSnapshotTtl = absl::Seconds(5);

std::string MxText(const MxRecord& mx) {
  return StrCat(mx.preference, " ", mx.host.empty() ? "." : mx.host);
}

}  // namespace

DomainMonitor::DomainMonitor(MetadataStore& users, DomainStore& store, Clock& clock,
                             DomainMonitorOptions options)
    : users_(users),
      store_(store),
      clock_(clock),
      options_(std::move(options)),
      sleep_([](absl::Duration d) { absl::SleepFor(d); }) {}

void DomainMonitor::Pace(const std::string& server) {
  auto it = last_rdap_request_.find(server);
  if (it != last_rdap_request_.end()) {
    absl::Duration since = clock_.Now() - it->second;
    if (since < options_.rdap_spacing) sleep_(options_.rdap_spacing - since);
  }
  last_rdap_request_[server] = clock_.Now();
}

absl::StatusOr<DomainMonitor::RdapAnswer> DomainMonitor::QueryRdap(
    const std::string& registrable) {
  RdapAnswer answer;
  std::optional<std::string> base = bootstrap_->BaseFor(registrable);
  if (!base) {
    answer.state = RdapState::kNoService;
    return answer;
  }
  answer.server = *base;
  absl::Status last = absl::UnavailableError("not tried");
  for (int attempt = 0; attempt < std::max(1, options_.tries); ++attempt) {
    Pace(*base);
    HttpRequest request;
    request.url = domains::RdapDomainUrl(*base, registrable);
    request.headers = {{"Accept", "application/rdap+json, application/json"}};
    request.timeout = options_.rdap_timeout;
    request.max_body = domains::kMaxRdapBytes;
    auto res = http_->Fetch(request);
    if (!res.ok()) {
      last = res.status();
      continue;
    }
    if (res->status == 404) {
      // RFC 7480 §5.3: the server has no such object: the name is not registered.
      answer.state = RdapState::kNotFound;
      return answer;
    }
    if (res->status != 200) {
      // 429 and 5xx are worth retrying; anything else is not an answer either.
      last = absl::UnavailableError(StrCat("RDAP server answered HTTP ", res->status));
      if (res->status != 429 && res->status < 500) break;
      continue;
    }
    auto parsed = domains::ParseRdapDomain(res->body);
    if (!parsed.ok()) return parsed.status();
    if (!parsed->ldh_name.empty() && parsed->ldh_name != registrable) {
      return absl::InvalidArgumentError(
          StrCat("RDAP answer is about ", parsed->ldh_name, ", not ", registrable));
    }
    answer.state = RdapState::kFound;
    answer.domain = *std::move(parsed);
    return answer;
  }
  return last;
}

bool DomainMonitor::Lookup(DomainRecord& r,
                           std::map<std::string, absl::StatusOr<RdapAnswer>>& rdap_cache,
                           std::string& error) {
  const absl::Time now = clock_.Now();
  bool ok = true;
  if (resolver_) {
    absl::StatusOr<MailDnsAnswer> answer = absl::UnavailableError("not tried");
    for (int attempt = 0; attempt < std::max(1, options_.tries); ++attempt) {
      answer = resolver_->LookupMail(r.domain);
      if (answer.ok()) break;
    }
    if (answer.ok()) {
      r.dns = domains::ClassifyDns(*answer);
      r.mx.clear();
      for (const MxRecord& mx : answer->mx) r.mx.push_back(MxText(mx));
      r.dns_checked = now;
    } else {
      // A failure is not a verdict: the previous DNS facts stay.
      ok = false;
      error = StrCat("DNS: ", answer.status().message());
    }
  }
  if (http_ && bootstrap_ && !r.registrable.empty()) {
    auto it = rdap_cache.find(r.registrable);
    if (it == rdap_cache.end()) {
      it = rdap_cache.emplace(r.registrable, QueryRdap(r.registrable)).first;
    }
    const absl::StatusOr<RdapAnswer>& answer = it->second;
    if (answer.ok()) {
      r.rdap = answer->state;
      r.rdap_server = answer->server;
      r.registered = answer->domain.registered;
      r.expires = answer->domain.expires;
      r.last_changed = answer->domain.last_changed;
      r.statuses = answer->domain.statuses;
      r.rdap_checked = now;
    } else {
      ok = false;
      if (!error.empty()) error += "; ";
      error += StrCat("RDAP: ", answer.status().message());
    }
  }
  return ok;
}

absl::StatusOr<DomainCheckSummary> DomainMonitor::CheckAll(const DomainCheckOptions& options) {
  BULWARK_ASSIGN_OR_RETURN(std::vector<UserRecord> users, users_.ListUsers());
  DomainCheckSummary summary;
  std::map<std::string, std::vector<const UserRecord*>> by_domain;
  for (const UserRecord& u : users) {
    std::optional<std::string> domain = domains::EmailDomain(u.email);
    if (!domain) {
      ++summary.unchecked_accounts;
      continue;
    }
    ++summary.accounts;
    by_domain[*domain].push_back(&u);
  }
  std::map<std::string, absl::StatusOr<RdapAnswer>> rdap_cache;  // This run, by registrable.
  std::map<std::string, DomainRecord> records;
  for (const auto& [domain, accounts] : by_domain) {
    DomainRecord r;
    auto stored = store_.GetDomain(domain);
    if (stored.ok()) {
      r = *std::move(stored);
    } else if (absl::IsNotFound(stored.status())) {
      r.domain = domain;
    } else {
      return stored.status();
    }
    r.registrable = domains::RegistrableDomain(domain).value_or("");
    const absl::Time now = clock_.Now();
    if (options.force || now >= r.next_check) {
      ++summary.looked_up;
      std::string error;
      if (Lookup(r, rdap_cache, error)) {
        r.failures = 0;
        r.last_error.clear();
        r.next_check = now + options_.recheck;
      } else {
        ++summary.failed;
        summary.errors.push_back(StrCat(domain, ": ", error));
        r.failures = std::min(r.failures + 1, 30);
        absl::Duration backoff = options_.retry_base;
        for (int i = 1; i < r.failures && backoff < options_.retry_max; ++i) backoff *= 2;
        r.next_check = now + std::min(backoff, options_.retry_max);
        r.last_error = error;
        LogWarning("email domain %s not checked: %s", domain, error);
      }
    }
    std::optional<domains::Verdict> verdict = domains::DomainVerdict(r, now);
    std::string reason = verdict ? verdict->reason : "";
    if (reason != r.reason) {
      r.flagged_since = reason.empty() ? std::nullopt : std::optional<absl::Time>(now);
      r.reason = reason;
    }
    BULWARK_RETURN_IF_ERROR(store_.PutDomain(r));
    records.emplace(domain, r);
    summary.records.push_back(std::move(r));
  }
  summary.domains = records.size();

  // Accounts: new flags, kept flags (the first `since` stays), cleared flags.
  BULWARK_ASSIGN_OR_RETURN(std::vector<FlaggedAccount> prior_list, store_.ListFlagged());
  std::map<std::string, FlaggedAccount> prior;
  for (auto& a : prior_list) prior.emplace(a.user, std::move(a));
  std::set<std::string> still;
  const absl::Time now = clock_.Now();
  for (const auto& [domain, accounts] : by_domain) {
    const DomainRecord& r = records.at(domain);
    for (const UserRecord* u : accounts) {
      std::optional<domains::Verdict> v = domains::AccountVerdict(r, *u, now);
      if (!v) continue;
      FlaggedAccount a{u->name, u->email, domain, v->reason, v->detail, now};
      auto it = prior.find(u->name);
      bool fresh = it == prior.end() || it->second.email != u->email;
      if (!fresh) a.since = it->second.since;
      if (fresh || it->second.reason != a.reason || it->second.detail != a.detail) {
        BULWARK_RETURN_IF_ERROR(store_.PutFlagged(a));
      }
      if (fresh) {
        summary.newly_flagged.push_back(a.user);
        if (listener_) listener_(a, true);
      }
      still.insert(a.user);
      summary.flagged.push_back(std::move(a));
    }
  }
  for (const auto& [user, a] : prior) {
    if (still.count(user)) continue;
    BULWARK_RETURN_IF_ERROR(store_.ClearFlagged(user));
    summary.cleared.push_back(user);
    if (listener_) listener_(a, false);
  }
  std::sort(summary.flagged.begin(), summary.flagged.end(),
            [](const FlaggedAccount& x, const FlaggedAccount& y) { return x.user < y.user; });
  {
    absl::MutexLock l(&mu_);
    snapshot_at_ = absl::InfinitePast();  // Re-read on the next FlaggedReason.
  }
  return summary;
}

absl::StatusOr<std::vector<FlaggedAccount>> DomainMonitor::Flagged() {
  return store_.ListFlagged();
}

std::optional<std::string> DomainMonitor::FlaggedReason(std::string_view user) const {
  std::optional<FlaggedAccount> hit;
  {
    absl::MutexLock l(&mu_);
    const absl::Time now = clock_.Now();
    if (now - snapshot_at_ >= kSnapshotTtl) {
      auto list = store_.ListFlagged();
      if (list.ok()) {
        snapshot_.clear();
        for (auto& a : *list) {
          std::string name = a.user;
          snapshot_.emplace(std::move(name), std::move(a));
        }
        snapshot_at_ = now;
      } else {
        // Keep the old snapshot: a database hiccup must not clear every flag.
        LogWarning("flagged email domains not re-read: %s", list.status().ToString());
      }
    }
    auto it = snapshot_.find(user);
    if (it == snapshot_.end()) return std::nullopt;
    hit = it->second;
  }
  // A flag is about one address: after the user changed it, the flag no longer applies.
  auto current = users_.GetUser(user);
  if (current.ok() && current->email != hit->email) return std::nullopt;
  return StrCat(hit->reason, ": ", hit->detail);
}

}  // namespace bulwark
