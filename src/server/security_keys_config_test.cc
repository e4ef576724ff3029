// Configuration of security keys: the UV policy in YAML and the relying party from public_url.

#include "gtest/gtest.h"
#include "server/app.h"
#include "server/config.h"

namespace bulwark {
namespace {

TEST(SecurityKeysConfig, UserVerificationPolicy) {
  auto d = ParseConfig("auth:\n  allow_registration: true\n", "/");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->security_keys.require_user_verification);
  auto c = ParseConfig("auth:\n  security_keys:\n    require_user_verification: true\n", "/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->security_keys.require_user_verification);
  auto typo = ParseConfig("auth:\n  security_keys:\n    require_uv: true\n", "/");
  EXPECT_EQ(std::string(typo.status().message()),
            "config: unknown key \"auth.security_keys.require_uv\"");
  EXPECT_FALSE(ParseConfig("auth:\n  security_keys: yes\n", "/").ok());
}

TEST(SecurityKeysConfig, RelyingPartyFromPublicUrl) {
  auto rp = RelyingPartyFromUrl("https://NPM.example.com/registry");
  ASSERT_TRUE(rp.ok()) << rp.status();
  EXPECT_EQ(rp->id, "npm.example.com");
  EXPECT_EQ(rp->origin, "https://npm.example.com");
  rp = RelyingPartyFromUrl("http://localhost:4873");
  ASSERT_TRUE(rp.ok());
  EXPECT_EQ(rp->id, "localhost");
  EXPECT_EQ(rp->origin, "http://localhost:4873");
  EXPECT_FALSE(RelyingPartyFromUrl("ftp://x.example").ok());
  EXPECT_FALSE(RelyingPartyFromUrl("https://[::1]:4873").ok());
  EXPECT_FALSE(RelyingPartyFromUrl("http://127.0.0.1:4873").ok());
  EXPECT_FALSE(RelyingPartyFromUrl("https://:4873").ok());
}

}  // namespace
}  // namespace bulwark
