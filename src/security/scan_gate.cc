#include "security/scan_gate.h"

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include "accounts/tokens.h"
#include "base/log.h"
#include "base/semver.h"
#include "base/strings.h"
#include "security/token_leaks.h"

namespace bulwark {
namespace {

using scan::Finding;
using scan::Severity;
using scan::Verdict;

constexpr int kMaxHistoryScans = 20;  // Earlier versions looked at for 2FA history.
constexpr absl::Duration kPopularityRefresh = absl::Minutes(10);

std::string Redacted(std::string_view token) {
  return StrCat(token.substr(0, kTokenDisplayPrefix), "...");
}

std::string Where(const Finding& f) {
  if (f.file.empty()) return "";
  return f.line ? StrCat(" (", f.file, ":", f.line, ")") : StrCat(" (", f.file, ")");
}

// One line per finding that drove the action, strongest first, at most five.
std::string Reasons(const scan::ScanReport& r, Verdict at_least) {
  std::vector<const Finding*> fs;
  for (const auto& f : r.findings) {
    if (f.suggests >= at_least) fs.push_back(&f);
  }
  std::stable_sort(fs.begin(), fs.end(),
                   [](const Finding* a, const Finding* b) { return a->suggests > b->suggests; });
  std::vector<std::string> parts;
  for (size_t i = 0; i < fs.size() && i < 5; ++i) {
    parts.push_back(StrCat(fs[i]->rule_id, Where(*fs[i]), ": ", fs[i]->explanation));
  }
  if (fs.size() > 5) parts.push_back(StrCat("and ", fs.size() - 5, " more"));
  return StrJoin(parts, "; ");
}

void Recompute(scan::ScanReport& r) {
  for (const auto& f : r.findings) r.verdict = std::max(r.verdict, f.suggests);
  std::sort(r.capabilities.begin(), r.capabilities.end());
  r.capabilities.erase(std::unique(r.capabilities.begin(), r.capabilities.end()),
                       r.capabilities.end());
}

// The previous version: the live one published last before this one.
const VersionRecord* PreviousVersion(const PackageRecord& p) {
  const VersionRecord* best = nullptr;
  for (const auto& [ver, v] : p.versions) {
    if (v.unpublished) continue;
    if (!best || v.published > best->published) best = &v;
  }
  return best;
}

std::string PublisherOf(const VersionRecord& v) {
  auto m = ParseJson(v.manifest_json, 64);
  if (!m.ok() || !m->is_object()) return "";
  const json::object* u = GetObject(m->get_object(), "_npmUser");
  if (!u) return "";
  return std::string(GetString(*u, "name").value_or(""));
}

// The scanner runs on its own thread over owned copies, so a timeout can walk away from it.
struct ScanJob {
  Identity who;
  std::string name, version, tarball;
  json::object manifest;
  TarballContents contents;
  bool new_package = false, restricted = false;
  std::promise<absl::StatusOr<scan::ScanReport>> result;
};

}  // namespace

ScanGate::ScanGate(MetadataStore& store, ModerationStore& moderation, BlobStore& blobs,
                   Clock& clock, PackageService& packages, std::shared_ptr<PublishScanner> scanner,
                   GateOptions options, TarballLimits limits)
    : store_(store),
      moderation_(moderation),
      blobs_(blobs),
      clock_(clock),
      packages_(packages),
      scanner_(std::move(scanner)),
      options_(std::move(options)),
      limits_(limits) {}

absl::StatusOr<scan::ScanReport> ScanGate::RunScanner(const PublishCandidate& c) {
  if (!scanner_) return scan::ScanReport{};
  auto job = std::make_shared<ScanJob>();
  job->who = c.who;
  job->name = std::string(c.name);
  job->version = std::string(c.version);
  job->tarball = std::string(c.tarball);
  job->manifest = c.manifest;
  job->contents = c.contents;
  job->new_package = c.new_package;
  job->restricted = c.restricted;
  auto future = job->result.get_future();
  std::shared_ptr<PublishScanner> scanner = scanner_;  // Kept alive by an abandoned scan.
  std::thread([job, scanner] {
    PublishCandidate own{job->who,     job->name,     job->version,     job->manifest,
                         job->tarball, job->contents, job->new_package, job->restricted};
    absl::StatusOr<scan::ScanReport> r = absl::InternalError("the scanner threw");
    try {
      r = scanner->Scan(own);
    } catch (...) {
    }
    job->result.set_value(std::move(r));
  }).detach();
  auto budget = absl::ToChronoMilliseconds(options_.policy.timeout);
  if (future.wait_for(budget) != std::future_status::ready) {
    return absl::DeadlineExceededError(
        StrCat("the scan took longer than ", absl::FormatDuration(options_.policy.timeout)));
  }
  return future.get();
}

absl::Status ScanGate::CheckTokens(const PublishCandidate& c, scan::ScanReport& report) {
  std::set<std::string> seen;
  for (const TokenHit& hit : FindRegistryTokens(c.contents)) {
    if (!seen.insert(hit.token).second) continue;
    std::string key = TokenKey(hit.token);
    auto token = store_.GetToken(key);
    if (absl::IsNotFound(token.status())) continue;  // Revoked already, or never ours.
    BULWARK_RETURN_IF_ERROR(token.status());
    if (token->user == c.who.user) {
      // Nothing is stored, so the token did not leak; the publisher fixes the package.
      BULWARK_RETURN_IF_ERROR(moderation_.RecordNotice(
          UserNotice{0, c.who.user, "publish-refused-own-token",
                     StrCat("publish of ", c.name, "@", c.version, " refused: ", hit.file, ":",
                            hit.line, " contains your token ", Redacted(hit.token)),
                     clock_.Now()}));
      return absl::PermissionDeniedError(
          StrCat("refusing to publish ", c.name, "@", c.version, ": ", hit.file, " line ", hit.line,
                 " contains your own access token (", Redacted(hit.token),
                 "). Remove it (and any .npmrc) from the package, e.g. with a \"files\" list or "
                 ".npmignore, and publish again. Nothing was published."));
    }
    // Someone else's token: revoke it before the version can be installed, and tell them.
    BULWARK_RETURN_IF_ERROR(store_.DeleteToken(key));
    LogWarning("revoked a token of %s found in %s@%s (%s:%d)", token->user, std::string(c.name),
               std::string(c.version), hit.file, hit.line);
    Event("token.revoked", token->user,
          StrCat(Redacted(hit.token), ", leaked in ", c.name, "@", c.version, " (", hit.file, ":",
                 hit.line, ", published by ", c.who.user, ")"),
          c.name);
    BULWARK_RETURN_IF_ERROR(moderation_.RecordNotice(
        UserNotice{0, token->user, "token-leak-tarball",
                   StrCat("your token ", Redacted(hit.token), " was found in ", c.name, "@",
                          c.version, " (", hit.file, ":", hit.line, ", published by ", c.who.user,
                          ") and has been revoked; create a new one with npm token create"),
                   clock_.Now()}));
    Finding f;
    f.rule_id = "secret-bulwark-token";
    f.severity = Severity::kHigh;
    f.suggests = Verdict::kWarn;
    f.file = hit.file;
    f.line = hit.line;
    f.evidence = Redacted(hit.token);
    f.explanation = StrCat("An access token of user ", token->user,
                           " for this registry; it was revoked and its owner told.");
    report.findings.push_back(std::move(f));
  }
  return absl::OkStatus();
}

absl::StatusOr<json::object> ScanGate::BetweenVersions(const PublishCandidate& c,
                                                       bool publisher_2fa,
                                                       scan::ScanReport& report) {
  VersionHistory h;
  h.publisher = c.who.user;
  h.publisher_2fa = publisher_2fa;
  h.now = clock_.Now();
  std::optional<PackageRecord> pkg;
  if (auto p = store_.GetPackage(c.name); p.ok()) {
    pkg = std::move(*p);
  } else if (!absl::IsNotFound(p.status())) {
    return p.status();
  }
  const VersionRecord* prev = pkg ? PreviousVersion(*pkg) : nullptr;
  std::optional<TarballContents> prev_contents;
  std::optional<json::object> prev_manifest;
  if (prev) {
    h.first_version = false;
    h.prev_published = prev->published;
    if (auto m = ParseJson(prev->manifest_json); m.ok() && m->is_object()) {
      prev_manifest = std::move(m->get_object());
      h.prev_manifest = &*prev_manifest;
    }
    std::string prev_bytes;
    if (auto bytes = blobs_.Get(prev->blob_key); bytes.ok()) {
      if (auto contents = ReadTarball(*bytes, limits_); contents.ok()) {
        prev_contents = std::move(*contents);
        h.prev_contents = &*prev_contents;
        prev_bytes = std::move(*bytes);
      }
    }
    if (auto scan = moderation_.LatestScan(c.name, prev->version); scan.ok()) {
      if (auto r = ParseJson(scan->report_json); r.ok() && r->is_object()) {
        h.prev_capabilities = ReportFromJson(r->get_object()).capabilities;
      }
    } else if (scanner_ && h.prev_contents && h.prev_manifest) {
      // Published before the gate existed (or its scan was lost): scan it now for the baseline.
      PublishCandidate old{c.who,      c.name,           prev->version, *h.prev_manifest,
                           prev_bytes, *h.prev_contents, false,         c.restricted};
      if (auto r = RunScanner(old); r.ok()) h.prev_capabilities = r->capabilities;
    }
    std::vector<const VersionRecord*> live;
    for (const auto& [ver, v] : pkg->versions) {
      if (std::string who = PublisherOf(v); !who.empty()) h.previous_publishers.insert(who);
      if (!v.unpublished) live.push_back(&v);
    }
    std::sort(live.begin(), live.end(),
              [](auto* a, auto* b) { return a->published > b->published; });
    for (size_t i = 0; i < live.size() && i < kMaxHistoryScans; ++i) {
      auto scan = moderation_.LatestScan(c.name, live[i]->version);
      if (scan.ok() && scan->publisher_2fa) h.earlier_had_2fa = true;
    }
  }
  for (const std::string& dep : AddedDependencies(h.prev_manifest, c.manifest)) {
    auto d = store_.GetPackage(dep);
    if (d.ok() && !d->unpublished) h.dependency_created[dep] = d->created;
  }
  std::vector<Finding> found =
      BetweenVersionFindings(options_.between, h, c.contents, c.manifest, report.capabilities);
  report.findings.insert(report.findings.end(), found.begin(), found.end());
  return DiffToJson(DiffVersions(prev ? prev->version : "", h.prev_contents, h.prev_manifest,
                                 c.contents, c.manifest));
}

absl::Status ScanGate::CheckWorm(const PublishCandidate& c, scan::ScanReport& report) {
  if (c.who.token_key.empty() || c.new_package) return absl::OkStatus();
  absl::Time now = clock_.Now();
  BULWARK_RETURN_IF_ERROR(moderation_.RecordPublish(PublishLogEntry{
      c.who.token_key, c.who.user, std::string(c.name), std::string(c.version), now}));
  BULWARK_ASSIGN_OR_RETURN(
      std::vector<PublishLogEntry> recent,
      moderation_.PublishesByToken(c.who.token_key, now - options_.worm.window));
  std::set<std::string> packages;
  for (const auto& e : recent) packages.insert(e.package);
  if (static_cast<int>(packages.size()) <= options_.worm.packages) return absl::OkStatus();

  // The worm pattern (Shai-Hulud, 2025): a stolen token republishing everything it can.
  BULWARK_RETURN_IF_ERROR(store_.DeleteToken(c.who.token_key));
  Event("token.revoked", c.who.user,
        StrCat(c.who.token_prefix, " suspended: worm pattern (", packages.size(),
               " packages within ", absl::FormatDuration(options_.worm.window), ")"),
        c.name);
  BULWARK_RETURN_IF_ERROR(moderation_.RecordNotice(
      UserNotice{0, c.who.user, "token-suspended-worm",
                 StrCat("a token of yours published new versions of ", packages.size(),
                        " packages within ", absl::FormatDuration(options_.worm.window),
                        "; it was revoked and those versions held for review"),
                 now}));
  // The other owners of the packages hear of it too: the token's owner may be the victim whose
  // machine runs the worm, and co-maintainers are the ones who can act on the held versions.
  std::set<std::string> owners;
  for (const std::string& p : packages) {
    auto rec = store_.GetPackage(p);
    if (!rec.ok()) continue;
    for (const std::string& m : rec->maintainers) {
      if (m != c.who.user) owners.insert(m);
    }
  }
  for (const std::string& owner : owners) {
    absl::Status told = moderation_.RecordNotice(
        UserNotice{0, owner, "token-suspended-worm",
                   StrCat("a token of ", c.who.user, " published new versions of ",
                          packages.size(), " packages within ",
                          absl::FormatDuration(options_.worm.window), " (", c.name,
                          " among them); it was revoked and those versions held for review"),
                   now});
    if (!told.ok()) LogWarning("worm notice to %s not stored: %s", owner, told.ToString());
  }
  LogWarning("worm pattern: token of %s published %d packages in %s; revoked, versions held",
             c.who.user, static_cast<int>(packages.size()),
             absl::FormatDuration(options_.worm.window));
  for (const auto& e : recent) {
    if (e.package == c.name) continue;
    auto withdrawn = packages_.WithdrawVersions(e.package, {e.version});
    if (!withdrawn.ok() || withdrawn->versions.empty()) continue;  // Held or gone already.
    json::object tags;
    for (const auto& [t, v] : withdrawn->tags) tags[t] = v;
    ModerationCase mc;
    mc.kind = "hold";
    mc.package = e.package;
    mc.version = e.version;
    mc.reason = StrCat("worm-burst: published by a token that published ", packages.size(),
                       " packages within minutes");
    mc.reporter = e.user;
    mc.held_json = ToJson(json::object{{"restore", true}, {"tags", std::move(tags)}});
    mc.created = now;
    BULWARK_RETURN_IF_ERROR(moderation_.CreateCase(mc).status());
  }
  Finding f;
  f.rule_id = "worm-burst";
  f.severity = Severity::kCritical;
  f.suggests = Verdict::kHold;
  f.evidence = StrCat(packages.size(), " packages in ", absl::FormatDuration(options_.worm.window));
  f.explanation =
      "One token published new versions of many packages within minutes (the "
      "self-propagating worm pattern); the token was revoked.";
  report.findings.push_back(std::move(f));
  return absl::OkStatus();
}

bool ScanGate::HighImpact(std::string_view name) {
  absl::MutexLock l(&popularity_mu_);
  absl::Time now = clock_.Now();
  if (now - popularity_loaded_ > kPopularityRefresh) {
    popularity_.clear();
    if (auto imported = store_.ListPopularity(); imported.ok()) {
      for (const auto& e : *imported) popularity_[e.name] = e.downloads;
    }
    int64_t today = absl::ToUnixSeconds(now) / 86400;
    if (auto counted = store_.SumDownloads(today - 30); counted.ok()) {
      for (const auto& e : *counted) {
        popularity_[e.name] = std::max(popularity_[e.name], e.downloads);
      }
    }
    popularity_loaded_ = now;
  }
  auto it = popularity_.find(name);
  return it != popularity_.end() && it->second >= options_.policy.high_impact_downloads;
}

absl::StatusOr<GateDecision> ScanGate::Check(const PublishCandidate& c) {
  // A held version keeps its number, and a held new name stays its publisher's.
  BULWARK_ASSIGN_OR_RETURN(std::vector<ModerationCase> open, moderation_.OpenCasesFor(c.name));
  for (const auto& mc : open) {
    if (mc.kind != "hold") continue;
    if (mc.version == c.version) {
      return absl::AlreadyExistsError(
          StrCat(c.name, "@", c.version, " is already held for review (case ", mc.id, ")"));
    }
    if (c.new_package && mc.reporter != c.who.user) {
      return absl::PermissionDeniedError(
          StrCat(c.name, " is held for review; it cannot be published until then"));
    }
  }

  scan::ScanReport report;
  bool scan_failed = false;
  std::string scan_error;
  bool tfa = false;
  if (auto t = store_.GetTfa(c.who.user); t.ok()) tfa = !t->pending;
  ScanRecord rec;
  rec.package = std::string(c.name);
  rec.version = std::string(c.version);
  rec.publisher = c.who.user;
  rec.publisher_2fa = tfa;
  rec.token_key = c.who.token_key;
  if (absl::Status s = CheckTokens(c, report); !s.ok()) {
    if (absl::IsPermissionDenied(s)) {  // The publisher's own token: a rejection, on record.
      rec.verdict = rec.action = "reject";
      json::object rj = ReportToJson(report);
      rj["error"] = std::string(s.message());
      rec.report_json = ToJson(rj);
      rec.diff_json = "{}";
      rec.created = clock_.Now();
      BULWARK_RETURN_IF_ERROR(moderation_.RecordScan(rec).status());
    }
    return s;
  }
  auto scanned = RunScanner(c);
  if (scanned.ok()) {
    std::vector<Finding> token_findings = std::move(report.findings);
    report = std::move(*scanned);
    report.findings.insert(report.findings.end(), token_findings.begin(), token_findings.end());
  } else {
    scan_failed = true;
    scan_error = std::string(scanned.status().message());
    LogWarning("scan of %s@%s failed: %s", std::string(c.name), std::string(c.version),
               scanned.status().ToString());
  }
  BULWARK_ASSIGN_OR_RETURN(json::object diff, BetweenVersions(c, tfa, report));
  BULWARK_RETURN_IF_ERROR(CheckWorm(c, report));
  Recompute(report);

  bool scoped_private = c.name[0] == '@' && c.restricted;
  PackageClass cls = Classify(c.new_package, scoped_private, !c.new_package && HighImpact(c.name));
  GateDecision d;
  d.action = Decide(options_.policy, cls, report);
  if (scan_failed) {
    if (!options_.policy.fail_open)
      d.action = GateAction::kReject;
    else
      d.action = std::max(d.action, GateAction::kWarn);
  }

  rec.verdict = scan_failed ? "error" : std::string(scan::VerdictName(report.verdict));
  rec.action = std::string(ActionName(d.action));
  json::object report_json = ReportToJson(report);
  report_json["class"] = PackageClassName(cls);
  if (scan_failed) report_json["error"] = scan_error;
  rec.report_json = ToJson(report_json);
  rec.diff_json = ToJson(diff);
  rec.created = clock_.Now();
  BULWARK_ASSIGN_OR_RETURN(d.scan_id, moderation_.RecordScan(rec));

  std::string id = StrCat(c.name, "@", c.version);
  if (scan_failed && !options_.policy.fail_open) {
    return absl::UnavailableError(StrCat(id, " could not be scanned (", scan_error,
                                         ") and this registry publishes nothing "
                                         "unscanned; try again later"));
  }
  switch (d.action) {
    case GateAction::kPublish:
      break;
    case GateAction::kWarn:
      d.message =
          scan_failed
              ? StrCat(id, " was published without a scan (", scan_error, ")")
              : StrCat(id, " was published with warnings: ", Reasons(report, Verdict::kWarn));
      break;
    case GateAction::kHold:
      d.message = StrCat(id,
                         " is held for review by the registry's moderators and cannot be "
                         "installed until approved. ",
                         Reasons(report, Verdict::kWarn));
      break;
    case GateAction::kReject:
      d.message = StrCat(
          id, " was rejected by this registry's publish policy: ", Reasons(report, Verdict::kWarn));
      break;
  }
  return d;
}

absl::Status ScanGate::Hold(const GateDecision& decision, const HeldPublish& held) {
  ModerationCase mc;
  mc.kind = "hold";
  mc.package = held.name;
  mc.version = held.version.version;
  mc.reason = decision.message;
  mc.reporter = held.publisher;
  mc.scan_id = decision.scan_id;
  mc.held_json = HeldToJson(held);
  mc.created = clock_.Now();
  return moderation_.CreateCase(mc).status();
}

}  // namespace bulwark
