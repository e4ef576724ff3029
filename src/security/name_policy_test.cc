#include "security/name_policy.h"

#include <map>

#include "base/strings.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

using testing::FakeClock;
using testing::TempDir;
using typosquat::Verdict;

// A popularity index that answers from a table, honouring the engine's owner rule, so the
// policy's logic is tested apart from the engine's scoring.
class FakeIndex final : public typosquat::Index {
 public:
  typosquat::Result Check(std::string_view candidate,
                          const typosquat::Context& context) const override {
    typosquat::Result r;
    r.name = std::string(candidate);
    auto it = table.find(std::string(candidate));
    if (it == table.end()) return r;
    for (const auto& m : it->second) {
      if (std::find(context.owner_packages.begin(), context.owner_packages.end(), m.target) !=
          context.owner_packages.end()) {
        continue;
      }
      r.matches.push_back(m);
      r.verdict = std::max(r.verdict, m.verdict);
    }
    return r;
  }
  size_t MemoryBytes() const override { return 0; }
  size_t size() const override { return table.size(); }
  std::map<std::string, std::vector<typosquat::Match>> table;
};

typosquat::Match M(const std::string& target, double score, Verdict v) {
  return typosquat::Match{target, 5'000'000, {"punctuation"}, score, v};
}

class NamePolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*NewSqliteMetadataStore(dir_.path() + "/m.sqlite3"));
    auto fake = std::make_shared<FakeIndex>();
    fake->table["crossenv"] = {M("cross-env", 0.93, Verdict::kBlock)};
    fake->table["cross-envv"] = {M("cross-env", 0.7, Verdict::kHold)};
    fake->table["reactt"] = {M("react", 0.4, Verdict::kWarn)};
    popular_ = fake;
  }
  NamePolicy& Policy(PrivateNamesConfig private_names = {}) {
    policy_ = std::make_unique<NamePolicy>(*store_, clock_, popular_, std::move(private_names));
    return *policy_;
  }
  void AddPackage(const std::string& name, const std::string& maintainer) {
    PackageRecord p;
    p.name = name;
    p.maintainers = {maintainer};
    p.dist_tags["latest"] = "1.0.0";
    ASSERT_TRUE(store_->CommitPackage(p, 0).ok());
  }
  std::string Refusal(NamePolicy& policy, const Identity& who, const std::string& name) {
    absl::Status s = policy.CheckNewName(who, name);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << name << ": " << s;
    return std::string(s.message());
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<MetadataStore> store_;
  std::shared_ptr<const typosquat::Index> popular_;
  std::unique_ptr<NamePolicy> policy_;
  Identity alice_{"alice", false, false, ""};
  Identity bob_{"bob", false, false, ""};
  Identity admin_{"root", true, false, ""};
};

TEST_F(NamePolicyTest, CleanNamePassesWithoutARecord) {
  NamePolicy& p = Policy();
  EXPECT_TRUE(p.CheckNewName(alice_, "left-pad-ng").ok());
  EXPECT_TRUE(store_->ListNameFindings()->empty());
}

TEST_F(NamePolicyTest, BlockIsRefusedNamingTheTargetAndTheWayOut) {
  NamePolicy& p = Policy();
  std::string message = Refusal(p, bob_, "crossenv");
  EXPECT_EQ(message,
            "\"crossenv\" is refused: it imitates the popular package \"cross-env\" (checks: "
            "punctuation; score 0.93), a typosquatting pattern. If the name is legitimate, ask a "
            "registry administrator to allow it: bulwark typosquat allow crossenv");
  auto findings = store_->ListNameFindings();
  ASSERT_EQ(findings->size(), 1u);
  EXPECT_EQ((*findings)[0].name, "crossenv");
  EXPECT_EQ((*findings)[0].user, "bob");
  EXPECT_EQ((*findings)[0].verdict, "block");
  EXPECT_EQ((*findings)[0].target, "cross-env");
  EXPECT_EQ((*findings)[0].message, message);
  EXPECT_EQ((*findings)[0].created, clock_.Now());
}

TEST_F(NamePolicyTest, HoldIsRefusedUntilAnAdminReviews) {
  NamePolicy& p = Policy();
  std::string message = Refusal(p, bob_, "cross-envv");
  EXPECT_TRUE(StartsWith(message,
                         "\"cross-envv\" needs review by a registry administrator "
                         "before it can be published"))
      << message;
  EXPECT_TRUE(StrContains(message, "bulwark typosquat allow cross-envv")) << message;
  EXPECT_EQ(store_->ListNameFindings()->at(0).verdict, "hold");
}

TEST_F(NamePolicyTest, WarnPublishesAndIsRecorded) {
  NamePolicy& p = Policy();
  EXPECT_TRUE(p.CheckNewName(bob_, "reactt").ok());
  auto findings = store_->ListNameFindings();
  ASSERT_EQ(findings->size(), 1u);
  EXPECT_EQ((*findings)[0].verdict, "warn");
  EXPECT_EQ((*findings)[0].target, "react");
}

TEST_F(NamePolicyTest, AllowListLetsABlockedNameThrough) {
  NamePolicy& p = Policy();
  ASSERT_TRUE(store_->AddAllowedName({"crossenv", "root", clock_.Now()}).ok());
  EXPECT_TRUE(p.CheckNewName(bob_, "crossenv").ok());
  auto d = p.Decide(std::nullopt, "crossenv");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->rule, "allow-list");
  EXPECT_EQ(d->verdict, Verdict::kBlock);  // Still reported, no longer enforced.
  EXPECT_EQ(d->action, NameDecision::Action::kAllow);
  EXPECT_TRUE(store_->ListNameFindings()->empty());
}

TEST_F(NamePolicyTest, OwnerOfTheTargetMayPublishAVariant) {
  AddPackage("cross-env", "alice");
  NamePolicy& p = Policy();
  EXPECT_TRUE(p.CheckNewName(alice_, "crossenv").ok());
  EXPECT_EQ(p.CheckNewName(bob_, "crossenv").code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(NamePolicyTest, PrivateScopeOnlyForMembers) {
  NamePolicy& p = Policy({.scopes = {{"@acme", {"alice"}}}, .names = {}});
  EXPECT_EQ(Refusal(p, bob_, "@acme/tool"),
            "\"@acme/tool\" is in @acme, a private scope of this registry: only its members may "
            "publish in it (dependency-confusion protection). If you should be one, ask a "
            "registry administrator to add you to private.scopes in the configuration.");
  EXPECT_TRUE(p.CheckNewName(alice_, "@acme/tool").ok());
  EXPECT_TRUE(p.CheckNewName(admin_, "@acme/tool").ok());
  EXPECT_TRUE(p.CheckNewName(bob_, "@other/tool").ok());
  EXPECT_EQ(store_->ListNameFindings()->at(0).checks, std::vector<std::string>{"private-scope"});
}

TEST_F(NamePolicyTest, ReservedUnscopedNamesOnlyForOwnersAndAdmins) {
  NamePolicy& p = Policy({.scopes = {}, .names = {{"acme-utils", {}}, {"acme-cli", {"alice"}}}});
  EXPECT_TRUE(StrContains(Refusal(p, bob_, "acme-utils"),
                          "\"acme-utils\" is reserved for a private package"));
  EXPECT_EQ(p.CheckNewName(alice_, "acme-utils").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(p.CheckNewName(admin_, "acme-utils").ok());
  EXPECT_TRUE(p.CheckNewName(alice_, "acme-cli").ok());
}

TEST_F(NamePolicyTest, ShadowingAPrivateNameInAnotherScopeIsRefused) {
  AddPackage("@acme/acme-utils", "alice");
  NamePolicy& p = Policy({.scopes = {{"@acme", {"alice"}}}, .names = {{"acme-config", {}}}});
  std::string message = Refusal(p, bob_, "@evil/acme-utils");
  EXPECT_TRUE(StrContains(message, "the private package \"@acme/acme-utils\"")) << message;
  EXPECT_TRUE(StrContains(message, "private-shadow")) << message;
  EXPECT_TRUE(StrContains(message, "dependency-confusion pattern")) << message;
  EXPECT_TRUE(StrContains(Refusal(p, bob_, "acme-utils"), "@acme/acme-utils"));
  EXPECT_TRUE(StrContains(Refusal(p, bob_, "@evil/acme-config"), "\"acme-config\""));
  // The organisation may publish its own names anywhere.
  EXPECT_TRUE(p.CheckNewName(alice_, "acme-utils").ok());
  EXPECT_TRUE(p.CheckNewName(admin_, "@evil/acme-config").ok());
  EXPECT_EQ(p.PrivateNames(), (std::vector<std::string>{"@acme/acme-utils", "acme-config"}));
}

TEST_F(NamePolicyTest, NoPopularityIndexStillProtectsPrivateNames) {
  popular_ = nullptr;
  NamePolicy& p = Policy({.scopes = {}, .names = {{"acme-config", {}}}});
  EXPECT_TRUE(p.CheckNewName(bob_, "crossenv").ok());
  EXPECT_EQ(p.CheckNewName(bob_, "@evil/acme-config").code(), absl::StatusCode::kPermissionDenied);
}

// With the real engine and a tiny popularity list: the 2017 `crossenv` incident.
TEST(NamePolicyEngine, CrossenvIsRefusedAndImportedPopularityWins) {
  auto snapshot = typosquat::ParsePopularityTsv(
      "name\tdownloads\ncross-env\t10\nreact\t90000000\nexpress\t80000000\nlodash\t150000000\n");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  // In the snapshot cross-env is too small to protect; the imported count makes it popular.
  auto index = BuildPopularityIndex(*snapshot, {{"cross-env", 20'000'000}}, {});
  ASSERT_TRUE(index.ok()) << index.status();
  TempDir dir;
  auto store = std::move(*NewSqliteMetadataStore(dir.path() + "/m.sqlite3"));
  FakeClock clock;
  NamePolicy p(*store, clock, std::move(*index), {});
  auto d = p.Decide(std::nullopt, "crossenv");
  ASSERT_TRUE(d.ok());
  EXPECT_NE(d->verdict, Verdict::kClean);
  ASSERT_FALSE(d->result.matches.empty());
  EXPECT_EQ(d->result.matches[0].target, "cross-env");
  EXPECT_EQ(d->result.matches[0].target_downloads, 20'000'000u);
  auto clean = p.Decide(std::nullopt, "bulwark-test-widget");
  ASSERT_TRUE(clean.ok());
  EXPECT_EQ(clean->verdict, Verdict::kClean);
}

TEST(NamePolicyEngine, NearMissOfAPrivateNameIsCaught) {
  TempDir dir;
  auto store = std::move(*NewSqliteMetadataStore(dir.path() + "/m.sqlite3"));
  FakeClock clock;
  NamePolicy p(*store, clock, nullptr, {.scopes = {}, .names = {{"acme-config", {}}}});
  auto d = p.Decide(Identity{"bob", false, false, ""}, "acme-confg");
  ASSERT_TRUE(d.ok());
  EXPECT_NE(d->verdict, Verdict::kClean);
  ASSERT_FALSE(d->result.matches.empty());
  EXPECT_EQ(d->result.matches[0].target, "acme-config");
}

TEST(NameParts, ScopeAndBareName) {
  EXPECT_EQ(ScopeOf("@acme/x"), "@acme");
  EXPECT_EQ(ScopeOf("x"), "");
  EXPECT_EQ(BareName("@acme/x"), "x");
  EXPECT_EQ(BareName("x"), "x");
}

}  // namespace
}  // namespace bulwark
