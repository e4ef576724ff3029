#include "security/scan/scanner.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "base/hash.h"
#include "base/json.h"
#include "base/strings.h"
#include "security/scan/js_analysis.h"
#include "security/scan/patterns.h"
#include "security/scan/yara_pack.h"

namespace bulwark::scan {

namespace {

enum class Kind { kJs, kTypes, kShell, kJson, kText, kBinary, kMedia };

std::string Lower(std::string_view s) { return AsciiStrToLower(s); }

std::string_view BaseName(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view Extension(std::string_view path) {
  std::string_view base = BaseName(path);
  std::size_t dot = base.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? std::string_view{} : base.substr(dot);
}

bool IsUnderTestDir(std::string_view path) {
  std::string p = "/" + Lower(path);
  for (std::string_view d : {"/test/", "/tests/", "/__tests__/", "/fixtures/", "/fixture/",
                             "/example/", "/examples/", "/docs/", "/doc/", "/spec/",
                             "/testdata/", "/test-data/", "/samples/", "/sample/", "/demo/"}) {
    if (StrContains(p, d)) return true;
  }
  return false;
}

enum class Magic { kNone, kElf, kPe, kMachO };

Magic BinaryMagic(std::string_view c) {
  if (c.size() >= 4 && std::memcmp(c.data(), "\x7f" "ELF", 4) == 0) return Magic::kElf;
  if (c.size() >= 64 && c[0] == 'M' && c[1] == 'Z') {
    std::uint32_t off = static_cast<unsigned char>(c[60]) |
                        (static_cast<unsigned char>(c[61]) << 8) |
                        (static_cast<unsigned char>(c[62]) << 16) |
                        (static_cast<std::uint32_t>(static_cast<unsigned char>(c[63])) << 24);
    if (off + 4 <= c.size() && std::memcmp(c.data() + off, "PE\0\0", 4) == 0) return Magic::kPe;
  }
  if (c.size() >= 4) {
    std::uint32_t m;
    std::memcpy(&m, c.data(), 4);
    if (m == 0xfeedface || m == 0xfeedfacf || m == 0xcefaedfe || m == 0xcffaedfe) {
      return Magic::kMachO;
    }
  }
  return Magic::kNone;
}

Kind Classify(const ScanFile& f) {
  if (StartsWith(f.path, "package.json#")) return Kind::kJs;  // inline `node -e` install code
  std::string ext = Lower(Extension(f.path));
  std::string_view c = f.content;
  static const std::set<std::string, std::less<>> kMedia = {
      ".png", ".jpg", ".jpeg", ".gif", ".ico", ".webp", ".bmp", ".woff", ".woff2", ".ttf",
      ".eot", ".otf", ".mp3", ".mp4", ".wav", ".ogg", ".webm", ".pdf", ".zip", ".gz", ".tgz",
      ".br", ".wasm", ".map", ".avif", ".psd"};
  if (kMedia.count(ext)) return Kind::kMedia;
  if (BinaryMagic(c) != Magic::kNone) return Kind::kBinary;
  std::string_view head = c.substr(0, 1024);
  if (head.find('\0') != std::string_view::npos) return Kind::kBinary;
  if (EndsWith(Lower(f.path), ".d.ts") || EndsWith(Lower(f.path), ".d.mts") ||
      EndsWith(Lower(f.path), ".d.cts")) {
    return Kind::kTypes;
  }
  if (ext == ".js" || ext == ".cjs" || ext == ".mjs" || ext == ".jsx" || ext == ".ts" ||
      ext == ".tsx" || ext == ".mts" || ext == ".cts") {
    return Kind::kJs;
  }
  if (ext == ".sh" || ext == ".bash" || ext == ".zsh" || ext == ".bat" || ext == ".cmd" ||
      ext == ".ps1" || ext == ".command") {
    return Kind::kShell;
  }
  if (StartsWith(c, "#!")) {
    std::string_view first = c.substr(0, c.find('\n'));
    return StrContains(first, "node") ? Kind::kJs : Kind::kShell;
  }
  if (ext == ".json") return Kind::kJson;
  return Kind::kText;
}

bool IsCode(Kind k) { return k == Kind::kJs || k == Kind::kShell; }

// A quoted run of `min` base64 characters.
bool HasBase64Literal(std::string_view c, std::size_t min) {
  std::size_t run = 0;
  bool quoted = false;
  for (char ch : c) {
    bool b64 = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
               ch == '+' || ch == '/';
    if (b64 && quoted) {
      if (++run >= min) return true;
      continue;
    }
    quoted = ch == '"' || ch == '\'';
    run = 0;
  }
  return false;
}

// Offset of code placed after a run of 200+ spaces/tabs on a line, from `from` on; npos if none.
std::size_t HiddenCodeAfterWhitespace(std::string_view c, std::size_t from) {
  from = std::min(from, c.size());
  std::size_t nl = from == 0 ? std::string_view::npos : c.rfind('\n', from - 1);
  from = nl == std::string_view::npos ? 0 : nl + 1;  // the whole line the run is on
  std::size_t run = 0;
  bool code_before = false;
  for (std::size_t i = from; i < c.size(); ++i) {
    char ch = c[i];
    if (ch == ' ' || ch == '\t') {
      ++run;
      continue;
    }
    if (ch == '\n' || ch == '\r') {
      run = 0;
      code_before = false;
      continue;
    }
    bool word = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                ch == '_' || ch == '$' || ch == '(' || ch == '{' || ch == ';' || ch == '=';
    if (run >= 200 && code_before && word) return i;
    run = 0;
    code_before = true;
  }
  return std::string_view::npos;
}

bool IsTypeScript(std::string_view path) {
  std::string ext = Lower(Extension(path));
  return ext == ".ts" || ext == ".tsx" || ext == ".mts" || ext == ".cts";
}

// Signatures run where code or payloads live, not over documentation, JSON and type files.
bool WantsSignatures(Kind k, std::string_view path) {
  if (k == Kind::kJson || k == Kind::kTypes || k == Kind::kMedia) return false;
  if (k == Kind::kText) {
    std::string ext = Lower(Extension(path));
    for (std::string_view doc : {".md", ".markdown", ".txt", ".rst", ".css", ".scss", ".less",
                                 ".yml", ".yaml", ".toml", ".flow", ".snap", ".svg", ".xml",
                                 ".csv", ".lock", ".license", ".html", ".htm"}) {
      if (ext == doc) return false;
    }
    std::string base = Lower(BaseName(path));
    if (StartsWith(base, "license") || StartsWith(base, "licence") ||
        StartsWith(base, "changelog") || StartsWith(base, "readme")) {
      return false;
    }
  }
  return true;
}

std::uint32_t LineOf(std::string_view c, std::uint64_t offset) {
  offset = std::min<std::uint64_t>(offset, c.size());
  return 1 + static_cast<std::uint32_t>(std::count(c.begin(), c.begin() + offset, '\n'));
}

bool NeedsEscape(std::string_view s) {
  for (std::size_t i = 0; i + 2 < s.size(); ++i) {
    unsigned char a = s[i], b = s[i + 1], c = s[i + 2];
    if (a == 0xE2 && ((b == 0x80 && c >= 0xAA && c <= 0xAE) ||
                      (b == 0x81 && c >= 0xA6 && c <= 0xA9) || (b == 0x80 && c >= 0x8B && c <= 0x8F))) {
      return true;
    }
    if (a == 0xE3 && b == 0x85 && c == 0xA4) return true;
    if (a == 0xEF && b == 0xBE && c == 0xA0) return true;
    if (a == 0xF3 && b == 0xA0) return true;
  }
  return false;
}

// <= 200 bytes around `offset` on its line, control characters (and, when the excerpt holds
// invisible or bidi characters, all non-ASCII bytes) escaped.
std::string Excerpt(std::string_view c, std::uint64_t offset) {
  offset = std::min<std::uint64_t>(offset, c.size());
  std::size_t start = c.rfind('\n', offset == 0 ? 0 : offset - 1);
  start = start == std::string_view::npos ? 0 : start + 1;
  if (offset > 0 && c[offset - 1] == '\n') start = offset;
  std::size_t end = c.find('\n', offset);
  if (end == std::string_view::npos) end = c.size();
  if (offset - start > 100) start = offset - 100;
  if (end - start > 180) end = start + 180;
  while (start < end && (static_cast<unsigned char>(c[start]) & 0xC0) == 0x80) ++start;
  while (end > start && end < c.size() && (static_cast<unsigned char>(c[end]) & 0xC0) == 0x80) --end;
  std::string_view piece = c.substr(start, end - start);
  bool all = NeedsEscape(piece);
  std::string out;
  for (unsigned char ch : piece) {
    if (ch < 0x20 || ch == 0x7F || (all && ch >= 0x80)) {
      if (ch == '\t') { out += ' '; continue; }
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    } else {
      out += static_cast<char>(ch);
    }
    if (out.size() >= 200) break;
  }
  std::string_view trimmed = StripAsciiWhitespace(out);
  return std::string(trimmed.substr(0, 200));
}

std::uint64_t OffsetOfLine(std::string_view c, std::uint32_t line) {
  std::uint64_t pos = 0;
  for (std::uint32_t l = 1; l < line; ++l) {
    std::size_t nl = c.find('\n', pos);
    if (nl == std::string_view::npos) return c.size();
    pos = nl + 1;
  }
  return pos;
}

std::string Redact(std::string_view token) {
  std::size_t keep = std::min<std::size_t>(token.size(), 8);
  return StrCat(token.substr(0, keep), "…(redacted, ", token.size(), " chars)");
}

bool LooksPlaceholder(std::string_view v) {
  std::string l = Lower(v);
  for (std::string_view p : {"xxxx", "your", "token", "example", "<", "placeholder", "redacted",
                             "changeme", "dummy", "fake", "0000000", "aaaaaaa", "1234567", "..."}) {
    if (StrContains(l, p)) return true;
  }
  return false;
}

bool IsAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool IsPrivateIp(std::string_view url) {
  std::size_t p = url.find("://");
  if (p == std::string_view::npos) return true;
  std::string_view host = url.substr(p + 3);
  auto parts = StrSplit(host.substr(0, host.find_first_not_of("0123456789.")), '.');
  if (parts.size() < 4) return true;
  int a = 0, b = 0;
  SimpleAtoi(parts[0], &a);
  SimpleAtoi(parts[1], &b);
  if (a == 10 || a == 127 || a == 0 || (a == 192 && b == 168) || (a == 172 && b >= 16 && b < 32) ||
      (a == 169 && b == 254) || a >= 224) {
    return true;
  }
  std::string h(host.substr(0, host.find_first_not_of("0123456789.")));
  return h == "1.1.1.1" || h == "8.8.8.8" || h == "8.8.4.4" || h == "255.255.255.255" ||
         h == "1.2.3.4";
}

constexpr std::string_view kAllRuleIds[] = {
    "install-script", "install-script-download-exec", "install-script-inline-code",
    "dependency-url", "child-process-silent", "install-silent-spawn", "eval-decoded",
    "hidden-require", "eval-remote", "obfuscated-code", "jsfuck", "packer", "hidden-code-whitespace",
    "unicode-bidi", "invisible-unicode", "obfuscated-payload", "credential-read",
    "env-serialize", "exfil-webhook", "exfil-suspicious-host", "raw-ip-url", "ip-lookup",
    "exfiltration", "dns-exfiltration", "download-exec", "install-download-exec",
    "workflow-write", "self-propagation", "wallet-hijack", "destructive-write",
    "bundled-binary", "install-runs-binary", "known-malicious-file", "secret-registry-token", "secret-npm-token",
    "secret-github-token", "secret-aws-key", "secret-slack-token", "secret-private-key",
    "secret-npmrc-auth", "secret-env-file", "env-file", "sig-*"};

struct FileCtx {
  const ScanFile* file;
  Kind kind;
  PatternHits hits;          // raw bytes
  PatternHits dhits;         // folded/decoded strings
  std::string dbuf;          // the folded strings, '\n'-joined
  std::vector<std::pair<std::uint64_t, std::uint32_t>> dlines;  // start offset -> line
  JsFacts js;
  bool parsed = false;
  bool install = false;      // run by an install script
  std::set<std::string> caps;

  bool Has(Ind i) const { return hits.Has(i) || dhits.Has(i); }
  bool HasEvent(JsEvent::Kind k) const {
    for (const auto& e : js.events) if (e.kind == k) return true;
    return false;
  }
  const JsEvent* Event(JsEvent::Kind k) const {
    for (const auto& e : js.events) if (e.kind == k) return &e;
    return nullptr;
  }
  std::uint32_t LineOfHit(Ind i) const {
    if (hits.Has(i)) return LineOf(file->content, hits.End(i));
    std::uint64_t end = dhits.End(i);
    std::uint32_t line = 0;
    for (const auto& [off, l] : dlines) {
      if (off > end) break;
      line = l;
    }
    return line;
  }
  std::string EvidenceOfHit(Ind i) const {
    if (hits.Has(i)) {
      std::uint64_t end = hits.End(i);
      return Excerpt(file->content, end > 0 ? end - 1 : 0);
    }
    std::uint64_t end = dhits.End(i);
    return StrCat("decoded: ", Excerpt(dbuf, end > 0 ? end - 1 : 0));
  }
  std::string EvidenceOfLine(std::uint32_t line) const {
    return Excerpt(file->content, OffsetOfLine(file->content, line));
  }
};

}  // namespace

class Scanner::Impl {
 public:
  ScannerOptions options;
  std::unique_ptr<PatternEngine> patterns;
  std::unique_ptr<YaraPack> yara;
  std::unordered_map<std::string, std::string> known_hashes;  // raw sha256 -> label

  absl::StatusOr<ScanReport> Scan(const PackageFiles& files) const;

 private:
  struct Run {
    ScanReport report;
    std::set<std::string> caps;
    void Add(std::string rule, Severity sev, Verdict v, std::string_view file, std::uint32_t line,
             std::string evidence, std::string explanation) {
      if (report.findings.size() >= 500) return;
      if (evidence.size() > 200) evidence.resize(200);
      report.findings.push_back(Finding{std::move(rule), sev, v, std::string(file), line,
                                        std::move(evidence), std::move(explanation)});
    }
  };

  void ManifestRules(const PackageFiles& files, Run& run, std::set<std::string>& install_files,
                     std::vector<std::pair<std::string, std::string>>& inline_code) const;
  absl::Status ScanFileContent(FileCtx& ctx) const;
  void FileRules(FileCtx& ctx, Run& run) const;
  void SecretRules(const FileCtx& ctx, Run& run) const;
};

// ---------------------------------------------------------------------------------------------
// package.json

namespace {

bool BenignInstallScript(std::string_view s) {
  std::string l = Lower(StripAsciiWhitespace(s));
  for (std::string_view p :
       {"node-gyp rebuild", "node-gyp-build", "prebuild-install", "node-pre-gyp install",
        "husky install", "husky", "patch-package", "opencollective-postinstall",
        "opencollective postinstall", "npx only-allow", "is-ci ||", "exit 0", "echo ",
        "ngcc", "prisma generate", "nuxt prepare", "tsc", "cmake-js", "node-gyp configure",
        "electron-builder install-app-deps", "lerna bootstrap", "npm run build"}) {
    if (StartsWith(l, p)) return true;
  }
  return l.empty();
}

std::vector<std::string_view> Words(std::string_view s) {
  return StrSplit(s, ByAnyChar{" \t&|;()\"'<>="}, SkipEmpty());
}

}  // namespace

void Scanner::Impl::ManifestRules(
    const PackageFiles& files, Run& run, std::set<std::string>& install_files,
    std::vector<std::pair<std::string, std::string>>& inline_code) const {
  auto parsed = ParseJson(files.package_json);
  if (!parsed.ok() || !parsed->is_object()) return;
  const json::object& pkg = parsed->as_object();
  std::set<std::string, std::less<>> paths;
  for (const ScanFile& f : files.files) paths.insert(std::string(f.path));

  if (const json::object* scripts = GetObject(pkg, "scripts")) {
    for (std::string_view hook : {"preinstall", "install", "postinstall"}) {
      auto script = GetString(*scripts, hook);
      if (!script) continue;
      run.caps.insert("install-script");
      std::string evidence = StrCat("\"", hook, "\": \"", *script, "\"");
      // What it runs: files of the package named on the command line, inline node code.
      for (std::string_view w : Words(*script)) {
        std::string_view p = w;
        ConsumePrefix(&p, "./");
        if (paths.count(p)) install_files.insert(std::string(p));
        else if (paths.count(StrCat(p, ".js"))) install_files.insert(StrCat(p, ".js"));
        else if (paths.count(StrCat(p, "/index.js"))) install_files.insert(StrCat(p, "/index.js"));
      }
      std::size_t e = script->find("node -e ");
      if (e == std::string_view::npos) e = script->find("node --eval ");
      if (e != std::string_view::npos) {
        std::string_view code = script->substr(script->find(' ', e + 5) + 1);
        if (!code.empty() && (code.front() == '"' || code.front() == '\'')) {
          code = code.substr(1, code.rfind(code.front()) > 0 ? code.rfind(code.front()) - 1
                                                             : code.size() - 1);
        }
        inline_code.emplace_back(StrCat("package.json#scripts.", hook), std::string(code));
        run.Add("install-script-inline-code", Severity::kMedium, Verdict::kWarn, "package.json",
                0, evidence,
                StrCat("The ", hook, " script runs inline JavaScript on every install."));
      }
      PatternHits hits;
      (void)patterns->Scan(*script, &hits);
      if (hits.Has(Ind::kDownloadExecShell) || hits.Has(Ind::kWebhook) ||
          hits.Has(Ind::kShadyHost) || (hits.Has(Ind::kRawIpUrl) && hits.Has(Ind::kChmodX))) {
        run.Add("install-script-download-exec", Severity::kCritical, Verdict::kHold,
                "package.json", 0, evidence,
                StrCat("The ", hook,
                       " script downloads something and runs it (or talks to a paste, tunnel "
                       "or webhook host) on every install."));
      } else if (BenignInstallScript(*script)) {
        run.Add("install-script", Severity::kInfo, Verdict::kClean, "package.json", 0, evidence,
                StrCat("The ", hook, " script runs a common build step on install."));
      } else {
        Severity sev = hook == "preinstall" ? Severity::kMedium : Severity::kLow;
        run.Add("install-script", sev, Verdict::kWarn, "package.json", 0, evidence,
                StrCat("The ", hook,
                       " script runs code on every install, before anyone has used the package."));
      }
    }
  }

  for (std::string_view section : {"dependencies", "optionalDependencies", "peerDependencies"}) {
    const json::object* deps = GetObject(pkg, section);
    if (!deps) continue;
    for (const auto& [name, value] : *deps) {
      if (!value.is_string()) continue;
      std::string_view spec = value.as_string();
      std::string l = Lower(spec);
      bool url = StartsWith(l, "http:") || StartsWith(l, "https:") || StartsWith(l, "git:") ||
                 StartsWith(l, "git+") || StartsWith(l, "github:") || StartsWith(l, "gitlab:") ||
                 StartsWith(l, "bitbucket:") || StartsWith(l, "file:") || EndsWith(l, ".tgz") ||
                 EndsWith(l, ".tar.gz");
      // "user/repo" GitHub shorthand (not a scope, not a range).
      if (!url && l.find('/') != std::string::npos && l.find(' ') == std::string::npos &&
          !StartsWith(l, "@") && !StartsWith(l, "npm:") && !StartsWith(l, "workspace:") &&
          !StartsWith(l, "link:") && !StartsWith(l, "portal:")) {
        url = true;
      }
      if (!url) continue;
      run.Add("dependency-url", StartsWith(l, "http:") ? Severity::kMedium : Severity::kLow,
              Verdict::kWarn, "package.json", 0,
              StrCat("\"", std::string_view(name), "\": \"", spec, "\""),
              StrCat("The ", section, " entry ", std::string_view(name),
                     " comes from a URL, git or a tarball instead of the registry, so what it "
                     "installs can change without a new version here."));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// per file

absl::Status Scanner::Impl::ScanFileContent(FileCtx& ctx) const {
  std::string_view c = ctx.file->content;
  BULWARK_RETURN_IF_ERROR(patterns->Scan(c, &ctx.hits, IsCode(ctx.kind)));
  if (ctx.kind != Kind::kJs || IsTypeScript(ctx.file->path)) return absl::OkStatus();
  if (c.size() > options.max_parse_bytes) return absl::OkStatus();
  const PatternHits& h = ctx.hits;
  // Parsing is the expensive step (tree-sitter runs at tens of MB/s), so only files that show
  // a capability together with a hint of intent are parsed; the rules fall back to the
  // pattern hits for the rest.
  const bool decode = h.Has(Ind::kDecode) || h.Has(Ind::kHexBlob);
  const bool intent = h.Has(Ind::kCredPath) || h.Has(Ind::kWebhook) || h.Has(Ind::kShadyHost) ||
                      h.Has(Ind::kRawIpUrl) || h.Has(Ind::kIpLookup) || h.Has(Ind::kNpmPublish) ||
                      h.Has(Ind::kWorkflowPath) || h.Has(Ind::kEnvWhole) || h.Has(Ind::kDetached) ||
                      h.Has(Ind::kTrufflehog) || h.Has(Ind::kDownloadExecShell) ||
                      h.Has(Ind::kWalletHook);
  const bool capability = h.Has(Ind::kChildProcess) || h.Has(Ind::kEval) ||
                          h.Has(Ind::kNetModule) || h.Has(Ind::kFsModule) ||
                          h.Has(Ind::kDynamicRequire);
  // Decoding matters where it feeds a sink that runs code (eval, processes, require); browser
  // bundles decode base64 all the time.
  const bool sink = h.Has(Ind::kChildProcess) || h.Has(Ind::kEval) || h.Has(Ind::kDynamicRequire);
  // A long base64 literal is common in bundles (fonts, images); with a file system and a
  // network module both, it is how node-ipc hid its target paths and geo-lookup URL.
  const bool blob = h.Has(Ind::kFsModule) && h.Has(Ind::kNetModule) && HasBase64Literal(c, 60);
  bool worth = ctx.install || (capability && intent) || (sink && decode) || blob ||
               h.Count(Ind::kHexIdent) >= 10 || (h.Has(Ind::kDecode) && h.Has(Ind::kHexBlob)) ||
               (h.Count(Ind::kHexBlob) >= 4 && c.size() < (64 << 10));  // a table of hex strings
  if (!worth) return absl::OkStatus();
  ctx.js = AnalyzeJs(c);
  ctx.parsed = ctx.js.parsed;
  for (std::size_t i = 0; i < ctx.js.strings.size(); ++i) {
    ctx.dlines.emplace_back(ctx.dbuf.size(), ctx.js.string_lines[i]);
    ctx.dbuf += ctx.js.strings[i];
    ctx.dbuf += '\n';
  }
  if (!ctx.dbuf.empty()) BULWARK_RETURN_IF_ERROR(patterns->Scan(ctx.dbuf, &ctx.dhits));
  return absl::OkStatus();
}

void Scanner::Impl::FileRules(FileCtx& ctx, Run& run) const {
  using K = JsEvent::Kind;
  const std::string_view path = ctx.file->path;
  const bool code = IsCode(ctx.kind);
  const bool js = ctx.kind == Kind::kJs;
  if (!code) return;

  auto add_hit = [&](std::string rule, Severity sev, Verdict v, Ind i, std::string expl) {
    run.Add(std::move(rule), sev, v, path, ctx.LineOfHit(i), ctx.EvidenceOfHit(i), std::move(expl));
  };
  auto add_event = [&](std::string rule, Severity sev, Verdict v, const JsEvent& e,
                       std::string expl) {
    run.Add(std::move(rule), sev, v, path, e.line, ctx.EvidenceOfLine(e.line), std::move(expl));
  };

  // ---- facts ----
  const bool net = ctx.HasEvent(K::kNetwork) || ctx.hits.Has(Ind::kNetModule);
  const bool spawn = ctx.HasEvent(K::kSpawn) || (!ctx.parsed && ctx.hits.Has(Ind::kChildProcess));
  const JsEvent* silent = nullptr;
  for (const auto& e : ctx.js.events) if (e.kind == K::kSpawn && e.silent) { silent = &e; break; }
  const bool env_whole = ctx.HasEvent(K::kEnvWhole) || ctx.hits.Has(Ind::kEnvWhole);
  // Credential reads seen by the parser; in files too large to parse, a credential path next to
  // an fs module is only a weak sign (bundles mention ".npmrc" to detect package managers).
  const bool creds = ctx.HasEvent(K::kCredRead) || ctx.Has(Ind::kTrufflehog);
  const bool creds_weak =
      creds || (!ctx.parsed && ctx.Has(Ind::kCredPath) && ctx.hits.Has(Ind::kFsModule));
  const bool sysinfo = ctx.HasEvent(K::kSysinfo) && ctx.Has(Ind::kSysinfo);
  bool public_ip = false;
  std::uint64_t ip_end = 0;
  for (const auto& s : ctx.hits.secrets) {
    if (s.id != Ind::kRawIpUrl) continue;
    std::string_view c = ctx.file->content;
    std::size_t from = c.rfind("://", s.end);
    std::size_t begin = from == std::string_view::npos ? 0 : c.find_last_of("\"'` (", from);
    begin = begin == std::string_view::npos ? 0 : begin + 1;
    if (!IsPrivateIp(c.substr(begin, s.end - begin))) { public_ip = true; ip_end = s.end; break; }
  }
  const bool dest = ctx.Has(Ind::kWebhook) || ctx.Has(Ind::kShadyHost) || public_ip;
  const std::uint32_t hex_idents = ctx.hits.Count(Ind::kHexIdent);
  const bool string_array = ctx.Has(Ind::kStringArrayRotate) || ctx.Has(Ind::kWhileBang);
  const bool obf_tool = (hex_idents >= 25 && string_array) || hex_idents >= 200 ||
                        (string_array && hex_idents >= 5);
  const bool jsfuck = js && ctx.hits.Count(Ind::kJsFuck) >= 10;
  const bool packer = ctx.hits.Has(Ind::kPacker);
  const std::size_t hidden_at =
      js && ctx.hits.Has(Ind::kHiddenWhitespace)
          ? HiddenCodeAfterWhitespace(ctx.file->content, ctx.hits.End(Ind::kHiddenWhitespace) - 100)
          : std::string_view::npos;
  const bool hidden_ws = hidden_at != std::string_view::npos;
  const bool invisible = js && ctx.hits.Has(Ind::kInvisible);
  const JsEvent* hidden_req = ctx.Event(K::kHiddenRequire);
  bool dangerous_req = false;
  if (hidden_req) {
    for (std::string_view m : {"child_process", "node:child_process", "http", "https", "net",
                               "dns", "fs", "os", "vm", "tls", "node:http", "node:https",
                               "node:fs", "node:os", "node:net", "node:dns", "node:vm"}) {
      if (hidden_req->detail == m) dangerous_req = true;
    }
  }
  const bool obfuscated = obf_tool || jsfuck || packer || hidden_ws || invisible || dangerous_req;
  const JsEvent* eval_dec = ctx.Event(K::kEvalDecoded);
  const bool eval_dyn = ctx.HasEvent(K::kEvalDynamic);
  const bool dl_exec = ctx.Has(Ind::kDownloadExecShell) ||
                       (ctx.kind == Kind::kShell && ctx.Has(Ind::kFetchTool) &&
                        ctx.Has(Ind::kChmodX));
  const bool wallet = ctx.Has(Ind::kWalletHook);

  // ---- capabilities ----
  if (net || dest) run.caps.insert("network");
  if (spawn || ctx.hits.Has(Ind::kChildProcess) || ctx.kind == Kind::kShell) run.caps.insert("shell");
  if (ctx.hits.Has(Ind::kFsModule)) run.caps.insert("filesystem");
  if (ctx.hits.Has(Ind::kEval) || eval_dec || eval_dyn) run.caps.insert("eval");
  if (env_whole) run.caps.insert("env");
  if (creds) run.caps.insert("credentials");
  if (obfuscated) run.caps.insert("obfuscated");

  // ---- single signals ----
  if (obf_tool) {
    Ind i = ctx.Has(Ind::kStringArrayRotate) ? Ind::kStringArrayRotate
            : ctx.Has(Ind::kWhileBang)       ? Ind::kWhileBang
                                             : Ind::kHexIdent;
    add_hit("obfuscated-code", Severity::kMedium, Verdict::kWarn, i,
            StrCat("Output of a JavaScript obfuscator (", hex_idents,
                   " _0x names, string-array rotation): the code hides what it does."));
  }
  if (jsfuck) {
    add_hit("jsfuck", Severity::kHigh, Verdict::kWarn, Ind::kJsFuck,
            "JSFuck-style code written only with []()!+ characters.");
  }
  if (packer) {
    add_hit("packer", Severity::kHigh, Verdict::kWarn, Ind::kPacker,
            "Dean Edwards packer output: code unpacked and run with eval.");
  }
  if (hidden_ws) {
    run.Add("hidden-code-whitespace", Severity::kHigh, Verdict::kWarn, path,
            LineOf(ctx.file->content, hidden_at), Excerpt(ctx.file->content, hidden_at),
            "Code placed after a long run of spaces, off the right edge of an editor or diff.");
  }
  if (js && ctx.hits.Has(Ind::kBidi)) {
    add_hit("unicode-bidi", Severity::kMedium, Verdict::kWarn, Ind::kBidi,
            "Bidirectional-override characters in code: what is shown differs from what runs "
            "(Trojan Source).");
  }
  if (invisible) {
    add_hit("invisible-unicode", Severity::kHigh, Verdict::kWarn, Ind::kInvisible,
            "Invisible Unicode characters (Hangul fillers or tag characters) in code, used to "
            "hide identifiers or a payload.");
  }
  if (hidden_req) {
    add_event("hidden-require", Severity::kHigh, Verdict::kHold, *hidden_req,
              StrCat("Loads the module \"", hidden_req->detail,
                     "\" under a name built or decoded at run time, hiding the import."));
  }
  if (eval_dec) {
    add_event("eval-decoded", Severity::kHigh, Verdict::kHold, *eval_dec,
              "Runs code that is decoded at run time (base64, hex or char codes) with eval, "
              "Function or vm: the package hides the code it executes.");
  }
  if (silent) {
    add_event("child-process-silent", Severity::kMedium, Verdict::kWarn, *silent,
              "Starts a detached or silenced child process that keeps running unseen.");
  }
  if (const JsEvent* e = ctx.Event(K::kEnvWhole)) {
    add_event("env-serialize", Severity::kMedium, Verdict::kWarn, *e,
              "Reads the whole environment (tokens and CI secrets live there).");
  } else if (ctx.hits.Has(Ind::kEnvWhole)) {
    add_hit("env-serialize", Severity::kMedium, Verdict::kWarn, Ind::kEnvWhole,
            "Reads the whole environment (tokens and CI secrets live there).");
  }
  if (const JsEvent* e = ctx.Event(K::kCredRead)) {
    add_event("credential-read", Severity::kMedium, Verdict::kWarn, *e,
              StrCat("Reads a credential file (", e->detail, ")."));
  }
  if (ctx.Has(Ind::kWebhook)) {
    add_hit("exfil-webhook", Severity::kMedium, Verdict::kWarn, Ind::kWebhook,
            "Names a Discord, Telegram or Slack webhook, a common drop for stolen data.");
  }
  if (ctx.Has(Ind::kShadyHost)) {
    add_hit("exfil-suspicious-host", Severity::kMedium, Verdict::kWarn, Ind::kShadyHost,
            "Names a paste, tunnel, request-catcher or phishing host.");
  }
  if (public_ip) {
    run.Add("raw-ip-url", Severity::kLow, Verdict::kWarn, path,
            LineOf(ctx.file->content, ip_end), Excerpt(ctx.file->content, ip_end - 1),
            "Talks to a bare public IP address instead of a named host.");
  }
  if (ctx.Has(Ind::kIpLookup) && net) {
    add_hit("ip-lookup", Severity::kLow, Verdict::kWarn, Ind::kIpLookup,
            "Looks up the machine's public IP or location.");
  }

  // ---- correlations: capability and intent in the same file ----
  if ((net && (env_whole || creds)) || (dest && (env_whole || creds_weak || sysinfo))) {
    std::uint32_t line = 0;
    std::string evidence;
    if (const JsEvent* e = ctx.Event(K::kCredRead)) { line = e->line; }
    else if (const JsEvent* e2 = ctx.Event(K::kEnvWhole)) { line = e2->line; }
    if (line) evidence = ctx.EvidenceOfLine(line);
    else if (ctx.Has(Ind::kEnvWhole)) { line = ctx.LineOfHit(Ind::kEnvWhole); evidence = ctx.EvidenceOfHit(Ind::kEnvWhole); }
    else if (ctx.Has(Ind::kTrufflehog)) { line = ctx.LineOfHit(Ind::kTrufflehog); evidence = ctx.EvidenceOfHit(Ind::kTrufflehog); }
    else { line = ctx.LineOfHit(Ind::kCredPath); evidence = ctx.EvidenceOfHit(Ind::kCredPath); }
    run.Add("exfiltration", Severity::kCritical, Verdict::kHold, path, line, evidence,
            StrCat("Collects secrets (", env_whole ? "the whole environment" : "credential files",
                   ") and can send them out (", dest ? "to a webhook, paste or bare-IP host" : "network calls",
                   ") from the same file."));
  }
  if (const JsEvent* d = ctx.Event(K::kDns); d && (env_whole || creds)) {
    add_event("dns-exfiltration", Severity::kHigh, Verdict::kHold, *d,
              "Makes DNS lookups in a file that collects secrets or host details: data can leave "
              "encoded in the queried names.");
  }
  if (dl_exec) {
    bool in_spawn = false;
    for (const auto& e : ctx.js.events) {
      if (e.kind == K::kSpawn && (StrContains(e.detail, "curl") || StrContains(e.detail, "wget") ||
                                  StrContains(Lower(e.detail), "powershell") ||
                                  StrContains(Lower(e.detail), "certutil"))) {
        in_spawn = true;
      }
    }
    bool strong = ctx.kind == Kind::kShell || in_spawn || ctx.dhits.Has(Ind::kDownloadExecShell);
    Ind at = ctx.Has(Ind::kDownloadExecShell) ? Ind::kDownloadExecShell : Ind::kFetchTool;
    add_hit(ctx.install ? "install-download-exec" : "download-exec", Severity::kCritical,
            strong || ctx.install ? Verdict::kHold : Verdict::kWarn, at,
            ctx.install ? "Run by an install script: downloads a program and executes it."
                        : "Downloads a program and executes it.");
  } else if (ctx.install && net && (spawn || ctx.HasEvent(K::kChmod)) &&
             (obfuscated || dest || silent || ctx.js.decoded > 0)) {
    std::uint32_t line = ctx.Event(K::kSpawn) ? ctx.Event(K::kSpawn)->line : 1;
    run.Add("install-download-exec", Severity::kCritical, Verdict::kHold, path, line,
            ctx.EvidenceOfLine(line),
            "Run by an install script: fetches data over the network and starts processes, "
            "with hidden or decoded code or an unusual host.");
  }
  if (const JsEvent* e = ctx.Event(K::kEvalDynamic);
      e && net && (dest || ctx.install || ctx.Has(Ind::kShadyHost) || public_ip)) {
    add_event("eval-remote", Severity::kCritical, Verdict::kHold, *e,
              ctx.install ? "Run by an install script: fetches code over the network and runs it "
                            "with eval."
                          : "Fetches code from a paste, tunnel or bare-IP host and runs it with eval.");
  }
  if (ctx.install && silent) {
    add_event("install-silent-spawn", Severity::kHigh, Verdict::kHold, *silent,
              "Run by an install script: leaves a detached, silenced process running.");
  }
  if (const JsEvent* w = ctx.Event(K::kWorkflowWrite)) {
    bool bad = net || spawn || creds || env_whole;
    add_event("workflow-write", bad ? Severity::kCritical : Severity::kMedium,
              bad ? Verdict::kHold : Verdict::kWarn, *w,
              "Writes a GitHub Actions workflow file (a planted workflow can leak the repository's "
              "secrets).");
  }
  {
    bool publish = ctx.Has(Ind::kNpmPublish);
    for (const auto& e : ctx.js.events) {
      if (e.kind == K::kSpawn && StrContains(e.detail, "publish")) publish = true;
    }
    bool pkg_write = ctx.HasEvent(K::kPackageJsonWrite) || ctx.hits.Has(Ind::kPackageJsonWrite);
    bool harvest = ctx.Has(Ind::kRegistryHarvest) || creds || env_whole ||
                   ctx.Has(Ind::kCredPath);
    if (publish && pkg_write && (spawn || ctx.hits.Has(Ind::kChildProcess)) && harvest) {
      Ind at = ctx.Has(Ind::kNpmPublish) ? Ind::kNpmPublish : Ind::kChildProcess;
      add_hit("self-propagation", Severity::kCritical, Verdict::kHold, at,
              "Rewrites package.json and runs a publish command with harvested credentials: the "
              "pattern of a worm that republishes every package a stolen token can reach.");
    }
  }
  if (wallet && (obfuscated || ctx.hits.Count(Ind::kWalletAddress) >= 5)) {
    add_hit("wallet-hijack", Severity::kCritical, Verdict::kHold, Ind::kWalletHook,
            "Hooks browser crypto-wallet calls in hidden code or with lists of wallet addresses: "
            "the pattern of a drainer that swaps transaction recipients.");
  }
  {
    bool walk = ctx.HasEvent(K::kDirWalk);
    bool writes = ctx.HasEvent(K::kFileWrite);
    if ((walk && writes && (ctx.Has(Ind::kIpLookup) || ctx.dhits.Has(Ind::kIpLookup))) ||
        ctx.Has(Ind::kWipe)) {
      Ind at = ctx.Has(Ind::kWipe) ? Ind::kWipe : Ind::kIpLookup;
      add_hit("destructive-write", Severity::kCritical, Verdict::kHold, at,
              "Walks directories and overwrites or deletes files, keyed on the machine's location "
              "or home folder.");
    }
  }
  if (obfuscated && (net || spawn || eval_dyn || eval_dec || ctx.install || wallet)) {
    std::string what = StrCat(net ? "network " : "", spawn ? "processes " : "",
                              (eval_dyn || eval_dec) ? "eval " : "", ctx.install ? "install-time " : "",
                              wallet ? "wallet " : "");
    Ind at = obf_tool ? (ctx.Has(Ind::kStringArrayRotate) ? Ind::kStringArrayRotate : Ind::kHexIdent)
             : jsfuck ? Ind::kJsFuck : packer ? Ind::kPacker : hidden_ws ? Ind::kChildProcess
             : invisible ? Ind::kInvisible : Ind::kChildProcess;
    if (dangerous_req) {
      add_event("obfuscated-payload", Severity::kHigh, Verdict::kHold, *hidden_req,
                StrCat("Hidden code that uses powerful capabilities (", what, ")."));
    } else {
      add_hit("obfuscated-payload", Severity::kHigh, Verdict::kHold, at,
              StrCat("Hidden code that uses powerful capabilities (", StripAsciiWhitespace(what),
                     ")."));
    }
  }
}

void Scanner::Impl::SecretRules(const FileCtx& ctx, Run& run) const {
  std::string_view c = ctx.file->content;
  std::string_view path = ctx.file->path;
  bool testish = IsUnderTestDir(path);
  std::set<std::pair<int, std::uint64_t>> seen;
  std::size_t reported = 0;
  for (const auto& s : ctx.hits.secrets) {
    if (reported >= 50) break;
    std::uint64_t end = s.end;
    auto fixed = [&](std::size_t len) -> std::string_view {
      if (end < len) return {};
      std::size_t start = end - len;
      if (start > 0 && (IsAlnum(c[start - 1]) || c[start - 1] == '_')) return {};
      if (end < c.size() && IsAlnum(c[end])) return {};
      return c.substr(start, len);
    };
    std::uint32_t line = 0;
    auto add = [&](std::string rule, Severity sev, Verdict v, std::string_view token,
                   std::string expl) {
      if (!seen.insert({static_cast<int>(s.id), end}).second) return;
      line = LineOf(c, end);
      std::string ex = Excerpt(c, end - 1);
      std::string tok(token);
      std::size_t at = token.empty() ? std::string::npos : ex.find(tok.substr(0, 12));
      if (at != std::string::npos) {
        ex = ex.substr(0, at) + Redact(token) +
             (at + tok.size() < ex.size() ? ex.substr(at + tok.size()) : "");
      } else if (!token.empty()) {
        ex = Redact(token);
      }
      run.Add(std::move(rule), sev, v, path, line, ex, std::move(expl));
      ++reported;
    };
    switch (s.id) {
      case Ind::kSecBwk: {
        std::string_view t = fixed(40);
        if (!t.empty() && IsChecksummedToken(t, "bwk_")) {
          add("secret-registry-token", Severity::kCritical, Verdict::kHold, t,
              "An access token of this registry (checksum valid): it will be revoked, and "
              "anyone who installs the package could use it.");
        }
        break;
      }
      case Ind::kSecNpm: {
        std::string_view t = fixed(40);
        if (t.empty() || LooksPlaceholder(t)) break;
        bool valid = IsChecksummedToken(t, "npm_");
        add("secret-npm-token", valid ? Severity::kCritical : Severity::kMedium,
            valid ? Verdict::kHold : Verdict::kWarn, t,
            valid ? "An npm access token (checksum valid): whoever installs this can publish as "
                    "its owner."
                  : "Looks like an npm access token (checksum does not verify).");
        break;
      }
      case Ind::kSecGithub: {
        std::string_view t = fixed(40);
        if (t.empty() || LooksPlaceholder(t)) break;
        bool valid = IsChecksummedToken(t, t.substr(0, 4));
        add("secret-github-token", valid ? Severity::kCritical : Severity::kMedium,
            valid ? Verdict::kHold : Verdict::kWarn, t,
            valid ? "A GitHub token (checksum valid)."
                  : "Looks like a GitHub token (checksum does not verify).");
        break;
      }
      case Ind::kSecGithubPat: {
        std::string_view t = fixed(93);
        if (t.empty() || LooksPlaceholder(t)) break;
        add("secret-github-token", Severity::kHigh, testish ? Verdict::kWarn : Verdict::kHold, t,
            "A fine-grained GitHub personal access token.");
        break;
      }
      case Ind::kSecAws: {
        std::string_view t = fixed(20);
        if (t.empty() || StrContains(t, "EXAMPLE") || LooksPlaceholder(t)) break;
        // A secret access key (40 base64 characters) near the key id makes it a usable pair.
        std::size_t from = end > 400 ? end - 400 : 0;
        std::string_view around = c.substr(from, 800);
        bool pair = false;
        std::size_t run_len = 0;
        for (char ch : around) {
          bool b = IsAlnum(ch) || ch == '/' || ch == '+';
          run_len = b ? run_len + 1 : 0;
          if (run_len == 40) pair = true;
          if (run_len > 40) pair = false;
        }
        add("secret-aws-key", pair ? Severity::kCritical : Severity::kMedium,
            pair && !testish ? Verdict::kHold : Verdict::kWarn, t,
            pair ? "An AWS access key id with a secret access key beside it."
                 : "An AWS access key id.");
        break;
      }
      case Ind::kSecSlack: {
        std::size_t start = c.rfind("xox", end);
        if (start == std::string_view::npos || end - start > 40) break;
        std::size_t stop = end;
        while (stop < c.size() && (IsAlnum(c[stop]) || c[stop] == '-') && stop - start < 200) ++stop;
        std::string_view t = c.substr(start, stop - start);
        if (LooksPlaceholder(t)) break;
        add("secret-slack-token", Severity::kHigh, testish ? Verdict::kWarn : Verdict::kHold, t,
            "A Slack token.");
        break;
      }
      case Ind::kSecPrivateKey: {
        std::size_t start = c.rfind("-----BEGIN", end);
        std::string_view rest = c.substr(end, 200);
        // A real key body follows: a line of 40+ base64 characters (not "..." placeholders).
        std::size_t run_len = 0, best = 0;
        for (char ch : rest) {
          run_len = (IsAlnum(ch) || ch == '/' || ch == '+') ? run_len + 1 : 0;
          best = std::max(best, run_len);
        }
        if (best < 40 || start == std::string_view::npos) break;
        add("secret-private-key", Severity::kHigh, testish ? Verdict::kWarn : Verdict::kHold, "",
            testish ? "A private key in test or example files (check it is a throwaway)."
                    : "A private key is shipped in the package.");
        break;
      }
      case Ind::kSecAuthToken: {
        std::size_t eq = c.rfind('=', end);
        if (eq == std::string_view::npos) break;
        std::size_t stop = c.find_first_of("\r\n\"'` ", eq + 1);
        std::string_view v = StripAsciiWhitespace(c.substr(eq + 1, (stop == std::string_view::npos ? c.size() : stop) - eq - 1));
        if (v.size() < 16 || LooksPlaceholder(v)) break;
        add("secret-npmrc-auth", Severity::kCritical, Verdict::kHold, v,
            "An .npmrc credential line (_authToken / _auth / _password) with a literal value.");
        break;
      }
      default:
        break;
    }
  }
  // .env files: shipped configuration with secrets in it.
  std::string base = Lower(BaseName(path));
  if (base == ".env" || (StartsWith(base, ".env.") && !EndsWith(base, ".example") &&
                         !EndsWith(base, ".sample") && !EndsWith(base, ".template") &&
                         !EndsWith(base, ".defaults") && !EndsWith(base, ".dist"))) {
    std::uint32_t line_no = 0;
    bool any = false;
    for (std::string_view line : StrSplit(c, '\n')) {
      ++line_no;
      std::size_t eq = line.find('=');
      if (eq == std::string_view::npos || StartsWith(StripAsciiWhitespace(line), "#")) continue;
      any = true;
      std::string key = Lower(StripAsciiWhitespace(line.substr(0, eq)));
      std::string_view value = StripAsciiWhitespace(line.substr(eq + 1));
      if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')) {
        value = value.substr(1, value.size() - 2);
      }
      bool secretish = false;
      for (std::string_view k : {"secret", "token", "password", "passwd", "api_key", "apikey",
                                 "private", "access_key", "auth", "credential"}) {
        if (StrContains(key, k)) secretish = true;
      }
      if (secretish && value.size() >= 8 && !LooksPlaceholder(value)) {
        run.Add("secret-env-file", Severity::kHigh, Verdict::kHold, path, line_no,
                StrCat(StripAsciiWhitespace(line.substr(0, eq)), "=", Redact(value)),
                "A .env file with a secret value is shipped in the package.");
        return;
      }
    }
    if (any) {
      run.Add("env-file", Severity::kLow, Verdict::kWarn, path, 0, "",
              "A .env file is shipped in the package (it usually holds local secrets).");
    }
  }
}

absl::StatusOr<ScanReport> Scanner::Impl::Scan(const PackageFiles& files) const {
  Run run;
  std::set<std::string> install_files;
  std::vector<std::pair<std::string, std::string>> inline_code;
  ManifestRules(files, run, install_files, inline_code);

  // Inline install code is scanned as a file of its own.
  std::vector<ScanFile> virtual_files;
  for (const auto& [name, code] : inline_code) {
    virtual_files.push_back(ScanFile{name, code, code.size(), 0644, true});
    install_files.insert(name);
  }
  std::vector<const ScanFile*> all;
  std::set<std::string, std::less<>> paths;
  for (const ScanFile& f : files.files) {
    all.push_back(&f);
    paths.insert(std::string(f.path));
  }
  for (const ScanFile& f : virtual_files) all.push_back(&f);
  // Files an install script runs first, so what they start in turn is known to run at install.
  std::stable_partition(all.begin(), all.end(), [&](const ScanFile* f) {
    return install_files.count(std::string(f->path)) > 0;
  });

  std::vector<YaraMatch> yara_hits;
  std::set<std::pair<std::string, std::string>> reported;  // (rule, file) already reported
  std::string batch;
  std::vector<std::pair<std::size_t, const ScanFile*>> batch_files;  // start offset, file
  auto flush_batch = [&]() -> absl::Status {
    if (batch.empty() || !yara) return absl::OkStatus();
    yara_hits.clear();
    BULWARK_RETURN_IF_ERROR(yara->Scan(batch, &yara_hits));
    for (const YaraMatch& m : yara_hits) {
      const ScanFile* file = nullptr;
      std::size_t start = 0;
      if (m.has_offset) {
        auto it = std::upper_bound(batch_files.begin(), batch_files.end(), m.offset,
                                   [](std::size_t off, const auto& e) { return off < e.first; });
        if (it != batch_files.begin()) {
          --it;
          file = it->second;
          start = it->first;
        }
      }
      std::string path = file ? std::string(file->path) : "";
      if (!reported.insert({m.rule_id, path}).second) continue;
      std::uint64_t rel = m.offset - start;
      run.Add(m.rule_id, m.severity, m.verdict, path,
              file ? LineOf(file->content, rel) : 0,
              file ? Excerpt(file->content, rel) : "", m.explanation);
    }
    batch.clear();
    batch_files.clear();
    return absl::OkStatus();
  };
  for (const ScanFile* f : all) {
    ++run.report.files_scanned;
    if (!f->content_kept || f->size > options.max_scan_bytes) continue;
    FileCtx ctx;
    ctx.file = f;
    ctx.kind = Classify(*f);
    ctx.install = install_files.count(std::string(f->path)) > 0;

    if (!known_hashes.empty()) {
      auto it = known_hashes.find(Sha256(f->content));
      if (it != known_hashes.end()) {
        run.Add("known-malicious-file", Severity::kCritical, Verdict::kReject, f->path, 0,
                StrCat("sha256 ", HexEncode(it->first)),
                StrCat("The file is a known malicious file",
                       it->second.empty() ? "" : StrCat(" (", it->second, ")"), "."));
      }
    }
    if (ctx.kind == Kind::kMedia) continue;
    run.report.bytes_scanned += f->content.size();
    if (ctx.kind == Kind::kBinary) {
      Magic m = BinaryMagic(f->content);
      if (m != Magic::kNone || EndsWith(f->path, ".node")) {
        run.caps.insert("native");
        std::string_view what = m == Magic::kElf ? "ELF" : m == Magic::kPe ? "Windows PE"
                                : m == Magic::kMachO ? "Mach-O" : "native";
        bool addon = EndsWith(f->path, ".node");
        run.Add("bundled-binary", Severity::kLow, addon ? Verdict::kClean : Verdict::kWarn,
                f->path, 0, StrCat(what, " executable, ", f->size, " bytes"),
                addon ? "A prebuilt native addon (machine code no reviewer can read)."
                      : StrCat("A prebuilt ", what,
                               " executable is shipped; its behaviour cannot be reviewed from "
                               "source."));
        if (ctx.install) {
          run.Add("install-runs-binary", Severity::kHigh, Verdict::kHold, f->path, 0,
                  std::string(f->path), "An install script runs a bundled executable.");
        }
      }
    } else {
      BULWARK_RETURN_IF_ERROR(ScanFileContent(ctx));
      if (ctx.install) {
        for (const JsEvent& e : ctx.js.events) {
          if (e.kind != JsEvent::Kind::kSpawn) continue;
          for (std::string_view w : Words(e.detail)) {
            ConsumePrefix(&w, "./");
            if (paths.count(w)) install_files.insert(std::string(w));
          }
        }
      }
      FileRules(ctx, run);
      SecretRules(ctx, run);
    }
    if (yara && WantsSignatures(ctx.kind, f->path)) {
      // Strings the file decodes get their own (small) pass.
      if (!ctx.dbuf.empty()) {
        yara_hits.clear();
        BULWARK_RETURN_IF_ERROR(yara->Scan(ctx.dbuf, &yara_hits));
        for (const YaraMatch& m : yara_hits) {
          std::uint32_t line = 0;
          for (const auto& [off, l] : ctx.dlines) {
            if (off > m.offset) break;
            line = l;
          }
          if (reported.insert({m.rule_id, std::string(f->path)}).second) {
            run.Add(m.rule_id, m.severity, m.verdict, f->path, line,
                    StrCat("decoded: ", Excerpt(ctx.dbuf, m.offset)), m.explanation);
          }
        }
      }
      if (ctx.kind == Kind::kBinary) {
        yara_hits.clear();
        BULWARK_RETURN_IF_ERROR(yara->Scan(f->content, &yara_hits));
        for (const YaraMatch& m : yara_hits) {
          if (reported.insert({m.rule_id, std::string(f->path)}).second) {
            run.Add(m.rule_id, m.severity, m.verdict, f->path, 0,
                    m.has_offset ? StrCat("offset ", m.offset) : "", m.explanation);
          }
        }
      } else {
        // Text files are matched together: one YARA pass per package costs far less than one
        // per file (YARA's fixed cost per scan dominates for small files).
        if (!batch.empty()) batch += "\n\n";
        batch_files.push_back({batch.size(), f});
        batch += f->content;
        if (batch.size() >= (64u << 20)) BULWARK_RETURN_IF_ERROR(flush_batch());
      }
    }
  }
  BULWARK_RETURN_IF_ERROR(flush_batch());
  if (const auto* binding = [&]() -> const ScanFile* {
        for (const ScanFile& f : files.files) if (f.path == "binding.gyp") return &f;
        return nullptr;
      }()) {
    (void)binding;
    run.caps.insert("native");
  }

  ScanReport& r = run.report;
  for (const Finding& f : r.findings) r.verdict = std::max(r.verdict, f.suggests);
  std::stable_sort(r.findings.begin(), r.findings.end(), [](const Finding& a, const Finding& b) {
    if (a.suggests != b.suggests) return a.suggests > b.suggests;
    return a.severity > b.severity;
  });
  r.capabilities.assign(run.caps.begin(), run.caps.end());
  return r;
}

// ---------------------------------------------------------------------------------------------

PackageFiles FilesOf(const TarballContents& contents) {
  PackageFiles out;
  out.package_json = contents.package_json;
  out.files.reserve(contents.files.size());
  for (const TarballFile& f : contents.files) {
    out.files.push_back(ScanFile{f.path, f.content, f.size, f.mode, f.content_kept});
  }
  return out;
}

TarballLimits ScanTarballLimits() {
  TarballLimits limits;
  limits.keep_content_up_to = 16ull << 20;
  return limits;
}

Scanner::Scanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scanner::~Scanner() = default;

absl::StatusOr<std::unique_ptr<Scanner>> Scanner::Create(const ScannerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  BULWARK_ASSIGN_OR_RETURN(impl->patterns, PatternEngine::Create());
  std::vector<RuleSource> sources = BuiltinRuleSources();
  for (const std::string& dir : options.rule_dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      return absl::InvalidArgumentError(StrCat("scan rule folder ", dir, " is not a folder"));
    }
    std::vector<std::filesystem::path> entries;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) entries.push_back(e.path());
    std::sort(entries.begin(), entries.end());
    for (const auto& p : entries) {
      std::string ext = p.extension().string();
      if (ext != ".yar" && ext != ".yara" && ext != ".sha256") continue;
      std::ifstream in(p, std::ios::binary);
      if (!in) return absl::InvalidArgumentError(StrCat("cannot read ", p.string()));
      std::stringstream ss;
      ss << in.rdbuf();
      if (ext != ".sha256") {
        sources.push_back(RuleSource{p.string(), ss.str()});
        continue;
      }
      std::uint32_t line_no = 0;
      const std::string text = ss.str();
      for (std::string_view line : StrSplit(text, '\n')) {
        ++line_no;
        line = StripAsciiWhitespace(line);
        if (line.empty() || line.front() == '#') continue;
        std::string_view hex = line.substr(0, line.find_first_of(" \t"));
        auto raw = HexDecode(hex);
        if (hex.size() != 64 || !raw) {
          return absl::InvalidArgumentError(
              StrCat(p.string(), "(", line_no, "): expected a SHA-256 in hex, then a label"));
        }
        std::string_view label = hex.size() < line.size() ? StripAsciiWhitespace(line.substr(64))
                                                          : std::string_view{};
        impl->known_hashes[*raw] = std::string(label);
      }
    }
  }
  BULWARK_ASSIGN_OR_RETURN(impl->yara, YaraPack::Create(sources));
  return std::unique_ptr<Scanner>(new Scanner(std::move(impl)));
}

absl::StatusOr<ScanReport> Scanner::Scan(const PackageFiles& files) const {
  return impl_->Scan(files);
}

absl::StatusOr<ScanReport> Scanner::ScanTarball(std::string_view gzipped) const {
  BULWARK_ASSIGN_OR_RETURN(TarballContents contents, ReadTarball(gzipped, ScanTarballLimits()));
  return impl_->Scan(FilesOf(contents));
}

std::size_t Scanner::yara_rule_count() const { return impl_->yara ? impl_->yara->rule_count() : 0; }
std::size_t Scanner::known_hash_count() const { return impl_->known_hashes.size(); }

const std::vector<std::string_view>& RuleIds() {
  static const std::vector<std::string_view> ids(std::begin(kAllRuleIds), std::end(kAllRuleIds));
  return ids;
}

}  // namespace bulwark::scan
