#include "packaging/package_service.h"

#include <archive.h>
#include <archive_entry.h>

#include <set>

#include "base/ecdsa.h"
#include "base/hash.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "packaging/packument.h"
#include "packaging/signatures.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using testing::FakeClock;
using testing::TempDir;

std::string MakeTarball(const std::string& package_json) {
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  std::string out(1 << 20, '\0');
  size_t used = 0;
  archive_write_open_memory(a, out.data(), out.size(), &used);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "package/package.json");
  archive_entry_set_size(e, package_json.size());
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_write_header(a, e);
  archive_write_data(a, package_json.data(), package_json.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

json::object PublishBody(const std::string& name, const std::string& version,
                         const std::string& extra = "") {
  std::string pj = StrCat(R"({"name":")", name, R"(","version":")", version, "\"", extra, "}");
  std::string tgz = MakeTarball(pj);
  json::object manifest = ParseJson(pj)->get_object();
  manifest["dist"] = json::object{{"integrity", Sha512Integrity(tgz)},
                                  {"shasum", HexEncode(Sha1(tgz))}};
  json::object body;
  body["_id"] = name;
  body["name"] = name;
  body["dist-tags"] = json::object{{"latest", version}};
  body["versions"] = json::object{{version, manifest}};
  body["_attachments"] = json::object{
      {StrCat(name, "-", version, ".tgz"),
       json::object{{"data", Base64Encode(tgz)}, {"length", tgz.size()}}}};
  return body;
}

class PackageServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*NewSqliteMetadataStore(dir_.path() + "/m.sqlite3"));
    blobs_ = std::move(*NewFsBlobStore(dir_.path() + "/blobs"));
    for (const char* u : {"alice", "bob"}) {
      UserRecord r;
      r.name = u;
      r.email = StrCat(u, "@example.com");
      ASSERT_TRUE(store_->CreateUser(r).ok());
    }
  }
  PackageService& Service(RegistryOptions opts = {}) {
    service_ = std::make_unique<PackageService>(*store_, *blobs_, clock_, policy_, opts);
    return *service_;
  }
  TempDir dir_;
  FakeClock clock_;
  AccessPolicy policy_ = AccessPolicy::Default();
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<PackageService> service_;
  Identity alice_{"alice", false, false, "k1"};
  Identity bob_{"bob", false, false, "k2"};
};

TEST_F(PackageServiceTest, PublishStoresBlobAndMetadata) {
  PackageService& s = Service();
  auto r = s.Publish(alice_, "demo", PublishBody("demo", "1.0.0"));
  ASSERT_TRUE(r.ok()) << r.status();
  auto p = store_->GetPackage("demo");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->maintainers, std::vector<std::string>{"alice"});
  EXPECT_EQ(p->dist_tags.at("latest"), "1.0.0");
  const VersionRecord& v = p->versions.at("1.0.0");
  EXPECT_TRUE(blobs_->Exists(v.blob_key).value());
  auto manifest = ParseJson(v.manifest_json)->get_object();
  EXPECT_EQ(manifest.at("_npmUser").at("email"), "alice@example.com");
  EXPECT_EQ(manifest.at("_id"), "demo@1.0.0");
}

TEST_F(PackageServiceTest, ReadOnlyTokensAndNonOwnersCannotWrite) {
  PackageService& s = Service();
  Identity ro = alice_;
  ro.readonly = true;
  EXPECT_EQ(s.Publish(ro, "demo", PublishBody("demo", "1.0.0")).status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(s.Publish(alice_, "demo", PublishBody("demo", "1.0.0")).ok());
  auto r = s.Publish(bob_, "demo", PublishBody("demo", "1.1.0"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(std::string(r.status().message()),
            "You do not have permission to publish \"demo\". Are you logged in as the correct "
            "user?");
  EXPECT_EQ(s.SetDistTag(bob_, "demo", "beta", "1.0.0").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(PackageServiceTest, UnpublishFollowsNpmPolicy) {
  PackageService& s = Service();
  ASSERT_TRUE(s.Publish(alice_, "base", PublishBody("base", "1.0.0")).ok());
  ASSERT_TRUE(s.Publish(alice_, "base", PublishBody("base", "1.1.0")).ok());
  ASSERT_TRUE(s.Publish(bob_, "user-of-base", PublishBody("user-of-base", "1.0.0",
                                                          R"(,"dependencies":{"base":"^1.0.0"})"))
                  .ok());
  clock_.Advance(absl::Hours(73));
  absl::Status late = s.UnpublishPackage(alice_, "base");
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(late.message()).find("other packages depend on it"), std::string::npos);
  // Without dependents, an old package may go.
  ASSERT_TRUE(s.UnpublishPackage(bob_, "user-of-base").ok());
  ASSERT_TRUE(s.UnpublishPackage(alice_, "base").ok());
  EXPECT_EQ(s.Read("base", alice_).status().code(), absl::StatusCode::kNotFound);
  // The numbers stay reserved, and the name stays with its maintainers.
  EXPECT_EQ(s.Publish(alice_, "base", PublishBody("base", "1.0.0")).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.Publish(bob_, "base", PublishBody("base", "2.0.0")).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(s.Publish(alice_, "base", PublishBody("base", "2.0.0")).ok());
}

TEST_F(PackageServiceTest, UnpublishNeverPolicy) {
  RegistryOptions opts;
  opts.unpublish = UnpublishPolicy::kNever;
  PackageService& s = Service(opts);
  ASSERT_TRUE(s.Publish(alice_, "keep", PublishBody("keep", "1.0.0")).ok());
  EXPECT_EQ(std::string(s.UnpublishPackage(alice_, "keep").message()),
            "unpublishing is disabled on this registry; deprecate the version instead");
}

TEST_F(PackageServiceTest, DistTagsAndLatest) {
  PackageService& s = Service();
  ASSERT_TRUE(s.Publish(alice_, "t", PublishBody("t", "1.0.0")).ok());
  EXPECT_EQ(s.SetDistTag(alice_, "t", "beta", "9.9.9").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.SetDistTag(alice_, "t", "1.x", "1.0.0").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.RemoveDistTag(alice_, "t", "latest").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(s.SetDistTag(alice_, "t", "beta", "1.0.0").ok());
  EXPECT_EQ(store_->GetPackage("t")->dist_tags.at("beta"), "1.0.0");
  ASSERT_TRUE(s.RemoveDistTag(alice_, "t", "beta").ok());
  EXPECT_EQ(s.RemoveDistTag(alice_, "t", "beta").code(), absl::StatusCode::kNotFound);
}

TEST_F(PackageServiceTest, RestrictedPackagesReadOnlyByMaintainers) {
  PackageService& s = Service();
  json::object body = PublishBody("@s/p", "1.0.0");
  body["access"] = "restricted";
  ASSERT_TRUE(s.Publish(alice_, "@s/p", body).ok());
  EXPECT_TRUE(s.Read("@s/p", alice_).ok());
  EXPECT_EQ(s.Read("@s/p", bob_).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.Read("@s/p", std::nullopt).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(s.PubliclyReadable("@s/p", true));
  json::object unscoped = PublishBody("u", "1.0.0");
  unscoped["access"] = "restricted";
  EXPECT_EQ(std::string(s.Publish(alice_, "u", unscoped).status().message()),
            "unscoped packages cannot be restricted");
}

TEST_F(PackageServiceTest, CrashBetweenBlobAndCommitLeavesOnlyAnOrphanBlob) {
  // A blob stored without its metadata (what a crash after Put leaves) is invisible.
  std::string tgz = MakeTarball(R"({"name":"ghost","version":"1.0.0"})");
  ASSERT_TRUE(blobs_->Put(HexEncode(Sha512(tgz)), tgz).ok());
  PackageService& s = Service();
  EXPECT_EQ(s.Read("ghost", alice_).status().code(), absl::StatusCode::kNotFound);
  // And the publish that follows (npm's retry) succeeds.
  EXPECT_TRUE(s.Publish(alice_, "ghost", PublishBody("ghost", "1.0.0")).ok());
}

// Refuses every name in `refused`; remembers which names it was asked about.
class FakeNameGate final : public NameGate {
 public:
  absl::Status CheckNewName(const Identity& who, std::string_view name) override {
    asked.emplace_back(name);
    if (refused.count(std::string(name))) return absl::PermissionDeniedError("looks like x");
    return absl::OkStatus();
  }
  std::set<std::string> refused;
  std::vector<std::string> asked;
};

TEST_F(PackageServiceTest, NameGateSeesOnlyNewNamesAndRefusesBeforeAnythingIsStored) {
  PackageService& s = Service();
  FakeNameGate gate;
  gate.refused = {"crossenv"};
  s.SetNameGate(&gate);
  ASSERT_TRUE(s.Publish(alice_, "fine", PublishBody("fine", "1.0.0")).ok());
  ASSERT_TRUE(s.Publish(alice_, "fine", PublishBody("fine", "1.1.0")).ok());  // Not new: no ask.
  json::object body = PublishBody("crossenv", "1.0.0");
  auto r = s.Publish(bob_, "crossenv", body);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(std::string(r.status().message()), "looks like x");
  EXPECT_EQ(gate.asked, (std::vector<std::string>{"fine", "crossenv"}));
  EXPECT_EQ(store_->GetPackageRev("crossenv").value(), 0);
  // The refused tarball was never written.
  std::string tgz = MakeTarball(R"({"name":"crossenv","version":"1.0.0"})");
  EXPECT_FALSE(blobs_->Exists(HexEncode(Sha512(tgz))).value());
  // The plain rules come first: a read-only token hears that, and the gate is not asked.
  Identity ro = bob_;
  ro.readonly = true;
  EXPECT_EQ(std::string(s.Publish(ro, "other", PublishBody("other", "1.0.0")).status().message()),
            "this token is read-only");
  EXPECT_EQ(gate.asked.size(), 2u);
}

// A VersionSigner over one real P-256 key (the file-backed one lives in server/).
class OneKeySigner final : public VersionSigner {
 public:
  OneKeySigner() : key_(*EcdsaP256Key::Generate()) {}
  absl::StatusOr<VersionSignature> Sign(std::string_view name, std::string_view version,
                                        std::string_view integrity) override {
    if (fail) return absl::UnavailableError("cannot sign: key unusable");
    ++calls;
    BULWARK_ASSIGN_OR_RETURN(std::string sig, key_.Sign(SignedMessage(name, version, integrity)));
    return VersionSignature{NpmKeyId(key_.PublicDer()), Base64Encode(sig)};
  }
  absl::StatusOr<std::vector<PublicSigningKey>> PublicKeys() override {
    return std::vector<PublicSigningKey>{{NpmKeyId(key_.PublicDer()), key_.PublicDer(), {}}};
  }
  bool fail = false;
  int calls = 0;

 private:
  EcdsaP256Key key_;
};

TEST_F(PackageServiceTest, PublishSignsEveryVersionAndPackumentsCarryTheSignature) {
  PackageService& s = Service();
  OneKeySigner signer;
  s.SetSigner(&signer);
  // A client cannot supply its own signatures: the registry's replace them.
  json::object body = PublishBody("@scope/signed", "1.0.0");
  body["versions"].as_object()["1.0.0"].as_object()["dist"].as_object()["signatures"] =
      json::array{json::object{{"keyid", "SHA256:forged"}, {"sig", "MEUC"}}};
  ASSERT_TRUE(s.Publish(alice_, "@scope/signed", body).ok());
  auto p = store_->GetPackage("@scope/signed");
  ASSERT_TRUE(p.ok());
  const VersionRecord& v = p->versions.at("1.0.0");
  ASSERT_EQ(v.signatures.size(), 1u);
  auto keys = signer.PublicKeys().value();
  EXPECT_EQ(v.signatures[0].keyid, keys[0].keyid);
  EXPECT_EQ(CheckVersionSignatures("@scope/signed", v, keys), SignatureCheck::kValid);

  // Both documents render dist.signatures, and the signature verifies over what they serve.
  auto emails = [](std::string_view) { return std::string(); };
  json::object full = RenderFullPackument(*p, "http://r", emails);
  json::object corgi = RenderAbbreviatedPackument(*p, "http://r");
  for (const json::object* doc : {&full, &corgi}) {
    const json::object& dist = doc->at("versions").at("1.0.0").at("dist").as_object();
    const json::array& sigs = dist.at("signatures").as_array();
    ASSERT_EQ(sigs.size(), 1u);
    EXPECT_EQ(sigs[0].at("keyid").as_string(), keys[0].keyid);
    std::string message = SignedMessage("@scope/signed", "1.0.0",
                                        std::string(dist.at("integrity").as_string()));
    EXPECT_TRUE(VerifyEcdsaP256(keys[0].public_der, message,
                                *Base64Decode(std::string(sigs[0].at("sig").as_string()))));
  }

  // A signer that cannot sign fails the publish: nothing unsigned is stored.
  signer.fail = true;
  auto r = s.Publish(alice_, "@scope/signed", PublishBody("@scope/signed", "1.1.0"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(store_->GetPackage("@scope/signed")->versions.count("1.1.0"));
}

TEST_F(PackageServiceTest, SignUnsignedVersionsSignsOnlyLiveUnsignedOnes) {
  PackageService& s = Service();
  ASSERT_TRUE(s.Publish(alice_, "old", PublishBody("old", "1.0.0")).ok());
  ASSERT_TRUE(s.Publish(alice_, "old", PublishBody("old", "1.1.0")).ok());
  ASSERT_TRUE(s.Publish(alice_, "old", PublishBody("old", "2.0.0")).ok());
  json::object without_1_1;
  without_1_1["versions"] = json::object{{"1.0.0", json::object{}}, {"2.0.0", json::object{}}};
  without_1_1["dist-tags"] = json::object{{"latest", "2.0.0"}};
  ASSERT_TRUE(s.ApplyDocument(alice_, "old", without_1_1).ok());  // Unpublishes 1.1.0.
  EXPECT_EQ(s.SignUnsignedVersions().status().code(), absl::StatusCode::kFailedPrecondition);

  OneKeySigner signer;
  s.SetSigner(&signer);
  ASSERT_TRUE(s.Publish(alice_, "new", PublishBody("new", "1.0.0")).ok());  // Signed at publish.
  PackageRecord before = *store_->GetPackage("old");
  std::vector<std::string> changed;
  s.OnChange([&](const std::string& name) { changed.push_back(name); });
  EXPECT_EQ(s.SignUnsignedVersions().value(), 2u);
  EXPECT_EQ(changed, std::vector<std::string>{"old"});  // Caches of "old" are invalidated.
  PackageRecord after = *store_->GetPackage("old");
  auto keys = signer.PublicKeys().value();
  EXPECT_EQ(CheckVersionSignatures("old", after.versions.at("1.0.0"), keys),
            SignatureCheck::kValid);
  EXPECT_EQ(CheckVersionSignatures("old", after.versions.at("2.0.0"), keys),
            SignatureCheck::kValid);
  EXPECT_TRUE(after.versions.at("1.1.0").signatures.empty());
  EXPECT_EQ(after.modified, before.modified);
  EXPECT_EQ(after.rev, before.rev + 1);
  // Idempotent: a second start signs nothing.
  int calls = signer.calls;
  EXPECT_EQ(s.SignUnsignedVersions().value(), 0u);
  EXPECT_EQ(signer.calls, calls);
}

}  // namespace
}  // namespace bulwark
