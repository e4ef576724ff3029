// `uplinks:`, `packages: proxy:` and `proxy:` of the config file (docs/proxy.md).

#include <gtest/gtest.h>

#include "server/config.h"
#include "server/proxy_config.h"

namespace bulwark {
namespace {

TEST(ProxyConfig, ParsesUplinksRoutesAndTheFirewall) {
  auto c = ParseConfig(R"(
uplinks:
  public:
    url: http://127.0.0.1:9/
    auth_token: t0k
    timeout_seconds: 5
    max_age_seconds: 60
    retries: 1
    max_concurrency: 4
  mirror:
    url: http://127.0.0.1:10/
packages:
  '@acme/*':
    access: $authenticated
    proxy: ''
  'internal-*':
    access: $all
  '**':
    proxy: [public, mirror]
proxy:
  cooldown_hours: 48
  probe_interval_hours: 0.5
  allow: [left-pad, {name: lodash, range: '>=4.17.21'}]
  deny:
    - {name: '**', publisher: mallory}
)", "/tmp");
  ASSERT_TRUE(c.ok()) << c.status();
  const proxy::UplinkConfig& u = c->proxy.uplinks.at("public");
  EXPECT_EQ(u.url, "http://127.0.0.1:9");
  EXPECT_EQ(u.auth_token, "t0k");
  EXPECT_EQ(u.timeout, absl::Seconds(5));
  EXPECT_EQ(u.max_age, absl::Seconds(60));
  EXPECT_EQ(u.retries, 1);
  EXPECT_EQ(u.max_concurrency, 4);
  ASSERT_EQ(c->proxy.routes.size(), 3u);
  EXPECT_EQ(c->proxy.routes[0].uplinks, std::vector<std::string>{});  // Local only.
  EXPECT_FALSE(c->proxy.routes[1].uplinks.has_value());               // No proxy: key.
  EXPECT_EQ(c->proxy.routes[2].uplinks, (std::vector<std::string>{"public", "mirror"}));
  EXPECT_EQ(c->proxy.firewall.cooldown, absl::Hours(48));
  EXPECT_EQ(c->proxy.firewall.probe_interval, absl::Minutes(30));
  ASSERT_EQ(c->proxy.firewall.allow.size(), 2u);
  EXPECT_EQ(c->proxy.firewall.allow[1].range, ">=4.17.21");
  EXPECT_EQ(c->proxy.firewall.deny[0].publisher, "mallory");
  // The access rules still see the same packages: entries.
  EXPECT_EQ(c->packages.size(), 3u);
}

TEST(ProxyConfig, RefusesBadValuesNamingTheKey) {
  auto bad = [](const std::string& yaml) {
    auto c = ParseConfig(yaml, "/tmp");
    return c.ok() ? std::string("ok") : std::string(c.status().message());
  };
  EXPECT_EQ(bad("uplinks:\n  a:\n    url: ftp://x\n"),
            "config: uplinks.a.url: the url must start with http:// or https://");
  EXPECT_EQ(bad("uplinks:\n  a:\n    url: http://x\n    colour: red\n"),
            "config: unknown key \"uplinks.a.colour\"");
  EXPECT_EQ(bad("packages:\n  '**':\n    proxy: nowhere\n"),
            "config: packages.**.proxy: no uplink named \"nowhere\" under uplinks:");
  EXPECT_EQ(bad("proxy:\n  deny: [{name: x, range: 'not a range'}]\n"),
            "config: proxy.deny[0]: \"not a range\" is not a semver range");
  EXPECT_EQ(bad("proxy:\n  cooldown_hours: -1\n"), "config: proxy.cooldown_hours: must be 0 to 8760");
  EXPECT_EQ(bad("proxy:\n  probe_interval_hours: -2\n"),
            "config: proxy.probe_interval_hours: must be 0 to 8760");
  EXPECT_EQ(bad("uplinks:\n  a:\n    url: http://x\n    retries: 50\n").substr(0, 26),
            "config: uplinks.a: needs t");
}

TEST(ProxyConfig, UplinkFlagProxiesEveryUnroutedName) {
  proxy::ProxyConfig p;
  ASSERT_TRUE(ApplyUplinkFlag("http://127.0.0.1:9/", p).ok());
  EXPECT_EQ(p.default_uplink, "default");
  EXPECT_EQ(p.uplinks.at("default").url, "http://127.0.0.1:9");
  EXPECT_FALSE(ApplyUplinkFlag("127.0.0.1:9", p).ok());
}

}  // namespace
}  // namespace bulwark
