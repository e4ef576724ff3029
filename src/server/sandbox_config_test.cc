#include <gtest/gtest.h>

#include "server/config.h"

namespace bulwark {
namespace {

TEST(SandboxConfig, DefaultsOffAndParses) {
  auto d = ParseConfig("", "/etc/bulwark");
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->sandbox.enabled);
  EXPECT_EQ(d->sandbox.timeout_seconds, 90);
  auto c = ParseConfig("sandbox:\n  enabled: true\n  timeout_seconds: 30\n  poll_ms: 500\n"
                       "  binary: /opt/bulwark\n",
                       "/etc/bulwark");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->sandbox.enabled);
  EXPECT_EQ(c->sandbox.timeout_seconds, 30);
  EXPECT_EQ(c->sandbox.poll_ms, 500);
  EXPECT_EQ(c->sandbox.binary, "/opt/bulwark");
}

TEST(SandboxConfig, ErrorsNameTheKey) {
  auto bad = ParseConfig("sandbox:\n  timeout: 3\n", "/etc/bulwark");
  EXPECT_EQ(bad.status().message(), "config: unknown key \"sandbox.timeout\"");
  auto small = ParseConfig("sandbox:\n  timeout_seconds: 1\n", "/etc/bulwark");
  EXPECT_EQ(small.status().message(), "config: sandbox.timeout_seconds: must be 5..3600");
  auto type = ParseConfig("sandbox:\n  enabled: maybe\n", "/etc/bulwark");
  EXPECT_EQ(type.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulwark
