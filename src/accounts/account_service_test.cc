#include "accounts/account_service.h"

#include "accounts/access_policy.h"
#include "accounts/tokens.h"
#include "base/hash.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using testing::FakeClock;
using testing::SeededRandom;
using testing::TempDir;

// Cheap argon2 parameters keep the suite fast; production uses the defaults.
AccountOptions FastOptions() {
  AccountOptions o;
  o.argon2.memory_kib = 64;
  o.argon2.passes = 1;
  return o;
}

class AccountServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*NewSqliteMetadataStore(dir_.path() + "/m.sqlite3"));
    accounts_ = std::make_unique<AccountService>(*store_, clock_, random_, FastOptions());
    ASSERT_TRUE(accounts_->CreateUser("alice", "alice@example.com", "a long passphrase").ok());
  }
  TempDir dir_;
  FakeClock clock_;
  SeededRandom random_;
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<AccountService> accounts_;
};

TEST_F(AccountServiceTest, PasswordsAreArgon2idAndChecked) {
  auto u = store_->GetUser("alice");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->password_hash.rfind("$argon2id$v=19$", 0), 0u) << u->password_hash;
  EXPECT_TRUE(accounts_->CheckPassword("alice", "a long passphrase").ok());
  EXPECT_EQ(accounts_->CheckPassword("alice", "wrong passphrase").status().code(),
            absl::StatusCode::kUnauthenticated);
  // Unknown users get the same answer as wrong passwords (no user enumeration).
  auto missing = accounts_->CheckPassword("mallory", "whatever");
  EXPECT_EQ(missing.status(), accounts_->CheckPassword("alice", "nope").status());
}

TEST_F(AccountServiceTest, SignUpRules) {
  EXPECT_EQ(accounts_->CreateUser("alice", "a@example.com", "another passphrase").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(accounts_->CreateUser("Bob", "b@example.com", "another passphrase").status().message(),
            "user name must start with a lower-case letter or digit");
  EXPECT_EQ(accounts_->CreateUser("bob", "not-an-email", "another passphrase").status().message(),
            "email address is not valid");
  EXPECT_EQ(accounts_->CreateUser("bob", "b@example.com", "short").status().message(),
            "password must be at least 10 characters long");
  EXPECT_EQ(accounts_->CreateUser("bob", "b@example.com", "xxbobxxbobxx").status().message(),
            "password must not contain the user name");
}

TEST_F(AccountServiceTest, TokensAreHashedExpireAndRevoke) {
  auto minted = accounts_->CreateToken("alice", {});
  ASSERT_TRUE(minted.ok());
  EXPECT_TRUE(IsWellFormedToken(minted->secret));
  EXPECT_EQ(minted->record.key, HexEncode(Sha512(minted->secret)));
  // Only the hash is stored: no row contains the secret.
  auto listed = accounts_->ListTokens("alice");
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_NE((*listed)[0].key, minted->secret);
  EXPECT_EQ(minted->secret.rfind((*listed)[0].prefix, 0), 0u);

  auto auth = accounts_->Authenticate("Bearer " + minted->secret, "127.0.0.1");
  ASSERT_TRUE(auth.ok());
  ASSERT_TRUE(auth->identity.has_value());
  EXPECT_EQ(auth->identity->user, "alice");

  clock_.Advance(absl::Hours(24 * 31));
  auth = accounts_->Authenticate("Bearer " + minted->secret, "127.0.0.1");
  EXPECT_FALSE(auth->identity.has_value());
  // The default lifetime is 7 days; the message says when it ran out.
  EXPECT_EQ(auth->rejected,
            "Access token expired or revoked (it expired 2026-09-28T14:13:20.000Z). Please try "
            "logging in again: npm login");

  auto second = accounts_->CreateToken("alice", {});
  ASSERT_TRUE(accounts_->RevokeToken("alice", second->secret).ok());
  EXPECT_FALSE(accounts_->Authenticate("Bearer " + second->secret, "::1")->identity.has_value());
  EXPECT_EQ(accounts_->RevokeToken("alice", "nope").code(), absl::StatusCode::kNotFound);
}

TEST_F(AccountServiceTest, TokenRestrictions) {
  TokenOptions opts;
  opts.cidr_whitelist = {"10.1.0.0/16"};
  opts.readonly = true;
  auto minted = accounts_->CreateToken("alice", opts);
  ASSERT_TRUE(minted.ok());
  auto inside = accounts_->Authenticate("Bearer " + minted->secret, "10.1.2.3");
  ASSERT_TRUE(inside->identity.has_value());
  EXPECT_TRUE(inside->identity->readonly);
  auto outside = accounts_->Authenticate("Bearer " + minted->secret, "10.2.0.1");
  EXPECT_FALSE(outside->identity.has_value());
  opts.cidr_whitelist = {"10.0.0.0/33"};
  EXPECT_EQ(accounts_->CreateToken("alice", opts).status().message(), "invalid CIDR: 10.0.0.0/33");
  TokenOptions forever;
  forever.lifetime = absl::Hours(24 * 400);
  EXPECT_EQ(accounts_->CreateToken("alice", forever).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AccountServiceTest, BasicAuthAndGarbage) {
  auto ok = accounts_->Authenticate("Basic YWxpY2U6YSBsb25nIHBhc3NwaHJhc2U=", "127.0.0.1");
  ASSERT_TRUE(ok->identity.has_value());
  EXPECT_EQ(ok->identity->user, "alice");
  EXPECT_FALSE(accounts_->Authenticate("Basic !!!", "x")->identity.has_value());
  EXPECT_FALSE(accounts_->Authenticate("Negotiate abc", "x")->identity.has_value());
  auto none = accounts_->Authenticate("", "x");
  EXPECT_FALSE(none->identity.has_value());
  EXPECT_TRUE(none->rejected.empty());
}

TEST_F(AccountServiceTest, WebLoginHandsTheTokenOutOnce) {
  auto s = accounts_->StartWebLogin();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->id.size(), 32u);
  auto pending = accounts_->PollWebLogin(s->id);
  ASSERT_TRUE(pending.ok());
  EXPECT_FALSE(pending->has_value());
  EXPECT_EQ(accounts_->CompleteWebLogin(s->id, "alice", "bad").code(),
            absl::StatusCode::kUnauthenticated);
  ASSERT_TRUE(accounts_->CompleteWebLogin(s->id, "alice", "a long passphrase").ok());
  auto done = accounts_->PollWebLogin(s->id);
  ASSERT_TRUE(done.ok() && done->has_value());
  EXPECT_TRUE(accounts_->Authenticate("Bearer " + **done, "::1")->identity.has_value());
  EXPECT_EQ(accounts_->PollWebLogin(s->id).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AccountServiceTest, WebLoginSessionsExpire) {
  auto s = accounts_->StartWebLogin();
  clock_.Advance(absl::Minutes(11));
  EXPECT_EQ(accounts_->CompleteWebLogin(s->id, "alice", "a long passphrase").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(accounts_->PollWebLogin(s->id).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AccountServiceTest, LockedOutAttemptsAreRefusedWithoutCheckingThePassword) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(accounts_->CheckPassword("alice", "guess", "192.0.2.1").status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  EXPECT_TRUE(accounts_->CheckPassword("alice", "a long passphrase", "192.0.2.2").ok())
      << "five failures are free, and a success forgives the account";
  for (int i = 0; i < 6; ++i) (void)accounts_->CheckPassword("alice", "guess", "192.0.2.3");
  // Locked out for 1 s: even the right password, from another address, gets nothing.
  absl::Status locked = accounts_->CheckPassword("alice", "a long passphrase", "192.0.2.4")
                            .status();
  EXPECT_EQ(locked.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ThrottleRetryAfter(locked), 1);
  EXPECT_EQ(locked.message(), "too many failed attempts; try again in 1 seconds");
  EXPECT_EQ(accounts_->throttled_attempts(), 1u);
  // Basic authentication goes through the same check: the error is not swallowed as a
  // rejected credential, so the client sees 429.
  EXPECT_EQ(accounts_->Authenticate("Basic YWxpY2U6YSBsb25nIHBhc3NwaHJhc2U=", "192.0.2.4")
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(accounts_->throttled_attempts(), 2u);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(accounts_->CheckPassword("alice", "a long passphrase", "192.0.2.4").ok());
}

TEST_F(AccountServiceTest, AnAddressIsThrottledAcrossAccounts) {
  ASSERT_TRUE(accounts_->CreateUser("bob", "bob@example.com", "another passphrase").ok());
  // Spraying one guess at many names (real or not) from one address uses the address's budget.
  for (int i = 0; i < 6; ++i) {
    (void)accounts_->CheckPassword(StrCat("user", i), "guess", "2001:db8::1");
  }
  EXPECT_EQ(accounts_->CheckPassword("bob", "another passphrase", "2001:db8::2").status().code(),
            absl::StatusCode::kResourceExhausted)
      << "the /64 shares the budget";
  EXPECT_TRUE(accounts_->CheckPassword("bob", "another passphrase", "192.0.2.9").ok());
  // Web login goes through the same throttle.
  auto s = accounts_->StartWebLogin();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(accounts_->CompleteWebLogin(s->id, "bob", "another passphrase", "", "2001:db8::3")
                .code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(Tokens, FormatAndChecksum) {
  SeededRandom r(7);
  std::string t = NewTokenSecret(r);
  EXPECT_EQ(t.size(), kTokenLength);
  EXPECT_TRUE(IsWellFormedToken(t));
  std::string flipped = t;
  flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(IsWellFormedToken(flipped));
  EXPECT_FALSE(IsWellFormedToken("npm_abc"));
}

TEST(AccessPolicy, FirstMatchingRuleDecides) {
  PackageRule internal;
  internal.pattern = "@internal/*";
  internal.access = {"$authenticated"};
  internal.publish = {"alice"};
  PackageRule rest;
  rest.pattern = "**";
  AccessPolicy policy({internal, rest});
  EXPECT_FALSE(policy.Allows(PackageAction::kRead, "@internal/x", std::nullopt));
  EXPECT_TRUE(policy.Allows(PackageAction::kRead, "@internal/x", std::string("bob")));
  EXPECT_FALSE(policy.Allows(PackageAction::kPublish, "@internal/x", std::string("bob")));
  EXPECT_TRUE(policy.Allows(PackageAction::kPublish, "@internal/x", std::string("alice")));
  EXPECT_TRUE(policy.Allows(PackageAction::kRead, "lodash", std::nullopt));
  EXPECT_FALSE(policy.Allows(PackageAction::kPublish, "lodash", std::nullopt));
  EXPECT_TRUE(GlobMatch("@*/*", "@a/b"));
  EXPECT_FALSE(GlobMatch("*", "@a/b"));
  EXPECT_TRUE(GlobMatch("**", "@a/b"));
  EXPECT_TRUE(GlobMatch("internal-*", "internal-x"));
}

TEST(IpInCidrs, Matches) {
  EXPECT_TRUE(IpInCidrs("192.168.1.7", {"192.168.1.0/24"}));
  EXPECT_FALSE(IpInCidrs("192.168.2.7", {"192.168.1.0/24"}));
  EXPECT_TRUE(IpInCidrs("8.8.8.8", {"0.0.0.0/0"}));
  EXPECT_FALSE(IpInCidrs("::1", {"0.0.0.0/0"}));
  EXPECT_FALSE(IpInCidrs("1.2.3.4", {"garbage"}));
}

}  // namespace
}  // namespace bulwark
