#include "accounts/email/email_security.h"

#include <regex>

#include "accounts/email/device_cookie.h"
#include "base/hash.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using testing::FakeClock;
using testing::SeededRandom;
using testing::TempDir;

struct Sent {
  std::string to;
  std::string text;
};

class CapturingTransport final : public MailTransport {
 public:
  absl::Status Send(std::string_view, std::string_view recipient,
                    std::string_view message) override {
    std::string m(message);
    size_t p = m.find("Content-Type: text/plain");
    p = m.find("\r\n\r\n", p) + 4;
    size_t end = m.find("\r\n--", p);
    std::string b64;
    for (char c : m.substr(p, end == std::string::npos ? std::string::npos : end - p)) {
      if (c != '\r' && c != '\n') b64 += c;
    }
    sent.push_back({std::string(recipient), Base64Decode(b64).value_or("?")});
    return absl::OkStatus();
  }
  std::vector<Sent> sent;
};

class FakeDomains final : public EmailDomainStatus {
 public:
  std::optional<std::string> FlaggedReason(std::string_view user) const override {
    if (user == flagged) return "domain expired";
    return std::nullopt;
  }
  std::string flagged;
};

std::string Match(const std::string& text, const char* re) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(re))) return "";
  return m[1];
}

class EmailSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    users_ = std::move(*NewSqliteMetadataStore(dir_.path() + "/m.sqlite3"));
    store_ = std::move(*NewSqliteEmailStore(dir_.path() + "/e.sqlite3"));
    AccountOptions ao;
    ao.argon2.memory_kib = 64;
    ao.argon2.passes = 1;
    accounts_ = std::make_unique<AccountService>(*users_, clock_, random_, ao);
    queue_ = std::make_unique<MailQueue>(*store_, &transport_, clock_, random_, MailQueueOptions{});
    email_ = std::make_unique<EmailSecurity>(*accounts_, *users_, *store_, *queue_, clock_,
                                             random_, std::string(32, 'k'),
                                             EmailSecurityOptions{});
    ASSERT_TRUE(accounts_->CreateUser("alice", "alice@example.com", "a long passphrase").ok());
  }
  UserRecord Alice() { return *users_->GetUser("alice"); }
  // Delivers the queue and returns what was sent since the last call.
  std::vector<Sent> Mail() {
    queue_->Drain().IgnoreError();
    std::vector<Sent> out = std::move(transport_.sent);
    transport_.sent.clear();
    return out;
  }
  void Verify(const std::string& user) {
    UserRecord u = *users_->GetUser(user);
    u.email_verified = clock_.Now();
    ASSERT_TRUE(users_->UpdateUser(u).ok());
  }

  TempDir dir_;
  FakeClock clock_;
  SeededRandom random_;
  std::unique_ptr<MetadataStore> users_;
  std::unique_ptr<EmailStore> store_;
  CapturingTransport transport_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<MailQueue> queue_;
  std::unique_ptr<EmailSecurity> email_;
};

TEST_F(EmailSecurityTest, LoginCodeIsEmailedSingleUseAndExpires) {
  absl::Status s = email_->VerifyLogin(Alice(), false, "", "cli", "10.0.0.1");
  ASSERT_TRUE(IsEmailCodeRequired(s)) << s;
  EXPECT_FALSE(IsWrongOtp(s));
  auto mail = Mail();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].to, "alice@example.com");
  std::string code = Match(mail[0].text, "finish signing in: ([0-9]+)");
  ASSERT_EQ(code.size(), 8u) << mail[0].text;
  // Asking again within a minute re-sends nothing.
  EXPECT_TRUE(IsEmailCodeRequired(email_->VerifyLogin(Alice(), false, "", "cli", "")));
  EXPECT_TRUE(Mail().empty());
  // A code is bound to its context: the web login cannot spend the CLI's.
  EXPECT_TRUE(IsEmailCodeRequired(email_->VerifyLogin(Alice(), false, code, "web:x", "")));
  Mail();
  EXPECT_TRUE(email_->VerifyLogin(Alice(), false, code, "cli", "").ok());
  // Single use.
  s = email_->VerifyLogin(Alice(), false, code, "cli", "");
  EXPECT_TRUE(IsEmailCodeRequired(s));
  code = Match(Mail().at(0).text, "finish signing in: ([0-9]+)");
  clock_.Advance(absl::Minutes(11));
  EXPECT_TRUE(IsEmailCodeRequired(email_->VerifyLogin(Alice(), false, code, "cli", "")));
}

TEST_F(EmailSecurityTest, WrongCodesAreThrottled) {
  ASSERT_TRUE(IsEmailCodeRequired(email_->VerifyLogin(Alice(), false, "", "cli", "")));
  std::string code = Match(Mail().at(0).text, "finish signing in: ([0-9]+)");
  std::string wrong = code == "00000000" ? "11111111" : "00000000";
  for (int i = 0; i < 4; ++i) {
    absl::Status s = email_->VerifyLogin(Alice(), false, wrong, "cli", "");
    EXPECT_TRUE(IsWrongOtp(s)) << s;
  }
  absl::Status s = email_->VerifyLogin(Alice(), false, wrong, "cli", "");
  EXPECT_NE(std::string(s.message()).find("Too many wrong codes"), std::string::npos) << s;
  // The right code no longer works after the budget is spent.
  EXPECT_FALSE(email_->VerifyLogin(Alice(), false, code, "cli", "").ok());
}

TEST_F(EmailSecurityTest, KnownDevicesAndTwoFactorAccountsSkip) {
  EXPECT_TRUE(email_->VerifyLogin(Alice(), true, "", "cli", "").ok());
  auto [cookie, id] = email_->NewDevice();
  EXPECT_EQ(email_->DeviceId(cookie).value_or(""), id);
  EXPECT_FALSE(*email_->IsKnownDevice("alice", id));
  ASSERT_TRUE(email_->RememberDevice("alice", id).ok());
  EXPECT_TRUE(*email_->IsKnownDevice("alice", id));
  EXPECT_FALSE(*email_->IsKnownDevice("bob", id));
  // A tampered cookie is not a device.
  std::string forged = cookie;
  forged[0] = forged[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(email_->DeviceId(forged).has_value());
  EXPECT_FALSE(VerifyDeviceCookie(std::string(32, 'x'), cookie).has_value());
  EXPECT_EQ(CookieValue("a=1; bulwark_device=xyz; c=2", "bulwark_device").value_or(""), "xyz");
  EXPECT_FALSE(CookieValue("bulwark_devicex=1", "bulwark_device").has_value());
  EXPECT_TRUE(Mail().empty());
}

TEST_F(EmailSecurityTest, VerificationLinkVerifiesOnce) {
  ASSERT_TRUE(email_->SendVerification(Alice(), "http://r.test").ok());
  std::string token = Match(Mail().at(0).text, "http://r.test/-/bulwark/email/confirm/(\\S+)");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(Alice().email_verified, absl::InfinitePast());
  ASSERT_TRUE(email_->FollowLink(token, "").ok());
  EXPECT_EQ(Alice().email_verified, clock_.Now());
  EXPECT_TRUE(absl::IsNotFound(email_->FollowLink(token, "").status()));
}

TEST_F(EmailSecurityTest, EmailChangeNeedsBothAddressesAndNotifiesTheOld) {
  Verify("alice");
  ASSERT_TRUE(email_->RequestEmailChange(Alice(), "alice@new.example", "http://r.test", "").ok());
  auto mail = Mail();
  ASSERT_EQ(mail.size(), 2u);
  const Sent& to_new = mail[0].to == "alice@new.example" ? mail[0] : mail[1];
  const Sent& to_old = mail[0].to == "alice@new.example" ? mail[1] : mail[0];
  EXPECT_EQ(to_old.to, "alice@example.com");
  std::string new_token = Match(to_new.text, "/confirm/(\\S+)");
  std::string old_token = Match(to_old.text, "/confirm/(\\S+)");
  ASSERT_TRUE(email_->FollowLink(new_token, "").ok());
  EXPECT_EQ(Alice().email, "alice@example.com");  // Not yet.
  ASSERT_TRUE(email_->FollowLink(old_token, "").ok());
  EXPECT_EQ(Alice().email, "alice@new.example");
  EXPECT_NE(Alice().email_verified, absl::InfinitePast());
  mail = Mail();
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_EQ(mail[0].to, "alice@example.com");
  EXPECT_NE(mail[0].text.find("is now alice@new.example"), std::string::npos);
}

TEST_F(EmailSecurityTest, ResetOnlyForVerifiedUnflaggedAddresses) {
  FakeDomains domains;
  email_->SetDomainStatus(&domains);
  // Unknown and unverified: OK, nothing sent.
  EXPECT_TRUE(email_->RequestReset("nobody", "http://r.test", "").ok());
  EXPECT_TRUE(email_->RequestReset("alice", "http://r.test", "").ok());
  EXPECT_TRUE(Mail().empty());
  Verify("alice");
  domains.flagged = "alice";
  EXPECT_TRUE(email_->RequestReset("ALICE@example.com", "http://r.test", "").ok());
  EXPECT_TRUE(Mail().empty());
  domains.flagged = "";
  ASSERT_TRUE(email_->RequestReset("ALICE@example.com", "http://r.test", "").ok());
  std::string token = Match(Mail().at(0).text, "/-/bulwark/email/reset/(\\S+)");
  ASSERT_FALSE(token.empty());
  TokenOptions login;
  login.name = "npm login";
  login.login_session = true;
  auto minted = accounts_->CreateToken("alice", login);
  ASSERT_TRUE(minted.ok());
  auto web = NewSqliteWebAuthnStore(dir_.path() + "/w.sqlite3");
  ASSERT_TRUE(web.ok());
  email_->SetWebSessions(web->get());
  ASSERT_TRUE((*web)->CreateWebSession({"h1", "alice", clock_.Now(), clock_.Now() + absl::Hours(1)}).ok());
  ASSERT_TRUE((*web)->CreateWebSession({"h2", "bob", clock_.Now(), clock_.Now() + absl::Hours(1)}).ok());
  EXPECT_EQ(*email_->ResetUser(token), "alice");
  EXPECT_TRUE(absl::IsInvalidArgument(email_->CompleteReset(token, "short", "")));
  ASSERT_TRUE(email_->CompleteReset(token, "a brand new passphrase", "").ok());
  EXPECT_TRUE(accounts_->CheckPassword("alice", "a brand new passphrase").ok());
  EXPECT_TRUE(accounts_->ListTokens("alice")->empty());  // Login sessions revoked.
  EXPECT_TRUE(absl::IsNotFound((*web)->GetWebSession("h1", clock_.Now()).status()));
  EXPECT_TRUE((*web)->GetWebSession("h2", clock_.Now()).ok());  // Other accounts' stay.
  email_->SetWebSessions(nullptr);
  EXPECT_TRUE(absl::IsNotFound(email_->CompleteReset(token, "another new passphrase", "")));
  // Links expire in under an hour.
  ASSERT_TRUE(email_->RequestReset("alice", "http://r.test", "").ok());
  token = Match(Mail().at(0).text, "/-/bulwark/email/reset/(\\S+)");
  clock_.Advance(absl::Minutes(31));
  EXPECT_TRUE(absl::IsNotFound(email_->ResetUser(token).status()));
}

TEST_F(EmailSecurityTest, RecoveryRequestsAreReviewed) {
  auto id = email_->FileRecovery("alice", "phone +1 555", "lost my domain", "10.0.0.9");
  ASSERT_TRUE(id.ok());
  auto bogus = email_->FileRecovery("ghost", "x", "y", "");
  ASSERT_TRUE(bogus.ok());
  EXPECT_EQ(email_->ListRecovery(true)->size(), 2u);
  EXPECT_TRUE(absl::IsNotFound(email_->ApproveRecovery(*bogus, "root", "http://r.test").status()));
  ASSERT_TRUE(email_->RejectRecovery(*bogus, "root").ok());
  auto link = email_->ApproveRecovery(*id, "root", "http://r.test");
  ASSERT_TRUE(link.ok()) << link.status();
  EXPECT_TRUE(absl::IsFailedPrecondition(email_->RejectRecovery(*id, "root")));
  std::string token = Match(*link, "/reset/(\\S+)");
  ASSERT_TRUE(email_->CompleteReset(token, "recovered passphrase ok", "").ok());
  EXPECT_EQ(store_->GetRecovery(*id)->state, RecoveryState::kCompleted);
  EXPECT_TRUE(email_->ListRecovery(true)->empty());
  EXPECT_TRUE(Mail().empty());  // Nothing goes to the (possibly lost) address.
}

}  // namespace
}  // namespace bulwark
