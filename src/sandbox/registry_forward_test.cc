#include "sandbox/registry_forward.h"

#include <gtest/gtest.h>

#include "sandbox/report.h"

namespace bulwark::sandbox {
namespace {

TEST(RegistryPath, PackumentsAndTarballsOnly) {
  for (std::string_view ok : {"/left-pad", "/@scope/name", "/@scope%2fname", "/@scope%2Fname",
                              "/a.b_c~d", "/left-pad/-/left-pad-1.0.0.tgz",
                              "/@scope/name/-/name-2.0.0-beta.1.tgz", "/Legacy"}) {
    EXPECT_TRUE(IsRegistryReadPath(ok)) << ok;
  }
  for (std::string_view bad :
       {"", "/", "left-pad", "/-/whoami", "/-/v1/search", "/-/bulwark/v1/stats",
        "/-/npm/v1/security/advisories/bulk", "/.hidden", "/_design", "/name/1.0.0",
        "/name/-/x.txt", "/name/-/../../etc.tgz", "/name/-/.tgz", "/name?write=true",
        "/@scope", "/@scope/", "/@/name", "/@scope/name/extra", "/na%2e%2e", "/a..b",
        "/name/-/sub/x.tgz", "/-/user/org.couchdb.user:x", "/name/dist-tags/latest"}) {
    EXPECT_FALSE(IsRegistryReadPath(bad)) << bad;
  }
}

TEST(RegistryPath, RewritesTarballUrls) {
  const std::string body =
      R"({"dist":{"tarball":"http://127.0.0.1:5555/a/-/a-1.0.0.tgz"},"x":"http://127.0.0.1:5555/","y":"http://127.0.0.1:55556/b"})";
  EXPECT_EQ(RewriteRegistryUrls(body, "http://127.0.0.1:5555"),
            R"({"dist":{"tarball":"http://127.0.0.1:4873/a/-/a-1.0.0.tgz"},"x":"http://127.0.0.1:4873/","y":"http://127.0.0.1:55556/b"})");
  EXPECT_EQ(RewriteRegistryUrls(body, ""), body);
}

TEST(RegistryPath, ForwardedReadsAreListedNotFindings) {
  ReportInput in;
  in.name = "app";
  in.version = "1.0.0";
  in.honey_token = "bwk_0123456789abcdefghijklmnopqrst1234";
  in.run.registry =
      R"({"t":1.0,"kind":"registry","port":4873,"method":"GET","target":"/dep","status":200,"bytes":10})"
      "\n";
  json::object r = BuildReport(in);
  ASSERT_NE(GetArray(r, "registry"), nullptr);
  EXPECT_EQ(GetArray(r, "registry")->size(), 1u);
  EXPECT_EQ(GetString(r, "verdict").value_or(""), kVerdictClean);
  EXPECT_TRUE(GetArray(r, "sinks")->empty());  // npm's own read: not a contact of the package.
}

}  // namespace
}  // namespace bulwark::sandbox
