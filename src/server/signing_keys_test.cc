#include "server/signing_keys.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "base/ecdsa.h"
#include "base/hash.h"
#include "gtest/gtest.h"
#include "packaging/signatures.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using testing::FakeClock;
using testing::TempDir;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

VersionRecord Version(const std::string& v, absl::Time published, VersionSignature sig) {
  VersionRecord r;
  r.version = v;
  r.integrity = "sha512-" + Base64Encode(Sha512(v));
  r.published = published;
  r.signatures = {std::move(sig)};
  return r;
}

TEST(SigningKeys, FirstStartCreatesAPrivateKeyOnlyItsOwnerCanRead) {
  TempDir tmp;
  FakeClock clock;
  const std::string dir = tmp.path() + "/keys/signing";
  auto keys = SigningKeys::Open(dir, clock);
  ASSERT_TRUE(keys.ok()) << keys.status();
  auto list = (*keys)->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  const SigningKeyInfo& k = list->front();
  EXPECT_TRUE(k.active);
  EXPECT_FALSE(k.expires.has_value());
  EXPECT_EQ(k.created, clock.Now());
  EXPECT_EQ(k.keyid.rfind("SHA256:", 0), 0u);
  EXPECT_EQ(k.keyid.size(), 7u + 43u);  // Unpadded base64 of 32 bytes.
  EXPECT_EQ(ModeOf(dir), 0700u);
  EXPECT_EQ(ModeOf(k.file), 0600u);
  EXPECT_NE(ReadAll(k.file).find("BEGIN PRIVATE KEY"), std::string::npos);

  // The public key served is the private key's, and its id is npm's form of it.
  auto pub = (*keys)->PublicKeys();
  ASSERT_TRUE(pub.ok());
  ASSERT_EQ(pub->size(), 1u);
  EXPECT_EQ(pub->front().keyid, k.keyid);
  EXPECT_EQ(NpmKeyId(pub->front().public_der), k.keyid);
  EXPECT_EQ(EcdsaP256Key::FromPem(ReadAll(k.file))->PublicDer(), pub->front().public_der);

  // A second start uses the same key.
  keys->reset();
  auto again = SigningKeys::Open(dir, clock);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->List()->front().keyid, k.keyid);
}

TEST(SigningKeys, SignaturesVerifyAsNpmChecksThem) {
  TempDir tmp;
  FakeClock clock;
  auto keys = SigningKeys::Open(tmp.path() + "/k", clock);
  ASSERT_TRUE(keys.ok());
  VersionRecord v = Version("1.0.0", clock.Now(), {});
  auto sig = (*keys)->Sign("@scope/demo", "1.0.0", v.integrity);
  ASSERT_TRUE(sig.ok()) << sig.status();
  v.signatures = {*sig};
  auto pub = (*keys)->PublicKeys().value();
  EXPECT_EQ(CheckVersionSignatures("@scope/demo", v, pub), SignatureCheck::kValid);
  // The message is "<name>@<version>:<integrity>": any part changed, the signature fails.
  EXPECT_TRUE(VerifyEcdsaP256(pub[0].public_der, "@scope/demo@1.0.0:" + v.integrity,
                              *Base64Decode(sig->sig)));
  EXPECT_EQ(CheckVersionSignatures("@scope/demo2", v, pub), SignatureCheck::kInvalid);
  VersionRecord other_integrity = v;
  other_integrity.integrity = "sha512-" + Base64Encode(Sha512("tampered"));
  EXPECT_EQ(CheckVersionSignatures("@scope/demo", other_integrity, pub), SignatureCheck::kInvalid);
  VersionRecord other_version = v;
  other_version.version = "1.0.1";
  EXPECT_EQ(CheckVersionSignatures("@scope/demo", other_version, pub), SignatureCheck::kInvalid);
  VersionRecord unsigned_v = v;
  unsigned_v.signatures.clear();
  EXPECT_EQ(CheckVersionSignatures("@scope/demo", unsigned_v, pub), SignatureCheck::kMissing);
  EXPECT_EQ(CheckVersionSignatures("@scope/demo", v, {}), SignatureCheck::kUnknownKey);
}

TEST(SigningKeys, RotationKeepsOldSignaturesValid) {
  TempDir tmp;
  FakeClock clock;
  const std::string dir = tmp.path() + "/k";
  auto server = SigningKeys::Open(dir, clock);  // As a running server holds it.
  ASSERT_TRUE(server.ok());
  VersionRecord old_v = Version("1.0.0", clock.Now(), {});
  old_v.signatures = {(*server)->Sign("demo", "1.0.0", old_v.integrity).value()};
  const std::string old_id = old_v.signatures[0].keyid;

  clock.Advance(absl::Hours(1));
  auto cli = SigningKeys::Open(dir, clock);  // `bulwark keys rotate`, another process.
  ASSERT_TRUE(cli.ok());
  auto fresh = (*cli)->Rotate();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_NE(fresh->keyid, old_id);
  EXPECT_TRUE(fresh->active);
  const absl::Time rotated = clock.Now();

  // The server notices at once: new versions are signed with the new key.
  VersionRecord new_v = Version("1.1.0", clock.Now(), {});
  new_v.signatures = {(*server)->Sign("demo", "1.1.0", new_v.integrity).value()};
  EXPECT_EQ(new_v.signatures[0].keyid, fresh->keyid);

  auto pub = (*server)->PublicKeys().value();
  ASSERT_EQ(pub.size(), 2u);
  EXPECT_EQ(pub[0].keyid, old_id);
  ASSERT_TRUE(pub[0].expires.has_value());
  EXPECT_EQ(*pub[0].expires, rotated + kRotationGrace);
  EXPECT_FALSE(pub[1].expires.has_value());
  EXPECT_EQ(CheckVersionSignatures("demo", old_v, pub), SignatureCheck::kValid);
  EXPECT_EQ(CheckVersionSignatures("demo", new_v, pub), SignatureCheck::kValid);
  // A version claiming the old key but published after its expiry fails, as npm would say.
  VersionRecord late = old_v;
  late.published = rotated + kRotationGrace;
  EXPECT_EQ(CheckVersionSignatures("demo", late, pub), SignatureCheck::kExpiredKey);

  // A second rotation retires the second key and keeps both old ones listed.
  clock.Advance(absl::Hours(1));
  ASSERT_TRUE((*server)->Rotate(absl::ZeroDuration()).ok());
  auto list = (*cli)->List().value();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(*list[0].expires, rotated + kRotationGrace);  // Unchanged.
  EXPECT_EQ(*list[1].expires, clock.Now());
  EXPECT_TRUE(list[2].active);
  EXPECT_FALSE(list[0].active || list[1].active);
}

TEST(SigningKeys, RefusesAKeyFileOthersCanRead) {
  TempDir tmp;
  FakeClock clock;
  const std::string dir = tmp.path() + "/k";
  std::string file;
  {
    auto keys = SigningKeys::Open(dir, clock);
    ASSERT_TRUE(keys.ok());
    file = (*keys)->List()->front().file;
  }
  for (mode_t bad : {0640, 0604, 0644}) {
    ASSERT_EQ(chmod(file.c_str(), bad), 0);
    auto keys = SigningKeys::Open(dir, clock);
    ASSERT_FALSE(keys.ok());
    EXPECT_EQ(keys.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(keys.status().message().find("accessible by group or others"), std::string::npos)
        << keys.status();
    EXPECT_NE(keys.status().message().find("chmod 600 " + file), std::string::npos);
  }
  ASSERT_EQ(chmod(file.c_str(), 0400), 0);  // Read-only for the owner is fine.
  EXPECT_TRUE(SigningKeys::Open(dir, clock).ok());
  ASSERT_EQ(chmod(file.c_str(), 0600), 0);

  // A running server whose key becomes readable refuses to sign rather than use it.
  auto keys = SigningKeys::Open(dir, clock);
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  EXPECT_FALSE((*keys)->Rotate().ok());

  ASSERT_EQ(chmod(file.c_str(), 0600), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  auto open_dir = SigningKeys::Open(dir, clock);
  ASSERT_FALSE(open_dir.ok());
  EXPECT_NE(open_dir.status().message().find("writable by group or others"), std::string::npos);
}

TEST(SigningKeys, ARunningServerStopsSigningButKeepsPublishingWhenTheListBreaks) {
  TempDir tmp;
  FakeClock clock;
  const std::string dir = tmp.path() + "/k";
  auto keys = SigningKeys::Open(dir, clock);
  ASSERT_TRUE(keys.ok());
  const std::string keyid = (*keys)->List()->front().keyid;
  std::ofstream(dir + "/keys.json", std::ios::trunc) << "{\"keys\": 7}";
  auto sig = (*keys)->Sign("a", "1.0.0", "sha512-x");
  EXPECT_EQ(sig.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(sig.status().message().find("cannot sign"), std::string::npos);
  auto pub = (*keys)->PublicKeys();
  ASSERT_TRUE(pub.ok());
  ASSERT_EQ(pub->size(), 1u);
  EXPECT_EQ(pub->front().keyid, keyid);
}

TEST(SigningKeys, BadKeyListsAreClearErrors) {
  TempDir tmp;
  FakeClock clock;
  const std::string dir = tmp.path() + "/k";
  std::string key_file;
  {
    auto keys = SigningKeys::Open(dir, clock);
    ASSERT_TRUE(keys.ok());
    key_file = (*keys)->List()->front().file;
  }
  const std::string manifest = dir + "/keys.json";
  auto write = [&](const std::string& text) {
    std::ofstream(manifest, std::ios::trunc) << text;
    chmod(manifest.c_str(), 0644);
  };
  const std::string good = ReadAll(manifest);
  const std::string name = key_file.substr(dir.size() + 1);
  struct Case {
    std::string text;
    std::string message;
  };
  std::vector<Case> cases = {
      {"not json", "keys.json"},
      {"{}", "no \"keys\" array"},
      {"{\"keys\":[{\"file\":\"../x.pem\",\"created\":\"2026-01-01T00:00:00.000Z\"}]}",
       "must be a file name"},
      {"{\"keys\":[{\"file\":\"" + name + "\",\"created\":\"yesterday\"}]}", "\"created\""},
      {"{\"keys\":[{\"file\":\"" + name +
           "\",\"created\":\"2026-01-01T00:00:00.000Z\",\"expires\":\"2026-01-02T00:00:00.000Z\"}]"
           "}",
       "no active key"},
      {"{\"keys\":[{\"file\":\"missing.pem\",\"created\":\"2026-01-01T00:00:00.000Z\"}]}",
       "missing.pem"},
      {"{\"keys\":[]}", "no active key"},
  };
  for (const auto& c : cases) {
    write(c.text);
    auto keys = SigningKeys::Open(dir, clock);
    ASSERT_FALSE(keys.ok()) << c.text;
    EXPECT_NE(keys.status().message().find(c.message), std::string::npos)
        << c.text << " -> " << keys.status();
  }
  // A file that is not a P-256 private key.
  write(good);
  std::ofstream(key_file, std::ios::trunc) << "-----BEGIN PRIVATE KEY-----\nAAAA\n";
  auto keys = SigningKeys::Open(dir, clock);
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.status().message().find("not a PEM private key"), std::string::npos);
}

}  // namespace
}  // namespace bulwark
