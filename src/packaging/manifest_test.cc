#include "packaging/manifest.h"

#include "gtest/gtest.h"

namespace bulwark {
namespace {

json::object Parse(std::string_view text) { return ParseJson(text)->get_object(); }

std::vector<TarballFile> Files(std::initializer_list<const char*> paths) {
  std::vector<TarballFile> out;
  for (const char* p : paths) {
    TarballFile f;
    f.path = p;
    out.push_back(f);
  }
  return out;
}

TEST(NormalizeManifest, MatchesWhatNpmSendsForCommonShapes) {
  json::object m = Parse(R"({"name":"@s/tool","version":"1.0.0","bin":"./cli.js",
    "bundledDependencies":["a"],"dependencies":{"a":"1","b":"2"},
    "optionalDependencies":{"b":"2"},"scripts":{"x":1,"test":"t"},"_secret":"drop"})");
  std::vector<TarballFile> files = Files({"binding.gyp", "cli.js"});
  NormalizeManifest(m, files);
  EXPECT_EQ(ToJson(m["bin"]), R"({"tool":"cli.js"})");
  EXPECT_EQ(ToJson(m["bundleDependencies"]), R"(["a"])");
  EXPECT_FALSE(m.contains("bundledDependencies"));
  EXPECT_EQ(ToJson(m["dependencies"]), R"({"a":"1"})");
  EXPECT_EQ(ToJson(m["scripts"]), R"({"test":"t","install":"node-gyp rebuild"})");
  EXPECT_FALSE(m.contains("_secret"));
}

TEST(NormalizeManifest, BinPathsAreCleanedAndDirectoriesBinExpanded) {
  json::object m = Parse(R"({"name":"x","bin":{"../../evil":"./a/../b.js"}})");
  NormalizeManifest(m, {});
  EXPECT_EQ(ToJson(m["bin"]), R"({"evil":"b.js"})");
  json::object d = Parse(R"({"name":"x","directories":{"bin":"./bin"}})");
  NormalizeManifest(d, Files({"bin/one", "bin/.hidden", "lib/two"}));
  EXPECT_EQ(ToJson(d["bin"]), R"({"one":"bin/one"})");
}

TEST(CheckManifestsAgree, FlagsEveryInstallRelevantDifference) {
  json::object a = Parse(R"({"name":"x","version":"1.0.0","dependencies":{"a":"1"}})");
  EXPECT_TRUE(CheckManifestsAgree(a, a).ok());
  json::object empty_deps = Parse(R"({"name":"x","version":"1.0.0","dependencies":{"a":"1"},"bin":{}})");
  EXPECT_TRUE(CheckManifestsAgree(a, empty_deps).ok()) << "empty objects equal absent ones";
  for (const char* field : {"scripts", "devDependencies", "peerDependencies", "bin",
                            "optionalDependencies"}) {
    json::object b = a;
    b[field] = json::object{{"k", "v"}};
    absl::Status s = CheckManifestsAgree(a, b);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << field;
    EXPECT_NE(std::string(s.message()).find(std::string("\"") + field + "\""), std::string::npos);
  }
}

TEST(HasInstallScript, OnlyLifecycleInstallHooks) {
  EXPECT_TRUE(HasInstallScript(Parse(R"({"scripts":{"postinstall":"x"}})")));
  EXPECT_TRUE(HasInstallScript(Parse(R"({"scripts":{"preinstall":"x"}})")));
  EXPECT_FALSE(HasInstallScript(Parse(R"({"scripts":{"test":"x","prepare":"y"}})")));
  EXPECT_FALSE(HasInstallScript(Parse(R"({})")));
}

}  // namespace
}  // namespace bulwark
