#pragma once
// The moderation queue (docs/moderation.md): held versions and reports from anyone, decided by
// administrators through `bulwark moderation` or the admin API; and the token-leak partner
// endpoint's logic. Removing a version as malicious stops it being served; removing a whole
// package replaces it with npm's security placeholder (`0.0.1-security`); both draft a malware
// advisory (MAL- id) in the AdvisoryStore, so `npm audit` warns whoever installed it.

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "base/json.h"
#include "bulwark/env/clock.h"
#include "bulwark/storage/advisory_store.h"
#include "bulwark/storage/metadata_store.h"
#include "bulwark/storage/moderation_store.h"
#include "packaging/package_service.h"
#include "security/event_sink.h"
#include "security/partner_signature.h"

namespace bulwark {

struct ModerationOptions {
  int reports_per_hour = 10;  // Per client address (anyone may report; nobody may flood).
  size_t max_report_bytes = 4000;
};

struct ReportRequest {
  std::string package;
  std::string version;  // Optional.
  std::string reason;
  std::string reporter;  // User name when signed in; else "anonymous".
  std::string contact;   // Optional email or URL.
  std::string remote_ip;
};

struct RemoveResult {
  std::vector<std::string> versions;  // Withdrawn (or never admitted, for a hold).
  bool placeholder = false;
  std::string advisory_id;
};

class ModerationService {
 public:
  ModerationService(MetadataStore& store, ModerationStore& moderation, AdvisoryStore& advisories,
                    PackageService& packages, Clock& clock, ModerationOptions options = {});

  // Optional: where sandbox reports come from (none yet: Show says so).
  using SandboxLookup =
      std::function<std::optional<std::string>(std::string_view, std::string_view)>;
  void SetSandboxLookup(SandboxLookup lookup) { sandbox_ = std::move(lookup); }
  void SetPartnerKeys(PartnerKeySource* keys) { partner_keys_ = keys; }
  // Tokens revoked through partner reports are reported here too (security/event_sink.h).
  void SetEventSink(SecurityEventSink sink) { events_ = std::move(sink); }

  absl::StatusOr<std::vector<ModerationCase>> List(bool include_closed);
  // The case with its findings, diff and sandbox report. NotFound when absent.
  absl::StatusOr<json::object> Show(int64_t id);
  // A hold: publishes the held version (or serves the withdrawn one again). A report: dismissed.
  absl::Status Approve(int64_t id, std::string_view by, std::string_view note);
  // Removes the case's version as malicious (or every version, with `whole_package`, or when a
  // report names no version), and drafts a malware advisory. FailedPrecondition when decided.
  absl::StatusOr<RemoveResult> Remove(int64_t id, std::string_view by, bool whole_package,
                                      std::string_view note);
  // Drafts the malware advisory of a hold opened by the sandbox's quarantine (the case's version,
  // `evidence` as its details) right away, for moderation: stored withdrawn, so `npm audit` does
  // not warn yet. Remove replaces it under the same id (MAL-BWK-<year of the case>-<case>) and
  // it matches from then on; Approve leaves it withdrawn. Returns the advisory id.
  absl::StatusOr<std::string> DraftPendingAdvisory(int64_t case_id, std::string_view evidence);
  // Anyone may report an existing package. InvalidArgument for an empty or oversized reason,
  // NotFound for an unknown package, ResourceExhausted (with Retry-After) past the rate limit.
  absl::StatusOr<int64_t> Report(const ReportRequest& report);

  // The partner endpoint: verifies the signature, then revokes each valid token of this registry
  // and tells its owner. Returns the response body GitHub's programme expects: one
  // {token_raw, token_type, label} per reported token ("true_positive" when it was a live token
  // here). Unauthenticated for a bad signature, InvalidArgument for a malformed body,
  // FailedPrecondition when no keys are configured.
  absl::StatusOr<json::array> HandleTokenLeaks(std::string_view body, std::string_view key_id,
                                               std::string_view signature);

  // `user`'s notices (what they were told: a token revoked because it leaked), newest first.
  absl::StatusOr<json::array> Events(std::string_view user);

  // Counters for /-/bulwark/v1/stats (docs/moderation.md §Stats).
  absl::StatusOr<json::object> Stats();

  static json::object CaseJson(const ModerationCase& c);

 private:
  SecurityEventSink events_;
  absl::Status DraftAdvisoryInto(RemoveResult& result, const ModerationCase& c, bool whole,
                                 std::string_view note);
  absl::Status PublishPlaceholder(std::string_view name);

  MetadataStore& store_;
  ModerationStore& moderation_;
  AdvisoryStore& advisories_;
  PackageService& packages_;
  Clock& clock_;
  const ModerationOptions options_;
  SandboxLookup sandbox_;
  PartnerKeySource* partner_keys_ = nullptr;

  absl::Mutex rate_mu_;
  std::map<std::string, std::deque<absl::Time>> reports_by_ip_ ABSL_GUARDED_BY(rate_mu_);
};

// The security placeholder's version number, as npm uses it.
inline constexpr std::string_view kPlaceholderVersion = "0.0.1-security";

}  // namespace bulwark
