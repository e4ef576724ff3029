#pragma once
// The publish-time scanning engine (issue 4, docs/scanning.md): the unpacked files of one
// package in, a ScanReport (include/bulwark/scan/findings.h) out. Pure: no storage, no network,
// no clock. Built once (rule databases compiled at Create) and then used from any thread.
//
//   auto scanner = scan::Scanner::Create({.rule_dirs = {"/etc/bulwark/scan-rules"}});
//   auto report = (*scanner)->ScanTarball(gzipped_bytes);   // or Scan(PackageFiles)
//
// Engines: tree-sitter (JavaScript parsed for real: calls, require aliases, folded string
// constants and decoded literals), Hyperscan (built-in indicators and secret shapes, one pass
// over every file) and YARA (a rule pack admins extend without a rebuild, plus SHA-256 lists of
// known-malicious files).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"
#include "bulwark/scan/findings.h"
#include "packaging/tarball.h"

namespace bulwark::scan {

// One file of the package. `content` must outlive the Scan call; when the reader did not keep
// the bytes (content_kept false) only name, size and mode rules apply.
struct ScanFile {
  std::string_view path;  // Relative to the package root ("package/" stripped).
  std::string_view content;
  std::uint64_t size = 0;
  std::uint32_t mode = 0;
  bool content_kept = true;
};

struct PackageFiles {
  std::string_view package_json;  // Bytes of package.json (also present in `files`, or not).
  std::vector<ScanFile> files;
};

// A view of what ReadTarball returned (which must outlive the view).
PackageFiles FilesOf(const TarballContents& contents);

// The registry core's tarball limits, keeping file contents up to 16 MiB so the scanner sees
// bundles like Shai-Hulud's 3.6 MB one.
TarballLimits ScanTarballLimits();

struct ScannerOptions {
  // Extra rule-pack folders: every *.yar / *.yara file is compiled with the built-in pack and
  // every *.sha256 file lists known-malicious files ("<64 hex> [label]" a line, # comments).
  std::vector<std::string> rule_dirs;
  // JavaScript files larger than this are not parsed (pattern rules still see them).
  std::uint64_t max_parse_bytes = 192ull << 10;
  // Files larger than this are not content-scanned at all (only name/size/hash rules).
  std::uint64_t max_scan_bytes = 16ull << 20;
};

class Scanner {
 public:
  // InvalidArgument naming file and line when a rule-pack file does not compile.
  static absl::StatusOr<std::unique_ptr<Scanner>> Create(const ScannerOptions& options);
  ~Scanner();
  Scanner(const Scanner&) = delete;
  Scanner& operator=(const Scanner&) = delete;

  // Thread-safe. Errors only for engine failures (the caller's fail-open/closed policy applies);
  // any content, however hostile, yields a report.
  absl::StatusOr<ScanReport> Scan(const PackageFiles& files) const;
  // ReadTarball under ScanTarballLimits, then Scan. Bad archives: the reader's error.
  absl::StatusOr<ScanReport> ScanTarball(std::string_view gzipped) const;

  // How many YARA rules and known-bad hashes are loaded (for `bulwark doctor` style output).
  std::size_t yara_rule_count() const;
  std::size_t known_hash_count() const;

  class Impl;

 private:
  explicit Scanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---- Secrets: exported so the publish gate can act on what the scanner reported. ----

// This registry's tokens ("bwk_" + 30 base62 + 6 base62 CRC32; docs/tokens.md), checksum valid.
struct LeakedToken {
  std::string token;
  std::string file;
  std::uint32_t line = 0;
};
std::vector<LeakedToken> FindRegistryTokens(const PackageFiles& files);
std::vector<LeakedToken> FindRegistryTokens(std::string_view bytes);  // file left empty

// Checksum checks: `prefix` + 30 base62 + base62(CRC32 of the 30), 6 characters.
bool IsChecksummedToken(std::string_view token, std::string_view prefix);

// Rule ids the engine can emit (stable; docs/scanning.md explains each).
const std::vector<std::string_view>& RuleIds();

}  // namespace bulwark::scan
