#pragma once
// The MetadataStore conformance suite. Each backend's test includes this header once and
// instantiates it:
//   INSTANTIATE_TEST_SUITE_P(Sqlite, MetadataStoreConformance, ::testing::Values(&MakeSqlite));
// where MakeSqlite(dir) returns a fresh, empty store.

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "bulwark/storage/metadata_store.h"
#include "testing/fakes.h"

namespace bulwark::testing {

using StoreFactory = std::unique_ptr<MetadataStore> (*)(const std::string& dir);

class MetadataStoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam()(dir_.path()); }
  TempDir dir_;
  std::unique_ptr<MetadataStore> store_;
};

inline UserRecord MakeUser(const std::string& name) {
  UserRecord u;
  u.name = name;
  u.email = name + "@example.com";
  u.password_hash = "$argon2id$fake";
  u.created = u.updated = absl::FromUnixSeconds(1000);
  return u;
}

inline PackageRecord MakePackage(const std::string& name, const std::vector<std::string>& versions) {
  PackageRecord p;
  p.name = name;
  p.created = p.modified = absl::FromUnixSeconds(2000);
  p.maintainers = {"alice"};
  for (const auto& v : versions) {
    VersionRecord r;
    r.version = v;
    r.manifest_json = "{\"name\":\"" + name + "\",\"version\":\"" + v + "\"}";
    r.integrity = "sha512-x" + v;
    r.shasum = "abc";
    r.blob_key = std::string(128, 'a');
    r.size = 10;
    r.published = absl::FromUnixSeconds(2000);
    p.versions[v] = r;
    p.dist_tags["latest"] = v;
  }
  return p;
}

TEST_P(MetadataStoreConformance, UsersRoundTripAndConflict) {
  ASSERT_TRUE(store_->CreateUser(MakeUser("alice")).ok());
  EXPECT_EQ(store_->CreateUser(MakeUser("alice")).code(), absl::StatusCode::kAlreadyExists);
  auto u = store_->GetUser("alice");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->email, "alice@example.com");
  EXPECT_EQ(u->created, absl::FromUnixSeconds(1000));
  EXPECT_EQ(store_->GetUser("bob").status().code(), absl::StatusCode::kNotFound);
  UserRecord changed = *u;
  changed.email = "new@example.com";
  ASSERT_TRUE(store_->UpdateUser(changed).ok());
  EXPECT_EQ(store_->GetUser("alice")->email, "new@example.com");
  EXPECT_EQ(store_->UpdateUser(MakeUser("nobody")).code(), absl::StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformance, TokensByKeyAndUser) {
  TokenRecord t;
  t.key = "k1";
  t.prefix = "bwk_1";
  t.user = "alice";
  t.cidr_whitelist = {"10.0.0.0/8"};
  t.created = absl::FromUnixSeconds(5);
  t.expires = absl::FromUnixSeconds(50);
  ASSERT_TRUE(store_->CreateToken(t).ok());
  auto got = store_->GetToken("k1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->cidr_whitelist, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_EQ(got->expires, absl::FromUnixSeconds(50));
  EXPECT_EQ(store_->ListTokens("alice")->size(), 1u);
  EXPECT_EQ(store_->ListTokens("bob")->size(), 0u);
  ASSERT_TRUE(store_->DeleteToken("k1").ok());
  EXPECT_EQ(store_->GetToken("k1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->DeleteToken("k1").ok());
}

TEST_P(MetadataStoreConformance, TokenGrantsAndLastUse) {
  TokenRecord t;
  t.key = "k2";
  t.prefix = "bwk_2";
  t.user = "alice";
  t.created = absl::FromUnixSeconds(5);
  t.packages = {"left-pad", "@a/b"};
  t.scopes = {"@acme"};
  t.bypass_2fa = true;
  t.description = "ci";
  ASSERT_TRUE(store_->CreateToken(t).ok());
  auto got = store_->GetToken("k2");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->packages, t.packages);
  EXPECT_EQ(got->scopes, t.scopes);
  EXPECT_TRUE(got->bypass_2fa);
  EXPECT_EQ(got->description, "ci");
  EXPECT_FALSE(got->last_used.has_value());
  ASSERT_TRUE(store_->TouchToken("k2", absl::FromUnixSeconds(77)).ok());
  EXPECT_EQ(store_->ListTokens("alice")->at(0).last_used, absl::FromUnixSeconds(77));
  EXPECT_TRUE(store_->TouchToken("absent", absl::FromUnixSeconds(77)).ok());
}

TEST_P(MetadataStoreConformance, CountDependentsUsesLatestVersions) {
  auto with_deps = [](const std::string& name, const std::string& version,
                      const std::string& deps) {
    PackageRecord p = MakePackage(name, {version});
    p.versions[version].manifest_json = "{\"name\":\"" + name + "\",\"version\":\"" +
                                        version + "\",\"dependencies\":" + deps + "}";
    return p;
  };
  ASSERT_TRUE(store_->CommitPackage(with_deps("a", "1.0.0", R"({"lib":"^1","x":"1"})"), 0).ok());
  ASSERT_TRUE(store_->CommitPackage(with_deps("b", "1.0.0", R"({"lib":"^2"})"), 0).ok());
  // c's latest no longer depends on lib: only the latest version counts.
  PackageRecord c = with_deps("c", "1.0.0", R"({"lib":"^1"})");
  c.versions["2.0.0"] = with_deps("c", "2.0.0", R"({"x":"1"})").versions["2.0.0"];
  c.dist_tags["latest"] = "2.0.0";
  ASSERT_TRUE(store_->CommitPackage(c, 0).ok());
  auto all = store_->CountDependents(1);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "lib");
  EXPECT_EQ((*all)[0].downloads, 2u);
  EXPECT_EQ((*all)[1].name, "x");
  EXPECT_EQ((*all)[1].downloads, 2u);
  EXPECT_TRUE(store_->CountDependents(3)->empty());
}

TEST_P(MetadataStoreConformance, PackageCommitIsOptimistic) {
  PackageRecord p = MakePackage("demo", {"1.0.0"});
  EXPECT_EQ(store_->GetPackageRev("demo").value(), 0);
  ASSERT_TRUE(store_->CommitPackage(p, 0).ok());
  EXPECT_EQ(store_->CommitPackage(p, 0).code(), absl::StatusCode::kAborted);
  auto got = store_->GetPackage("demo");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->rev, 1);
  EXPECT_EQ(got->versions.size(), 1u);
  EXPECT_EQ(got->dist_tags.at("latest"), "1.0.0");
  got->versions["1.0.0"].deprecated = "old";
  got->versions["1.1.0"] = MakePackage("demo", {"1.1.0"}).versions["1.1.0"];
  ASSERT_TRUE(store_->CommitPackage(*got, 1).ok());
  auto again = store_->GetPackage("demo");
  EXPECT_EQ(again->rev, 2);
  EXPECT_EQ(again->versions.at("1.0.0").deprecated, "old");
  EXPECT_EQ(again->versions.size(), 2u);
  EXPECT_EQ(store_->GetPackageRev("demo").value(), 2);
}

TEST_P(MetadataStoreConformance, VersionRowsAreNeverDropped) {
  ASSERT_TRUE(store_->CommitPackage(MakePackage("demo", {"1.0.0", "2.0.0"}), 0).ok());
  PackageRecord p = *store_->GetPackage("demo");
  p.versions.erase("1.0.0");
  EXPECT_EQ(store_->CommitPackage(p, 1).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(store_->GetPackage("demo")->versions.size(), 2u);  // Rolled back.
  EXPECT_EQ(store_->GetPackageRev("demo").value(), 1);
}

TEST_P(MetadataStoreConformance, ListPackagesSkipsUnpublished) {
  ASSERT_TRUE(store_->CommitPackage(MakePackage("a", {"1.0.0"}), 0).ok());
  PackageRecord b = MakePackage("b", {"1.0.0"});
  b.unpublished = absl::FromUnixSeconds(3000);
  ASSERT_TRUE(store_->CommitPackage(b, 0).ok());
  auto list = store_->ListPackages();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "a");
  EXPECT_EQ((*list)[0].latest, "1.0.0");
  EXPECT_TRUE(store_->GetPackage("b")->unpublished.has_value());
}

TEST_P(MetadataStoreConformance, ConcurrentCommitsExactlyOneWinsPerRevision) {
  ASSERT_TRUE(store_->CommitPackage(MakePackage("demo", {"1.0.0"}), 0).ok());
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> wins{0}, aborted{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      PackageRecord p = *store_->GetPackage("demo");
      p.dist_tags["t" + std::to_string(i)] = "1.0.0";
      absl::Status s = store_->CommitPackage(p, 1);
      if (s.ok()) ++wins;
      else if (absl::IsAborted(s)) ++aborted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(aborted.load(), kThreads - 1);
}

TEST_P(MetadataStoreConformance, LoginSessions) {
  LoginSession s;
  s.id = "abc";
  s.created = absl::FromUnixSeconds(100);
  ASSERT_TRUE(store_->CreateLoginSession(s).ok());
  s.user = "alice";
  s.secret = "bwk_x";
  ASSERT_TRUE(store_->UpdateLoginSession(s).ok());
  EXPECT_EQ(store_->GetLoginSession("abc")->secret, "bwk_x");
  ASSERT_TRUE(store_->ExpireLoginSessions(absl::FromUnixSeconds(200)).ok());
  EXPECT_EQ(store_->GetLoginSession("abc").status().code(), absl::StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformance, PopularityIsReplacedAsAWhole) {
  EXPECT_TRUE(store_->ListPopularity()->empty());
  ASSERT_TRUE(store_->SetPopularity({{"react", 100}, {"cross-env", 50}, {"react", 120}}).ok());
  auto list = store_->ListPopularity();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "cross-env");
  EXPECT_EQ((*list)[0].downloads, 50u);
  EXPECT_EQ((*list)[1].name, "react");
  EXPECT_EQ((*list)[1].downloads, 120u);  // The last entry for a name wins.
  ASSERT_TRUE(store_->SetPopularity({{"lodash", uint64_t{1} << 40}}).ok());
  list = store_->ListPopularity();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "lodash");
  EXPECT_EQ((*list)[0].downloads, uint64_t{1} << 40);
  ASSERT_TRUE(store_->SetPopularity({}).ok());
  EXPECT_TRUE(store_->ListPopularity()->empty());
}

TEST_P(MetadataStoreConformance, AllowedNames) {
  ASSERT_TRUE(store_->AddAllowedName({"crossenv", "admin", absl::FromUnixSeconds(10)}).ok());
  ASSERT_TRUE(store_->AddAllowedName({"babelcli", "cli", absl::FromUnixSeconds(20)}).ok());
  // Adding again keeps the first record.
  ASSERT_TRUE(store_->AddAllowedName({"crossenv", "other", absl::FromUnixSeconds(30)}).ok());
  auto list = store_->ListAllowedNames();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "babelcli");
  EXPECT_EQ((*list)[1].name, "crossenv");
  EXPECT_EQ((*list)[1].added_by, "admin");
  EXPECT_EQ((*list)[1].created, absl::FromUnixSeconds(10));
  ASSERT_TRUE(store_->RemoveAllowedName("crossenv").ok());
  EXPECT_EQ(store_->RemoveAllowedName("crossenv").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListAllowedNames()->size(), 1u);
}

TEST_P(MetadataStoreConformance, NameFindingsAreAppendedInOrder) {
  NameFinding f;
  f.id = 77;  // Ignored: the store assigns ids.
  f.name = "crossenv";
  f.user = "mallory";
  f.verdict = "block";
  f.target = "cross-env";
  f.checks = {"punctuation", "separator"};
  f.score = 0.875;
  f.message = "refused";
  f.created = absl::FromUnixSeconds(100);
  ASSERT_TRUE(store_->RecordNameFinding(f).ok());
  f.name = "reactt";
  f.verdict = "warn";
  f.checks = {};
  ASSERT_TRUE(store_->RecordNameFinding(f).ok());
  auto list = store_->ListNameFindings();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "crossenv");
  EXPECT_EQ((*list)[0].user, "mallory");
  EXPECT_EQ((*list)[0].verdict, "block");
  EXPECT_EQ((*list)[0].target, "cross-env");
  EXPECT_EQ((*list)[0].checks, (std::vector<std::string>{"punctuation", "separator"}));
  EXPECT_DOUBLE_EQ((*list)[0].score, 0.875);
  EXPECT_EQ((*list)[0].message, "refused");
  EXPECT_EQ((*list)[0].created, absl::FromUnixSeconds(100));
  EXPECT_EQ((*list)[1].name, "reactt");
  EXPECT_TRUE((*list)[1].checks.empty());
  EXPECT_LT((*list)[0].id, (*list)[1].id);
  EXPECT_GT((*list)[0].id, 0);
}

TEST_P(MetadataStoreConformance, DownloadsAddUpPerDay) {
  ASSERT_TRUE(store_->AddDownloads(100, {{"a", 3}, {"b", 1}}).ok());
  ASSERT_TRUE(store_->AddDownloads(100, {{"a", 2}}).ok());
  ASSERT_TRUE(store_->AddDownloads(90, {{"a", 50}}).ok());
  auto recent = store_->SumDownloads(95);
  ASSERT_TRUE(recent.ok());
  ASSERT_EQ(recent->size(), 2u);
  EXPECT_EQ((*recent)[0].name, "a");
  EXPECT_EQ((*recent)[0].downloads, 5u);
  EXPECT_EQ((*recent)[1].downloads, 1u);
  EXPECT_EQ(store_->SumDownloads(0)->at(0).downloads, 55u);
}

TEST_P(MetadataStoreConformance, ProtectedNames) {
  ASSERT_TRUE(store_->AddProtectedName({"acme", "root", absl::FromUnixSeconds(1)}).ok());
  ASSERT_TRUE(store_->AddProtectedName({"acme", "root", absl::FromUnixSeconds(2)}).ok());
  auto list = store_->ListProtectedNames();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].created, absl::FromUnixSeconds(1));
  ASSERT_TRUE(store_->RemoveProtectedName("acme").ok());
  EXPECT_EQ(store_->RemoveProtectedName("acme").code(), absl::StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformance, TwoFactorRecordsStepsAndRecoveryCodes) {
  EXPECT_EQ(store_->GetTfa("alice").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->UseTotpStep("alice", 5).code(), absl::StatusCode::kNotFound);
  TfaRecord t;
  t.user = "alice";
  t.mode = TfaMode::kAuthOnly;
  t.pending = true;
  t.sealed_secret = std::string("\x01\x00secret\xff", 9);  // Binary bytes survive.
  t.last_step = 10;
  t.recovery_hashes = {"bb", "aa"};
  t.created = t.updated = absl::FromUnixSeconds(3000);
  ASSERT_TRUE(store_->PutTfa(t).ok());
  auto got = store_->GetTfa("alice");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->mode, TfaMode::kAuthOnly);
  EXPECT_TRUE(got->pending);
  EXPECT_EQ(got->sealed_secret, t.sealed_secret);
  EXPECT_EQ(got->last_step, 10);
  EXPECT_EQ(got->recovery_hashes, (std::vector<std::string>{"aa", "bb"}));
  EXPECT_EQ(got->created, absl::FromUnixSeconds(3000));

  // Steps only move forward: the same or an older step is a replay.
  EXPECT_EQ(store_->UseTotpStep("alice", 10).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->UseTotpStep("alice", 9).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(store_->UseTotpStep("alice", 11).ok());
  EXPECT_EQ(store_->UseTotpStep("alice", 11).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->GetTfa("alice")->last_step, 11);

  // Recovery codes are single use.
  EXPECT_TRUE(store_->UseRecoveryCode("alice", "aa").ok());
  EXPECT_EQ(store_->UseRecoveryCode("alice", "aa").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->UseRecoveryCode("bob", "bb").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetTfa("alice")->recovery_hashes, std::vector<std::string>{"bb"});

  // PutTfa replaces the record and its codes.
  t.pending = false;
  t.mode = TfaMode::kAuthAndWrites;
  t.recovery_hashes = {"cc"};
  ASSERT_TRUE(store_->PutTfa(t).ok());
  got = store_->GetTfa("alice");
  EXPECT_FALSE(got->pending);
  EXPECT_EQ(got->mode, TfaMode::kAuthAndWrites);
  EXPECT_EQ(got->recovery_hashes, std::vector<std::string>{"cc"});

  ASSERT_TRUE(store_->DeleteTfa("alice").ok());
  ASSERT_TRUE(store_->DeleteTfa("alice").ok());
  EXPECT_EQ(store_->GetTfa("alice").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->UseRecoveryCode("alice", "cc").code(), absl::StatusCode::kNotFound);
}

TEST_P(MetadataStoreConformance, ConcurrentUsesOfOneStepExactlyOneWins) {
  TfaRecord t;
  t.user = "alice";
  t.pending = false;
  t.recovery_hashes = {"aa"};
  ASSERT_TRUE(store_->PutTfa(t).ok());
  std::atomic<int> steps_won{0}, codes_won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (store_->UseTotpStep("alice", 42).ok()) ++steps_won;
      if (store_->UseRecoveryCode("alice", "aa").ok()) ++codes_won;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(steps_won.load(), 1);
  EXPECT_EQ(codes_won.load(), 1);
}

}  // namespace bulwark::testing
