#pragma once
// EngineScanner: the publish gate's PublishScanner backed by the scanning engine
// (security/scan/, docs/scanning.md), optionally joined by the operator's literal indicators
// (`scanning.indicators`, IndicatorScanner). Built once in App::Open; thread-safe.

#include <memory>
#include <vector>

#include "packaging/publish_scanner.h"
#include "security/indicator_scanner.h"
#include "security/scan/scanner.h"

namespace bulwark {

class EngineScanner final : public PublishScanner {
 public:
  // `indicators` may be empty. The engine's rule packs are compiled by the caller
  // (scan::Scanner::Create), so a broken admin rule file stops start-up with its file and line.
  EngineScanner(std::unique_ptr<scan::Scanner> engine, std::vector<Indicator> indicators);
  absl::StatusOr<scan::ScanReport> Scan(const PublishCandidate& candidate) override;

 private:
  const std::unique_ptr<scan::Scanner> engine_;
  std::unique_ptr<IndicatorScanner> indicators_;  // null without indicators
};

}  // namespace bulwark
