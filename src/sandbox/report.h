#pragma once
// The run-time report of one package version (docs/sandbox.md §Reports): the behaviour the
// sandbox recorded, filtered to what the package did (not npm's own work), the sink records,
// the processes left running, and the findings of the rules over all that. Pure: built from a
// RawRun; stored as JSON.

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "sandbox/contain.h"
#include "sandbox/trace.h"

namespace bulwark::sandbox {

// NOTE: persisted; do not rename.
inline constexpr std::string_view kVerdictMalicious = "malicious";
inline constexpr std::string_view kVerdictSuspicious = "suspicious";
inline constexpr std::string_view kVerdictClean = "clean";

struct Finding {
  std::string rule;      // NOTE: persisted; do not rename (decoy-secret-read, credential-sent...).
  std::string severity;  // critical, high, medium, low.
  std::string phase;
  std::string summary;
};

struct ReportInput {
  std::string name, version;
  std::string honey_token;
  RawRun run;
};

// Builds the report: events of the package's phases, sinks, leftovers, findings and verdict.
json::object BuildReport(const ReportInput& in);

// The rules over a report's events and sinks (exposed for tests).
std::vector<Finding> ApplyRules(const std::vector<Event>& events, const json::array& sinks,
                                const json::array& left_running, bool timed_out,
                                std::string_view honey_token, std::string_view package_dir);

// The verdict of a set of findings: malicious with any critical or high, suspicious with a
// medium, else clean.
std::string_view Verdict(const std::vector<Finding>& findings);

// What `current` does that `previous` did not: findings (by rule and summary), programs run,
// names looked up, addresses contacted, paths written. Each as a "what: detail" string.
json::array DiffReports(const json::object& previous, const json::object& current);

// Human-readable report (for `bulwark sandbox run/show` without --json).
std::string FormatReport(const json::object& report);

}  // namespace bulwark::sandbox
