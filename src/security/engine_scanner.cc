#include "security/engine_scanner.h"

#include <algorithm>
#include <utility>

namespace bulwark {

EngineScanner::EngineScanner(std::unique_ptr<scan::Scanner> engine,
                             std::vector<Indicator> indicators)
    : engine_(std::move(engine)) {
  if (!indicators.empty()) indicators_ = std::make_unique<IndicatorScanner>(std::move(indicators));
}

absl::StatusOr<scan::ScanReport> EngineScanner::Scan(const PublishCandidate& candidate) {
  BULWARK_ASSIGN_OR_RETURN(scan::ScanReport report, engine_->Scan(scan::FilesOf(candidate.contents)));
  if (indicators_) {
    BULWARK_ASSIGN_OR_RETURN(scan::ScanReport extra, indicators_->Scan(candidate));
    for (auto& f : extra.findings) report.findings.push_back(std::move(f));
    report.capabilities.insert(report.capabilities.end(), extra.capabilities.begin(),
                               extra.capabilities.end());
    std::sort(report.capabilities.begin(), report.capabilities.end());
    report.capabilities.erase(std::unique(report.capabilities.begin(), report.capabilities.end()),
                              report.capabilities.end());
    report.verdict = std::max(report.verdict, extra.verdict);
  }
  return report;
}

}  // namespace bulwark
