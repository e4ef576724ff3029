#pragma once
// What the publish-time scanner reports (issue 4): findings and a verdict. Shared by the engine
// (src/security/scan/: tarball in, report out; pure) and by everything that acts on a report
// (the publish gate, policy, moderation queue, `bulwark scan`), so neither depends on the other.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::scan {

enum class Severity : std::uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };

// Ordered: a report's verdict is the strongest any rule or correlation asks for.
enum class Verdict : std::uint8_t { kClean, kWarn, kHold, kReject };

struct Finding {
  std::string rule_id;      // stable, kebab-case, e.g. "install-script", "secret-npm-token"
  Severity severity = Severity::kInfo;
  Verdict suggests = Verdict::kWarn;  // what this finding alone would ask for
  std::string file;         // path inside the package ("package/" prefix stripped); "" = package
  std::uint32_t line = 0;   // 1-based; 0 when not tied to a line
  std::string evidence;     // short excerpt (<= 200 bytes, control characters escaped)
  std::string explanation;  // one plain sentence for a person deciding
};

// Capabilities a package's code shows; compared between versions ("network" new in 1.0.1).
// Values: "network", "shell", "filesystem", "eval", "native", "env", "install-script",
// "credentials" (reads credential files), "obfuscated".
struct ScanReport {
  std::vector<Finding> findings;
  std::vector<std::string> capabilities;  // sorted, unique
  Verdict verdict = Verdict::kClean;
  std::uint64_t bytes_scanned = 0;        // unpacked bytes through the engines
  std::uint32_t files_scanned = 0;
};

inline std::string_view SeverityName(Severity s) {
  constexpr std::string_view kNames[] = {"info", "low", "medium", "high", "critical"};
  return kNames[static_cast<int>(s)];
}
inline std::string_view VerdictName(Verdict v) {
  constexpr std::string_view kNames[] = {"clean", "warn", "hold", "reject"};
  return kNames[static_cast<int>(v)];
}

}  // namespace bulwark::scan
