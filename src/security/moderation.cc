#include "security/moderation.h"

#include <set>

#include "absl/time/clock.h"
#include "accounts/throttle.h"
#include "accounts/tokens.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/package_name.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "packaging/tar_writer.h"
#include "security/advisories/advisory.h"
#include "security/advisories/records.h"
#include "security/scan_gate.h"

namespace bulwark {
namespace {

constexpr size_t kMaxLeakReports = 1000;  // Tokens in one partner request.
constexpr char kPlaceholderReadme[] =
    "# Security holding package\n\nThis package contained malicious code and was removed from "
    "the registry by its administrators. This placeholder keeps the name from being taken "
    "again.\n\nIf you installed an earlier version, treat the machine as compromised: rotate "
    "every credential it held.\n";

json::value ParseOr(std::string_view text) {
  auto v = ParseJson(text);
  return v.ok() ? *v : json::value(nullptr);
}

}  // namespace

ModerationService::ModerationService(MetadataStore& store, ModerationStore& moderation,
                                     AdvisoryStore& advisories, PackageService& packages,
                                     Clock& clock, ModerationOptions options)
    : store_(store),
      moderation_(moderation),
      advisories_(advisories),
      packages_(packages),
      clock_(clock),
      options_(options) {}

json::object ModerationService::CaseJson(const ModerationCase& c) {
  json::object o{{"id", c.id},
                 {"kind", c.kind},
                 {"package", c.package},
                 {"version", c.version},
                 {"state", c.state},
                 {"reason", c.reason},
                 {"reporter", c.reporter},
                 {"created", FormatIsoTime(c.created)}};
  if (c.scan_id) o["scan_id"] = c.scan_id;
  if (c.resolved) {
    o["resolved"] = FormatIsoTime(*c.resolved);
    o["resolved_by"] = c.resolved_by;
    o["resolution"] = c.resolution;
  }
  return o;
}

absl::StatusOr<std::vector<ModerationCase>> ModerationService::List(bool include_closed) {
  return moderation_.ListCases(!include_closed);
}

absl::StatusOr<json::object> ModerationService::Show(int64_t id) {
  BULWARK_ASSIGN_OR_RETURN(ModerationCase c, moderation_.GetCase(id));
  json::object o = CaseJson(c);
  std::optional<ScanRecord> scan;
  if (c.scan_id) {
    auto s = moderation_.GetScan(c.scan_id);
    if (s.ok()) scan = *s;
  } else if (!c.version.empty()) {
    auto s = moderation_.LatestScan(c.package, c.version);
    if (s.ok()) scan = *s;
  }
  if (scan) {
    o["scan"] = json::object{{"id", scan->id},
                             {"verdict", scan->verdict},
                             {"action", scan->action},
                             {"publisher", scan->publisher},
                             {"publisher_2fa", scan->publisher_2fa},
                             {"created", FormatIsoTime(scan->created)},
                             {"report", ParseOr(scan->report_json)},
                             {"diff", ParseOr(scan->diff_json)}};
  } else {
    o["scan"] = nullptr;
  }
  std::optional<std::string> sandbox;
  if (sandbox_) sandbox = sandbox_(c.package, c.version);
  o["sandbox"] = sandbox ? ParseOr(*sandbox) : json::value(nullptr);
  return o;
}

absl::Status ModerationService::Approve(int64_t id, std::string_view by, std::string_view note) {
  BULWARK_ASSIGN_OR_RETURN(ModerationCase c, moderation_.GetCase(id));
  if (c.state != "open") {
    return absl::FailedPreconditionError(StrCat("moderation case ", id, " is already ", c.state));
  }
  if (c.kind == "hold") {
    auto doc = ParseJson(c.held_json);
    if (doc.ok() && doc->is_object() && GetBool(doc->get_object(), "restore").value_or(false)) {
      std::map<std::string, std::string> tags;
      if (const json::object* t = GetObject(doc->get_object(), "tags")) {
        for (const auto& [k, v] : *t) {
          if (v.is_string()) tags[std::string(k)] = std::string(v.get_string());
        }
      }
      BULWARK_RETURN_IF_ERROR(packages_.RestoreVersion(c.package, c.version, tags));
    } else {
      BULWARK_ASSIGN_OR_RETURN(HeldPublish held, HeldFromJson(c.held_json));
      BULWARK_RETURN_IF_ERROR(packages_.AdmitHeld(held));
    }
  }
  return moderation_.ResolveCase(id, c.kind == "hold" ? "approved" : "dismissed", by, note,
                                 clock_.Now());
}

absl::Status ModerationService::PublishPlaceholder(std::string_view name) {
  json::object pkg{{"name", name},
                   {"version", kPlaceholderVersion},
                   {"description", "security holding package"},
                   {"repository", "npm/security-holder"}};
  std::string package_json = ToJson(pkg);
  BULWARK_ASSIGN_OR_RETURN(
      std::string tarball,
      WritePackageTarball({{"package.json", package_json}, {"README.md", kPlaceholderReadme}}));
  json::object stored = pkg;
  stored["_id"] = StrCat(name, "@", kPlaceholderVersion);
  stored["_hasShrinkwrap"] = false;
  stored["dist"] = json::object{
      {"fileCount", 2}, {"unpackedSize", package_json.size() + sizeof(kPlaceholderReadme) - 1}};
  VersionRecord v;
  v.version = std::string(kPlaceholderVersion);
  v.manifest_json = ToJson(stored);
  v.integrity = Sha512Integrity(tarball);
  v.shasum = HexEncode(Sha1(tarball));
  v.blob_key = HexEncode(Sha512(tarball));
  v.size = tarball.size();
  return packages_.ReplaceWithPlaceholder(name, v, tarball, kPlaceholderReadme);
}

namespace {

// The year is the case's, so a draft made when the case opened and the one its removal writes
// share the id.
std::string MalwareAdvisoryId(const ModerationCase& c) {
  return StrCat("MAL-BWK-", absl::FormatTime("%Y", c.created, absl::UTCTimeZone()), "-", c.id);
}

}  // namespace

absl::StatusOr<std::string> ModerationService::DraftPendingAdvisory(int64_t case_id,
                                                                    std::string_view evidence) {
  BULWARK_ASSIGN_OR_RETURN(ModerationCase c, moderation_.GetCase(case_id));
  const absl::Time now = clock_.Now();
  advisories::Advisory a;
  a.id = MalwareAdvisoryId(c);
  a.summary = StrCat("Malicious code in ", c.package, " (npm)");
  a.details = StrCat("This version was quarantined by the registry's behavioural sandbox (case ",
                     c.id, ") and awaits its moderators' decision. ",
                     evidence.substr(0, 3000));
  advisories::Affected aff;
  aff.ecosystem = "npm";
  aff.package = c.package;
  aff.versions = {c.version};
  a.affected.push_back(std::move(aff));
  a.published = now;
  a.modified = now;
  // Pending: on file for the moderators, not matching until the version is removed.
  a.withdrawn = now;
  a.database_specific = json::object{
      {"bulwark", json::object{{"draft", true}, {"pending", true}, {"case", c.id},
                               {"source", "sandbox"}}}};
  BULWARK_RETURN_IF_ERROR(advisories_.Upsert(advisories::ToRecord(a)).status());
  return a.id;
}

absl::Status ModerationService::DraftAdvisoryInto(RemoveResult& result, const ModerationCase& c,
                                                  bool whole, std::string_view note) {
  absl::Time now = clock_.Now();
  advisories::Advisory a;
  // Not an OSV-assigned MAL id (those come from imports): ours carry BWK so they never collide.
  a.id = MalwareAdvisoryId(c);
  a.summary = StrCat("Malicious code in ", c.package, " (npm)");
  a.details = StrCat(
      whole ? "Every version of this package was removed" : "This version was removed",
      " from the registry as malicious by its moderators (case ", c.id, ").",
      note.empty() ? "" : StrCat(" ", note),
      " Any computer that installed it should be considered compromised: rotate its secrets.");
  advisories::Affected aff;
  aff.ecosystem = "npm";
  aff.package = c.package;
  if (whole) {
    advisories::AffectedRange range;
    range.type = "SEMVER";
    range.events.push_back(advisories::Event{advisories::Event::Kind::kIntroduced, "0"});
    aff.ranges.push_back(std::move(range));
  } else {
    aff.versions = result.versions;
  }
  a.affected.push_back(std::move(aff));
  a.published = now;
  a.modified = now;
  // A draft: it already warns `npm audit` users; an administrator completes or withdraws it.
  a.database_specific = json::object{
      {"bulwark", json::object{{"draft", true}, {"case", c.id}, {"source", "moderation"}}}};
  BULWARK_RETURN_IF_ERROR(advisories_.Upsert(advisories::ToRecord(a)).status());
  result.advisory_id = a.id;
  return absl::OkStatus();
}

absl::StatusOr<RemoveResult> ModerationService::Remove(int64_t id, std::string_view by,
                                                       bool whole_package, std::string_view note) {
  BULWARK_ASSIGN_OR_RETURN(ModerationCase c, moderation_.GetCase(id));
  if (c.state != "open") {
    return absl::FailedPreconditionError(StrCat("moderation case ", id, " is already ", c.state));
  }
  bool whole = whole_package || c.version.empty();
  RemoveResult result;
  absl::Time now = clock_.Now();
  if (whole) {
    auto p = store_.GetPackage(c.package);
    if (p.ok()) {
      for (const auto& [ver, v] : p->versions) {
        if (!v.unpublished && ver != kPlaceholderVersion) result.versions.push_back(ver);
      }
    } else if (!absl::IsNotFound(p.status())) {
      return p.status();
    }
    if (c.kind == "hold" && !c.version.empty()) result.versions.push_back(c.version);
    BULWARK_RETURN_IF_ERROR(PublishPlaceholder(c.package));
    result.placeholder = true;
  } else {
    result.versions.push_back(c.version);
    // A held new version was never served: nothing to withdraw. Anything else stops now.
    bool never_live = c.kind == "hold" && !ParseOr(c.held_json).is_null() &&
                      !GetBool(ParseOr(c.held_json).as_object(), "restore").value_or(false);
    if (!never_live) {
      BULWARK_RETURN_IF_ERROR(packages_.WithdrawVersions(c.package, {c.version}).status());
    }
  }
  for (const std::string& v : result.versions) {
    BULWARK_RETURN_IF_ERROR(moderation_.RecordRemoval(c.package, v, c.id, now));
  }
  BULWARK_RETURN_IF_ERROR(DraftAdvisoryInto(result, c, whole, note));
  BULWARK_RETURN_IF_ERROR(moderation_.ResolveCase(
      id, "removed", by, note.empty() ? StrCat("advisory ", result.advisory_id) : note, now));
  if (whole) {
    // Other open cases about the package are settled by this decision.
    BULWARK_ASSIGN_OR_RETURN(auto others, moderation_.OpenCasesFor(c.package));
    for (const auto& o : others) {
      moderation_.ResolveCase(o.id, "removed", by, StrCat("package removed in case ", id), now)
          .IgnoreError();
    }
  }
  LogWarning("moderation: %s removed %s%s as malicious (case %d, advisory %s)", std::string(by),
             c.package, whole ? "" : StrCat("@", c.version), static_cast<int>(id),
             result.advisory_id);
  return result;
}

absl::StatusOr<int64_t> ModerationService::Report(const ReportRequest& r) {
  std::string reason(StripAsciiWhitespace(r.reason));
  if (reason.empty()) return absl::InvalidArgumentError("say why you are reporting the package");
  if (reason.size() > options_.max_report_bytes || r.contact.size() > 200 ||
      r.version.size() > 256) {
    return absl::InvalidArgumentError(
        StrCat("the report is too long (at most ", options_.max_report_bytes, " bytes)"));
  }
  {
    absl::MutexLock l(&rate_mu_);
    absl::Time now = clock_.Now();
    auto& times = reports_by_ip_[ClientAddressKey(r.remote_ip)];
    while (!times.empty() && now - times.front() > absl::Hours(1)) times.pop_front();
    if (static_cast<int>(times.size()) >= options_.reports_per_hour) {
      int64_t wait = absl::ToInt64Seconds(times.front() + absl::Hours(1) - now) + 1;
      return ThrottledError(wait);
    }
    times.push_back(now);
    if (reports_by_ip_.size() > 100000) reports_by_ip_.clear();  // Memory bound.
  }
  auto p = store_.GetPackage(r.package);
  if (!p.ok() || p->unpublished) {
    if (p.ok() || absl::IsNotFound(p.status())) {
      return absl::NotFoundError(StrCat("package ", r.package, " not found"));
    }
    return p.status();
  }
  if (!r.version.empty()) {
    auto it = p->versions.find(r.version);
    if (it == p->versions.end() || it->second.unpublished) {
      return absl::NotFoundError(StrCat("version ", r.version, " of ", r.package, " not found"));
    }
  }
  ModerationCase c;
  c.kind = "report";
  c.package = r.package;
  c.version = r.version;
  c.reason = reason;
  c.reporter = r.contact.empty() ? r.reporter : StrCat(r.reporter, " <", r.contact, ">");
  c.created = clock_.Now();
  BULWARK_ASSIGN_OR_RETURN(int64_t id, moderation_.CreateCase(c));
  LogInfo("moderation: report %d on %s%s by %s", static_cast<int>(id), r.package,
          r.version.empty() ? "" : StrCat("@", r.version), r.reporter);
  return id;
}

absl::StatusOr<json::array> ModerationService::HandleTokenLeaks(std::string_view body,
                                                                std::string_view key_id,
                                                                std::string_view signature) {
  if (!partner_keys_) {
    return absl::FailedPreconditionError("no token-leak partner keys are configured");
  }
  if (key_id.empty() || signature.empty()) {
    return absl::UnauthenticatedError("missing Github-Public-Key-Identifier or -Signature");
  }
  BULWARK_ASSIGN_OR_RETURN(std::vector<PartnerKey> keys, partner_keys_->Keys(false));
  absl::Status verified = VerifyPartnerSignature(keys, key_id, signature, body);
  if (absl::IsNotFound(verified)) {  // A rotated key: fetch the list once more.
    BULWARK_ASSIGN_OR_RETURN(keys, partner_keys_->Keys(true));
    verified = VerifyPartnerSignature(keys, key_id, signature, body);
  }
  if (absl::IsNotFound(verified)) return absl::UnauthenticatedError(verified.message());
  BULWARK_RETURN_IF_ERROR(verified);

  auto doc = ParseJson(body);
  if (!doc.ok() || !doc->is_array()) {
    return absl::InvalidArgumentError("expected a JSON array of {token, type, url, source}");
  }
  if (doc->get_array().size() > kMaxLeakReports) {
    return absl::InvalidArgumentError(StrCat("at most ", kMaxLeakReports, " tokens per request"));
  }
  json::array answer;
  for (const auto& item : doc->get_array()) {
    if (!item.is_object()) return absl::InvalidArgumentError("each report must be an object");
    const json::object& o = item.get_object();
    std::string token(GetString(o, "token").value_or(""));
    std::string type(GetString(o, "type").value_or(""));
    std::string url(GetString(o, "url").value_or(""));
    std::string source(GetString(o, "source").value_or(""));
    std::string label = "false_positive";
    if (IsWellFormedToken(token)) {
      std::string key = TokenKey(token);
      auto rec = store_.GetToken(key);
      if (rec.ok()) {
        BULWARK_RETURN_IF_ERROR(store_.DeleteToken(key));
        BULWARK_RETURN_IF_ERROR(moderation_.RecordNotice(UserNotice{
            0, rec->user, "token-leak-partner",
            StrCat("your token ", token.substr(0, kTokenDisplayPrefix), "... was found in public",
                   source.empty() ? "" : StrCat(" (", source.substr(0, 100), ")"),
                   url.empty() ? "" : StrCat(" at ", url.substr(0, 500)),
                   " and has been revoked; create a new one with npm token create"),
            clock_.Now()}));
        LogWarning("revoked a token of %s reported leaked by a partner (%s)", rec->user,
                   url.substr(0, 200));
        if (events_) {
          events_("token.revoked", rec->user,
                  StrCat(token.substr(0, kTokenDisplayPrefix), "...: reported leaked by a partner",
                         url.empty() ? "" : StrCat(" at ", url.substr(0, 200))),
                  "");
        }
        label = "true_positive";
      } else if (!absl::IsNotFound(rec.status())) {
        return rec.status();
      }
    }
    answer.emplace_back(json::object{{"token_raw", token}, {"token_type", type}, {"label", label}});
  }
  return answer;
}

absl::StatusOr<json::array> ModerationService::Events(std::string_view user) {
  BULWARK_ASSIGN_OR_RETURN(std::vector<UserNotice> events, moderation_.ListNotices(user));
  json::array out;
  for (const auto& e : events) {
    out.emplace_back(json::object{{"id", e.id},
                                  {"kind", e.kind},
                                  {"detail", e.detail},
                                  {"created", FormatIsoTime(e.created)}});
  }
  return out;
}

absl::StatusOr<json::object> ModerationService::Stats() {
  BULWARK_ASSIGN_OR_RETURN(ModerationCounts c, moderation_.Count());
  return json::object{{"versions_scanned", c.scanned},
                      {"versions_warned", c.warned},
                      {"versions_held", c.held},
                      {"versions_rejected", c.rejected},
                      {"scan_errors", c.scan_errors},
                      {"versions_removed_malicious", c.removed_malicious},
                      {"tokens_revoked_leaked_in_tarball", c.tokens_revoked_tarball},
                      {"tokens_revoked_partner_reports", c.tokens_revoked_partner},
                      {"tokens_suspended_worm", c.tokens_suspended_worm},
                      {"reports_received", c.reports},
                      {"moderation_open_cases", c.open_cases}};
}

}  // namespace bulwark
