#pragma once
// JSON Web Tokens (RFC 7519) in JWS compact form (RFC 7515) and JSON Web Key Sets (RFC 7517),
// as CI providers issue them for OpenID Connect (docs/trusted-publishing.md). Pure: bytes in,
// verdicts out; OpenSSL does the signature maths.
//
// Only asymmetric algorithms are accepted (kAllowedAlgs): "none" would accept any token, and an
// HS* token "signed" with an issuer's public key (the RS256/HS256 confusion, CVE-2015-9235
// class) would let anyone who can read the JWKS forge one. The algorithm is taken from the
// key as well as the header, and they must agree.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "bulwark/base/status.h"

namespace bulwark::oidc {

// A compact JWT is at most this long: CI tokens are ~1-2 KiB; the cap bounds the work a
// hostile Authorization header can cause.
inline constexpr size_t kMaxJwtBytes = 16 * 1024;
// A JWKS document is at most this long and holds at most kMaxJwks keys.
inline constexpr size_t kMaxJwksBytes = 256 * 1024;
inline constexpr size_t kMaxJwks = 64;

// "RS256" and "ES256" (RFC 7518 §3.3, §3.4).
bool IsAllowedAlg(std::string_view alg);

struct Jwt {
  json::object header;
  json::object payload;
  std::string alg;
  std::string kid;            // Empty when the header has none.
  std::string signing_input;  // "<b64 header>.<b64 payload>", what the signature covers.
  std::string signature;      // Raw signature bytes.
};

// Splits and decodes a compact JWS. InvalidArgument for anything malformed (wrong number of
// parts, bad base64url, JSON that is not an object, a missing or disallowed `alg`, a `crit`
// header, a JWE); never a crash.
absl::StatusOr<Jwt> ParseJwt(std::string_view compact);

// Strict base64url (RFC 4648 §5) without padding; nullopt for any other character.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// One public key of a JWKS.
class Jwk {
 public:
  struct Key;  // OpenSSL key, opaque here.
  const std::string& kid() const { return kid_; }
  const std::string& alg() const { return alg_; }  // The algorithm this key verifies.
  // Whether `signature` is valid for `signing_input` under this key with `alg`. False (never
  // an error) for a mismatched algorithm or malformed signature.
  bool Verify(std::string_view alg, std::string_view signing_input,
              std::string_view signature) const;

 private:
  friend class JwkSet;
  std::string kid_;
  std::string alg_;
  std::shared_ptr<const Key> key_;
};

class JwkSet {
 public:
  // Parses `{"keys": [...]}`. RSA keys (kty RSA, n, e; 2048 to 8192 bits) verify RS256, EC keys
  // (kty EC, crv P-256, x, y) ES256; keys with `use` other than "sig", other types or curves,
  // or private parts are skipped, not errors. InvalidArgument when the document is not a JWKS.
  static absl::StatusOr<JwkSet> Parse(std::string_view json_text);

  // The keys with this kid (an empty kid matches every key, as RFC 7515 §4.1.4 allows).
  std::vector<const Jwk*> Find(std::string_view kid) const;
  size_t size() const { return keys_.size(); }

 private:
  std::vector<Jwk> keys_;
};

// Checks the signature of `jwt` against `keys`: NotFound when no key has its kid (the caller
// may refetch the set: the issuer rotated), Unauthenticated when the signature does not verify.
absl::Status VerifyJwtSignature(const Jwt& jwt, const JwkSet& keys);

}  // namespace bulwark::oidc
