#include "server/config.h"

#include "gtest/gtest.h"

namespace bulwark {
namespace {

TEST(Config, EmptyFileMeansDefaults) {
  auto c = ParseConfig("", "/etc/bulwark");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server.host, "127.0.0.1");
  EXPECT_EQ(c->server.port, 4873);
  EXPECT_EQ(c->data_dir, "./data");
  EXPECT_FALSE(c->api.allow_registration);
  EXPECT_TRUE(c->packages.empty());
}

TEST(Config, FullExample) {
  auto c = ParseConfig(R"(
listen: 0.0.0.0:8080
storage: ./store
public_url: https://npm.example.com/
auth:
  allow_registration: true
  token_lifetime_days: 7
limits:
  max_publish_body_mb: 10
publish:
  unpublish: never
  scoped_default_access: restricted
packages:
  '@internal/*':
    access: $authenticated
    publish: alice bob
  '**':
    access: [$all]
)", "/etc/bulwark");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server.host, "0.0.0.0");
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_EQ(c->data_dir, "/etc/bulwark/store");
  EXPECT_EQ(c->api.public_url, "https://npm.example.com");
  EXPECT_TRUE(c->api.allow_registration);
  EXPECT_EQ(c->accounts.session_token_lifetime, absl::Hours(24 * 7));
  EXPECT_EQ(c->api.max_publish_body, 10u << 20);
  EXPECT_EQ(c->registry.unpublish, UnpublishPolicy::kNever);
  EXPECT_TRUE(c->registry.scoped_default_restricted);
  ASSERT_EQ(c->packages.size(), 2u);
  EXPECT_EQ(c->packages[0].pattern, "@internal/*");
  EXPECT_EQ(c->packages[0].publish, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(c->packages[1].access, std::vector<std::string>{"$all"});
}

TEST(Config, ErrorsNameTheProblem) {
  EXPECT_EQ(std::string(ParseConfig("lissten: 1", "/").status().message()),
            "config: unknown key \"lissten\"");
  EXPECT_EQ(std::string(ParseConfig("listen: nowhere", "/").status().message()),
            "listen address \"nowhere\" is not HOST:PORT");
  EXPECT_EQ(std::string(ParseConfig("publish:\n  unpublish: sometimes", "/").status().message()),
            "config: publish.unpublish must be npm, always or never");
  EXPECT_EQ(ParseConfig("[unclosed", "/").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseConfig("auth:\n  allow_registration: maybe", "/").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadConfigFile("/nonexistent/bulwark.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(Config, MandatoryTwoFactorAndTokenLimits) {
  auto d = ParseConfig("", "/");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->mfa.require_2fa_for_publish);
  EXPECT_EQ(d->high_impact.weekly_downloads, 1'000'000u);
  EXPECT_EQ(d->high_impact.dependents, 500u);
  EXPECT_EQ(d->high_impact.top_n, 0u);
  EXPECT_EQ(d->accounts.max_write_token_lifetime, absl::Hours(24 * 90));
  auto c = ParseConfig(
      "auth:\n  require_2fa_for_publish: true\n  require_2fa_scopes: ['@Acme', '@b']\n"
      "  max_write_token_days: 45\n  event_retention_days: 30\n"
      "  high_impact:\n    weekly_downloads: 5\n    top_n: 3\n    dependents: 0\n"
      "    refresh_seconds: 2\n",
      "/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->mfa.require_2fa_for_publish);
  EXPECT_EQ(c->mfa.require_2fa_scopes, (std::vector<std::string>{"@acme", "@b"}));
  EXPECT_EQ(c->accounts.max_write_token_lifetime, absl::Hours(24 * 45));
  EXPECT_EQ(c->event_retention, absl::Hours(24 * 30));
  EXPECT_EQ(c->high_impact.weekly_downloads, 5u);
  EXPECT_EQ(c->high_impact.top_n, 3u);
  EXPECT_EQ(c->high_impact.dependents, 0u);
  EXPECT_EQ(c->high_impact.refresh, absl::Seconds(2));
  auto message = [](const char* yaml) {
    return std::string(ParseConfig(yaml, "/").status().message());
  };
  EXPECT_EQ(message("auth:\n  require_2fa_scopes: [acme]"),
            "config: auth.require_2fa_scopes: \"acme\" is not a scope (write it as '@name')");
  EXPECT_EQ(message("auth:\n  high_impact:\n    weekly: 5"),
            "config: unknown key \"auth.high_impact.weekly\"");
  EXPECT_EQ(message("auth:\n  max_write_token_days: 5"),
            "config: auth.token_lifetime_days must not exceed auth.max_write_token_days");
  EXPECT_EQ(message("auth:\n  login_token_hours: 0"),
            "config: auth.login_token_hours must be 1 to 2160");
  EXPECT_EQ(message("trusted_publishing:\n  issuers:\n    jenkins: https://ci.example.test"),
            "config: trusted_publishing.issuers: unknown provider type \"jenkins\" (github, "
            "gitlab, circleci)");
  EXPECT_EQ(message("trusted_publishing:\n  token_minutes: 60"),
            "config: trusted_publishing.token_minutes must be 1 to 15");
}

TEST(Config, LoginThrottle) {
  auto d = ParseConfig("", "/");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->accounts.throttle.free_failures, 5);
  EXPECT_EQ(d->accounts.throttle.base_delay, absl::Seconds(1));
  EXPECT_EQ(d->accounts.throttle.max_delay, absl::Minutes(15));
  auto c = ParseConfig(
      "auth:\n  throttle:\n    free_failures: 2\n    base_delay_seconds: 3\n"
      "    max_delay_seconds: 60\n",
      "/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->accounts.throttle.free_failures, 2);
  EXPECT_EQ(c->accounts.throttle.base_delay, absl::Seconds(3));
  EXPECT_EQ(c->accounts.throttle.max_delay, absl::Seconds(60));
  // Throttling cannot be switched off with a zero delay, nor the cap set below the base.
  EXPECT_EQ(ParseConfig("auth:\n  throttle:\n    base_delay_seconds: 0\n", "/").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseConfig("auth:\n  throttle:\n    max_delay_seconds: 0\n", "/").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseConfig("auth:\n  throttle:\n    free_failures: x\n", "/").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Config, TyposquatDefaultsAndOverrides) {
  auto d = ParseConfig("", "/etc/bulwark");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->typosquat.enabled);
  EXPECT_EQ(d->typosquat.snapshot, "");  // The shipped snapshot.
  EXPECT_TRUE(d->private_names.scopes.empty());
  EXPECT_TRUE(d->private_names.names.empty());

  auto c = ParseConfig(R"(
typosquat:
  enabled: false
  snapshot: data/top.tsv.gz
  top_n: 1000
  min_target_downloads: 50
  warn_score: 0.3
  hold_score: 0.5
  block_score: 0.9
)", "/etc/bulwark");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->typosquat.enabled);
  EXPECT_EQ(c->typosquat.snapshot, "/etc/bulwark/data/top.tsv.gz");
  EXPECT_EQ(c->typosquat.engine.top_n, 1000u);
  EXPECT_EQ(c->typosquat.engine.min_target_downloads, 50u);
  EXPECT_DOUBLE_EQ(c->typosquat.engine.warn_score, 0.3);
  EXPECT_DOUBLE_EQ(c->typosquat.engine.hold_score, 0.5);
  EXPECT_DOUBLE_EQ(c->typosquat.engine.block_score, 0.9);
}

TEST(Config, SigningKeysDir) {
  EXPECT_EQ(ParseConfig("", "/etc/bulwark")->signing_keys_dir, "");  // <data_dir>/keys/signing.
  auto rel = ParseConfig("signing:\n  keys_dir: keys/sign\n", "/etc/bulwark");
  ASSERT_TRUE(rel.ok()) << rel.status();
  EXPECT_EQ(rel->signing_keys_dir, "/etc/bulwark/keys/sign");
  EXPECT_EQ(ParseConfig("signing:\n  keys_dir: /srv/k\n", "/etc")->signing_keys_dir, "/srv/k");
  auto bad = ParseConfig("signing:\n  key_dir: /srv/k\n", "/etc");
  EXPECT_EQ(std::string(bad.status().message()), "config: unknown key \"signing.key_dir\"");
}

TEST(Config, PrivateScopesAndNames) {
  auto c = ParseConfig(R"(
private:
  scopes:
    '@acme': [alice, bob]
    '@ops': carol
    '@empty':
  names: [acme-utils, acme-config]
)", "/");
  ASSERT_TRUE(c.ok()) << c.status();
  const auto& p = c->private_names;
  ASSERT_EQ(p.scopes.size(), 3u);
  EXPECT_EQ(p.scopes.at("@acme"), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(p.scopes.at("@ops"), (std::vector<std::string>{"carol"}));
  EXPECT_TRUE(p.scopes.at("@empty").empty());
  ASSERT_EQ(p.names.size(), 2u);
  EXPECT_TRUE(p.names.at("acme-utils").empty());  // Admins only.

  auto owned = ParseConfig("private:\n  names:\n    acme-utils: [alice]\n    acme-cli:\n", "/");
  ASSERT_TRUE(owned.ok()) << owned.status();
  EXPECT_EQ(owned->private_names.names.at("acme-utils"), (std::vector<std::string>{"alice"}));
  EXPECT_TRUE(owned->private_names.names.at("acme-cli").empty());
}

TEST(Config, TyposquatAndPrivateErrors) {
  auto message = [](const std::string& yaml) {
    return std::string(ParseConfig(yaml, "/").status().message());
  };
  EXPECT_EQ(message("typosquat:\n  enabeld: true"), "config: unknown key \"typosquat.enabeld\"");
  EXPECT_EQ(message("typosquat:\n  warn_score: 0.9\n  block_score: 0.5"),
            "config: typosquat scores must satisfy 0 <= warn_score <= hold_score <= block_score "
            "<= 1");
  EXPECT_EQ(message("private:\n  scopes:\n    acme: [alice]"),
            "config: private.scopes: \"acme\" is not a scope (write it as '@name')");
  EXPECT_EQ(message("private:\n  names: ['@acme/x']"),
            "config: private.names: \"@acme/x\" must be an unscoped name (scoped names are "
            "protected by private.scopes)");
  EXPECT_EQ(message("private:\n  scopes: [a]"),
            "config: private.scopes must map '@scope' to members");
  EXPECT_EQ(message("private: [x]"), "config: private must be a mapping");
}

TEST(Config, ListenForms) {
  Config c;
  ASSERT_TRUE(ApplyListen(c, "[::1]:0").ok());
  EXPECT_EQ(c.server.host, "::1");
  EXPECT_EQ(c.server.port, 0);
  ASSERT_TRUE(ApplyListen(c, "localhost:4873").ok());
  EXPECT_EQ(c.server.host, "127.0.0.1");
  ASSERT_TRUE(ApplyListen(c, "5000").ok());
  EXPECT_EQ(c.server.port, 5000);
  EXPECT_FALSE(ApplyListen(c, "127.0.0.1:99999").ok());
}

TEST(Config, ScanningPolicyAndModeration) {
  auto c = ParseConfig(R"(
scanning:
  timeout_ms: 1500
  on_error: fail-open
  high_impact_downloads: 5000
  policy:
    new: {warn: hold}
    private: {hold: warn, reject: hold}
  rules: {install-script: hold}
  between_versions: {large_file_bytes: 2000000, dormant_days: 365}
  worm: {packages: 4, window_minutes: 5}
  indicators:
    - {id: evil, text: "evil.test", verdict: reject}
moderation:
  reports_per_hour: 3
  partner_keys_file: keys.json
)", "/etc/bulwark");
  ASSERT_TRUE(c.ok()) << c.status();
  const PublishPolicy& p = c->scanning.gate.policy;
  EXPECT_EQ(p.timeout, absl::Milliseconds(1500));
  EXPECT_TRUE(p.fail_open);
  EXPECT_EQ(p.high_impact_downloads, 5000u);
  EXPECT_EQ(p.by_class.at(PackageClass::kNew)[1], GateAction::kHold);
  EXPECT_EQ(p.by_class.at(PackageClass::kNew)[2], GateAction::kHold);  // Untouched default.
  EXPECT_EQ(p.by_class.at(PackageClass::kPrivate)[2], GateAction::kWarn);
  EXPECT_EQ(p.by_class.at(PackageClass::kPrivate)[3], GateAction::kHold);
  EXPECT_EQ(p.rules.at("install-script"), GateAction::kHold);
  EXPECT_EQ(c->scanning.gate.between.large_file_bytes, 2000000u);
  EXPECT_EQ(c->scanning.gate.between.dormant, absl::Hours(24 * 365));
  EXPECT_EQ(c->scanning.gate.worm.packages, 4);
  EXPECT_EQ(c->scanning.gate.worm.window, absl::Minutes(5));
  ASSERT_EQ(c->scanning.indicators.size(), 1u);
  EXPECT_EQ(c->scanning.indicators[0].verdict, scan::Verdict::kReject);
  EXPECT_EQ(c->scanning.moderation.reports_per_hour, 3);
  EXPECT_EQ(c->scanning.partner_keys_file, "/etc/bulwark/keys.json");

  auto bad = ParseConfig("scanning:\n  policy:\n    new: {warn: quarantine}\n", "/");
  EXPECT_EQ(bad.status().message(),
            "config: scanning.policy.new.warn: \"quarantine\" is not one of publish, warn, "
            "hold, reject");
  bad = ParseConfig("scanning:\n  policy:\n    vip: {warn: hold}\n", "/");
  EXPECT_EQ(bad.status().message(), "config: unknown key \"scanning.policy.vip\"");
  bad = ParseConfig("scanning:\n  on_error: maybe\n", "/");
  EXPECT_EQ(bad.status().message(), "config: scanning.on_error: must be fail-open or fail-closed");
  bad = ParseConfig("moderation:\n  partner_keys_url: ftp://x\n", "/");
  EXPECT_EQ(bad.status().message(),
            "config: moderation.partner_keys_url: must be an http:// or https:// URL");
}

}  // namespace
}  // namespace bulwark
