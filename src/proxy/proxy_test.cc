// proxy::Proxy against a scripted uplink (a fake HttpClient), the SQLite proxy store and the
// file blob store in a temp folder, and a fake clock: caching and revalidation, stale-if-error,
// the dependency-confusion guard, integrity, the firewall and the cooldown.

#include "proxy/proxy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "base/hash.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "testing/fakes.h"

namespace bulwark::proxy {
namespace {

class FakeUplink final : public HttpClient {
 public:
  absl::StatusOr<HttpResponse> Fetch(const HttpRequest& req) override {
    absl::MutexLock l(&mu_);
    requests.push_back(req);
    if (down) return absl::UnavailableError("connection refused");
    for (const std::string& host : down_hosts) {
      if (StartsWith(req.url, host)) return absl::UnavailableError("connection refused");
    }
    auto it = routes.find(req.url);
    if (it == routes.end()) return HttpResponse{404, {}, "{}"};
    HttpResponse r = it->second;
    for (const auto& [k, v] : req.headers) {
      if (k == "if-none-match" && v == r.Header("etag")) return HttpResponse{304, {}, ""};
    }
    return r;
  }
  absl::Mutex mu_;
  std::map<std::string, HttpResponse> routes;
  std::vector<HttpRequest> requests;
  bool down = false;
  std::set<std::string> down_hosts;  // URL prefixes that refuse connections.
};

constexpr char kUp[] = "http://up.test";

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           StrCat("bulwark-proxy-test-", ::testing::UnitTest::GetInstance()->random_seed(), "-",
                  reinterpret_cast<uintptr_t>(this));
    std::filesystem::create_directories(dir_);
    store_ = *NewSqliteProxyStore((dir_ / "proxy.sqlite3").string());
    blobs_ = *NewFsBlobStore((dir_ / "blobs").string());
    config_.uplinks["up"] = UplinkConfig{.name = "up", .url = kUp, .retries = 0};
    config_.default_uplink = "up";
    guards_.is_private = [](std::string_view n) { return StartsWith(n, "@acme/"); };
    guards_.local_exists = [this](std::string_view n) -> absl::StatusOr<bool> {
      return local_.count(std::string(n)) > 0;
    };
    guards_.events = [this](std::string_view kind, std::string_view, std::string detail,
                            std::string_view) { events_.push_back(StrCat(kind, " ", detail)); };
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Proxy> Make() {
    return std::make_unique<Proxy>(config_, *store_, *blobs_, uplink_, clock_, guards_);
  }

  // Serves `name` with versions {version: (tarball bytes, publish time)}.
  void Offer(const std::string& name, const std::map<std::string, std::pair<std::string, absl::Time>>& versions,
             const std::string& etag = "\"e1\"", const std::string& base = kUp) {
    json::object vs, times;
    for (const auto& [v, data] : versions) {
      std::string url = StrCat(base, "/", name, "/-/", name, "-", v, ".tgz");
      vs[v] = json::object{{"name", name},
                           {"version", v},
                           {"_npmUser", json::object{{"name", "bob"}}},
                           {"dist", json::object{{"tarball", url},
                                                 {"integrity", Sha512Integrity(data.first)},
                                                 {"signatures", json::array{}}}}};
      times[v] = FormatIsoTime(data.second);
      uplink_.routes[url] = HttpResponse{200, {}, data.first};
    }
    json::object doc{{"name", name}, {"_rev", "3-x"}, {"versions", vs}, {"time", times},
                     {"dist-tags", json::object{{"latest", versions.rbegin()->first}}}};
    uplink_.routes[StrCat(base, "/", name)] = HttpResponse{200, {{"etag", etag}}, ToJson(doc)};
  }

  std::filesystem::path dir_;
  std::unique_ptr<ProxyStore> store_;
  std::unique_ptr<BlobStore> blobs_;
  FakeUplink uplink_;
  testing::FakeClock clock_;
  ProxyConfig config_;
  Guards guards_;
  std::set<std::string> local_;
  std::vector<std::string> events_;
};

absl::Time Old() { return absl::FromUnixSeconds(1'500'000'000); }

TEST_F(ProxyTest, RewritesTarballUrlsAndDropsUpstreamSignatures) {
  Offer("left", {{"1.0.0", {"tgz-1", Old()}}});
  auto p = Make();
  auto doc = p->GetPackument("left", "http://me:1");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_TRUE(doc->warning.empty());
  auto full = ParseJson(doc->doc->full)->as_object();
  const auto& v = full["versions"].as_object()["1.0.0"].as_object();
  EXPECT_EQ(v.at("dist").as_object().at("tarball").as_string(), "http://me:1/left/-/left-1.0.0.tgz");
  EXPECT_FALSE(v.at("dist").as_object().contains("signatures"));
  EXPECT_FALSE(full.contains("_rev"));
  auto corgi = ParseJson(doc->doc->corgi)->as_object();
  EXPECT_EQ(corgi["dist-tags"].as_object()["latest"].as_string(), "1.0.0");
  EXPECT_FALSE(corgi["versions"].as_object()["1.0.0"].as_object().contains("_npmUser"));
}

TEST_F(ProxyTest, CachesForMaxAgeThenRevalidatesWithTheEtag) {
  Offer("left", {{"1.0.0", {"tgz-1", Old()}}});
  auto p = Make();
  ASSERT_TRUE(p->GetPackument("left", "b").ok());
  ASSERT_TRUE(p->GetPackument("left", "b").ok());
  EXPECT_EQ(uplink_.requests.size(), 1u);  // Within max_age: no request.
  clock_.Advance(absl::Minutes(3));
  ASSERT_TRUE(p->GetPackument("left", "b").ok());
  ASSERT_EQ(uplink_.requests.size(), 2u);
  bool sent = false;
  for (const auto& [k, v] : uplink_.requests[1].headers) sent |= k == "if-none-match" && v == "\"e1\"";
  EXPECT_TRUE(sent);
  // A new proxy (a restart) reads the stored copy: nothing is asked within max_age.
  p->Flush();  // Documents too are stored behind the response.
  auto again = Make();
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(again->GetPackument("left", "b").ok());
  EXPECT_EQ(uplink_.requests.size(), 2u);
}

TEST_F(ProxyTest, ServesStaleWithAWarningWhenTheUplinkFails) {
  Offer("left", {{"1.0.0", {"tgz-1", Old()}}, {"1.1.0", {"tgz-2", Old()}}});
  auto p = Make();
  ASSERT_TRUE(p->GetTarball("left", "left-1.0.0.tgz").ok());
  uplink_.down = true;
  clock_.Advance(absl::Minutes(3));
  auto doc = p->GetPackument("left", "b");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->warning, "111 bulwark \"Revalidation Failed\"");
  // Only what can be installed without the uplink: 1.1.0's tarball was never fetched.
  auto full = ParseJson(doc->doc->full)->as_object();
  EXPECT_FALSE(full["versions"].as_object().contains("1.1.0"));
  EXPECT_EQ(full["dist-tags"].as_object()["latest"].as_string(), "1.0.0");
  auto t = p->GetTarball("left", "left-1.0.0.tgz");
  ASSERT_TRUE(t.ok()) << t.status();
  p->Flush();
  EXPECT_EQ(*blobs_->Get(t->blob_key), "tgz-1");
  EXPECT_TRUE(absl::IsUnavailable(p->GetPackument("never", "b").status()));
}

TEST_F(ProxyTest, PrivateAndLocalNamesNeverReachTheUplink) {
  Offer("@acme/secret", {{"9.0.0", {"x", Old()}}});
  Offer("mine", {{"9.0.0", {"x", Old()}}});
  local_.insert("mine");
  auto p = Make();
  EXPECT_TRUE(absl::IsNotFound(p->GetPackument("@acme/secret", "b").status()));
  EXPECT_TRUE(absl::IsNotFound(p->GetTarball("@acme/secret", "secret-9.0.0.tgz").status()));
  EXPECT_TRUE(absl::IsNotFound(p->GetPackument("mine", "b").status()));
  EXPECT_TRUE(absl::IsNotFound(p->GetTarball("mine", "mine-9.0.0.tgz").status()));
  EXPECT_TRUE(uplink_.requests.empty());
  // A store error fails closed.
  guards_.local_exists = [](std::string_view) -> absl::StatusOr<bool> {
    return absl::UnavailableError("db down");
  };
  EXPECT_TRUE(absl::IsUnavailable(Make()->GetPackument("other", "b").status()));
  EXPECT_TRUE(uplink_.requests.empty());
  // The confusion probe records what the uplink offers.
  auto found = p->ProbeConfusion({"mine"});
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(events_.back(), "proxy.confusion uplink up offers private name mine: 9.0.0; only the "
                            "private package is served");
}

TEST_F(ProxyTest, RoutesFollowPackagesRules) {
  config_.default_uplink = "";
  config_.routes.push_back({"internal-*", std::vector<std::string>{}});
  config_.routes.push_back({"**", std::vector<std::string>{"up"}});
  auto p = Make();
  EXPECT_EQ(p->Route("internal-x"), nullptr);
  ASSERT_NE(p->Route("lodash"), nullptr);
  EXPECT_EQ(p->Route("@acme/x"), nullptr);  // Private wins over any rule.
}

TEST_F(ProxyTest, RefusesATarballThatDoesNotMatchItsIntegrity) {
  Offer("left", {{"1.0.0", {"tgz-1", Old()}}});
  uplink_.routes[StrCat(kUp, "/left/-/left-1.0.0.tgz")].body = "tampered";
  auto t = Make()->GetTarball("left", "left-1.0.0.tgz");
  EXPECT_TRUE(absl::IsUnavailable(t.status()));
  EXPECT_NE(t.status().message().find("does not match its integrity"), std::string::npos);
  EXPECT_TRUE(StartsWith(events_.back(), "proxy.integrity left@1.0.0"));
  EXPECT_TRUE(absl::IsNotFound(store_->GetTarball("left", "1.0.0").status()));
}

TEST_F(ProxyTest, FetchesTarballsOnlyFromTheUplinksOrigin) {
  Offer("left", {{"1.0.0", {"tgz-1", Old()}}});
  auto& doc = uplink_.routes[StrCat(kUp, "/left")];
  const std::string from = "http://up.test/left/-/";
  doc.body.replace(doc.body.find(from), from.size(), "http://169.254.169.254/");
  auto t = Make()->GetTarball("left", "left-1.0.0.tgz");
  EXPECT_TRUE(absl::IsFailedPrecondition(t.status())) << t.status();
  for (const auto& r : uplink_.requests) EXPECT_TRUE(StartsWith(r.url, kUp));
}

TEST_F(ProxyTest, CooldownHidesYoungVersionsAndMovesLatest) {
  config_.firewall.cooldown = absl::Hours(72);
  Offer("left", {{"1.0.0", {"a", Old()}}, {"1.1.0", {"b", clock_.Now() - absl::Hours(1)}}});
  auto p = Make();
  auto doc = p->GetPackument("left", "b");
  ASSERT_TRUE(doc.ok());
  auto full = ParseJson(doc->doc->full)->as_object();
  EXPECT_EQ(full["dist-tags"].as_object()["latest"].as_string(), "1.0.0");
  EXPECT_FALSE(full["versions"].as_object().contains("1.1.0"));
  EXPECT_EQ(doc->doc->cooling, std::vector<std::string>{"1.1.0"});
  auto t = p->GetTarball("left", "left-1.1.0.tgz");
  EXPECT_TRUE(absl::IsPermissionDenied(t.status()));
  EXPECT_NE(t.status().message().find("less than 72 hours ago"), std::string::npos);
  // An allow-listed version skips the cooldown.
  config_.firewall.allow.push_back({"left", "1.1.0", ""});
  auto allowed = Make()->GetPackument("left", "b");
  ASSERT_TRUE(allowed.ok());
  EXPECT_TRUE(ParseJson(allowed->doc->full)->as_object()["versions"].as_object().contains("1.1.0"));
}

TEST_F(ProxyTest, DenyListAdvisoriesAndTyposquatRefuseWithTheReason) {
  Offer("left", {{"1.0.0", {"a", Old()}}, {"2.0.0", {"b", Old()}}});
  Offer("evil", {{"1.0.0", {"c", Old()}}});
  Offer("crossenv", {{"1.0.0", {"d", Old()}}});
  config_.firewall.deny.push_back({"left", ">=2", ""});
  guards_.malicious = [](std::string_view n, std::string_view) -> std::optional<std::string> {
    if (n == "evil") return "it is known malware (advisory MAL-2025-1)";
    return std::nullopt;
  };
  guards_.typosquat = [](std::string_view n) -> std::optional<std::string> {
    if (n == "crossenv") return "the name imitates \"cross-env\"";
    return std::nullopt;
  };
  auto p = Make();
  EXPECT_TRUE(p->GetTarball("left", "left-1.0.0.tgz").ok());
  auto denied = p->GetTarball("left", "left-2.0.0.tgz");
  EXPECT_EQ(denied.status().message(),
            "Bulwark's proxy firewall refused left@2.0.0: it is on the deny list (left >=2). An "
            "administrator can allow it by adding {name: \"left\", range: \"2.0.0\"} to "
            "proxy.allow in the config (docs/proxy.md).");
  auto evil = p->GetTarball("evil", "evil-1.0.0.tgz");
  EXPECT_TRUE(absl::IsPermissionDenied(evil.status()));
  EXPECT_NE(evil.status().message().find("MAL-2025-1"), std::string::npos);
  auto squat = p->GetPackument("crossenv", "b");
  EXPECT_TRUE(absl::IsPermissionDenied(squat.status()));
  EXPECT_EQ(events_.size(), 3u);
  EXPECT_TRUE(StartsWith(events_[0], "proxy.refused left@2.0.0: it is on the deny list"));
  // Deny by publisher.
  config_.firewall.deny = {{"**", "", "bob"}};
  EXPECT_TRUE(absl::IsPermissionDenied(Make()->GetTarball("left", "left-1.0.0.tgz").status()));
}

TEST_F(ProxyTest, ConfusionFindingsAreReportedOncePerNewFinding) {
  local_.insert("mine");
  std::vector<std::string> alerts;
  guards_.confusion_alert = [&alerts](std::string_view name, const std::string&) {
    alerts.emplace_back(name);
  };
  Offer("mine", {{"9.0.0", {"x", Old()}}});
  auto p = Make();
  for (int run = 0; run < 3; ++run) {
    auto found = p->ProbeConfusion({"mine"});
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(found->size(), 1u);  // Listed on every run (doctor prints it)...
  }
  EXPECT_EQ(events_.size(), 1u);  // ...but recorded and told once.
  EXPECT_EQ(alerts, std::vector<std::string>{"mine"});
  // A restart does not report it again: the finding is stored.
  ASSERT_TRUE(Make()->ProbeConfusion({"mine"}).ok());
  EXPECT_EQ(events_.size(), 1u);
  // The uplink stops offering it, then offers it again: a new finding.
  uplink_.routes.erase(StrCat(kUp, "/mine"));
  ASSERT_TRUE(p->ProbeConfusion({"mine"}).ok());
  EXPECT_EQ(events_.size(), 1u);
  Offer("mine", {{"9.0.1", {"y", Old()}}});
  ASSERT_TRUE(p->ProbeConfusion({"mine"}).ok());
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_.back(), "proxy.confusion uplink up offers private name mine: 9.0.1; only the "
                            "private package is served");
  EXPECT_EQ(alerts.size(), 2u);
}

TEST_F(ProxyTest, FirstFetchIsServedFromMemoryAndStoredBehindIt) {
  Offer("left", {{"1.0.0", {"tgz-1", Old()}}});
  auto p = Make();
  auto first = p->GetTarball("left", "left-1.0.0.tgz");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_NE(first->bytes, nullptr);
  EXPECT_EQ(*first->bytes, "tgz-1");
  p->Flush();
  auto row = store_->GetTarball("left", "1.0.0");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->blob_key, first->blob_key);
  EXPECT_EQ(*blobs_->Get(first->blob_key), "tgz-1");
  // Stored: served from the blob store, without the uplink.
  uplink_.down = true;
  auto again = p->GetTarball("left", "left-1.0.0.tgz");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->bytes, nullptr);
  // Shutdown writes what is still queued.
  uplink_.down = false;
  Offer("right", {{"2.0.0", {"tgz-2", Old()}}});
  auto q = Make();
  ASSERT_TRUE(q->GetTarball("right", "right-2.0.0.tgz").ok());
  q.reset();
  EXPECT_TRUE(store_->GetTarball("right", "2.0.0").ok());
}

TEST_F(ProxyTest, TriesTheNextUplinkOfARuleWhenOneIsDownOrLacksTheName) {
  constexpr char kFirst[] = "http://first.test";
  constexpr char kThird[] = "http://third.test";
  config_.default_uplink = "";
  config_.uplinks["first"] = UplinkConfig{.name = "first", .url = kFirst, .retries = 0};
  config_.uplinks["third"] = UplinkConfig{.name = "third", .url = kThird, .retries = 0};
  config_.routes.push_back({"**", std::vector<std::string>{"first", "up", "third"}});
  Offer("left", {{"1.0.0", {"tgz-1", Old()}}});  // Only on "up".
  Offer("only-third", {{"1.0.0", {"tgz-3", Old()}}}, "\"e3\"", kThird);
  uplink_.down_hosts.insert(kFirst);
  auto p = Make();
  ASSERT_EQ(p->Routes("left").size(), 3u);
  auto doc = p->GetPackument("left", "http://me:1");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_TRUE(doc->warning.empty());
  auto full = ParseJson(doc->doc->full)->as_object();
  EXPECT_EQ(full["versions"].as_object()["1.0.0"].as_object()["dist"].as_object()["tarball"]
                .as_string(),
            "http://me:1/left/-/left-1.0.0.tgz");
  // The tarball comes from the uplink that served the document.
  auto t = p->GetTarball("left", "left-1.0.0.tgz");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(uplink_.requests.back().url, StrCat(kUp, "/left/-/left-1.0.0.tgz"));
  // Within max_age the cached copy answers: the uplink that is down is not asked again.
  size_t asked = uplink_.requests.size();
  ASSERT_TRUE(p->GetPackument("left", "http://me:1").ok());
  EXPECT_EQ(uplink_.requests.size(), asked);
  // A 404 from one uplink moves on too (the first two lack it).
  uplink_.down_hosts.clear();
  auto third = p->GetTarball("only-third", "only-third-1.0.0.tgz");
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(*third->bytes, "tgz-3");
  // None has it: 404; all down and nothing cached: 503.
  EXPECT_TRUE(absl::IsNotFound(p->GetPackument("nowhere", "b").status()));
  uplink_.down = true;
  EXPECT_TRUE(absl::IsUnavailable(p->GetPackument("never", "b").status()));
  // All down, a copy cached: served stale.
  clock_.Advance(absl::Minutes(3));
  auto stale = p->GetPackument("left", "b");
  ASSERT_TRUE(stale.ok()) << stale.status();
  EXPECT_FALSE(stale->warning.empty());
}

TEST(UpstreamDoc, RefusesMalformedDocuments) {
  EXPECT_FALSE(ParseUpstreamPackument("[]", "a").ok());
  EXPECT_FALSE(ParseUpstreamPackument("{\"name\":\"b\"}", "a").ok());
  EXPECT_FALSE(ParseUpstreamPackument("{\"versions\":[]}", "a").ok());
  EXPECT_FALSE(ParseUpstreamPackument("{\"time\":1}", "a").ok());
  EXPECT_FALSE(ParseUpstreamPackument("{\"versions\":", "a").ok());
  auto ok = ParseUpstreamPackument(
      R"({"name":"a","versions":{"1.0.0":{},"x":1,"not-semver":{}},"dist-tags":{"latest":"9.9.9"}})", "a");
  ASSERT_TRUE(ok.ok());
  ShapedPackument s = ShapePackument(*ok, "a", {});
  auto full = ParseJson(s.full)->as_object();
  EXPECT_EQ(full["versions"].as_object().size(), 1u);
  // latest pointed at a version that does not exist: it moves to the newest kept.
  EXPECT_EQ(full["dist-tags"].as_object()["latest"].as_string(), "1.0.0");
}

}  // namespace
}  // namespace bulwark::proxy
