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

}  // namespace
}  // namespace bulwark
