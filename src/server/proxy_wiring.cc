#include "server/proxy_wiring.h"

#include <set>

#include "accounts/access_policy.h"
#include "base/log.h"
#include "base/semver.h"
#include "base/strings.h"
#include "bulwark/env/clock.h"
#include "security/advisories/advisory.h"

namespace bulwark {

bool IsPrivateByConfig(const PrivateNamesConfig& config, std::string_view name) {
  std::string lower = AsciiStrToLower(name);
  std::string_view scope = ScopeOf(lower);
  if (!scope.empty()) return config.scopes.count(std::string(scope)) > 0;
  return config.names.count(std::string(name)) > 0;
}

proxy::Guards MakeProxyGuards(MetadataStore& store, AdvisoryStore& advisories,
                              const PrivateNamesConfig& private_names, NamePolicy* names,
                              PublishScanner* scanner, const TarballLimits& limits,
                              SecurityEventSink events, ModerationStore* notices) {
  proxy::Guards g;
  g.local_exists = [&store](std::string_view name) -> absl::StatusOr<bool> {
    BULWARK_ASSIGN_OR_RETURN(int64_t rev, store.GetPackageRev(name));
    return rev != 0;
  };
  g.is_private = [private_names](std::string_view name) {
    return IsPrivateByConfig(private_names, name);
  };
  if (names) {
    g.typosquat = [names](std::string_view name) -> std::optional<std::string> {
      typosquat::Result r = names->Match(name, {});
      // Block only: a hold would refuse legitimate, less popular neighbours of popular names.
      for (const auto& m : r.matches) {
        if (m.verdict != typosquat::Verdict::kBlock) continue;
        std::string checks;
        for (const auto& c : m.checks) checks += (checks.empty() ? "" : ", ") + c;
        return StrCat("the name imitates \"", m.target, "\" (typosquat: ", checks, ")");
      }
      return std::nullopt;
    };
  }
  g.malicious = [&advisories = advisories](std::string_view name,
                              std::string_view version) -> std::optional<std::string> {
    auto records = advisories.ListForPackages({std::string(name)});
    // The advisory database unreachable: not a reason to refuse every install (the scan still
    // runs); MAL- advisories are few, so the check is cheap when it works.
    if (!records.ok()) return std::nullopt;
    auto parsed_version = semver::Parse(version);
    if (!parsed_version.ok()) return std::nullopt;
    for (const auto& r : *records) {
      if (!StartsWith(r.id, "MAL-")) continue;
      auto a = advisories::ParseOsvText(r.json);
      if (a.ok() && advisories::IsAffected(*a, name, *parsed_version)) {
        return StrCat("it is known malware (advisory ", r.id, ")");
      }
    }
    return std::nullopt;
  };
  g.scanner = scanner;
  g.tarball_limits = limits;
  g.events = std::move(events);
  if (notices) {
    g.confusion_alert = [&store, notices](std::string_view name, const std::string& detail) {
      auto users = store.ListUsers();
      if (!users.ok()) {
        LogWarning("proxy: admins not told of %s: %s", name, users.status().ToString());
        return;
      }
      for (const UserRecord& u : *users) {
        if (!u.admin) continue;
        absl::Status s = notices->RecordNotice(UserNotice{
            0, u.name, "proxy-confusion",
            StrCat("dependency confusion: ", detail,
                   ". Reserve or claim the name upstream (bulwark doctor lists the risks)."),
            RealClock().Now()});
        if (!s.ok()) LogWarning("proxy: notice for %s not recorded: %s", u.name, s.ToString());
      }
    };
  }
  return g;
}

absl::StatusOr<std::pair<std::vector<std::string>, bool>> PrivateNamesToProbe(
    const PrivateNamesConfig& private_names, MetadataStore& store, size_t max) {
  std::set<std::string> names;
  for (const auto& [name, owners] : private_names.names) names.insert(name);
  BULWARK_ASSIGN_OR_RETURN(std::vector<PackageSummary> local, store.ListPackages());
  for (const auto& p : local) names.insert(p.name);
  std::vector<std::string> out(names.begin(), names.end());
  bool cut = out.size() > max;
  if (cut) out.resize(max);
  return std::make_pair(std::move(out), cut);
}

absl::StatusOr<size_t> RunConfusionProbe(const PrivateNamesConfig& private_names,
                                         MetadataStore& store, proxy::Proxy& proxy,
                                         const std::function<bool()>& stop) {
  BULWARK_ASSIGN_OR_RETURN(auto names, PrivateNamesToProbe(private_names, store));
  if (names.second) {
    LogWarning("proxy: the confusion probe checks only the first %d private names",
               names.first.size());
  }
  size_t findings = 0;
  absl::Status last = absl::OkStatus();
  for (const std::string& name : names.first) {
    if (stop()) break;
    auto found = proxy.ProbeConfusion({name});
    // One name failing (an uplink down) does not stop the others.
    if (!found.ok()) {
      last = found.status();
      continue;
    }
    findings += found->size();
  }
  if (!last.ok()) return last;
  return findings;
}

absl::StatusOr<std::vector<std::string>> ProxyRisks(const proxy::ProxyConfig& config,
                                                    const PrivateNamesConfig& private_names,
                                                    MetadataStore& store, proxy::Proxy& proxy,
                                                    size_t max_probes) {
  std::vector<std::string> risks;
  // Rules: the first rule matching a name in the private scope decides its route.
  auto rule_uplink = [&](std::string_view sample) -> const proxy::ProxyRoute* {
    for (const auto& r : config.routes) {
      if (!GlobMatch(r.pattern, sample)) continue;
      return r.uplinks && !r.uplinks->empty() ? &r : nullptr;
    }
    return nullptr;
  };
  for (const auto& [scope, members] : private_names.scopes) {
    std::string sample = StrCat(scope, "/any-package");
    if (const proxy::ProxyRoute* r = rule_uplink(sample)) {
      risks.push_back(StrCat("rule packages.'", r->pattern, "' sends private scope ", scope,
                             " to uplink ", r->uplinks->front(),
                             ": Bulwark keeps private names local anyway, but fix the rule "
                             "(add a '", scope, "/*' rule without proxy: above it)"));
    }
  }
  for (const auto& [name, owners] : private_names.names) {
    if (const proxy::ProxyRoute* r = rule_uplink(name)) {
      risks.push_back(StrCat("rule packages.'", r->pattern, "' sends reserved name ", name,
                             " to uplink ", r->uplinks->front(),
                             ": Bulwark keeps it local anyway, but fix the rule"));
    }
  }
  // Private names: reserved ones and every local package (a local name is private here).
  std::map<std::string, std::string> names;  // Name -> local latest ("" when not stored).
  for (const auto& [name, owners] : private_names.names) names[name] = "";
  BULWARK_ASSIGN_OR_RETURN(std::vector<PackageSummary> local, store.ListPackages());
  for (const auto& p : local) names[p.name] = p.latest;
  size_t probes = 0;
  for (const auto& [name, latest] : names) {
    if (++probes > max_probes) {
      risks.push_back(StrCat("only the first ", max_probes, " private names were checked"));
      break;
    }
    bool offered = false;
    for (const auto& [uplink_name, uplink] : config.uplinks) {
      auto doc = proxy.Probe(uplink, name);
      if (absl::IsNotFound(doc.status())) continue;
      if (!doc.ok()) {
        risks.push_back(StrCat("uplink ", uplink_name, " could not be asked about ", name, ": ",
                               doc.status().message()));
        continue;
      }
      offered = true;
      std::string upstream_latest;
      if (const json::object* tags = GetObject(*doc, "dist-tags")) {
        upstream_latest = std::string(GetString(*tags, "latest").value_or(""));
      }
      std::string risk = StrCat("private name ", name, " is also offered by uplink ",
                                uplink_name, " (latest ",
                                upstream_latest.empty() ? "unknown" : upstream_latest,
                                "): dependency confusion; Bulwark serves only the private one, "
                                "clients reading the uplink directly would not");
      auto ours = semver::Parse(latest);
      auto theirs = semver::Parse(upstream_latest);
      if (ours.ok() && theirs.ok() && semver::Compare(*ours, *theirs) < 0) {
        risk += StrCat("; the private version ", latest, " is lower than upstream's ",
                       upstream_latest, ", so a client that also reads the uplink picks "
                       "the upstream one");
      }
      risks.push_back(std::move(risk));
    }
    if (offered) {
      proxy.ProbeConfusion({name}).IgnoreError();  // Records the event (asks again; rare).
    } else if (!config.uplinks.empty() && name[0] != '@') {
      risks.push_back(StrCat("unscoped private name ", name,
                             " is not taken on any uplink: anyone could register it there; "
                             "claim it upstream or move it into a private scope"));
    }
  }
  return risks;
}

}  // namespace bulwark
