// Security keys over the real SQLite store with a fake clock: registration and assertions with
// responses a software authenticator signs, ownership, single-use challenges, the counter, web
// 2FA tokens, and security keys as a second factor of AccountService.

#include "accounts/security_keys.h"

#include "accounts/webauthn/test_authenticator.h"
#include "base/hash.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using testing::FakeClock;
using testing::SeededRandom;
using testing::TempDir;
using namespace webauthn::test_support;  // NOLINT: test helpers.

constexpr char kPassword[] = "a long passphrase";

class SecurityKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*NewSqliteMetadataStore(dir_.path() + "/m.sqlite3"));
    webauthn_ = std::move(*NewSqliteWebAuthnStore(dir_.path() + "/m.sqlite3"));
    AccountOptions o;
    o.argon2.memory_kib = 64;
    o.argon2.passes = 1;
    accounts_ = std::make_unique<AccountService>(*store_, clock_, random_, o);
    accounts_->SetTfaKey(*SecretBox::Create(std::string(32, 'k')));
    accounts_->SetWebAuthnStore(webauthn_.get());
    keys_ = std::make_unique<SecurityKeys>(*webauthn_, *accounts_, clock_, random_);
    keys_->SetRelyingParty(Rp());
    ASSERT_TRUE(accounts_->CreateUser("alice", "alice@example.com", kPassword).ok());
    ASSERT_TRUE(accounts_->CreateUser("bob", "bob@example.com", kPassword).ok());
  }

  // Registers `a` for `user`.
  absl::StatusOr<SecurityKeyRecord> Register(std::string_view user, Authenticator& a) {
    BULWARK_ASSIGN_OR_RETURN(Ceremony c, keys_->BeginRegistration(user, "my key", "register"));
    std::string cd = ClientData("webauthn.create", c.challenge);
    return keys_->FinishRegistration(c.handle, "register", user, cd, a.Attestation(cd));
  }

  // Signs in `user` with `a` on flow `context`; returns the user the step resolved to.
  absl::StatusOr<std::string> SignIn(std::string_view user, Authenticator& a,
                                     std::string_view context = "signin") {
    BULWARK_ASSIGN_OR_RETURN(Ceremony c, keys_->BeginSecondFactor(user, context));
    auto r = a.Assert(kUp, c.challenge);
    AssertionResponse resp{a.credential_id, r.client_data, r.auth_data, r.signature, ""};
    return keys_->CompleteSecondFactor(c.handle, context, &resp, "", "");
  }

  TempDir dir_;
  FakeClock clock_;
  SeededRandom random_;
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<WebAuthnStore> webauthn_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<SecurityKeys> keys_;
};

TEST_F(SecurityKeysTest, RegisterThenSignInWithEachAlgorithm) {
  int n = 0;
  for (auto alg : {webauthn::CoseAlg::kEs256, webauthn::CoseAlg::kEdDsa,
                   webauthn::CoseAlg::kRs256}) {
    Authenticator a(alg, StrCat("cred-", n++));
    auto k = Register("alice", a);
    ASSERT_TRUE(k.ok()) << k.status();
    EXPECT_EQ(k->alg, static_cast<int>(alg));
    auto user = SignIn("alice", a);
    ASSERT_TRUE(user.ok()) << user.status();
    EXPECT_EQ(*user, "alice");
  }
  auto list = keys_->ListKeys("alice");
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].sign_count, 1u);
  EXPECT_TRUE((*list)[0].last_used.has_value());
}

TEST_F(SecurityKeysTest, ACredentialIsRegisteredOnceAndOnlyItsOwnerCanUseIt) {
  Authenticator a(webauthn::CoseAlg::kEs256);
  ASSERT_TRUE(Register("alice", a).ok());
  // The same credential again, for anyone: §7.1 step 22.
  EXPECT_EQ(Register("bob", a).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Register("alice", a).status().code(), absl::StatusCode::kAlreadyExists);
  // Bob presents alice's key for his own sign-in.
  auto stolen = SignIn("bob", a);
  EXPECT_EQ(stolen.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(StrContains(stolen.status().message(), "not registered to this account"));
  // An unknown key.
  Authenticator stranger(webauthn::CoseAlg::kEs256, "unknown");
  EXPECT_EQ(SignIn("alice", stranger).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(SecurityKeysTest, ChallengesAreSingleUseBoundToTheirFlowAndExpire) {
  Authenticator a(webauthn::CoseAlg::kEs256);
  ASSERT_TRUE(Register("alice", a).ok());
  auto c = keys_->BeginSecondFactor("alice", "login:abc");
  auto r = a.Assert(kUp, c->challenge);
  AssertionResponse resp{a.credential_id, r.client_data, r.auth_data, r.signature, ""};
  // Another flow's handle does not complete this one (and is spent by trying).
  EXPECT_TRUE(absl::IsNotFound(
      keys_->CompleteSecondFactor(c->handle, "signin", &resp, "", "").status()));
  EXPECT_TRUE(absl::IsNotFound(
      keys_->CompleteSecondFactor(c->handle, "login:abc", &resp, "", "").status()));
  // Replaying a response under a fresh challenge fails on the challenge.
  auto c2 = keys_->BeginSecondFactor("alice", "signin");
  auto replay = keys_->CompleteSecondFactor(c2->handle, "signin", &resp, "", "");
  EXPECT_TRUE(StrContains(replay.status().message(), "challenge")) << replay.status();
  // Expiry.
  auto c3 = keys_->BeginSecondFactor("alice", "signin");
  clock_.Advance(absl::Minutes(6));
  auto r3 = a.Assert(kUp, c3->challenge);
  AssertionResponse late{a.credential_id, r3.client_data, r3.auth_data, r3.signature, ""};
  EXPECT_TRUE(absl::IsNotFound(
      keys_->CompleteSecondFactor(c3->handle, "signin", &late, "", "").status()));
}

TEST_F(SecurityKeysTest, ACounterGoingBackwardsIsRefusedAsACloneAndNotRecorded) {
  Authenticator a(webauthn::CoseAlg::kEs256);
  ASSERT_TRUE(Register("alice", a).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(SignIn("alice", a).ok());  // Counter 3.
  a.counter = 1;  // A copy of the key made after its first use: signs with 2.
  auto cloned = SignIn("alice", a);
  EXPECT_EQ(cloned.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(webauthn::IsClonedKey(cloned.status()));
  EXPECT_EQ((*keys_->ListKeys("alice"))[0].sign_count, 3u);
  a.counter = 2;  // Signs with 3, equal to the stored count: also refused.
  EXPECT_TRUE(webauthn::IsClonedKey(SignIn("alice", a).status()));
  a.counter = 10;
  EXPECT_TRUE(SignIn("alice", a).ok());
}

TEST_F(SecurityKeysTest, KeysAreASecondFactorOnTheirOwn) {
  EXPECT_FALSE(accounts_->EffectiveTfaMode("alice")->has_value());
  EXPECT_TRUE(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "", "").ok());
  Authenticator a(webauthn::CoseAlg::kEdDsa);
  ASSERT_TRUE(Register("alice", a).ok());
  // Key only: auth-and-writes.
  EXPECT_EQ(**accounts_->EffectiveTfaMode("alice"), TfaMode::kAuthAndWrites);
  absl::Status write = accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "", "");
  EXPECT_TRUE(IsOtpRequired(write));
  EXPECT_TRUE(StrContains(write.message(), "security key"));
  // There is no TOTP code that could pass.
  EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, "123456", "")));
  // Basic authentication is refused like for TOTP accounts.
  auto basic = accounts_->Authenticate(
      StrCat("Basic ", Base64Encode(StrCat("alice:", kPassword))), "127.0.0.1");
  EXPECT_FALSE(basic->identity.has_value());
  // Starting TOTP enrolment needs the key too.
  EXPECT_TRUE(IsOtpRequired(
      accounts_->RequestTfa("alice", TfaMode::kAuthOnly, kPassword, "").status()));
  // Removing the last key turns 2FA off.
  ASSERT_TRUE(keys_->RemoveKey("alice", a.credential_id).ok());
  EXPECT_FALSE(accounts_->EffectiveTfaMode("alice")->has_value());
  EXPECT_TRUE(absl::IsNotFound(keys_->RemoveKey("alice", a.credential_id)));
}

TEST_F(SecurityKeysTest, WebOtpTokensAreSingleUseForTheirUserAndExpire) {
  Authenticator a(webauthn::CoseAlg::kEs256);
  ASSERT_TRUE(Register("alice", a).ok());
  Authenticator b(webauthn::CoseAlg::kEs256, "bob-key");
  ASSERT_TRUE(Register("bob", b).ok());
  auto s = keys_->StartWebOtp("alice", "publish");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(keys_->PollWebOtp(s->id)->has_value());  // Pending.
  ASSERT_TRUE(SignIn("alice", a, StrCat("otp:", s->id)).ok());
  ASSERT_TRUE(keys_->ApproveWebOtp(s->id).ok());
  auto token = keys_->PollWebOtp(s->id);
  ASSERT_TRUE(token.ok() && token->has_value()) << token.status();
  EXPECT_TRUE(StartsWith(**token, kWebOtpTokenPrefix));
  EXPECT_TRUE(absl::IsNotFound(keys_->PollWebOtp(s->id).status()));  // Handed out once.
  // Not bob's.
  EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("bob", TfaAction::kWrite, **token, "")));
  EXPECT_TRUE(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, **token, "").ok());
  EXPECT_TRUE(IsWrongOtp(accounts_->CheckSecondFactor("alice", TfaAction::kWrite, **token, "")));
  // An approval that waits too long expires.
  auto old = keys_->StartWebOtp("alice", "publish");
  clock_.Advance(absl::Minutes(6));
  EXPECT_TRUE(absl::IsNotFound(keys_->PollWebOtp(old->id).status()));
}

TEST_F(SecurityKeysTest, WebSessionsExpireAndStoreOnlyHashes) {
  auto cookie = keys_->StartWebSession("alice");
  ASSERT_TRUE(cookie.ok());
  EXPECT_EQ(*keys_->WebSessionUser(*cookie), "alice");
  EXPECT_TRUE(absl::IsNotFound(keys_->WebSessionUser("forged").status()));
  EXPECT_TRUE(absl::IsNotFound(webauthn_->GetWebSession(*cookie, clock_.Now()).status()));
  clock_.Advance(absl::Hours(13));
  EXPECT_TRUE(absl::IsNotFound(keys_->WebSessionUser(*cookie).status()));
}

TEST_F(SecurityKeysTest, NamesAndLimits) {
  EXPECT_EQ(keys_->BeginRegistration("alice", "", "register").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(keys_->BeginRegistration("alice", std::string(65, 'x'), "register").status().code(),
            absl::StatusCode::kInvalidArgument);
  for (size_t i = 0; i < kMaxKeysPerUser; ++i) {
    Authenticator a(webauthn::CoseAlg::kEs256, StrCat("k", i));
    ASSERT_TRUE(Register("alice", a).ok());
  }
  EXPECT_EQ(keys_->BeginRegistration("alice", "one more", "register").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(keys_->RenameKey("alice", "k0", "renamed").ok());
  EXPECT_TRUE(absl::IsNotFound(keys_->RenameKey("bob", "k0", "mine now")));
  EXPECT_EQ((*keys_->ListKeys("alice"))[0].name, "renamed");
}

}  // namespace
}  // namespace bulwark
