// Mandatory 2FA and token restrictions, with a fake clock and real SQLite stores.

#include "accounts/mfa_policy.h"

#include <map>

#include "accounts/totp.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using testing::FakeClock;
using testing::SeededRandom;
using testing::TempDir;

constexpr char kPassword[] = "a long passphrase";

class FixedHighImpact final : public HighImpactLookup {
 public:
  std::optional<std::string> Why(std::string_view package) const override {
    auto it = why.find(std::string(package));
    if (it == why.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, std::string> why;
};

class MfaPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*NewSqliteMetadataStore(dir_.path() + "/m.sqlite3"));
    security_ = std::move(*NewSqliteSecurityStore(dir_.path() + "/s.sqlite3"));
    AccountOptions o;
    o.argon2.memory_kib = 64;
    o.argon2.passes = 1;
    accounts_ = std::make_unique<AccountService>(*store_, clock_, random_, o);
    accounts_->SetTfaKey(*SecretBox::Create(std::string(32, 'k')));
    accounts_->SetEventLog(security_.get());
    ASSERT_TRUE(accounts_->CreateUser("alice", "alice@example.com", kPassword).ok());
  }

  MfaPolicy Policy(MfaOptions o = {}) {
    return MfaPolicy(*accounts_, security_.get(), &impact_, clock_, std::move(o));
  }

  void Enrol(TfaMode mode) {
    auto change = accounts_->RequestTfa("alice", mode, kPassword, "");
    ASSERT_TRUE(change.ok()) << change.status();
    const std::string& url = change->otpauth_url;
    size_t at = url.find("secret=") + 7;
    secret_ = *Base32Decode(url.substr(at, url.find('&', at) - at));
    ASSERT_TRUE(accounts_->ConfirmTfa("alice", Code()).ok());
    clock_.Advance(absl::Seconds(30));
  }
  std::string Code() { return Totp(secret_, clock_.Now()); }
  Identity Alice() {
    Identity who;
    who.user = "alice";
    return who;
  }

  TempDir dir_;
  FakeClock clock_;
  SeededRandom random_;
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<SecurityStore> security_;
  std::unique_ptr<AccountService> accounts_;
  FixedHighImpact impact_;
  std::string secret_;
};

TEST_F(MfaPolicyTest, NothingRequiredByDefault) {
  MfaPolicy p = Policy();
  EXPECT_TRUE(p.CheckPackageWrite(Alice(), "demo", "", "").ok());
  EXPECT_TRUE(p.Mandates("demo").empty());
}

TEST_F(MfaPolicyTest, MandatesNeedAuthAndWritesAndSayWhy) {
  impact_.why["hot"] = "5 downloads this week, threshold 5";
  MfaOptions o;
  o.require_2fa_scopes = {"@corp"};
  MfaPolicy p = Policy(o);
  absl::Status s = p.CheckPackageWrite(Alice(), "hot", "", "");
  EXPECT_TRUE(absl::IsPermissionDenied(s));
  EXPECT_EQ(s.message(),
            "changing hot requires two-factor authentication in auth-and-writes mode: hot is a "
            "high-impact package (5 downloads this week, threshold 5). Enable it with: npm "
            "profile enable-2fa auth-and-writes");
  EXPECT_NE(p.CheckPackageWrite(Alice(), "@corp/x", "", "").message().find("the scope @corp"),
            std::string_view::npos);
  EXPECT_TRUE(p.CheckPackageWrite(Alice(), "@other/x", "", "").ok());

  Enrol(TfaMode::kAuthOnly);
  s = p.CheckPackageWrite(Alice(), "hot", Code(), "");
  EXPECT_NE(s.message().find("Your account uses auth-only"), std::string_view::npos) << s;
}

TEST_F(MfaPolicyTest, AuthAndWritesNeedsTheCodeOnceAndAutomationTokensSkipIt) {
  MfaOptions o;
  o.require_2fa_for_publish = true;
  MfaPolicy p = Policy(o);
  Enrol(TfaMode::kAuthAndWrites);
  EXPECT_TRUE(IsOtpRequired(p.CheckPackageWrite(Alice(), "demo", "", "")));
  std::string code = Code();
  EXPECT_TRUE(p.CheckPackageWrite(Alice(), "demo", code, "").ok());
  EXPECT_TRUE(IsWrongOtp(p.CheckPackageWrite(Alice(), "demo", code, ""))) << "single use";
  Identity automation = Alice();
  automation.bypass_2fa = true;
  EXPECT_TRUE(p.CheckPackageWrite(automation, "demo", "", "").ok());
  EXPECT_TRUE(p.CheckPackageWrite(Alice(), "demo", "", "", /*otp_applies=*/false).ok());
}

TEST_F(MfaPolicyTest, PackagePolicyPublishAndAutomation) {
  MfaPolicy p = Policy();
  ASSERT_TRUE(p.SetPackageMfa("guarded", PackageMfa::kPublish, "alice").ok());
  EXPECT_TRUE(absl::IsPermissionDenied(p.CheckPackageWrite(Alice(), "guarded", "", "")));
  Enrol(TfaMode::kAuthOnly);
  // Auth-only writers give a code for this package.
  EXPECT_TRUE(IsOtpRequired(p.CheckPackageWrite(Alice(), "guarded", "", "")));
  EXPECT_TRUE(p.CheckPackageWrite(Alice(), "guarded", Code(), "").ok());
  EXPECT_TRUE(p.CheckPackageWrite(Alice(), "other", "", "").ok());
  Identity automation = Alice();
  automation.bypass_2fa = true;
  EXPECT_TRUE(IsOtpRequired(p.CheckPackageWrite(automation, "guarded", "", "")));
  ASSERT_TRUE(p.SetPackageMfa("guarded", PackageMfa::kAutomation, "alice").ok());
  EXPECT_TRUE(p.CheckPackageWrite(automation, "guarded", "", "").ok());
}

TEST(CheckTokenAllows, ReadOnlyPackagesAndScopes) {
  Identity who;
  who.user = "alice";
  EXPECT_TRUE(CheckTokenAllows(who, "x").ok());
  EXPECT_TRUE(CheckTokenAllows(who, "").ok());
  who.readonly = true;
  EXPECT_EQ(CheckTokenAllows(who, "x").message(), "this token is read-only and cannot change x");
  EXPECT_TRUE(absl::IsPermissionDenied(CheckTokenAllows(who, "")));
  who.readonly = false;
  who.packages = {"a"};
  who.scopes = {"@s"};
  EXPECT_TRUE(CheckTokenAllows(who, "a").ok());
  EXPECT_TRUE(CheckTokenAllows(who, "@s/b").ok());
  EXPECT_EQ(CheckTokenAllows(who, "@t/b").message(), "this token may change only a, @s/*, not @t/b");
  EXPECT_FALSE(CheckTokenAllows(who, "@s").ok()) << "not a scoped name";
  EXPECT_NE(CheckTokenAllows(who, "").message().find("cannot change the account"),
            std::string_view::npos);
}

}  // namespace
}  // namespace bulwark
