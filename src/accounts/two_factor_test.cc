// The two-factor state machine and policy, driven with a fake clock.

#include "accounts/account_service.h"
#include "accounts/totp.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using testing::FakeClock;
using testing::SeededRandom;
using testing::TempDir;

constexpr char kPassword[] = "a long passphrase";

class TwoFactorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*NewSqliteMetadataStore(dir_.path() + "/m.sqlite3"));
    AccountOptions o;
    o.argon2.memory_kib = 64;
    o.argon2.passes = 1;
    accounts_ = std::make_unique<AccountService>(*store_, clock_, random_, o);
    accounts_->SetTfaKey(*SecretBox::Create(std::string(32, 'k')));
    ASSERT_TRUE(accounts_->CreateUser("alice", "alice@example.com", kPassword).ok());
  }

  // Enrols alice in `mode`; returns the recovery codes.
  std::vector<std::string> Enrol(TfaMode mode) {
    auto change = accounts_->RequestTfa("alice", mode, kPassword, "");
    EXPECT_TRUE(change.ok()) << change.status();
    const std::string& url = change->otpauth_url;
    size_t at = url.find("secret=") + 7;
    secret_ = *Base32Decode(url.substr(at, url.find('&', at) - at));
    auto codes = accounts_->ConfirmTfa("alice", Code());
    EXPECT_TRUE(codes.ok()) << codes.status();
    clock_.Advance(absl::Seconds(30));  // The confirming code is spent; move to a fresh step.
    return codes.ok() ? *codes : std::vector<std::string>{};
  }
  std::string Code() { return Totp(secret_, clock_.Now()); }

  TempDir dir_;
  FakeClock clock_;
  SeededRandom random_;
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<AccountService> accounts_;
  std::string secret_;
};

TEST_F(TwoFactorTest, EnrolmentHandsOutAnOtpauthUrlAndNeedsConfirmation) {
  auto change = accounts_->RequestTfa("alice", TfaMode::kAuthAndWrites, kPassword, "");
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_EQ(change->otpauth_url.rfind("otpauth://totp/Bulwark:alice?secret=", 0), 0u);
  EXPECT_NE(change->otpauth_url.find("&issuer=Bulwark&algorithm=SHA1&digits=6&period=30"),
            std::string::npos);
  // Pending: shown as such and not enforced yet.
  auto tfa = accounts_->GetTfa("alice");
  ASSERT_TRUE(tfa.ok() && tfa->has_value());
  EXPECT_TRUE((*tfa)->pending);
  EXPECT_TRUE(accounts_->CheckSecondFactor("alice", TfaAction::kLogin, "").ok());
  // The secret is stored sealed, never in clear.
  size_t at = change->otpauth_url.find("secret=") + 7;
  std::string secret = *Base32Decode(change->otpauth_url.substr(at, 32));
  EXPECT_EQ(secret.size(), kTotpSecretBytes);
  EXPECT_EQ((*tfa)->sealed_secret.find(secret), std::string::npos);

  EXPECT_EQ(accounts_->ConfirmTfa("alice", "000000").status().code(),
            absl::StatusCode::kInvalidArgument);
  auto codes = accounts_->ConfirmTfa("alice", Totp(secret, clock_.Now()));
  ASSERT_TRUE(codes.ok()) << codes.status();
  ASSERT_EQ(codes->size(), kRecoveryCodes);
  EXPECT_EQ((*codes)[0].size(), 64u);
  EXPECT_FALSE((*accounts_->GetTfa("alice"))->pending);
  EXPECT_EQ(accounts_->ConfirmTfa("alice", "123456").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(TwoFactorTest, WrongPasswordStartsNothing) {
  EXPECT_EQ(
      accounts_->RequestTfa("alice", TfaMode::kAuthOnly, "wrong password", "").status().code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(accounts_->GetTfa("alice")->has_value());
}

TEST_F(TwoFactorTest, PolicyPerModeAndAction) {
  Enrol(TfaMode::kAuthOnly);
  // auth-only: writes pass, logins and account changes need a code.
  EXPECT_TRUE(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "").ok());
  absl::Status s = accounts_->CheckSecondFactor("alice", TfaAction::kLogin, "");
  EXPECT_TRUE(IsOtpRequired(s));
  EXPECT_FALSE(IsWrongOtp(s));
  EXPECT_NE(s.message().find("one-time pass"), absl::string_view::npos);
  EXPECT_TRUE(IsOtpRequired(accounts_->CheckSecondFactor("alice", TfaAction::kAccountChange, "")));

  // Switching mode needs a code; then writes need one too.
  EXPECT_TRUE(IsOtpRequired(
      accounts_->RequestTfa("alice", TfaMode::kAuthAndWrites, kPassword, "").status()));
  auto change = accounts_->RequestTfa("alice", TfaMode::kAuthAndWrites, kPassword, Code());
  ASSERT_TRUE(change.ok()) << change.status();
  EXPECT_EQ(change->mode, TfaMode::kAuthAndWrites);
  EXPECT_TRUE(change->otpauth_url.empty());
  EXPECT_TRUE(IsOtpRequired(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "")));
  // Users without 2FA need nothing.
  ASSERT_TRUE(accounts_->CreateUser("bob", "bob@example.com", kPassword).ok());
  EXPECT_TRUE(accounts_->CheckSecondFactor("bob", TfaAction::kWrite, "").ok());
}

TEST_F(TwoFactorTest, ACodeIsAcceptedOnceWithinOneStepOfSkew) {
  Enrol(TfaMode::kAuthAndWrites);
  std::string code = Code();
  EXPECT_TRUE(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, code).ok());
  absl::Status replay = accounts_->CheckSecondFactor("alice", TfaAction::kWrite, code);
  EXPECT_TRUE(IsWrongOtp(replay));
  EXPECT_EQ(replay.message(), "the one-time password is wrong or was already used");

  // The previous step's code is late but inside the window; two steps back is too old.
  clock_.Advance(absl::Seconds(30));
  std::string late = Totp(secret_, clock_.Now() - absl::Seconds(30));
  EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, late)))
      << "the step of `late` was already used above";
  clock_.Advance(absl::Seconds(30));
  late = Totp(secret_, clock_.Now() - absl::Seconds(30));
  EXPECT_TRUE(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, late).ok());
  clock_.Advance(absl::Seconds(90));
  std::string stale = Totp(secret_, clock_.Now() - absl::Seconds(60));
  EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, stale)));
  // A code from a fast device (next step) is fine.
  std::string early = Totp(secret_, clock_.Now() + absl::Seconds(30));
  EXPECT_TRUE(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, early).ok());
  EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "000000")));
}

TEST_F(TwoFactorTest, WrongCodesAreThrottledOnTheirOwnBudget) {
  Enrol(TfaMode::kAuthAndWrites);
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "000000")));
  }
  // Locked out: the right code is refused without being checked (or spent).
  std::string code = Code();
  absl::Status locked = accounts_->CheckSecondFactor("alice", TfaAction::kWrite, code);
  EXPECT_EQ(locked.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ThrottleRetryAfter(locked), 1);
  // The password budget is separate.
  EXPECT_TRUE(accounts_->CheckPassword("alice", kPassword).ok());
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, code).ok());
  // The success forgave the account: five free wrong codes again, then 1 s, then 2 s.
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "000000")));
  }
  EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "000000")));
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "000000")));
  EXPECT_EQ(ThrottleRetryAfter(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "1")),
            2);
}

TEST_F(TwoFactorTest, RecoveryCodesAreSingleUse) {
  std::vector<std::string> codes = Enrol(TfaMode::kAuthAndWrites);
  ASSERT_EQ(codes.size(), kRecoveryCodes);
  EXPECT_TRUE(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, codes[0]).ok());
  EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, codes[0])));
  // Upper case, as some people copy them, is the same code.
  std::string upper = codes[1];
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_TRUE(accounts_->CheckSecondFactor("alice", TfaAction::kLogin, upper).ok());
  EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("alice", TfaAction::kLogin, codes[1])));
  EXPECT_EQ((*accounts_->GetTfa("alice"))->recovery_hashes.size(), kRecoveryCodes - 2);
  // Only hashes are stored.
  for (const auto& h : (*accounts_->GetTfa("alice"))->recovery_hashes) {
    for (const auto& c : codes) EXPECT_NE(h, c);
  }
}

TEST_F(TwoFactorTest, DisableNeedsPasswordAndCode) {
  Enrol(TfaMode::kAuthAndWrites);
  EXPECT_EQ(accounts_->DisableTfa("alice", "wrong password", Code()).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(IsOtpRequired(accounts_->DisableTfa("alice", kPassword, "")));
  ASSERT_TRUE(accounts_->DisableTfa("alice", kPassword, Code()).ok());
  EXPECT_FALSE(accounts_->GetTfa("alice")->has_value());
  EXPECT_TRUE(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "").ok());
}

TEST_F(TwoFactorTest, PendingEnrolmentIsCancelledWithoutACodeAndRestartsWithANewSecret) {
  auto first = accounts_->RequestTfa("alice", TfaMode::kAuthOnly, kPassword, "");
  ASSERT_TRUE(first.ok());
  auto second = accounts_->RequestTfa("alice", TfaMode::kAuthOnly, kPassword, "");
  ASSERT_TRUE(second.ok());
  EXPECT_NE(first->otpauth_url, second->otpauth_url);
  ASSERT_TRUE(accounts_->DisableTfa("alice", kPassword, "").ok());
  EXPECT_FALSE(accounts_->GetTfa("alice")->has_value());
}

TEST_F(TwoFactorTest, BasicAuthIsRefusedForTwoFactorAccounts) {
  const std::string basic = "Basic YWxpY2U6YSBsb25nIHBhc3NwaHJhc2U=";  // alice:a long passphrase
  EXPECT_TRUE(accounts_->Authenticate(basic, "127.0.0.1")->identity.has_value());
  Enrol(TfaMode::kAuthOnly);
  auto auth = accounts_->Authenticate(basic, "127.0.0.1");
  ASSERT_TRUE(auth.ok());
  EXPECT_FALSE(auth->identity.has_value());
  EXPECT_NE(auth->rejected.find("two-factor"), std::string::npos);
}

TEST_F(TwoFactorTest, WebLoginAsksForTheCode) {
  Enrol(TfaMode::kAuthOnly);
  auto session = accounts_->StartWebLogin();
  ASSERT_TRUE(session.ok());
  EXPECT_TRUE(IsOtpRequired(accounts_->CompleteWebLogin(session->id, "alice", kPassword, "")));
  ASSERT_TRUE(accounts_->CompleteWebLogin(session->id, "alice", kPassword, Code()).ok());
  EXPECT_TRUE(accounts_->PollWebLogin(session->id)->has_value());
}

}  // namespace
}  // namespace bulwark
