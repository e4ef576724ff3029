// The sandbox service over real SQLite stores, a real blob folder and the real PackageService,
// with a fake runner (the report is what each test configures).

#include "sandbox/service.h"

#include <gtest/gtest.h>

#include "base/hash.h"
#include "base/strings.h"
#include "bulwark/storage/advisory_store.h"
#include "packaging/tar_writer.h"
#include "security/moderation.h"
#include "testing/fakes.h"

namespace bulwark::sandbox {
namespace {

using testing::FakeClock;
using testing::TempDir;

json::object PublishBody(const std::string& name, const std::string& version) {
  std::string pj = StrCat(R"({"name":")", name, R"(","version":")", version, "\"}");
  std::string tgz = *WritePackageTarball({{"package.json", pj}});
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

class SandboxServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string db = dir_.path() + "/m.sqlite3";
    store_ = std::move(*NewSqliteMetadataStore(db));
    moderation_store_ = std::move(*NewSqliteModerationStore(db));
    advisories_ = std::move(*NewSqliteAdvisoryStore(db));
    reports_ = std::move(*NewSqliteSandboxStore(dir_.path() + "/sandbox.sqlite3"));
    blobs_ = std::move(*NewFsBlobStore(dir_.path() + "/blobs"));
    UserRecord r;
    r.name = "alice";
    r.email = "alice@example.com";
    ASSERT_TRUE(store_->CreateUser(r).ok());
    packages_ =
        std::make_unique<PackageService>(*store_, *blobs_, clock_, policy_, RegistryOptions{});
    moderation_ = std::make_unique<ModerationService>(*store_, *moderation_store_, *advisories_,
                                                      *packages_, clock_);
    service_ = std::make_unique<SandboxService>(
        *reports_, *store_, *blobs_, *packages_, *moderation_store_, clock_,
        [this](const std::string& tarball) -> absl::StatusOr<json::object> {
          ++runs_;
          EXPECT_FALSE(tarball.empty());
          if (!next_.ok()) return next_.status();
          return *next_;
        },
        dir_.path());
  }
  void Publish(const std::string& version) {
    ASSERT_TRUE(packages_->Publish(alice_, "pkg", PublishBody("pkg", version)).ok());
  }
  static json::object Report(std::string verdict, std::string exec) {
    return json::object{
        {"verdict", verdict},
        {"findings", verdict == "malicious"
                         ? json::array{json::object{{"rule", "credential-sent"},
                                                    {"severity", "critical"},
                                                    {"summary", "token sent"}}}
                         : json::array{}},
        {"events", json::array{json::object{{"kind", "exec"}, {"path", exec},
                                            {"phase", "postinstall"}}}}};
  }

  TempDir dir_;
  FakeClock clock_;
  AccessPolicy policy_ = AccessPolicy::Default();
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<ModerationStore> moderation_store_;
  std::unique_ptr<AdvisoryStore> advisories_;
  std::unique_ptr<SandboxStore> reports_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<PackageService> packages_;
  std::unique_ptr<ModerationService> moderation_;
  std::unique_ptr<SandboxService> service_;
  Identity alice_{"alice", false, false, "k-alice"};
  absl::StatusOr<json::object> next_ = json::object{};
  int runs_ = 0;
};

TEST_F(SandboxServiceTest, CleanReportIsStoredAndDiffedAgainstThePreviousVersion) {
  Publish("1.0.0");
  next_ = Report("clean", "/usr/bin/node");
  ASSERT_TRUE(service_->Enqueue("pkg", "1.0.0", "publish").ok());
  ASSERT_EQ(*service_->RunNext(), true);
  EXPECT_EQ(*service_->RunNext(), false);
  clock_.Advance(absl::Minutes(1));
  Publish("1.0.1");
  next_ = Report("clean", "/usr/bin/curl");
  ASSERT_TRUE(service_->RunVersion("pkg", "1.0.1").ok());
  auto r = service_->Report("pkg", "1.0.1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*GetString(*r, "previous_version"), "1.0.0");
  EXPECT_EQ(ToJson(r->at("new_behaviour")), R"j(["exec: curl (postinstall)"])j");
  EXPECT_EQ(service_->Report("pkg", "9.9.9").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(service_->Enqueue("pkg", "9.9.9", "admin").status().code(),
            absl::StatusCode::kNotFound);
  auto summary = service_->Summary("pkg", "1.0.1");
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(*summary,
            R"j({"verdict":"clean","findings":[],"previous_version":"1.0.0","new_behaviour":["exec: curl (postinstall)"]})j");
}

TEST_F(SandboxServiceTest, MaliciousVersionIsQuarantinedOwnersToldAndCaseOpened) {
  Publish("1.0.0");
  next_ = Report("malicious", "/usr/bin/curl");
  ASSERT_TRUE(service_->Enqueue("pkg", "1.0.0", "publish").ok());
  ASSERT_TRUE(*service_->RunNext());
  auto p = store_->GetPackage("pkg");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->versions.at("1.0.0").unpublished.has_value());  // No longer served.
  auto cases = moderation_store_->ListCases(true);
  ASSERT_TRUE(cases.ok());
  ASSERT_EQ(cases->size(), 1u);
  EXPECT_EQ((*cases)[0].kind, "hold");
  EXPECT_TRUE(StrContains((*cases)[0].reason, "credential-sent")) << (*cases)[0].reason;
  auto notices = moderation_store_->ListNotices("alice");
  ASSERT_TRUE(notices.ok());
  ASSERT_EQ(notices->size(), 1u);
  EXPECT_EQ((*notices)[0].kind, "sandbox-quarantine");
  auto stats = service_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(ToJson(*stats),
            R"({"reports":1,"flagged":1,"suspicious":0,"quarantined":1,"queued":0})");
  // An administrator who disagrees approves the case: the version is served again.
  ASSERT_TRUE(moderation_->Approve((*cases)[0].id, "admin", "false positive").ok());
  EXPECT_FALSE(store_->GetPackage("pkg")->versions.at("1.0.0").unpublished.has_value());
}

TEST_F(SandboxServiceTest, QuarantineDraftsTheMalwareAdvisoryPendingModeration) {
  service_->SetQuarantineHook([this](int64_t case_id, std::string_view findings) {
    auto id = moderation_->DraftPendingAdvisory(case_id, findings);
    ASSERT_TRUE(id.ok()) << id.status();
  });
  Publish("1.0.0");
  next_ = Report("malicious", "/usr/bin/curl");
  ASSERT_TRUE(service_->RunVersion("pkg", "1.0.0").ok());
  auto cases = moderation_store_->ListCases(true);
  ASSERT_TRUE(cases.ok());
  ASSERT_EQ(cases->size(), 1u);
  const int64_t case_id = (*cases)[0].id;
  const std::string id = StrCat(
      "MAL-BWK-", absl::FormatTime("%Y", (*cases)[0].created, absl::UTCTimeZone()), "-", case_id);
  auto draft = advisories_->Get(id);
  ASSERT_TRUE(draft.ok()) << draft.status();
  EXPECT_TRUE(draft->withdrawn.has_value());  // On file, not matching yet.
  EXPECT_TRUE(StrContains(draft->json, "credential-sent")) << draft->json;
  EXPECT_TRUE(StrContains(draft->json, "\"pending\":true")) << draft->json;
  EXPECT_EQ(draft->packages, std::vector<std::string>{"pkg"});
  EXPECT_TRUE(advisories_->ListForPackages({"pkg"})->empty());
  // The moderator removes the version: the same advisory now matches.
  clock_.Advance(absl::Minutes(5));
  auto removed = moderation_->Remove(case_id, "admin", false, "");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->advisory_id, id);
  EXPECT_FALSE(advisories_->Get(id)->withdrawn.has_value());
  EXPECT_EQ(advisories_->ListForPackages({"pkg"})->size(), 1u);
}

TEST_F(SandboxServiceTest, FailedRunStoresAnErrorReport) {
  Publish("1.0.0");
  next_ = absl::InternalError("sandbox setup failed");
  ASSERT_TRUE(service_->Enqueue("pkg", "1.0.0", "publish").ok());
  ASSERT_TRUE(*service_->RunNext());
  auto r = reports_->GetReport("pkg", "1.0.0");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, "error");
}

}  // namespace
}  // namespace bulwark::sandbox
