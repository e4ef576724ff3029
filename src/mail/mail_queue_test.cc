#include "mail/mail_queue.h"

#include <gtest/gtest.h>

#include "base/hash.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

// Fails while `down` is set, as a mail server that refuses connections.
class FlakyTransport final : public MailTransport {
 public:
  absl::Status Send(std::string_view sender, std::string_view recipient,
                    std::string_view message) override {
    ++calls;
    if (down) return absl::UnavailableError("connection refused");
    if (reject) return absl::InvalidArgumentError("550 no such user");
    delivered.push_back(std::string(recipient) + "\n" + std::string(message));
    return absl::OkStatus();
  }
  bool down = false;
  bool reject = false;
  int calls = 0;
  std::vector<std::string> delivered;
};

class MailQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = NewSqliteEmailStore(dir_.path() + "/email.sqlite3");
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }
  MailQueueOptions Options() {
    MailQueueOptions o;
    o.from = "Registry <noreply@registry.test>";
    return o;
  }
  testing::TempDir dir_;
  testing::FakeClock clock_;
  testing::SeededRandom random_;
  std::unique_ptr<EmailStore> store_;
  FlakyTransport transport_;
};

TEST_F(MailQueueTest, OutageDelaysAndLosesNothing) {
  MailQueue q(*store_, &transport_, clock_, random_, Options());
  transport_.down = true;
  ASSERT_TRUE(q.Enqueue({"alice@example.org", "Hello", "text body", "<p>html</p>"}).ok());
  EXPECT_EQ(*q.Drain(), 0);
  EXPECT_EQ(transport_.calls, 1);
  // Back-off: not retried before first_retry has passed.
  EXPECT_EQ(*q.Drain(), 0);
  EXPECT_EQ(transport_.calls, 1);
  clock_.Advance(absl::Seconds(31));
  EXPECT_EQ(*q.Drain(), 0);
  EXPECT_EQ(transport_.calls, 2);
  // Second wait is doubled: 60 s.
  clock_.Advance(absl::Seconds(31));
  EXPECT_EQ(*q.Drain(), 0);
  EXPECT_EQ(transport_.calls, 2);
  transport_.down = false;
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(*q.Drain(), 1);
  ASSERT_EQ(transport_.delivered.size(), 1u);
  EXPECT_NE(transport_.delivered[0].find("Subject: Hello"), std::string::npos);
  auto counts = store_->CountMail();
  EXPECT_EQ(counts->sent, 1);
  EXPECT_EQ(counts->queued, 0);
  // Sent once only.
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(*q.Drain(), 0);
  EXPECT_EQ(transport_.delivered.size(), 1u);
}

TEST_F(MailQueueTest, QueueSurvivesRestart) {
  {
    MailQueue q(*store_, nullptr, clock_, random_, Options());  // Mail not configured yet.
    ASSERT_TRUE(q.Enqueue({"bob@example.org", "Queued", "t", ""}).ok());
    EXPECT_EQ(*q.Drain(), 0);
  }
  MailQueue q(*store_, &transport_, clock_, random_, Options());
  EXPECT_EQ(*q.Drain(), 1);
}

TEST_F(MailQueueTest, PermanentRefusalGivesUpAfterThreeTries) {
  MailQueue q(*store_, &transport_, clock_, random_, Options());
  transport_.reject = true;
  ASSERT_TRUE(q.Enqueue({"nobody@example.org", "x", "t", ""}).ok());
  for (int i = 0; i < 5; ++i) {
    q.Drain().IgnoreError();
    clock_.Advance(absl::Hours(2));
  }
  EXPECT_EQ(transport_.calls, 3);
  EXPECT_EQ(store_->CountMail()->failed, 1);
}

TEST_F(MailQueueTest, GivesUpAfterThreeDays) {
  MailQueue q(*store_, &transport_, clock_, random_, Options());
  transport_.down = true;
  ASSERT_TRUE(q.Enqueue({"carol@example.org", "x", "t", ""}).ok());
  for (int i = 0; i < 80; ++i) {
    q.Drain().IgnoreError();
    clock_.Advance(absl::Hours(1));
  }
  EXPECT_EQ(store_->CountMail()->failed, 1);
  EXPECT_LT(transport_.calls, 80);
}

TEST(MimeTest, BuildsMultipartAlternative) {
  auto m = BuildMimeMessage({"a@example.org", "Grüße", "plain", "<b>bold</b>"},
                            "Bulwark <n@r.test>", absl::FromUnixSeconds(0),
                            std::string(16, 'x'), "r.test");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NE(m->find("Content-Type: multipart/alternative; boundary="), std::string::npos);
  EXPECT_NE(m->find("Subject: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(m->find("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(m->find(Base64Encode("plain")), std::string::npos);
  EXPECT_NE(m->find(Base64Encode("<b>bold</b>")), std::string::npos);
}

TEST(MimeTest, SubjectOfContinuationBytesTerminates) {
  // A run of UTF-8 continuation bytes longer than one encoded word (fuzzer find: looped).
  std::string subject = "Your c" + std::string(60, '\xb3') + "ode";
  auto m = BuildMimeMessage({"a@example.org", subject, "t", ""}, "n@r.test",
                            absl::FromUnixSeconds(0), std::string(16, 'x'), "r.test");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NE(m->find("Subject: =?UTF-8?B?"), std::string::npos);
}

TEST(MimeTest, RefusesHeaderInjection) {
  auto m = BuildMimeMessage({"a@example.org", "Hi\r\nBcc: evil@example.org", "t", ""}, "n@r.test",
                            absl::FromUnixSeconds(0), std::string(16, 'x'), "r.test");
  EXPECT_TRUE(absl::IsInvalidArgument(m.status()));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckMailAddress("a@b.org\r\nRCPT TO:<x@y>")));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckMailAddress("a,b@c.org")));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckMailAddress("nobody")));
  EXPECT_TRUE(CheckMailAddress("a.b+c@d.example").ok());
}

}  // namespace
}  // namespace bulwark
