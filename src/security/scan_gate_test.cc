// The publish gate and the moderation queue over real SQLite stores, a real blob folder and the
// real PackageService, with a fake scanner (its report is what these tests configure).

#include "security/scan_gate.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <thread>

#include "accounts/tokens.h"
#include "base/hash.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "packaging/tar_writer.h"
#include "security/moderation.h"
#include "security/partner_signature.h"
#include "security/publish_policy.h"
#include "security/token_leaks.h"
#include "testing/fake_publish_scanner.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using scan::Verdict;
using testing::FakeClock;
using testing::FakePublishScanner;
using testing::TempDir;
using testing::TestFinding;
using Files = std::vector<std::pair<std::string, std::string>>;

json::object PublishBody(const std::string& name, const std::string& version,
                         const std::string& extra = "", Files files = {}) {
  std::string pj = StrCat(R"({"name":")", name, R"(","version":")", version, "\"", extra, "}");
  files.insert(files.begin(), {"package.json", pj});
  std::string tgz = *WritePackageTarball(files);
  json::object manifest = ParseJson(pj)->get_object();
  manifest["dist"] =
      json::object{{"integrity", Sha512Integrity(tgz)}, {"shasum", HexEncode(Sha1(tgz))}};
  return json::object{
      {"_id", name},
      {"name", name},
      {"dist-tags", json::object{{"latest", version}}},
      {"versions", json::object{{version, manifest}}},
      {"_attachments",
       json::object{{StrCat(name, "-", version, ".tgz"),
                     json::object{{"data", Base64Encode(tgz)}, {"length", tgz.size()}}}}}};
}

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string db = dir_.path() + "/m.sqlite3";
    store_ = std::move(*NewSqliteMetadataStore(db));
    moderation_store_ = std::move(*NewSqliteModerationStore(db));
    advisories_ = std::move(*NewSqliteAdvisoryStore(db));
    blobs_ = std::move(*NewFsBlobStore(dir_.path() + "/blobs"));
    for (const char* u : {"alice", "bob"}) {
      UserRecord r;
      r.name = u;
      r.email = StrCat(u, "@example.com");
      ASSERT_TRUE(store_->CreateUser(r).ok());
    }
    packages_ =
        std::make_unique<PackageService>(*store_, *blobs_, clock_, policy_, RegistryOptions{});
    moderation_ = std::make_unique<ModerationService>(*store_, *moderation_store_, *advisories_,
                                                      *packages_, clock_);
    MakeGate();
  }
  void MakeGate() {
    gate_ = std::make_unique<ScanGate>(*store_, *moderation_store_, *blobs_, clock_, *packages_,
                                       scanner_, options_, TarballLimits{});
    packages_->SetPublishGate(gate_.get());
  }
  absl::StatusOr<PublishResult> Publish(const Identity& who, const std::string& name,
                                        const std::string& version, const std::string& extra = "",
                                        Files files = {}) {
    return packages_->Publish(who, name, PublishBody(name, version, extra, std::move(files)));
  }
  std::vector<std::string> RulesOfLastScan(const std::string& name, const std::string& version) {
    auto scan = moderation_store_->LatestScan(name, version);
    EXPECT_TRUE(scan.ok()) << scan.status();
    if (!scan.ok()) return {};
    scan::ScanReport r = ReportFromJson(ParseJson(scan->report_json)->get_object());
    std::vector<std::string> rules;
    for (const auto& f : r.findings) rules.push_back(f.rule_id);
    return rules;
  }
  bool Live(const std::string& name, const std::string& version) {
    auto p = store_->GetPackage(name);
    if (!p.ok()) return false;
    auto it = p->versions.find(version);
    return it != p->versions.end() && !it->second.unpublished && !p->unpublished;
  }

  TempDir dir_;
  FakeClock clock_;
  AccessPolicy policy_ = AccessPolicy::Default();
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<ModerationStore> moderation_store_;
  std::unique_ptr<AdvisoryStore> advisories_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<PackageService> packages_;
  std::unique_ptr<ModerationService> moderation_;
  std::shared_ptr<FakePublishScanner> scanner_ = std::make_shared<FakePublishScanner>();
  GateOptions options_;
  std::unique_ptr<ScanGate> gate_;
  Identity alice_{"alice", false, false, "k-alice"};
  Identity bob_{"bob", false, false, "k-bob"};
};

TEST(PublishPolicyTest, ClassesMapVerdictsAndRulesOnlyRaise) {
  PublishPolicy p;
  p.by_class[PackageClass::kNew][static_cast<int>(Verdict::kWarn)] = GateAction::kHold;
  p.by_class[PackageClass::kPrivate][static_cast<int>(Verdict::kHold)] = GateAction::kWarn;
  p.rules["install-script"] = GateAction::kHold;
  p.rules["noisy"] = GateAction::kPublish;
  scan::ScanReport warn;
  warn.verdict = Verdict::kWarn;
  warn.findings.push_back(TestFinding("noisy", Verdict::kWarn));
  EXPECT_EQ(Decide(p, PackageClass::kDefault, warn), GateAction::kWarn);  // "publish" cannot lower.
  EXPECT_EQ(Decide(p, PackageClass::kNew, warn), GateAction::kHold);
  scan::ScanReport hold;
  hold.verdict = Verdict::kHold;
  EXPECT_EQ(Decide(p, PackageClass::kPrivate, hold), GateAction::kWarn);
  EXPECT_EQ(Decide(p, PackageClass::kHighImpact, hold), GateAction::kHold);
  scan::ScanReport hook;
  hook.findings.push_back(TestFinding("install-script", Verdict::kWarn));
  EXPECT_EQ(Decide(p, PackageClass::kDefault, hook), GateAction::kHold);
  EXPECT_EQ(Classify(true, true, false), PackageClass::kPrivate);
  EXPECT_EQ(Classify(true, false, true), PackageClass::kNew);
  EXPECT_EQ(Classify(false, false, true), PackageClass::kHighImpact);
  EXPECT_EQ(ParseAction("hold"), GateAction::kHold);
  EXPECT_EQ(ParseAction("quarantine"), std::nullopt);
}

TEST(TokenLeaksTest, FindsOnlyChecksummedBoundedTokensWithTheirLines) {
  testing::SeededRandom random(7);
  std::string a = NewTokenSecret(random), b = NewTokenSecret(random);
  std::string bad = a;
  bad[10] = bad[10] == 'A' ? 'B' : 'A';  // Checksum no longer matches.
  std::string text = StrCat("line one\ntoken=", a, "\n// ", bad, "\nx", b, "\n\"", b, "\"");
  std::vector<TokenHit> hits = FindRegistryTokens(text, "lib/a.js");
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].token, a);
  EXPECT_EQ(hits[0].line, 2u);
  EXPECT_EQ(hits[0].file, "lib/a.js");
  EXPECT_EQ(hits[1].token, b);  // The one glued to "x" is not a token boundary.
  EXPECT_EQ(hits[1].line, 5u);
  EXPECT_TRUE(FindRegistryTokens("bwk_", "f").empty());
  EXPECT_TRUE(FindRegistryTokens(StrCat(a, "Z"), "f").empty());
}

TEST(TarWriterTest, WritesWhatTheReaderAccepts) {
  auto tgz = WritePackageTarball({{"package.json", R"({"name":"x","version":"1.0.0"})"},
                                  {"lib/index.js", "module.exports = 1;\n"}});
  ASSERT_TRUE(tgz.ok()) << tgz.status();
  auto contents = ReadTarball(*tgz, TarballLimits{});
  ASSERT_TRUE(contents.ok()) << contents.status();
  ASSERT_EQ(contents->files.size(), 2u);
  EXPECT_EQ(contents->files[1].path, "lib/index.js");
  EXPECT_EQ(contents->files[1].content, "module.exports = 1;\n");
}

TEST_F(GateTest, PolicyPerClassDecidesPublishHoldAndReject) {
  options_.policy.by_class[PackageClass::kNew][static_cast<int>(Verdict::kHold)] =
      GateAction::kReject;
  MakeGate();
  scan::ScanReport r;
  r.verdict = Verdict::kHold;
  r.findings.push_back(TestFinding("eval-decoded", Verdict::kHold, "index.js", 7));
  scanner_->SetReport(r);
  auto refused = Publish(alice_, "newpkg", "1.0.0");
  ASSERT_TRUE(absl::IsPermissionDenied(refused.status())) << refused.status();
  EXPECT_EQ(refused.status().message(),
            "newpkg@1.0.0 was rejected by this registry's publish policy: eval-decoded "
            "(index.js:7): test finding");
  EXPECT_TRUE(absl::IsNotFound(store_->GetPackage("newpkg").status()));

  scanner_->SetReport({});
  ASSERT_TRUE(Publish(alice_, "pkg", "1.0.0").ok());
  scanner_->SetReport(r);  // An existing package: class default, hold -> hold.
  auto held = Publish(alice_, "pkg", "1.1.0");
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(held->held);
  EXPECT_FALSE(Live("pkg", "1.1.0"));
  auto cases = moderation_->List(false);
  ASSERT_EQ(cases->size(), 1u);
  EXPECT_EQ((*cases)[0].version, "1.1.0");
  // A second publish of the held number is refused; a stranger cannot publish at all.
  EXPECT_TRUE(absl::IsAlreadyExists(Publish(alice_, "pkg", "1.1.0").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(Publish(bob_, "pkg", "1.2.0").status()));
  ASSERT_TRUE(moderation_->Approve((*cases)[0].id, "root", "ok").ok());
  EXPECT_TRUE(Live("pkg", "1.1.0"));
  EXPECT_EQ(store_->GetPackage("pkg")->dist_tags.at("latest"), "1.1.0");
  EXPECT_TRUE(absl::IsFailedPrecondition(moderation_->Approve((*cases)[0].id, "root", "")));
}

TEST_F(GateTest, EngineFailureFailsClosedOrOpenAsConfigured) {
  scanner_->SetError(absl::InternalError("engine crashed"));
  auto closed = Publish(alice_, "p", "1.0.0");
  ASSERT_TRUE(absl::IsUnavailable(closed.status())) << closed.status();
  EXPECT_TRUE(
      StrContains(std::string(closed.status().message()), "could not be scanned (engine crashed)"));
  EXPECT_TRUE(absl::IsNotFound(store_->GetPackage("p").status()));
  EXPECT_EQ(moderation_store_->Count()->scan_errors, 1);

  options_.policy.fail_open = true;
  MakeGate();
  auto open = Publish(alice_, "p", "1.0.0");
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(open->notice, "p@1.0.0 was published without a scan (engine crashed)");
  EXPECT_TRUE(Live("p", "1.0.0"));
}

TEST_F(GateTest, ScanTimeoutIsAFailure) {
  options_.policy.timeout = absl::Milliseconds(50);
  MakeGate();
  scanner_->SetDelay(absl::Milliseconds(400));
  absl::Time start = absl::Now();
  auto r = Publish(alice_, "slow", "1.0.0");
  absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_TRUE(StrContains(std::string(r.status().message()), "longer than 50ms"));
  EXPECT_LT(took, absl::Milliseconds(350));
  // The abandoned scan still holds the scanner: it may outlive the gate and the test.
  EXPECT_EQ(scanner_.use_count(), 3);  // This test, the gate, the abandoned scan.
}

TEST_F(GateTest, LeakedTokensAreRevokedOrRefuseThePublish) {
  testing::SeededRandom random(1);
  std::string bob_secret = NewTokenSecret(random), alice_secret = NewTokenSecret(random);
  for (auto [user, secret] : {std::pair{"bob", bob_secret}, std::pair{"alice", alice_secret}}) {
    TokenRecord t;
    t.key = TokenKey(secret);
    t.prefix = secret.substr(0, 10);
    t.user = user;
    ASSERT_TRUE(store_->CreateToken(t).ok());
  }
  auto own =
      Publish(alice_, "a", "1.0.0", "", {{"lib/conf.js", StrCat("\n\nx='", alice_secret, "'")}});
  ASSERT_TRUE(absl::IsPermissionDenied(own.status())) << own.status();
  EXPECT_TRUE(StrContains(std::string(own.status().message()),
                          "lib/conf.js line 3 contains your own access token"));
  EXPECT_FALSE(StrContains(std::string(own.status().message()), alice_secret));
  EXPECT_TRUE(store_->GetToken(TokenKey(alice_secret)).ok());  // Nothing leaked: kept.

  auto other = Publish(alice_, "a", "1.0.0", "", {{"conf.js", StrCat("t=", bob_secret)}});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(absl::IsNotFound(store_->GetToken(TokenKey(bob_secret)).status()));
  auto events = moderation_store_->ListNotices("bob");
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "token-leak-tarball");
  EXPECT_EQ(RulesOfLastScan("a", "1.0.0"), std::vector<std::string>{"secret-bulwark-token"});
  EXPECT_EQ(moderation_store_->Count()->tokens_revoked_tarball, 1);
}

TEST_F(GateTest, BetweenVersionFindings) {
  scan::ScanReport r;
  r.capabilities = {"filesystem"};
  scanner_->SetReport(r);
  TfaRecord tfa;
  tfa.user = "alice";
  tfa.pending = false;
  ASSERT_TRUE(store_->PutTfa(tfa).ok());
  ASSERT_TRUE(Publish(alice_, "lib", "1.0.0", "", {{"index.js", "short\n"}}).ok());
  ASSERT_TRUE(Publish(bob_, "young-dep", "1.0.0").ok());
  ASSERT_TRUE(store_->DeleteTfa("alice").ok());
  clock_.Advance(absl::Hours(24 * 800));
  ASSERT_TRUE(Publish(bob_, "young-dep2", "1.0.0").ok());
  r.capabilities = {"filesystem", "network"};
  scanner_->SetReport(r);
  std::string big(1100 * 1024, 'a');
  std::string long_line(11 * 1024, 'b');
  auto res = Publish(alice_, "lib", "1.0.1", R"(,"dependencies":{"young-dep2":"^1.0.0"})",
                     {{"index.js", StrCat("short\n", long_line, "\n")}, {"blob.bin", big}});
  ASSERT_TRUE(res.ok()) << res.status();
  std::vector<std::string> rules = RulesOfLastScan("lib", "1.0.1");
  std::sort(rules.begin(), rules.end());
  EXPECT_EQ(rules, (std::vector<std::string>{"diff-2fa-dropped", "diff-dormant-republish",
                                             "diff-large-file", "diff-long-line",
                                             "diff-new-capability", "diff-young-dependency"}));
  EXPECT_TRUE(StrContains(res->notice, "published with warnings"));
  auto scan = moderation_store_->LatestScan("lib", "1.0.1");
  json::value diff = *ParseJson(scan->diff_json);
  EXPECT_EQ(ToJson(diff.at("added")), R"(["blob.bin"])");
  EXPECT_EQ(ToJson(diff.at("changed")), R"(["index.js","package.json"])");
  EXPECT_EQ(ToJson(diff.at("package_json").at("dependencies")),
            R"({"before":null,"after":{"young-dep2":"^1.0.0"}})");
}

TEST_F(GateTest, HighImpactPackagesHaveTheirOwnPolicy) {
  options_.policy.high_impact_downloads = 10000;
  options_.policy.by_class[PackageClass::kHighImpact][static_cast<int>(Verdict::kWarn)] =
      GateAction::kHold;
  MakeGate();
  ASSERT_TRUE(store_->SetPopularity({{"popular", 50000}, {"quiet", 10}}).ok());
  ASSERT_TRUE(Publish(alice_, "popular", "1.0.0").ok());
  ASSERT_TRUE(Publish(alice_, "quiet", "1.0.0").ok());
  scan::ScanReport r;
  r.verdict = Verdict::kWarn;
  r.findings.push_back(TestFinding("child-process", Verdict::kWarn, "index.js", 1));
  scanner_->SetReport(r);
  auto quiet = Publish(alice_, "quiet", "1.0.1");
  ASSERT_TRUE(quiet.ok()) << quiet.status();
  EXPECT_FALSE(quiet->held);
  EXPECT_TRUE(StrContains(quiet->notice, "published with warnings: child-process (index.js:1)"));
  auto popular = Publish(alice_, "popular", "1.0.1");
  ASSERT_TRUE(popular.ok()) << popular.status();
  EXPECT_TRUE(popular->held);
  auto scan = moderation_store_->LatestScan("popular", "1.0.1");
  EXPECT_TRUE(StrContains(scan->report_json, R"("class":"high_impact")"));
}

TEST_F(GateTest, VersionsFromBeforeTheGateAreScannedForTheBaseline) {
  packages_->SetPublishGate(nullptr);
  ASSERT_TRUE(Publish(alice_, "old", "1.0.0").ok());
  packages_->SetPublishGate(gate_.get());
  scan::ScanReport before, after;
  before.capabilities = {"filesystem"};
  after.capabilities = {"filesystem", "shell"};
  scanner_->SetReportFor("1.0.0", before);
  scanner_->SetReportFor("1.0.1", after);
  ASSERT_TRUE(Publish(alice_, "old", "1.0.1").ok());
  EXPECT_EQ(scanner_->calls(), 2);
  EXPECT_EQ(RulesOfLastScan("old", "1.0.1"), std::vector<std::string>{"diff-new-capability"});
}

TEST_F(GateTest, RemovingAHeldNewPackageKeepsItUnservedAndDraftsAnAdvisory) {
  scan::ScanReport r;
  r.verdict = Verdict::kHold;
  scanner_->SetReport(r);
  auto held = Publish(alice_, "mal", "1.0.0");
  ASSERT_TRUE(held.ok() && held->held);
  // The held name stays its publisher's.
  EXPECT_TRUE(absl::IsPermissionDenied(Publish(bob_, "mal", "2.0.0").status()));
  int64_t id = (*moderation_->List(false))[0].id;
  auto removed = moderation_->Remove(id, "root", false, "steals tokens");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->versions, std::vector<std::string>{"1.0.0"});
  EXPECT_FALSE(Live("mal", "1.0.0"));
  auto adv = advisories_->Get(removed->advisory_id);
  ASSERT_TRUE(adv.ok()) << adv.status();
  EXPECT_EQ(adv->severity, "critical");
  EXPECT_EQ(adv->packages, std::vector<std::string>{"mal"});
  EXPECT_TRUE(StrContains(adv->json, "\"versions\":[\"1.0.0\"]"));
  EXPECT_TRUE(StrContains(adv->json, "steals tokens"));
  EXPECT_EQ(moderation_store_->Count()->removed_malicious, 1);
}

TEST_F(GateTest, ReportsAreRateLimitedPerAddress) {
  ASSERT_TRUE(Publish(alice_, "r", "1.0.0").ok());
  ModerationOptions o;
  o.reports_per_hour = 2;
  ModerationService m(*store_, *moderation_store_, *advisories_, *packages_, clock_, o);
  ReportRequest req{"r", "", "bad", "anonymous", "", "10.0.0.1"};
  EXPECT_TRUE(m.Report(req).ok());
  EXPECT_TRUE(m.Report(req).ok());
  auto third = m.Report(req);
  EXPECT_TRUE(absl::IsResourceExhausted(third.status())) << third.status();
  req.remote_ip = "10.0.0.2";
  EXPECT_TRUE(m.Report(req).ok());
  clock_.Advance(absl::Minutes(61));
  req.remote_ip = "10.0.0.1";
  EXPECT_TRUE(m.Report(req).ok());
  req.version = "9.9.9";
  EXPECT_TRUE(absl::IsNotFound(m.Report(req).status()));
}

// An ECDSA P-256 key made here, its PEM public half, and signatures as GitHub makes them.
struct TestKey {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ~TestKey() { EVP_PKEY_free(key); }
  std::string Pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    std::string out(data, n);
    BIO_free(bio);
    return out;
  }
  std::string Sign(std::string_view body) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    size_t n = 0;
    EVP_DigestSign(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(body.data()),
                   body.size());
    std::string sig(n, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &n,
                   reinterpret_cast<const unsigned char*>(body.data()), body.size());
    sig.resize(n);
    EVP_MD_CTX_free(ctx);
    return Base64Encode(sig);
  }
};

TEST(PartnerSignatureTest, VerifiesGithubStyleSignatures) {
  TestKey k, other;
  std::string doc = ToJson(json::object{
      {"public_keys", json::array{json::object{
                          {"key_identifier", "k1"}, {"key", k.Pem()}, {"is_current", true}}}}});
  auto keys = ParsePartnerKeys(doc);
  ASSERT_TRUE(keys.ok()) << keys.status();
  std::string body = R"([{"token":"bwk_x","type":"t","url":"u","source":"content"}])";
  EXPECT_TRUE(VerifyPartnerSignature(*keys, "k1", k.Sign(body), body).ok());
  EXPECT_TRUE(
      absl::IsUnauthenticated(VerifyPartnerSignature(*keys, "k1", k.Sign(body), body + " ")));
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyPartnerSignature(*keys, "k1", other.Sign(body), body)));
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyPartnerSignature(*keys, "k1", "!!", body)));
  EXPECT_TRUE(absl::IsNotFound(VerifyPartnerSignature(*keys, "k2", k.Sign(body), body)));
  EXPECT_TRUE(absl::IsInvalidArgument(ParsePartnerKeys("[]").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(ParsePartnerKeys(R"({"public_keys":[{}]})").status()));
}

}  // namespace
}  // namespace bulwark
