#pragma once
// The signature rule pack: YARA rules compiled once (the built-in pack data/scan-rules/*.yar,
// embedded at build time, plus any admin folders) and run over every file. Each rule's `meta`
// says what a match means (docs/scanning.md):
//   rule_id = "sig-..."   (default: "sig-" + rule name with '_' -> '-')
//   severity = "info|low|medium|high|critical"   (default high)
//   verdict = "warn|hold|reject"                 (default hold)
//   explanation = "one plain sentence"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bulwark/base/status.h"
#include "bulwark/scan/findings.h"

struct YR_RULES;
struct YR_SCAN_CONTEXT;  // YARA's YR_SCANNER

namespace bulwark::scan {

struct YaraMatch {
  std::string rule_id;
  Severity severity = Severity::kHigh;
  Verdict verdict = Verdict::kHold;
  std::string explanation;
  std::uint64_t offset = 0;  // first matching string's offset
  bool has_offset = false;   // false: the condition matched without any string
};

struct RuleSource {
  std::string name;  // file name, for error messages
  std::string text;
};

class YaraPack {
 public:
  // InvalidArgument "name(line): message" for the first rule that does not compile.
  static absl::StatusOr<std::unique_ptr<YaraPack>> Create(const std::vector<RuleSource>& sources);
  ~YaraPack();
  absl::Status Scan(std::string_view data, std::vector<YaraMatch>* out) const;
  std::size_t rule_count() const;

 private:
  YaraPack() = default;
  YR_RULES* rules_ = nullptr;
  // Scanners are reused (creating one per file costs more than scanning a small file).
  mutable std::mutex mu_;
  mutable std::vector<YR_SCAN_CONTEXT*> free_;
};

// The built-in pack (generated from data/scan-rules/*.yar at build time).
const std::vector<RuleSource>& BuiltinRuleSources();

}  // namespace bulwark::scan
