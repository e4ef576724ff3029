#include "security/scan/yara_pack.h"

#include <yara.h>

#include <mutex>

#include "base/strings.h"

namespace bulwark::scan {
namespace {

std::once_flag g_yara_init;
int g_yara_init_rc = ERROR_SUCCESS;

struct CompileErrors {
  std::string first;
  std::string current_file;
};

void OnCompileError(int level, const char* file, int line, const YR_RULE* /*rule*/,
                    const char* message, void* user) {
  auto* errors = static_cast<CompileErrors*>(user);
  if (level != YARA_ERROR_LEVEL_ERROR || !errors->first.empty()) return;
  errors->first = StrCat(file ? file : errors->current_file.c_str(), "(", line, "): ",
                         message ? message : "error");
}

Severity ParseSeverity(std::string_view s) {
  if (s == "info") return Severity::kInfo;
  if (s == "low") return Severity::kLow;
  if (s == "medium") return Severity::kMedium;
  if (s == "critical") return Severity::kCritical;
  return Severity::kHigh;
}

Verdict ParseVerdict(std::string_view s) {
  if (s == "warn") return Verdict::kWarn;
  if (s == "reject") return Verdict::kReject;
  if (s == "clean") return Verdict::kClean;
  return Verdict::kHold;
}

struct ScanCtx {
  std::vector<YaraMatch>* out;
};

int OnScan(YR_SCAN_CONTEXT* context, int message, void* message_data, void* user) {
  if (message != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
  auto* ctx = static_cast<ScanCtx*>(user);
  auto* rule = static_cast<YR_RULE*>(message_data);
  YaraMatch m;
  std::string name = rule->identifier ? rule->identifier : "rule";
  for (char& c : name) if (c == '_') c = '-';
  m.rule_id = StrCat("sig-", AsciiStrToLower(name));
  m.explanation = StrCat("Matches the signature rule ", rule->identifier ? rule->identifier : "",
                         ".");
  YR_META* meta;
  yr_rule_metas_foreach(rule, meta) {
    if (meta->type != META_TYPE_STRING || meta->identifier == nullptr || meta->string == nullptr) {
      continue;
    }
    std::string_view key = meta->identifier, value = meta->string;
    if (key == "rule_id") m.rule_id = std::string(value);
    if (key == "severity") m.severity = ParseSeverity(value);
    if (key == "verdict") m.verdict = ParseVerdict(value);
    if (key == "explanation") m.explanation = std::string(value);
  }
  bool have = false;
  YR_STRING* string;
  yr_rule_strings_foreach(rule, string) {
    YR_MATCH* match;
    yr_string_matches_foreach(context, string, match) {
      std::uint64_t off = static_cast<std::uint64_t>(match->base + match->offset);
      if (!have || off < m.offset) m.offset = off;
      have = true;
    }
  }
  m.has_offset = have;
  if (ctx->out->size() < 1000) ctx->out->push_back(std::move(m));
  return CALLBACK_CONTINUE;
}

}  // namespace

absl::StatusOr<std::unique_ptr<YaraPack>> YaraPack::Create(const std::vector<RuleSource>& sources) {
  std::call_once(g_yara_init, [] { g_yara_init_rc = yr_initialize(); });
  if (g_yara_init_rc != ERROR_SUCCESS) return absl::InternalError("yara: initialisation failed");
  YR_COMPILER* compiler = nullptr;
  if (yr_compiler_create(&compiler) != ERROR_SUCCESS) {
    return absl::InternalError("yara: cannot create compiler");
  }
  CompileErrors errors;
  yr_compiler_set_callback(compiler, OnCompileError, &errors);
  for (const RuleSource& src : sources) {
    errors.current_file = src.name;
    int failures = yr_compiler_add_string(compiler, src.text.c_str(), nullptr);
    if (failures > 0) {
      yr_compiler_destroy(compiler);
      std::string msg = errors.first.empty() ? StrCat(src.name, ": does not compile")
                                             : errors.first;
      if (!StartsWith(msg, src.name)) msg = StrCat(src.name, msg);
      return absl::InvalidArgumentError(StrCat("scan rule pack: ", msg));
    }
  }
  std::unique_ptr<YaraPack> pack(new YaraPack());
  int rc = yr_compiler_get_rules(compiler, &pack->rules_);
  yr_compiler_destroy(compiler);
  if (rc != ERROR_SUCCESS) return absl::InternalError("yara: cannot build rules");
  return pack;
}

YaraPack::~YaraPack() {
  for (YR_SCANNER* s : free_) yr_scanner_destroy(s);
  if (rules_) yr_rules_destroy(rules_);
}

std::size_t YaraPack::rule_count() const { return rules_ ? rules_->num_rules : 0; }

absl::Status YaraPack::Scan(std::string_view data, std::vector<YaraMatch>* out) const {
  if (rules_ == nullptr || rules_->num_rules == 0) return absl::OkStatus();
  YR_SCANNER* scanner = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      scanner = free_.back();
      free_.pop_back();
    }
  }
  if (scanner == nullptr && yr_scanner_create(rules_, &scanner) != ERROR_SUCCESS) {
    return absl::InternalError("yara: cannot create a scanner");
  }
  ScanCtx ctx{out};
  yr_scanner_set_callback(scanner, OnScan, &ctx);
  yr_scanner_set_flags(scanner, SCAN_FLAGS_FAST_MODE);
  yr_scanner_set_timeout(scanner, 5);
  int rc = yr_scanner_scan_mem(scanner, reinterpret_cast<const uint8_t*>(data.data()), data.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(scanner);
  }
  if (rc == ERROR_SCAN_TIMEOUT) return absl::DeadlineExceededError("yara: scan timed out");
  if (rc != ERROR_SUCCESS) return absl::InternalError(StrCat("yara: scan failed (", rc, ")"));
  return absl::OkStatus();
}

}  // namespace bulwark::scan
