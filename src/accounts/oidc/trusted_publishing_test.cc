#include "accounts/oidc/trusted_publishing.h"

#include <gtest/gtest.h>
#include <openssl/ecdsa.h>

#include <map>

#include "base/ecdsa.h"
#include "base/hash.h"
#include "base/strings.h"
#include "testing/fakes.h"

namespace bulwark::oidc {
namespace {

using testing::FakeClock;

std::string B64Url(std::string_view bytes) { return Base64UrlEncode(bytes); }

// A P-256 key as a JWK, and ES256 signing with it (r||s, RFC 7518 §3.4).
struct TestKey {
  EcdsaP256Key key;
  std::string kid;
  std::string Jwk() const {
    std::string der = key.PublicDer();
    std::string point = der.substr(der.size() - 64);  // SPKI ends with 04 || x || y.
    return StrCat(R"({"kty":"EC","crv":"P-256","use":"sig","alg":"ES256","kid":")", kid,
                  R"(","x":")", B64Url(point.substr(0, 32)), R"(","y":")",
                  B64Url(point.substr(32)), R"("})");
  }
  std::string Sign(const std::string& payload, std::string_view alg = "ES256") const {
    std::string input = StrCat(B64Url(StrCat(R"({"alg":")", alg, R"(","kid":")", kid, R"("})")),
                               ".", B64Url(payload));
    std::string der = *key.Sign(input);
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, der.size());
    unsigned char raw[64];
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
    ECDSA_SIG_free(sig);
    return StrCat(input, ".", B64Url(std::string_view(reinterpret_cast<char*>(raw), 64)));
  }
};

TestKey NewKey(std::string kid) { return TestKey{*EcdsaP256Key::Generate(), std::move(kid)}; }

class FakeFetcher : public HttpClient {
 public:
  absl::StatusOr<HttpResponse> Fetch(const HttpRequest& request) override {
    ++gets[request.url];
    auto it = docs.find(request.url);
    if (it == docs.end()) return HttpResponse{.status = 404};
    return HttpResponse{.status = 200, .body = it->second};
  }
  std::map<std::string, std::string> docs;
  std::map<std::string, int> gets;
};

constexpr char kIssuer[] = "https://gitlab.example.test";
constexpr char kJwks[] = "https://gitlab.example.test/oauth/discovery/keys";

class TrustedPublishingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = *NewSqliteTrustStore(dir_.path() + "/t.sqlite3");
    fetcher_.docs[StrCat(kIssuer, "/.well-known/openid-configuration")] =
        StrCat(R"({"issuer":")", kIssuer, R"(","jwks_uri":")", kJwks, R"("})");
    SetKeys({&key_});
    TrustedPublishingOptions o;
    o.issuers.push_back(Issuer{"gitlab", kIssuer, ""});
    tp_ = std::make_unique<TrustedPublishing>(*store_, fetcher_, clock_, random_, o);
    auto body = ParseJson(R"({"type":"gitlab","claims":{"project_path":"grp/proj",
        "ci_config_ref_uri":{"file":".gitlab-ci.yml"}},"permissions":["createPackage"]})");
    ASSERT_TRUE(tp_->AddConfig("pkg", body->get_object(), "alice").ok());
  }
  void SetKeys(std::vector<const TestKey*> keys) {
    std::vector<std::string> jwks;
    for (const TestKey* k : keys) jwks.push_back(k->Jwk());
    fetcher_.docs[kJwks] = StrCat(R"({"keys":[)", StrJoin(jwks, ","), "]}");
  }
  std::string Claims(std::string_view extra = "", int64_t iat_offset = 0) {
    int64_t now = absl::ToUnixSeconds(clock_.Now()) + iat_offset;
    return StrCat(R"({"iss":")", kIssuer, R"(","aud":"npm:registry.test","sub":"s","jti":")",
                  ++jti_, R"(","iat":)", now, R"(,"exp":)", now + 300,
                  R"(,"project_path":"grp/proj",)",
                  R"("ci_config_ref_uri":"gitlab.example.test/grp/proj//.gitlab-ci.yml@refs/heads/main")",
                  extra, "}");
  }
  absl::StatusOr<ExchangeResult> Exchange(const std::string& jwt) {
    return tp_->Exchange(jwt, "pkg", "npm:registry.test", Purpose::kPublish);
  }

  testing::TempDir dir_;
  FakeClock clock_;
  testing::SeededRandom random_;
  FakeFetcher fetcher_;
  std::unique_ptr<TrustStore> store_;
  std::unique_ptr<TrustedPublishing> tp_;
  TestKey key_ = NewKey("k1");
  int jti_ = 0;
};

TEST_F(TrustedPublishingTest, ExchangesAMatchingToken) {
  auto r = Exchange(key_.Sign(Claims()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->config.created_by, "alice");
  EXPECT_EQ(r->subject, "s");
}

TEST_F(TrustedPublishingTest, RefusesReplayExpiryAudienceAndStagePurpose) {
  std::string jwt = key_.Sign(Claims());
  ASSERT_TRUE(Exchange(jwt).ok());
  EXPECT_EQ(Exchange(jwt).status().message(),
            "OIDC token exchange refused: this token was already exchanged (jti replay)");
  std::string old = key_.Sign(Claims("", -400));
  EXPECT_EQ(Exchange(old).status().message(), "OIDC token exchange refused: the token has expired");
  std::string future = key_.Sign(Claims("", 120));
  EXPECT_EQ(Exchange(future).status().message(),
            "OIDC token exchange refused: the token was issued in the future (iat)");
  auto wrong_aud = tp_->Exchange(key_.Sign(Claims()), "pkg", "npm:other.test", Purpose::kPublish);
  EXPECT_EQ(wrong_aud.status().message(),
            "OIDC token exchange refused: the token's audience is not \"npm:other.test\"");
  auto stage = tp_->Exchange(key_.Sign(Claims()), "pkg", "npm:registry.test",
                             Purpose::kStagePublish);
  EXPECT_TRUE(absl::IsUnauthenticated(stage.status()));
  EXPECT_NE(stage.status().message().find("does not allow stage publish"), std::string::npos);
}

TEST_F(TrustedPublishingTest, SkewIsTolerated) {
  // Issued 30 s "in the future" by a CI runner whose clock is ahead: within the 60 s skew.
  EXPECT_TRUE(Exchange(key_.Sign(Claims("", 30))).ok());
}

TEST_F(TrustedPublishingTest, RotationRefetchesOnceAndIsRateLimited) {
  ASSERT_TRUE(Exchange(key_.Sign(Claims())).ok());
  EXPECT_EQ(fetcher_.gets[kJwks], 1);
  TestKey rotated = NewKey("k2");
  SetKeys({&key_, &rotated});
  // Within the refetch interval an unknown kid does not refetch.
  EXPECT_TRUE(absl::IsUnauthenticated(Exchange(rotated.Sign(Claims())).status()));
  EXPECT_EQ(fetcher_.gets[kJwks], 1);
  clock_.Advance(absl::Seconds(31));
  EXPECT_TRUE(Exchange(rotated.Sign(Claims())).ok());
  EXPECT_EQ(fetcher_.gets[kJwks], 2);
  TestKey bogus = NewKey("k3");
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(Exchange(bogus.Sign(Claims())).ok());
  EXPECT_EQ(fetcher_.gets[kJwks], 2);
}

TEST_F(TrustedPublishingTest, ForgedAndConfusedTokensFail) {
  TestKey attacker = NewKey("k1");  // Same kid as the real key.
  EXPECT_EQ(Exchange(attacker.Sign(Claims())).status().message(),
            "OIDC token exchange refused: the OIDC token's signature does not verify");
  std::string real = key_.Sign(Claims());
  std::string none = real.substr(0, real.rfind('.') + 1);
  none = StrCat(B64Url(R"({"alg":"none"})"), none.substr(none.find('.')));
  EXPECT_NE(Exchange(none).status().message().find("\"none\" is not accepted"), std::string::npos);
  std::string hs = StrCat(B64Url(R"({"alg":"HS256","kid":"k1"})"), real.substr(real.find('.')));
  EXPECT_NE(Exchange(hs).status().message().find("\"HS256\" is not accepted"), std::string::npos);
  // An ES256 header on a key of another algorithm, or a truncated signature.
  EXPECT_FALSE(Exchange(real.substr(0, real.size() - 4)).ok());
}

TEST_F(TrustedPublishingTest, ClaimsMustMatch) {
  EXPECT_NE(Exchange(key_.Sign(Claims(R"(,"project_path":"evil/proj")"))).status().message().find(
                "project \"evil/proj\" is not \"grp/proj\""),
            std::string::npos);
}

TEST(ClaimsMatchTest, GithubWorkflowAndEnvironment) {
  TrustConfigRecord c;
  c.type = "github";
  c.claims = R"({"repository":"o/r","workflow_ref":{"file":"release.yml"},"environment":"prod"})";
  auto token = [](std::string_view ref, std::string_view env) {
    return ParseJson(StrCat(R"({"repository":"o/r","workflow_ref":")", ref,
                            R"(","environment":")", env, R"("})"))
        ->get_object();
  };
  std::string why;
  EXPECT_TRUE(ClaimsMatch(c, token("o/r/.github/workflows/release.yml@refs/tags/v1", "prod"), &why));
  EXPECT_FALSE(ClaimsMatch(c, token("o/r/.github/workflows/release.yml@refs/tags/v1", "dev"), &why));
  EXPECT_FALSE(ClaimsMatch(c, token("o/r/.github/workflows/other.yml@refs/tags/v1", "prod"), &why));
  // Another repository's workflow of the same name.
  EXPECT_FALSE(ClaimsMatch(c, token("x/r/.github/workflows/release.yml@refs/tags/v1", "prod"), &why));
}

TEST(JwtTest, ParseRefusesMalformedInput) {
  EXPECT_FALSE(ParseJwt("").ok());
  EXPECT_FALSE(ParseJwt("a.b").ok());
  EXPECT_FALSE(ParseJwt("a.b.c.d").ok());
  EXPECT_FALSE(ParseJwt(StrCat(B64Url("[]"), ".", B64Url("{}"), ".", B64Url("x"))).ok());
  EXPECT_FALSE(ParseJwt(StrCat(B64Url(R"({"alg":"RS256","crit":["b64"]})"), ".", B64Url("{}"), ".",
                               B64Url("x")))
                   .ok());
  EXPECT_TRUE(ParseJwt(StrCat(B64Url(R"({"alg":"RS256"})"), ".", B64Url("{}"), ".", B64Url("x")))
                  .ok());
  EXPECT_FALSE(Base64UrlDecode("a+b/").has_value());
  EXPECT_EQ(*Base64UrlDecode("aGk"), "hi");
}

TEST(JwtTest, JwksSkipsUnusableKeys) {
  auto set = JwkSet::Parse(R"({"keys":[{"kty":"oct","k":"c2VjcmV0"},
      {"kty":"RSA","n":"AQAB","e":"AQAB"},{"kty":"EC","crv":"P-384","x":"AA","y":"AA"},
      {"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]})");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->size(), 0u);
  EXPECT_FALSE(JwkSet::Parse("[]").ok());
}

}  // namespace
}  // namespace bulwark::oidc
