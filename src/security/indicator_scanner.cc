#include "security/indicator_scanner.h"

#include <algorithm>

#include "base/strings.h"

namespace bulwark {

IndicatorScanner::IndicatorScanner(std::vector<Indicator> indicators)
    : indicators_(std::move(indicators)) {}

absl::StatusOr<scan::ScanReport> IndicatorScanner::Scan(const PublishCandidate& c) {
  scan::ScanReport r;
  for (const TarballFile& f : c.contents.files) {
    ++r.files_scanned;
    if (!f.content_kept) continue;
    r.bytes_scanned += f.content.size();
    for (const Indicator& ind : indicators_) {
      if (ind.text.empty()) continue;
      size_t pos = f.content.find(ind.text);
      if (pos == std::string::npos) continue;
      scan::Finding finding;
      finding.rule_id = StrCat("indicator-", ind.id);
      finding.severity =
          ind.verdict >= scan::Verdict::kHold ? scan::Severity::kCritical : scan::Severity::kMedium;
      finding.suggests = ind.verdict;
      finding.file = f.path;
      finding.line = static_cast<uint32_t>(
          1 + std::count(f.content.begin(), f.content.begin() + static_cast<long>(pos), '\n'));
      finding.evidence = ind.text.substr(0, 200);
      finding.explanation = ind.explanation.empty()
                                ? StrCat("Contains the indicator \"", ind.id, "\".")
                                : ind.explanation;
      r.verdict = std::max(r.verdict, ind.verdict);
      r.findings.push_back(std::move(finding));
    }
  }
  return r;
}

}  // namespace bulwark
