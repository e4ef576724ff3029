#pragma once
// JavaScript facts for the scanner rules, from a real parse (tree-sitter, JavaScript grammar):
// calls resolved through require/import aliases (`const cp = require('child_process');
// cp.exec(...)`, `const {exec: run} = ...`, `require('child' + '_process')`), string constants
// folded (concatenation, template strings without substitutions, `const` names, path.join,
// os.homedir) and literals decoded where constant (base64 / hex via Buffer.from or atob,
// String.fromCharCode, split-reverse-join). Outside input: bounded time, depth and memory.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::scan {

struct JsEvent {
  enum class Kind : std::uint8_t {
    kSpawn,            // child_process.* (detail: folded command); silent = detached/ignored stdio
    kEvalDecoded,      // eval / Function / vm fed by decoded data
    kEvalDynamic,      // eval / Function / vm fed by something not constant
    kHiddenRequire,    // require() of a name built or decoded at run time
    kNetwork,          // http(s)/net/tls/dns/fetch/... call (detail: folded URL or host)
    kDns,              // dns.* lookups (also kNetwork)
    kEnvWhole,         // JSON.stringify(process.env), Object.entries(process.env), ...
    kCredRead,         // fs read of a credential path (detail: the path)
    kWorkflowWrite,    // fs write under .github/workflows
    kPackageJsonWrite, // fs write of a package.json
    kFileWrite,        // other fs writes
    kDirWalk,          // readdir
    kChmod,            // chmod to executable
    kSysinfo,          // os.hostname/userInfo/homedir/networkInterfaces
  };
  Kind kind;
  std::uint32_t line = 0;  // 1-based
  std::string detail;
  bool silent = false;
};

struct JsFacts {
  bool parsed = false;      // false: parser gave up (timeout); events may be partial
  std::uint32_t decoded = 0;  // constants that decode (base64/hex/char codes) to a value
  std::vector<JsEvent> events;
  // Strings the program builds at run time that the raw bytes do not show: folded
  // concatenations, decoded literals, sink arguments. The scanner runs its indicator patterns
  // over them. Parallel vectors: text and the 1-based line it came from.
  std::vector<std::string> strings;
  std::vector<std::uint32_t> string_lines;
};

// Bounded: parse time (~2 s), recursion depth, folded-string sizes. Files with more than 40,000
// opening brackets are not parsed (parsed == false; see the .cc for why).
JsFacts AnalyzeJs(std::string_view source);

// Lenient decoders used by the folding (and unit-tested): nullopt-like empty + false on failure.
bool DecodeBase64Loose(std::string_view in, std::string* out);
bool DecodeHexLoose(std::string_view in, std::string* out);

}  // namespace bulwark::scan
