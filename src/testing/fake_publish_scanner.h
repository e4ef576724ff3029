#pragma once
// A PublishScanner for tests: returns the report (or error) it is told to, optionally after a
// delay (to exercise the gate's time budget), and counts its calls. Header-only, so the testing
// library need not link packaging.

#include <atomic>
#include <map>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "packaging/publish_scanner.h"

namespace bulwark::testing {

class FakePublishScanner final : public PublishScanner {
 public:
  void SetReport(scan::ScanReport report) {
    absl::MutexLock l(&mu_);
    result_ = std::move(report);
  }
  // A report for one version only (others get SetReport's).
  void SetReportFor(std::string version, scan::ScanReport report) {
    absl::MutexLock l(&mu_);
    by_version_[std::move(version)] = std::move(report);
  }
  void SetError(absl::Status error) {
    absl::MutexLock l(&mu_);
    result_ = std::move(error);
  }
  void SetDelay(absl::Duration delay) {
    absl::MutexLock l(&mu_);
    delay_ = delay;
  }
  int calls() const { return calls_.load(); }

  absl::StatusOr<scan::ScanReport> Scan(const PublishCandidate& c) override {
    ++calls_;
    absl::StatusOr<scan::ScanReport> result;
    absl::Duration delay;
    {
      absl::MutexLock l(&mu_);
      auto it = by_version_.find(std::string(c.version));
      result = it != by_version_.end() ? absl::StatusOr<scan::ScanReport>(it->second) : result_;
      delay = delay_;
    }
    if (delay > absl::ZeroDuration()) std::this_thread::sleep_for(absl::ToChronoNanoseconds(delay));
    return result;
  }

 private:
  absl::Mutex mu_;
  absl::StatusOr<scan::ScanReport> result_ ABSL_GUARDED_BY(mu_) = scan::ScanReport{};
  std::map<std::string, scan::ScanReport> by_version_ ABSL_GUARDED_BY(mu_);
  absl::Duration delay_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  std::atomic<int> calls_{0};
};

// A finding for tests.
inline scan::Finding TestFinding(std::string rule, scan::Verdict suggests, std::string file = "",
                                 uint32_t line = 0) {
  scan::Finding f;
  f.rule_id = std::move(rule);
  f.suggests = suggests;
  f.severity = suggests >= scan::Verdict::kHold ? scan::Severity::kCritical : scan::Severity::kLow;
  f.file = std::move(file);
  f.line = line;
  f.explanation = "test finding";
  return f;
}

}  // namespace bulwark::testing
