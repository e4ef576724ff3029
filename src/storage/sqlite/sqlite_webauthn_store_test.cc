// SqliteWebAuthnStore against a real database: uniqueness of credential ids, the counter's
// compare-and-set, single-use challenges, web-2FA tokens, sessions, and corrupt rows.

#include "bulwark/storage/webauthn_store.h"
#include "gtest/gtest.h"
#include "storage/sqlite/sqlite.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);

SecurityKeyRecord Key(std::string id, std::string user) {
  SecurityKeyRecord k;
  k.id = std::move(id);
  k.user = std::move(user);
  k.name = "key";
  k.public_key = std::string("\xa1\x01\x02", 3);
  k.alg = -7;
  k.aaguid = std::string(16, '\0');
  k.attestation = "none";
  k.created = kNow;
  return k;
}

class SqliteWebAuthnStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/w.sqlite3";
    store_ = std::move(*NewSqliteWebAuthnStore(path_));
  }
  testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<WebAuthnStore> store_;
};

TEST_F(SqliteWebAuthnStoreTest, KeysAreUniqueAndTheCounterMovesByCompareAndSet) {
  // Binary ids, NUL bytes included, survive the round trip.
  const std::string id("\x00\xff\x10id", 5);
  ASSERT_TRUE(store_->AddKey(Key(id, "alice")).ok());
  EXPECT_EQ(store_->AddKey(Key(id, "bob")).code(), absl::StatusCode::kAlreadyExists);
  auto k = store_->GetKey(id);
  ASSERT_TRUE(k.ok()) << k.status();
  EXPECT_EQ(k->id, id);
  EXPECT_EQ(k->public_key, std::string("\xa1\x01\x02", 3));
  EXPECT_FALSE(k->last_used.has_value());
  EXPECT_EQ(*store_->CountKeys("alice"), 1);
  EXPECT_EQ(*store_->CountKeys("bob"), 0);
  ASSERT_TRUE(store_->RecordKeyUse(id, 0, 5, false, kNow).ok());
  // A second assertion that read the old counter loses.
  EXPECT_EQ(store_->RecordKeyUse(id, 0, 6, false, kNow).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetKey(id)->sign_count, 5u);
  EXPECT_TRUE(store_->GetKey(id)->last_used.has_value());
  EXPECT_TRUE(absl::IsNotFound(store_->DeleteKey("bob", id)));
  EXPECT_TRUE(store_->DeleteKey("alice", id).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetKey(id).status()));
}

TEST_F(SqliteWebAuthnStoreTest, ChallengesAreTakenOnceAndExpire) {
  WebAuthnChallenge c;
  c.id = "h1";
  c.user = "alice";
  c.challenge = std::string("\x00\x01", 2);
  c.context = "signin";
  c.expires = kNow + absl::Minutes(5);
  ASSERT_TRUE(store_->PutChallenge(c, kNow).ok());
  auto taken = store_->TakeChallenge("h1", kNow);
  ASSERT_TRUE(taken.ok()) << taken.status();
  EXPECT_EQ(taken->challenge, c.challenge);
  EXPECT_EQ(taken->context, "signin");
  EXPECT_TRUE(absl::IsNotFound(store_->TakeChallenge("h1", kNow).status()));
  c.id = "h2";
  ASSERT_TRUE(store_->PutChallenge(c, kNow).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->TakeChallenge("h2", kNow + absl::Minutes(5)).status()));
}

TEST_F(SqliteWebAuthnStoreTest, WebOtpTokensAreHandedOutAndUsedOnce) {
  WebOtpSession s;
  s.id = "o1";
  s.user = "alice";
  s.action = "publish";
  s.created = kNow;
  ASSERT_TRUE(store_->CreateWebOtp(s, kNow - absl::Minutes(5)).ok());
  // Not approved yet: no token can be set.
  EXPECT_EQ(store_->SetWebOtpToken("o1", "hash").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store_->ApproveWebOtp("o1").ok());
  ASSERT_TRUE(store_->SetWebOtpToken("o1", "hash").ok());
  EXPECT_EQ(store_->SetWebOtpToken("o1", "other").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::IsNotFound(store_->UseWebOtpToken("bob", "hash", kNow - absl::Minutes(1))));
  EXPECT_TRUE(absl::IsNotFound(store_->UseWebOtpToken("alice", "hash", kNow)));  // Too old.
  EXPECT_TRUE(store_->UseWebOtpToken("alice", "hash", kNow - absl::Minutes(1)).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->UseWebOtpToken("alice", "hash", kNow - absl::Minutes(1))));
  EXPECT_TRUE(absl::IsNotFound(store_->UseWebOtpToken("alice", "", kNow - absl::Minutes(1))));
}

TEST_F(SqliteWebAuthnStoreTest, CorruptRowsAreErrorsNotCrashes) {
  ASSERT_TRUE(store_->AddKey(Key("id", "alice")).ok());
  auto db = sqlite::Db::Open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Exec("UPDATE webauthn_keys SET public_key='zz', sign_count=-1").ok());
  EXPECT_EQ(store_->GetKey("id").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(store_->ListKeys("alice").status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace bulwark
