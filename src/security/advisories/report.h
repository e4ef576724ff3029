#pragma once
// `bulwark audit`: a lockfile checked against the advisory index, and the report printed the
// way `npm audit` prints its own (text, or JSON in the shape of `npm audit --json`).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "security/advisories/index.h"
#include "security/advisories/lockfile.h"

namespace bulwark::advisories {

// One vulnerable package, as npm counts them: every advisory that affects an installed version
// of it, and where those versions are installed.
struct AuditFinding {
  std::string name;
  Severity severity = Severity::kInfo;           // The highest of its advisories.
  std::vector<const AdvisoryIndex::Entry*> via;  // In id order.
  std::vector<LockedPackage> nodes;              // The affected installs.
};

struct AuditReport {
  LockfileFormat format = LockfileFormat::kNpmV2;
  size_t dependencies = 0;              // Installed packages audited.
  std::vector<AuditFinding> findings;   // By name.
  int64_t counts[5] = {0, 0, 0, 0, 0};  // Findings per Severity.
  int64_t total() const;
};

// The index must outlive the report (findings point into it).
AuditReport Audit(const Lockfile& lockfile, const AdvisoryIndex& index);

// npm's text report ("# npm audit report" ... "found 0 vulnerabilities").
std::string RenderAuditText(const AuditReport& report);
// npm audit --json's shape: auditReportVersion 2, vulnerabilities by name (name, severity, via
// [{source, name, dependency, title, url, severity, cwe, cvss, range}], range, nodes), and
// metadata.vulnerabilities {info, low, moderate, high, critical, total}.
json::object RenderAuditJson(const AuditReport& report);

// npm audit's levels for --audit-level: info, low, moderate, high, critical, none.
bool ValidAuditLevel(std::string_view level);
// As npm-audit-report's exit code: 1 when a finding is at or above `level` ("none": never).
int AuditExitCode(const AuditReport& report, std::string_view level);

}  // namespace bulwark::advisories
