#include "server/config.h"

#include <gtest/gtest.h>

namespace bulwark {
namespace {

TEST(EmailConfigTest, DefaultIsNoMail) {
  auto c = ParseConfig("listen: 127.0.0.1:0\n", "/etc/bulwark");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->email.transport, "none");
  EXPECT_TRUE(c->email.security.login_verification);
  EXPECT_FALSE(c->email.security.require_verified_to_publish);
}

TEST(EmailConfigTest, ParsesSmtpAndQueue) {
  auto c = ParseConfig(R"(
email:
  transport: smtp
  from: "Registry <noreply@registry.test>"
  smtp: {host: mail.internal, security: tls, username: relay, password: pw, ca_file: ca.pem}
  queue: {retry_seconds: 5, max_retry_seconds: 60, give_up_hours: 24, poll_seconds: 2}
  require_verified_to_publish: true
  code_minutes: 5
  reset_link_minutes: 20
)", "/etc/bulwark");
  ASSERT_TRUE(c.ok()) << c.status();
  const EmailConfig& e = c->email;
  EXPECT_EQ(e.transport, "smtp");
  EXPECT_EQ(e.queue.from, "Registry <noreply@registry.test>");
  EXPECT_EQ(e.smtp.host, "mail.internal");
  EXPECT_EQ(e.smtp.security, SmtpSecurity::kTls);
  EXPECT_EQ(e.smtp.port, 465);  // The implicit-TLS default.
  EXPECT_EQ(e.smtp.ca_file, "/etc/bulwark/ca.pem");
  EXPECT_EQ(e.queue.first_retry, absl::Seconds(5));
  EXPECT_EQ(e.queue.give_up_after, absl::Hours(24));
  EXPECT_TRUE(e.security.require_verified_to_publish);
  EXPECT_EQ(e.security.code_lifetime, absl::Minutes(5));
  EXPECT_EQ(e.security.reset_link_lifetime, absl::Minutes(20));
}

TEST(EmailConfigTest, RefusesBadValues) {
  for (const char* yaml : {
           "email: {transport: carrier-pigeon}",
           "email: {transport: maildir}",                      // Needs email.maildir.
           "email: {reset_link_minutes: 60}",                  // Under an hour.
           "email: {code_minutes: 0}",
           "email: {smtp: {security: ssl}}",
           "email: {smtp: {hots: x}}",                          // Unknown key.
           "email: {from: \"a\\r\\nBcc: x@y\"}",                 // Header injection.
       }) {
    auto c = ParseConfig(yaml, "/etc/bulwark");
    EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << yaml << ": " << c.status();
  }
}

}  // namespace
}  // namespace bulwark
