#include "gtest/gtest.h"
#include "server/config.h"

namespace bulwark {
namespace {

TEST(DomainsConfig, DefaultsAndEveryKey) {
  auto d = ParseConfig("", "/etc/bulwark");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->email_domains.enabled);
  EXPECT_EQ(d->email_domains.interval, absl::Hours(6));
  EXPECT_EQ(d->email_domains.monitor.recheck, absl::Hours(24));
  EXPECT_TRUE(d->email_domains.resolver.empty());
  EXPECT_FALSE(d->api.hide_emails);

  auto c = ParseConfig(R"(
email_domains:
  enabled: false
  interval_minutes: 30
  recheck_minutes: 0
  retry_minutes: 2
  retry_max_minutes: 60
  tries: 3
  resolver: 127.0.0.1:5353
  dns_timeout_ms: 250
  rdap_base: http://127.0.0.1:9/
  rdap_bootstrap: rdap/dns.json
  rdap_timeout_ms: 1500
  rdap_spacing_ms: 0
packuments:
  hide_emails: true
)",
                       "/etc/bulwark");
  ASSERT_TRUE(c.ok()) << c.status();
  const DomainsConfig& e = c->email_domains;
  EXPECT_FALSE(e.enabled);
  EXPECT_EQ(e.interval, absl::Minutes(30));
  EXPECT_EQ(e.monitor.recheck, absl::ZeroDuration());
  EXPECT_EQ(e.monitor.retry_base, absl::Minutes(2));
  EXPECT_EQ(e.monitor.retry_max, absl::Hours(1));
  EXPECT_EQ(e.monitor.tries, 3);
  EXPECT_EQ(e.resolver, "127.0.0.1:5353");
  EXPECT_EQ(e.dns_timeout, absl::Milliseconds(250));
  EXPECT_EQ(e.rdap_base, "http://127.0.0.1:9/");
  EXPECT_EQ(e.rdap_bootstrap, "/etc/bulwark/rdap/dns.json");
  EXPECT_EQ(e.monitor.rdap_timeout, absl::Milliseconds(1500));
  EXPECT_EQ(e.monitor.rdap_spacing, absl::ZeroDuration());
  EXPECT_TRUE(c->api.hide_emails);
}

TEST(DomainsConfig, RefusesBadValues) {
  auto bad = [](const char* yaml) { return ParseConfig(yaml, "/etc").status(); };
  EXPECT_EQ(bad("email_domains:\n  bogus: 1\n").message(),
            "config: unknown key \"email_domains.bogus\"");
  EXPECT_EQ(bad("email_domains:\n  interval_minutes: 0\n").message(),
            "config: email_domains.interval_minutes: must be at least 1");
  EXPECT_EQ(bad("email_domains:\n  tries: 9\n").message(),
            "config: email_domains.tries: must be 1 to 5");
  EXPECT_EQ(bad("email_domains:\n  rdap_base: ftp://x/\n").message(),
            "config: email_domains.rdap_base: must start with http:// or https://");
  EXPECT_EQ(bad("packuments:\n  hide: true\n").message(),
            "config: unknown key \"packuments.hide\"");
  EXPECT_TRUE(absl::IsInvalidArgument(bad("email_domains:\n  dns_timeout_ms: soon\n")));
}

}  // namespace
}  // namespace bulwark
