#include "packaging/packument.h"

#include "gtest/gtest.h"

namespace bulwark {
namespace {

PackageRecord Sample() {
  PackageRecord p;
  p.name = "@s/demo";
  p.rev = 3;
  p.created = absl::FromUnixSeconds(1'700'000'000);
  p.modified = absl::FromUnixSeconds(1'700'000'100);
  p.maintainers = {"alice"};
  p.dist_tags = {{"latest", "1.0.0"}};
  VersionRecord v;
  v.version = "1.0.0";
  v.manifest_json = R"({"name":"@s/demo","version":"1.0.0","scripts":{"postinstall":"x"},
    "license":"MIT","dist":{"fileCount":2,"unpackedSize":10}})";
  v.integrity = "sha512-abc";
  v.shasum = "def";
  v.published = absl::FromUnixSeconds(1'700'000'050);
  v.deprecated = "old";
  p.versions["1.0.0"] = v;
  VersionRecord gone = v;
  gone.version = "0.9.0";
  gone.unpublished = absl::FromUnixSeconds(1'700'000'060);
  p.versions["0.9.0"] = gone;
  return p;
}

std::string Email(std::string_view u) { return std::string(u) + "@example.com"; }

TEST(Packument, FullDocument) {
  json::object doc = RenderFullPackument(Sample(), "http://h:1", Email);
  EXPECT_EQ(doc["_id"], "@s/demo");
  EXPECT_EQ(std::string(doc["_rev"].as_string()).substr(0, 2), "3-");
  const json::object& v = doc["versions"].as_object().at("1.0.0").as_object();
  EXPECT_EQ(v.at("dist").as_object().at("tarball"), "http://h:1/@s/demo/-/demo-1.0.0.tgz");
  EXPECT_EQ(v.at("dist").as_object().at("integrity"), "sha512-abc");
  EXPECT_EQ(v.at("deprecated"), "old");
  EXPECT_FALSE(doc["versions"].as_object().contains("0.9.0"));
  EXPECT_EQ(doc["time"].as_object().at("0.9.0"), "2023-11-14T22:14:10.000Z");
  EXPECT_EQ(doc["time"].as_object().at("created"), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(ToJson(doc["maintainers"]), R"([{"name":"alice","email":"alice@example.com"}])");
  EXPECT_EQ(doc["license"], "MIT");
}

TEST(Packument, PublisherEmailIsTheAccountsCurrentOrNone) {
  PackageRecord p = Sample();
  p.versions["1.0.0"].manifest_json =
      R"({"name":"@s/demo","version":"1.0.0","_npmUser":{"name":"bob","email":"bob@old.test"}})";
  EmailLookup now = [](std::string_view u) { return std::string(u) + "@new.test"; };
  json::object doc = RenderFullPackument(p, "http://h:1", now);
  const json::object& v = doc["versions"].as_object().at("1.0.0").as_object();
  EXPECT_EQ(ToJson(v.at("_npmUser")), R"({"name":"bob","email":"bob@new.test"})");
  EXPECT_EQ(ToJson(RenderVersion(p, "1.0.0", "http://h:1", now)->at("_npmUser")),
            R"({"name":"bob","email":"bob@new.test"})");
  // Hidden (or unknown): no "email" member anywhere, not even the one stored at publish time.
  EmailLookup hidden = [](std::string_view) { return std::string(); };
  doc = RenderFullPackument(p, "http://h:1", hidden);
  EXPECT_EQ(ToJson(doc["maintainers"]), R"([{"name":"alice"}])");
  EXPECT_EQ(ToJson(doc["versions"].as_object().at("1.0.0").as_object().at("_npmUser")),
            R"({"name":"bob"})");
  EXPECT_EQ(ToJson(doc).find("@old.test"), std::string::npos);
}

TEST(Packument, AbbreviatedDocument) {
  json::object doc = RenderAbbreviatedPackument(Sample(), "http://h:1");
  EXPECT_EQ(doc["modified"], "2023-11-14T22:15:00.000Z");
  const json::object& v = doc["versions"].as_object().at("1.0.0").as_object();
  EXPECT_TRUE(v.at("hasInstallScript").as_bool());
  EXPECT_FALSE(v.contains("scripts"));
  EXPECT_EQ(v.at("deprecated"), "old");
  EXPECT_EQ(v.at("license"), "MIT");
  EXPECT_FALSE(doc.contains("time"));
}

TEST(Packument, TarballNames) {
  EXPECT_EQ(TarballFileName("@s/demo", "1.0.0"), "demo-1.0.0.tgz");
  EXPECT_EQ(TarballFileName("demo", "1.0.0-rc.1"), "demo-1.0.0-rc.1.tgz");
  EXPECT_EQ(TarballUrl("http://h", "@s/demo", "1.0.0"), "http://h/@s/demo/-/demo-1.0.0.tgz");
}

}  // namespace
}  // namespace bulwark
