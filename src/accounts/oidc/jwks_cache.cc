#include "accounts/oidc/trusted_publishing.h"
#include "base/strings.h"

namespace bulwark::oidc {
namespace {

// Discovery documents are small; JWKS are capped in jwt.h.
constexpr size_t kMaxDiscoveryBytes = 64 * 1024;

std::string TrimSlash(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return std::string(s);
}

// The body of a 200 answer to a GET of `url`; Unavailable naming the URL for anything else.
// Redirects are not followed: a discovery document must name its JWKS directly.
absl::StatusOr<std::string> GetDocument(HttpClient& http, std::string_view url, size_t max_bytes) {
  HttpRequest request;
  request.url = std::string(url);
  request.headers = {{"Accept", "application/json"}};
  request.timeout = absl::Seconds(10);
  request.max_body = max_bytes;
  request.follow_redirects = false;
  BULWARK_ASSIGN_OR_RETURN(HttpResponse response, http.Fetch(request));
  if (response.status != 200) {
    return absl::UnavailableError(StrCat("GET ", url, ": HTTP ", response.status));
  }
  return std::move(response.body);
}

}  // namespace

int JwksCache::fetches() const {
  absl::MutexLock l(&mu_);
  return fetches_;
}

absl::StatusOr<std::shared_ptr<const JwkSet>> JwksCache::Fetch(const Issuer& issuer) {
  std::string url = issuer.jwks_url;
  if (url.empty()) {
    // OpenID Connect Discovery 1.0 §4: the issuer's configuration names its JWKS.
    std::string discovery_url = StrCat(TrimSlash(issuer.issuer), "/.well-known/openid-configuration");
    BULWARK_ASSIGN_OR_RETURN(std::string text, GetDocument(fetcher_, discovery_url, kMaxDiscoveryBytes));
    auto doc = ParseJson(text, 16);
    if (!doc.ok() || !doc->is_object()) {
      return absl::UnavailableError(StrCat(discovery_url, " is not a JSON object"));
    }
    // §4.3: the document's issuer must be the one we asked about (no substitution).
    auto iss = GetString(doc->get_object(), "issuer");
    if (!iss || TrimSlash(*iss) != TrimSlash(issuer.issuer)) {
      return absl::UnavailableError(StrCat(discovery_url, " names another issuer"));
    }
    auto jwks_uri = GetString(doc->get_object(), "jwks_uri");
    if (!jwks_uri) return absl::UnavailableError(StrCat(discovery_url, " has no jwks_uri"));
    url = std::string(*jwks_uri);
  }
  BULWARK_ASSIGN_OR_RETURN(std::string text, GetDocument(fetcher_, url, kMaxJwksBytes));
  auto set = JwkSet::Parse(text);
  if (!set.ok()) return absl::UnavailableError(StrCat(url, ": ", std::string(set.status().message())));
  {
    absl::MutexLock l(&mu_);
    ++fetches_;
  }
  return std::make_shared<const JwkSet>(*std::move(set));
}

absl::Status JwksCache::Verify(const Issuer& issuer, const Jwt& jwt) {
  const absl::Time now = clock_.Now();
  std::shared_ptr<const JwkSet> keys;
  absl::Time fetched;
  {
    absl::MutexLock l(&mu_);
    Entry& e = entries_[issuer.issuer];
    keys = e.keys;
    fetched = e.fetched;
  }
  auto refresh = [&]() -> absl::Status {
    auto fresh = Fetch(issuer);
    if (!fresh.ok()) {
      // A stale set still verifies what it can; a fetch failure is reported only without one.
      if (keys) return absl::OkStatus();
      return fresh.status();
    }
    keys = *fresh;
    fetched = now;
    absl::MutexLock l(&mu_);
    entries_[issuer.issuer] = Entry{keys, now};
    return absl::OkStatus();
  };
  if (!keys || now - fetched >= options_.jwks_ttl) BULWARK_RETURN_IF_ERROR(refresh());
  absl::Status s = VerifyJwtSignature(jwt, *keys);
  if (absl::IsNotFound(s) && now - fetched >= options_.jwks_refetch_interval) {
    // An unknown kid: the issuer may have rotated its keys since we fetched them.
    BULWARK_RETURN_IF_ERROR(refresh());
    s = VerifyJwtSignature(jwt, *keys);
  }
  if (absl::IsNotFound(s)) return absl::UnauthenticatedError(s.message());
  return s;
}

}  // namespace bulwark::oidc
