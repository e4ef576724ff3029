#pragma once
// IndicatorScanner: a PublishScanner over literal indicator strings an administrator lists in
// the config (`scanning.indicators`, docs/moderation.md): a known campaign's domain, a wallet
// address, a payload's marker. Each hit is a finding with the configured verdict. It is the
// scanner Bulwark runs when no engine is wired, and a cheap addition beside one.

#include <string>
#include <vector>

#include "packaging/publish_scanner.h"

namespace bulwark {

struct Indicator {
  std::string id;           // Finding rule id: "indicator-<id>".
  std::string text;         // Literal, case-sensitive.
  scan::Verdict verdict = scan::Verdict::kHold;
  std::string explanation;  // Shown to moderators and, for warn/hold/reject, the publisher.
};

class IndicatorScanner final : public PublishScanner {
 public:
  explicit IndicatorScanner(std::vector<Indicator> indicators);
  absl::StatusOr<scan::ScanReport> Scan(const PublishCandidate& candidate) override;

 private:
  const std::vector<Indicator> indicators_;
};

}  // namespace bulwark
