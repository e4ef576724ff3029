#include "accounts/domains/domain_monitor.h"

#include <gtest/gtest.h>

#include <map>

#include "accounts/domains/verdict.h"
#include "base/strings.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {
HttpResponse Answer(int status, std::string body = "") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

MailDnsAnswer Nxdomain() {
  MailDnsAnswer a;
  a.nxdomain = true;
  return a;
}


class FakeResolver final : public Resolver {
 public:
  absl::StatusOr<MailDnsAnswer> LookupMail(std::string_view domain) override {
    ++calls;
    auto it = answers.find(std::string(domain));
    if (it == answers.end()) return Nxdomain();
    return it->second;
  }
  std::map<std::string, absl::StatusOr<MailDnsAnswer>> answers;
  int calls = 0;
};

class FakeHttp final : public HttpClient {
 public:
  absl::StatusOr<HttpResponse> Fetch(const HttpRequest& request) override {
    const std::string& url = request.url;
    urls.emplace_back(url);
    auto it = answers.find(std::string(url));
    if (it == answers.end()) return Answer(404);
    return it->second;
  }
  std::map<std::string, absl::StatusOr<HttpResponse>> answers;
  std::vector<std::string> urls;
};

constexpr char kBase[] = "http://rdap.invalid/";


std::string Rdap(std::string_view name, std::string_view registered, std::string_view expires,
                 std::string_view status = "active") {
  return StrCat(R"({"objectClassName":"domain","ldhName":")", name, R"(","status":[")", status,
                R"("],"events":[{"eventAction":"registration","eventDate":")", registered,
                R"("},{"eventAction":"expiration","eventDate":")", expires, R"("}]})");
}

class DomainMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto users = NewSqliteMetadataStore(dir_.path() + "/bulwark.sqlite3");
    ASSERT_TRUE(users.ok());
    users_ = *std::move(users);
    auto store = NewSqliteDomainStore(dir_.path() + "/domains.sqlite3");
    ASSERT_TRUE(store.ok());
    store_ = *std::move(store);
    DomainMonitorOptions o;
    o.recheck = absl::Hours(24);
    o.retry_base = absl::Minutes(5);
    o.rdap_spacing = absl::Seconds(1);
    o.tries = 1;
    monitor_ = std::make_unique<DomainMonitor>(*users_, *store_, clock_, o);
    monitor_->SetResolver(&dns_);
    monitor_->SetRdap(&http_, domains::RdapBootstrap::Single(kBase));
    monitor_->SetSleeper([this](absl::Duration d) {
      slept_ += d;
      clock_.Advance(d);
    });
    monitor_->SetListener([this](const FlaggedAccount& a, bool flagged) {
      changes_.push_back(StrCat(flagged ? "+" : "-", a.user, ":", a.reason));
    });
    // Created 2020; healthy.test registered 2000.
    for (auto [name, email] : std::vector<std::pair<const char*, const char*>>{
             {"alice", "alice@healthy.test"}, {"bob", "bob@gone.test"},
             {"carol", "carol@nullmx.test"}, {"dave", "dave@late.test"},
             {"erin", "erin@expired.test"}}) {
      UserRecord u;
      u.name = name;
      u.email = email;
      u.created = absl::FromUnixSeconds(1'577'836'800);  // 2020-01-01
      ASSERT_TRUE(users_->CreateUser(u).ok());
    }
    MailDnsAnswer mail{.mx = {{10, "mx.example.test"}}, .has_address = false};
    dns_.answers["healthy.test"] = mail;
    dns_.answers["late.test"] = mail;
    dns_.answers["expired.test"] = mail;
    dns_.answers["nullmx.test"] = MailDnsAnswer{.mx = {{0, ""}}, .has_address = false};
    http_.answers[StrCat(kBase, "domain/healthy.test")] =
        Answer(200, Rdap("healthy.test", "2000-01-01T00:00:00Z", "2099-01-01T00:00:00Z"));
    http_.answers[StrCat(kBase, "domain/late.test")] =
        Answer(200, Rdap("late.test", "2024-05-01T00:00:00Z", "2099-01-01T00:00:00Z"));
    http_.answers[StrCat(kBase, "domain/expired.test")] =
        Answer(200, Rdap("expired.test", "2000-01-01T00:00:00Z", "2025-01-01T00:00:00Z"));
    http_.answers[StrCat(kBase, "domain/nullmx.test")] =
        Answer(200, Rdap("nullmx.test", "2000-01-01T00:00:00Z", "2099-01-01T00:00:00Z"));
  }

  std::map<std::string, std::string> Reasons(const DomainCheckSummary& s) {
    std::map<std::string, std::string> out;
    for (const auto& a : s.flagged) out[a.user] = a.reason;
    return out;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;  // 2026-09-21.
  std::unique_ptr<MetadataStore> users_;
  std::unique_ptr<DomainStore> store_;
  FakeResolver dns_;
  FakeHttp http_;
  std::unique_ptr<DomainMonitor> monitor_;
  std::vector<std::string> changes_;
  absl::Duration slept_;
};

TEST_F(DomainMonitorTest, FlagsEachKindOnceAndKeepsTheFirstSince) {
  auto s = monitor_->CheckAll({});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->accounts, 5u);
  EXPECT_EQ(s->domains, 5u);
  EXPECT_EQ(s->failed, 0u);
  EXPECT_EQ(Reasons(*s), (std::map<std::string, std::string>{
                             {"bob", "not-registered"},
                             {"carol", "null-mx"},
                             {"dave", "re-registered"},
                             {"erin", "expired"}}));
  EXPECT_EQ(changes_.size(), 4u);
  EXPECT_EQ(monitor_->FlaggedReason("alice"), std::nullopt);
  ASSERT_TRUE(monitor_->FlaggedReason("erin").has_value());
  EXPECT_EQ(monitor_->FlaggedReason("erin")->rfind("expired: ", 0), 0u);
  // Five domains, one RDAP server one second apart: four waits.
  EXPECT_EQ(slept_, absl::Seconds(4));

  // A second check within the recheck interval asks nobody and tells nobody again.
  const absl::Time first = clock_.Now();
  clock_.Advance(absl::Hours(1));
  int dns_calls = dns_.calls;
  s = monitor_->CheckAll({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->looked_up, 0u);
  EXPECT_EQ(dns_.calls, dns_calls);
  EXPECT_EQ(changes_.size(), 4u);
  auto flagged = monitor_->Flagged();
  ASSERT_TRUE(flagged.ok());
  ASSERT_EQ(flagged->size(), 4u);
  EXPECT_LE((*flagged)[0].since, first);

  // The domain is renewed and the account verified anew: the flag clears.
  http_.answers[StrCat(kBase, "domain/expired.test")] =
      Answer(200, Rdap("expired.test", "2000-01-01T00:00:00Z", "2099-01-01T00:00:00Z"));
  s = monitor_->CheckAll({.force = true});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Reasons(*s).count("erin"), 0u);
  EXPECT_EQ(changes_.back(), "-erin:expired");
}

TEST_F(DomainMonitorTest, AFailedLookupKeepsTheVerdictAndBacksOff) {
  ASSERT_TRUE(monitor_->CheckAll({}).ok());
  ASSERT_TRUE(monitor_->FlaggedReason("carol").has_value());
  // The resolver and the RDAP server break: nothing changes, the failures back off.
  for (auto& [d, a] : dns_.answers) a = absl::DeadlineExceededError("timeout");
  dns_.answers["gone.test"] = absl::UnavailableError("SERVFAIL");
  for (auto& [u, a] : http_.answers) a = Answer(503);
  clock_.Advance(absl::Hours(25));
  auto s = monitor_->CheckAll({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->failed, 5u);
  EXPECT_EQ(Reasons(*s).size(), 4u);
  EXPECT_EQ(Reasons(*s)["carol"], "null-mx");
  EXPECT_EQ(Reasons(*s)["bob"], "not-registered");
  auto r = store_->GetDomain("healthy.test");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failures, 1);
  EXPECT_EQ(r->dns, DnsState::kMail);  // The previous facts stay.
  EXPECT_GT(r->next_check, clock_.Now());
  EXPECT_LE(r->next_check - clock_.Now(), absl::Minutes(5));
  EXPECT_NE(r->last_error.find("DNS"), std::string::npos);
  // Due again only after the backoff; the second failure doubles it.
  clock_.Advance(absl::Minutes(6));
  s = monitor_->CheckAll({});
  ASSERT_TRUE(s.ok());
  r = store_->GetDomain("healthy.test");
  EXPECT_EQ(r->failures, 2);
  EXPECT_GE(r->next_check - clock_.Now(), absl::Minutes(9));
  EXPECT_EQ(changes_.size(), 4u);  // Nothing was flagged or cleared by failures.
}

TEST_F(DomainMonitorTest, FlagFollowsTheAddress) {
  ASSERT_TRUE(monitor_->CheckAll({}).ok());
  ASSERT_TRUE(monitor_->FlaggedReason("bob").has_value());
  auto bob = users_->GetUser("bob");
  ASSERT_TRUE(bob.ok());
  bob->email = "bob@healthy.test";
  ASSERT_TRUE(users_->UpdateUser(*bob).ok());
  // At once, before any new check: the flag was about the old address.
  EXPECT_EQ(monitor_->FlaggedReason("bob"), std::nullopt);
  clock_.Advance(absl::Seconds(10));
  auto s = monitor_->CheckAll({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Reasons(*s).count("bob"), 0u);
  EXPECT_EQ(changes_.back(), "-bob:not-registered");
}

TEST_F(DomainMonitorTest, RdapAboutAnotherDomainIsAFailure) {
  http_.answers[StrCat(kBase, "domain/healthy.test")] =
      Answer(200, Rdap("other.test", "2024-01-01T00:00:00Z", "2099-01-01T00:00:00Z"));
  auto s = monitor_->CheckAll({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->failed, 1u);
  EXPECT_EQ(Reasons(*s).count("alice"), 0u);
  ASSERT_EQ(s->errors.size(), 1u);
  EXPECT_NE(s->errors[0].find("other.test"), std::string::npos);
}

}  // namespace
}  // namespace bulwark
