#pragma once
// The scanner's built-in indicator and secret patterns, compiled once into one Hyperscan
// block-mode database and run over every text file (and over the strings the JavaScript
// analysis folds or decodes). Indicators report their first hit and a capped count; secret
// shapes report every hit, confirmed afterwards (checksums, boundaries) by the scanner.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"

struct hs_database;
struct hs_scratch;

namespace bulwark::scan {

enum class Ind : std::uint8_t {
  // capabilities
  kChildProcess,
  kNetModule,
  kFsModule,
  kEval,
  kEnvWhole,
  kDecode,
  kHexBlob,  // a long hex string literal (hidden strings, encrypted payloads)
  // threat indicators
  kCredPath,
  kWebhook,
  kShadyHost,
  kIpLookup,
  kRawIpUrl,
  kDownloadExecShell,
  kFetchTool,        // curl/wget of a URL (download half of download-then-execute)
  kChmodX,
  kWorkflowPath,
  kNpmPublish,
  kPackageJsonWrite,
  kRegistryHarvest,  // /-/whoami, maintainer search, postinstall injection
  kTrufflehog,
  kWipe,
  kWalletHook,
  kSysinfo,
  kDetached,  // detached: true
  kDynamicRequire,  // require aliased or fed a call's result; module.constructor/_compile
  // obfuscation
  kHexIdent,        // counted
  kWhileBang,
  kStringArrayRotate,
  kJsFuck,
  kPacker,
  kHiddenWhitespace,  // 100 spaces; confirmed by HiddenCodeAfterWhitespace
  kBidi,
  kInvisible,
  kWalletAddress,   // counted
  // secrets (every hit)
  kSecBwk,
  kSecNpm,
  kSecGithub,
  kSecGithubPat,
  kSecAws,
  kSecSlack,
  kSecPrivateKey,
  kSecAuthToken,
  kCount
};
constexpr std::size_t kIndCount = static_cast<std::size_t>(Ind::kCount);
inline bool IsSecret(Ind i) { return i >= Ind::kSecBwk; }
// Hits whose every occurrence is kept (secrets, and raw-IP URLs which need a look at the address).
inline bool KeepsAll(Ind i) { return IsSecret(i) || i == Ind::kRawIpUrl; }

struct PatternHits {
  std::array<std::uint32_t, kIndCount> count{};           // capped at 1,000,000
  std::array<std::uint64_t, kIndCount> first_end{};       // end offset of the first hit
  struct Secret {
    Ind id;
    std::uint64_t end;
  };
  std::vector<Secret> secrets;  // every hit of KeepsAll patterns, capped at 10,000
  bool Has(Ind i) const { return count[static_cast<std::size_t>(i)] > 0; }
  std::uint32_t Count(Ind i) const { return count[static_cast<std::size_t>(i)]; }
  std::uint64_t End(Ind i) const { return first_end[static_cast<std::size_t>(i)]; }
  void Clear() {
    count.fill(0);
    first_end.fill(0);
    secrets.clear();
  }
};

class PatternEngine {
 public:
  static absl::StatusOr<std::unique_ptr<PatternEngine>> Create();
  ~PatternEngine();
  // Adds this data's hits to `hits` (offsets relative to `data`). Thread-safe. `code` false
  // runs only the secret patterns (a smaller, faster database for docs, JSON and types).
  absl::Status Scan(std::string_view data, PatternHits* hits, bool code = true) const;

 private:
  PatternEngine() = default;
  hs_scratch* TakeScratch() const;
  void ReturnScratch(hs_scratch* s) const;

  hs_database* db_ = nullptr;
  hs_database* secrets_db_ = nullptr;
  hs_scratch* proto_ = nullptr;
  mutable std::mutex mu_;
  mutable std::vector<hs_scratch*> free_;
};

}  // namespace bulwark::scan
