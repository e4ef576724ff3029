// The scanner's JavaScript path on arbitrary bytes: the tree-sitter analysis (aliases, constant
// folding, decoding) and every rule over it. Byte 0 picks where the input goes: a .js file of a
// package (most inputs), a package.json (install scripts, inline `node -e` code, dependencies)
// or a shell script. Checks the report invariants callers rely on.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "security/scan/js_analysis.h"
#include "security/scan/scanner.h"

namespace {

const bulwark::scan::Scanner& TheScanner() {
  static const bulwark::scan::Scanner* s = [] {
    auto created = bulwark::scan::Scanner::Create({});
    if (!created.ok()) abort();
    return created->release();
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > (1 << 20)) return 0;
  std::string_view all(reinterpret_cast<const char*>(data), size);
  char mode = all[0] % 4;
  std::string body(all.substr(1));
  (void)bulwark::scan::AnalyzeJs(body);

  std::string manifest = R"({"name":"f","version":"1.0.0","scripts":{"postinstall":"node a.js"}})";
  bulwark::scan::PackageFiles files;
  if (mode == 1) manifest = body;
  files.package_json = manifest;
  const char* path = mode == 2 ? "run.sh" : "a.js";
  files.files.push_back({"package.json", manifest, manifest.size(), 0644, true});
  if (mode != 1) files.files.push_back({path, body, body.size(), 0644, true});
  auto report = TheScanner().Scan(files);
  if (!report.ok()) abort();  // content never makes the engine fail
  bulwark::scan::Verdict max = bulwark::scan::Verdict::kClean;
  for (const auto& f : report->findings) {
    if (f.evidence.size() > 200 || f.rule_id.empty() || f.explanation.empty()) abort();
    for (unsigned char c : f.evidence) {
      if (c < 0x20 || c == 0x7f) abort();
    }
    if (f.suggests > max) max = f.suggests;
  }
  if (report->verdict != max) abort();
  return 0;
}
