#pragma once
// Trusted publishing (docs/trusted-publishing.md, npm-registry-api.md §9.1-9.2): owners link a
// package to a CI identity (`npm trust github|gitlab|circleci`); a CI job then exchanges the
// OIDC id token its provider issued for a short-lived registry token limited to that package.
//
// This class holds the configurations and validates tokens; minting the registry token and
// checking ownership are the caller's (api/trust_handlers.cc), which has the account and
// package services.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "accounts/oidc/jwt.h"
#include "base/json.h"
#include "bulwark/env/clock.h"
#include "bulwark/env/http_client.h"
#include "bulwark/env/random.h"
#include "bulwark/storage/trust_store.h"

namespace bulwark::oidc {

// One OIDC issuer the operator trusts for a provider type (config `trusted_publishing.issuers`).
struct Issuer {
  std::string type;      // "github", "gitlab", "circleci".
  std::string issuer;    // Exact `iss` value, e.g. "https://gitlab.example.com".
  std::string jwks_url;  // Empty: from <issuer>/.well-known/openid-configuration `jwks_uri`.
};

struct TrustedPublishingOptions {
  std::vector<Issuer> issuers;
  // Expected `aud`; empty: "npm:" + the host name clients use (what npm asks GitHub for).
  std::string audience;
  absl::Duration token_lifetime = absl::Minutes(15);  // Of the registry token; at most 15 min.
  absl::Duration clock_skew = absl::Seconds(60);      // Allowed on exp, nbf and iat.
  // OIDC tokens older than this (by iat) are refused even if exp is later (CI tokens live ~5-60
  // min; a long-lived one is a stolen-token risk).
  absl::Duration max_token_age = absl::Hours(2);
  absl::Duration jwks_ttl = absl::Hours(1);  // A fetched JWKS is reused this long.
  // Refetch on an unknown kid (key rotation) at most this often per issuer, so a flood of
  // tokens with made-up kids cannot make us hammer the issuer.
  absl::Duration jwks_refetch_interval = absl::Seconds(30);
};

// What a caller asks for at the exchange.
enum class Purpose { kPublish, kStagePublish };

struct ExchangeResult {
  TrustConfigRecord config;  // The configuration that matched.
  std::string issuer;
  std::string subject;       // `sub`, for the event log.
};

// JWKS per issuer, fetched through `fetcher`, cached, refetched on unknown kid (rate limited).
class JwksCache {
 public:
  JwksCache(HttpClient& fetcher, Clock& clock, const TrustedPublishingOptions& options)
      : fetcher_(fetcher), clock_(clock), options_(options) {}
  // Verifies `jwt` against `issuer`'s keys: the cached set, and once more after a refetch if
  // the kid is unknown. Unauthenticated for a bad signature or a kid the issuer does not have;
  // Unavailable when the keys cannot be fetched.
  absl::Status Verify(const Issuer& issuer, const Jwt& jwt);
  // How many times keys were fetched (for tests and stats).
  int fetches() const;

 private:
  struct Entry {
    std::shared_ptr<const JwkSet> keys;
    absl::Time fetched = absl::InfinitePast();
  };
  absl::StatusOr<std::shared_ptr<const JwkSet>> Fetch(const Issuer& issuer);
  HttpClient& fetcher_;
  Clock& clock_;
  const TrustedPublishingOptions& options_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  int fetches_ ABSL_GUARDED_BY(mu_) = 0;
};

// True when the token's claims satisfy `config` (type-specific rules, docs/trusted-publishing.md).
// `why` receives the first mismatch.
bool ClaimsMatch(const TrustConfigRecord& config, const json::object& token_claims,
                 std::string* why);

class TrustedPublishing {
 public:
  TrustedPublishing(TrustStore& store, HttpClient& fetcher, Clock& clock, Random& random,
                    TrustedPublishingOptions options);

  const TrustedPublishingOptions& options() const { return options_; }

  // `npm trust <type>`: `body` is one element of the array npm posts. InvalidArgument for an
  // unknown type, missing claims, or unknown permissions; FailedPrecondition when the operator
  // configured no issuer for the type.
  absl::StatusOr<TrustConfigRecord> AddConfig(std::string_view package, const json::object& body,
                                              std::string_view created_by);
  absl::StatusOr<std::vector<TrustConfigRecord>> ListConfigs(std::string_view package);
  absl::Status RevokeConfig(std::string_view package, std::string_view id);

  // Validates the OIDC token `compact` for `package`: signature (issuer's JWKS), iss, aud
  // (`audience`, unless configured), exp/nbf/iat with skew, a configuration of `package` whose
  // claims match and which allows `purpose`, and the jti replay guard (last, so only a token
  // that would succeed is spent). Unauthenticated with a message for the CI log otherwise;
  // Unavailable when the issuer's keys cannot be fetched.
  absl::StatusOr<ExchangeResult> Exchange(std::string_view compact, std::string_view package,
                                          std::string_view audience, Purpose purpose);

  // JSON for `npm trust list` and the create response: {id, type, claims, permissions}.
  static json::object ConfigJson(const TrustConfigRecord& r);

  JwksCache& jwks() { return jwks_; }

 private:
  TrustStore& store_;
  Clock& clock_;
  Random& random_;
  const TrustedPublishingOptions options_;
  JwksCache jwks_;
};

}  // namespace bulwark::oidc
