// `bulwark domains check` and `bulwark domains report`: the expired-domain monitor for
// administrators (docs/email-domains.md). Exit codes: 0 nothing flagged, 1 some account flagged,
// 2 an error (for `check`, also: nothing flagged but some lookups failed, so the answer is
// incomplete).

#include <cstdio>
#include <memory>

#include "base/json.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "cli/common.h"
#include "server/app.h"

namespace bulwark::cli {
namespace {

struct DomainsFlags {
  bool json = false;
  std::string resolver;
  std::string rdap_base;
  std::string rdap_bootstrap;
};

const char* DnsName(DnsState s) {
  switch (s) {
    case DnsState::kMail: return "mail";
    case DnsState::kNxdomain: return "nxdomain";
    case DnsState::kNullMx: return "null-mx";
    case DnsState::kNoMail: return "no-mail-exchanger";
    case DnsState::kUnknown: break;
  }
  return "unknown";
}

const char* RdapName(RdapState s) {
  switch (s) {
    case RdapState::kFound: return "found";
    case RdapState::kNotFound: return "not-found";
    case RdapState::kNoService: return "no-service";
    case RdapState::kUnknown: break;
  }
  return "unknown";
}

json::value OptTime(const std::optional<absl::Time>& t) {
  if (!t) return nullptr;
  return json::value(FormatIsoTime(*t));
}

json::object AccountJson(const FlaggedAccount& a) {
  return json::object{{"user", a.user},     {"email", a.email},   {"domain", a.domain},
                      {"reason", a.reason}, {"detail", a.detail}, {"since", FormatIsoTime(a.since)}};
}

json::object DomainJson(const DomainRecord& d) {
  json::array mx, statuses;
  for (const auto& m : d.mx) mx.push_back(json::value(m));
  for (const auto& s : d.statuses) statuses.push_back(json::value(s));
  json::object o{{"domain", d.domain},
                 {"registrable", d.registrable},
                 {"dns", DnsName(d.dns)},
                 {"mx", std::move(mx)},
                 {"rdap", RdapName(d.rdap)},
                 {"rdap_server", d.rdap_server},
                 {"registered", OptTime(d.registered)},
                 {"expires", OptTime(d.expires)},
                 {"last_changed", OptTime(d.last_changed)},
                 {"statuses", std::move(statuses)},
                 {"reason", d.reason},
                 {"flagged_since", OptTime(d.flagged_since)},
                 {"failures", d.failures},
                 {"last_error", d.last_error}};
  return o;
}

void PrintFlagged(const std::vector<FlaggedAccount>& flagged) {
  if (flagged.empty()) {
    std::printf("no accounts with flagged email domains\n");
    return;
  }
  std::printf("%zu accounts with flagged email domains:\n", flagged.size());
  for (const auto& a : flagged) {
    std::printf("  %-20s %-32s %-18s since %s\n    %s\n", a.user.c_str(), a.email.c_str(),
                a.reason.c_str(), FormatIsoTime(a.since).c_str(), a.detail.c_str());
  }
}

absl::StatusOr<std::unique_ptr<App>> OpenApp(const CommonFlags& flags, const DomainsFlags& f) {
  BULWARK_ASSIGN_OR_RETURN(Config config, BuildConfig(flags));
  BULWARK_ASSIGN_OR_RETURN(std::unique_ptr<App> app, App::Open(config));
  if (!f.resolver.empty() || !f.rdap_base.empty() || !f.rdap_bootstrap.empty()) {
    DomainsConfig domains = config.email_domains;
    if (!f.resolver.empty()) domains.resolver = f.resolver;
    if (!f.rdap_bootstrap.empty()) {
      domains.rdap_bootstrap = f.rdap_bootstrap;
      domains.rdap_base.clear();
    }
    if (!f.rdap_base.empty()) domains.rdap_base = f.rdap_base;
    BULWARK_RETURN_IF_ERROR(app->ConfigureDomainLookups(domains));
  }
  return app;
}

int Check(const CommonFlags& flags, const DomainsFlags& f) {
  auto app = OpenApp(flags, f);
  if (!app.ok()) return Fail(app.status());
  // An administrator asking means now: every domain is looked up, whatever the job's recheck
  // interval and backoff (the per-RDAP-server pacing still applies).
  auto summary = (*app)->domain_monitor().CheckAll({.force = true});
  if (!summary.ok()) return Fail(summary.status());
  const DomainCheckSummary& s = *summary;
  if (f.json) {
    json::array domains, flagged, errors, fresh, cleared;
    for (const auto& d : s.records) domains.push_back(DomainJson(d));
    for (const auto& a : s.flagged) flagged.push_back(AccountJson(a));
    for (const auto& e : s.errors) errors.push_back(json::value(e));
    for (const auto& u : s.newly_flagged) fresh.push_back(json::value(u));
    for (const auto& u : s.cleared) cleared.push_back(json::value(u));
    json::object out{{"accounts", s.accounts},
                     {"unchecked_accounts", s.unchecked_accounts},
                     {"domains_checked", s.domains},
                     {"looked_up", s.looked_up},
                     {"failed", s.failed},
                     {"errors", std::move(errors)},
                     {"domains", std::move(domains)},
                     {"flagged", std::move(flagged)},
                     {"newly_flagged", std::move(fresh)},
                     {"cleared", std::move(cleared)}};
    std::printf("%s\n", ToJson(out).c_str());
  } else {
    std::printf("checked %zu domains of %zu accounts (%zu looked up, %zu failed)\n", s.domains,
                s.accounts, s.looked_up, s.failed);
    for (const auto& d : s.records) {
      std::printf("  %-32s dns %-18s rdap %-10s %s\n", d.domain.c_str(), DnsName(d.dns),
                  RdapName(d.rdap), d.reason.empty() ? "ok" : d.reason.c_str());
    }
    for (const auto& e : s.errors) std::printf("lookup failed (previous verdict kept): %s\n", e.c_str());
    PrintFlagged(s.flagged);
  }
  if (!s.flagged.empty()) return 1;
  return s.failed > 0 ? 2 : 0;
}

int Report(const CommonFlags& flags, const DomainsFlags& f) {
  auto app = OpenApp(flags, f);
  if (!app.ok()) return Fail(app.status());
  auto flagged = (*app)->domain_monitor().Flagged();
  if (!flagged.ok()) return Fail(flagged.status());
  if (f.json) {
    json::array out;
    for (const auto& a : *flagged) out.push_back(AccountJson(a));
    std::printf("%s\n", ToJson(json::object{{"flagged", std::move(out)}}).c_str());
  } else {
    PrintFlagged(*flagged);
  }
  return flagged->empty() ? 0 : 1;
}

}  // namespace

void AddDomainsCommands(CLI::App& app, CommonFlags& flags, int& exit_code) {
  CLI::App* domains = app.add_subcommand("domains", "the expired email-domain monitor");
  domains->require_subcommand(1);
  auto f = std::make_shared<DomainsFlags>();
  CLI::App* check = domains->add_subcommand(
      "check", "look up every account's email domain now (DNS and RDAP) and flag takeover risks");
  AddCommonFlags(check, flags);
  check->add_flag("--json", f->json, "print JSON");
  check->add_option("--resolver", f->resolver, "DNS server HOST:PORT (overrides the config)");
  check->add_option("--rdap-base", f->rdap_base, "RDAP base URL for every domain (overrides)");
  check->add_option("--rdap-bootstrap", f->rdap_bootstrap,
                    "RDAP bootstrap file in IANA dns.json format (overrides)");
  check->callback([&flags, f, &exit_code] { exit_code = Check(flags, *f); });
  CLI::App* report = domains->add_subcommand(
      "report", "list the accounts whose email domain is flagged, with reason and since when");
  AddCommonFlags(report, flags);
  report->add_flag("--json", f->json, "print JSON");
  report->callback([&flags, f, &exit_code] { exit_code = Report(flags, *f); });
}

}  // namespace bulwark::cli
