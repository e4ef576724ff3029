#pragma once
// ScanGate: implements packaging's PublishGate (docs/moderation.md). For every new version:
//  1. This registry's tokens in the tarball (security/token_leaks.h): the publisher's own ->
//     the publish is refused naming file and line (nothing is stored, so nothing leaked);
//     anyone else's -> revoked at once, before the version can be installed, and its owner
//     gets a security event.
//  2. The scan (PublishScanner) within the policy's time budget; a failure or timeout fails
//     open (published with a warning) or closed (503), as configured.
//  3. The diff against the previous version and the between-version findings
//     (security/version_diff.h), plus the worm pattern: one token publishing new versions of
//     many packages within minutes gets the token revoked and those versions held.
//  4. The policy (security/publish_policy.h) turns the report into publish/warn/hold/reject;
//     every decision is stored (ModerationStore::RecordScan) with the report and the diff.

#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "bulwark/env/blob_store.h"
#include "bulwark/env/clock.h"
#include "bulwark/storage/metadata_store.h"
#include "bulwark/storage/moderation_store.h"
#include "packaging/package_service.h"
#include "packaging/publish_gate.h"
#include "security/event_sink.h"
#include "security/publish_policy.h"
#include "security/version_diff.h"

namespace bulwark {

// The worm brake: a token that publishes new versions of MORE than `packages` distinct
// packages within `window` is suspended at once (issue 10: 3 in 10 minutes).
struct WormOptions {
  int packages = 3;  // Distinct packages one token may publish new versions of ...
  absl::Duration window = absl::Minutes(10);  // ... within this window.
};

struct GateOptions {
  PublishPolicy policy;
  BetweenVersionsOptions between;
  WormOptions worm;
};

class ScanGate final : public PublishGate {
 public:
  // `scanner` may be null (no engine: only tokens, diff and worm checks); it is shared with
  // scans the time budget walked away from, which may outlive the gate. `packages` is where
  // the worm check withdraws earlier versions; the stores must outlive the gate.
  ScanGate(MetadataStore& store, ModerationStore& moderation, BlobStore& blobs, Clock& clock,
           PackageService& packages, std::shared_ptr<PublishScanner> scanner,
           GateOptions options, TarballLimits limits);

  absl::StatusOr<GateDecision> Check(const PublishCandidate& candidate) override;
  absl::Status Hold(const GateDecision& decision, const HeldPublish& held) override;
  // Revocations (leaked tokens, the worm's token) are reported here too. Set before serving.
  void SetEventSink(SecurityEventSink sink) { events_ = std::move(sink); }

 private:
  void Event(std::string_view kind, std::string_view user, std::string detail,
             std::string_view package) {
    if (events_) events_(kind, user, std::move(detail), package);
  }
  SecurityEventSink events_;
  absl::StatusOr<scan::ScanReport> RunScanner(const PublishCandidate& c);
  absl::Status CheckTokens(const PublishCandidate& c, scan::ScanReport& report);
  absl::StatusOr<json::object> BetweenVersions(const PublishCandidate& c, bool publisher_2fa,
                                               scan::ScanReport& report);
  absl::Status CheckWorm(const PublishCandidate& c, scan::ScanReport& report);
  bool HighImpact(std::string_view name);

  MetadataStore& store_;
  ModerationStore& moderation_;
  BlobStore& blobs_;
  Clock& clock_;
  PackageService& packages_;
  const std::shared_ptr<PublishScanner> scanner_;
  const GateOptions options_;
  const TarballLimits limits_;

  absl::Mutex popularity_mu_;
  std::map<std::string, uint64_t, std::less<>> popularity_ ABSL_GUARDED_BY(popularity_mu_);
  absl::Time popularity_loaded_ ABSL_GUARDED_BY(popularity_mu_) = absl::InfinitePast();
};

// A ScanReport as stored and shown (findings, capabilities, verdict, sizes) and back.
json::object ReportToJson(const scan::ScanReport& report);
scan::ScanReport ReportFromJson(const json::object& o);
// A held publish as ModerationCase::held_json keeps it, and back (InvalidArgument when corrupt).
std::string HeldToJson(const HeldPublish& held);
absl::StatusOr<HeldPublish> HeldFromJson(std::string_view text);

}  // namespace bulwark
