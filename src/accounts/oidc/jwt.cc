#include "accounts/oidc/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "base/hash.h"
#include "base/strings.h"

namespace bulwark::oidc {

struct Jwk::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

// RSA moduli below 2048 bits are refused (NIST SP 800-131A); above 8192 they only cost time.
constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;
constexpr size_t kP256CoordBytes = 32;

absl::StatusOr<json::object> DecodeJsonPart(std::string_view part, std::string_view what) {
  auto bytes = Base64UrlDecode(part);
  if (!bytes) return absl::InvalidArgumentError(StrCat("JWT ", what, " is not base64url"));
  auto v = ParseJson(*bytes, 16);
  if (!v.ok() || !v->is_object()) {
    return absl::InvalidArgumentError(StrCat("JWT ", what, " is not a JSON object"));
  }
  return std::move(v->get_object());
}

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

EVP_PKEY* FromData(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  if (params == nullptr) return nullptr;
  EVP_PKEY* pkey = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  if (ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1) {
    if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) pkey = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  return pkey;
}

EVP_PKEY* RsaKey(std::string_view n, std::string_view e) {
  if (n.empty() || e.empty() || e.size() > 8) return nullptr;
  Bn bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), n.size(), nullptr));
  Bn bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), e.size(), nullptr));
  if (!bn_n || !bn_e) return nullptr;
  int bits = BN_num_bits(bn_n.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits || !BN_is_odd(bn_e.get()) ||
      BN_is_one(bn_e.get())) {
    return nullptr;
  }
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (bld == nullptr) return nullptr;
  EVP_PKEY* pkey = nullptr;
  if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) == 1 &&
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) == 1) {
    pkey = FromData("RSA", bld);
  }
  OSSL_PARAM_BLD_free(bld);
  return pkey;
}

EVP_PKEY* P256Key(std::string_view x, std::string_view y) {
  if (x.size() != kP256CoordBytes || y.size() != kP256CoordBytes) return nullptr;
  std::string point = StrCat(std::string(1, '\x04'), x, y);  // SEC1 uncompressed point.
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (bld == nullptr) return nullptr;
  EVP_PKEY* pkey = nullptr;
  if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) == 1) {
    // EVP_PKEY_fromdata checks the point is on the curve (invalid-curve attacks).
    pkey = FromData("EC", bld);
  }
  OSSL_PARAM_BLD_free(bld);
  return pkey;
}

// JWS ES256 signatures are r || s, 32 bytes each (RFC 7518 §3.4); OpenSSL wants DER.
std::optional<std::string> RawEcdsaToDer(std::string_view raw) {
  if (raw.size() != 2 * kP256CoordBytes) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(p, kP256CoordBytes, nullptr);
  BIGNUM* s = BN_bin2bn(p + kP256CoordBytes, kP256CoordBytes, nullptr);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (r == nullptr || s == nullptr || sig == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), len);
  OPENSSL_free(der);
  return out;
}

}  // namespace

bool IsAllowedAlg(std::string_view alg) { return alg == "RS256" || alg == "ES256"; }

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  std::string std_alphabet;
  std_alphabet.reserve(text.size() + 3);
  for (char c : text) {
    if (c == '-') {
      std_alphabet.push_back('+');
    } else if (c == '_') {
      std_alphabet.push_back('/');
    } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      std_alphabet.push_back(c);
    } else {
      return std::nullopt;
    }
  }
  if (std_alphabet.size() % 4 == 1) return std::nullopt;
  while (std_alphabet.size() % 4 != 0) std_alphabet.push_back('=');
  return Base64Decode(std_alphabet);
}

absl::StatusOr<Jwt> ParseJwt(std::string_view compact) {
  if (compact.empty()) return absl::InvalidArgumentError("empty token");
  if (compact.size() > kMaxJwtBytes) return absl::InvalidArgumentError("token too long");
  size_t a = compact.find('.');
  size_t b = a == std::string_view::npos ? a : compact.find('.', a + 1);
  if (b == std::string_view::npos || compact.find('.', b + 1) != std::string_view::npos) {
    return absl::InvalidArgumentError("not a JWT (expected three dot-separated parts)");
  }
  Jwt jwt;
  BULWARK_ASSIGN_OR_RETURN(jwt.header, DecodeJsonPart(compact.substr(0, a), "header"));
  BULWARK_ASSIGN_OR_RETURN(jwt.payload, DecodeJsonPart(compact.substr(a + 1, b - a - 1),
                                                       "payload"));
  auto sig = Base64UrlDecode(compact.substr(b + 1));
  if (!sig) return absl::InvalidArgumentError("JWT signature is not base64url");
  jwt.signature = std::move(*sig);
  jwt.signing_input = std::string(compact.substr(0, b));
  auto alg = GetString(jwt.header, "alg");
  if (!alg) return absl::InvalidArgumentError("JWT header has no alg");
  if (!IsAllowedAlg(*alg)) {
    return absl::InvalidArgumentError(
        StrCat("JWT algorithm \"", *alg, "\" is not accepted (only RS256 and ES256)"));
  }
  jwt.alg = std::string(*alg);
  if (jwt.header.contains("crit")) {
    // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
    return absl::InvalidArgumentError("JWT header has critical extensions");
  }
  if (jwt.header.contains("enc")) return absl::InvalidArgumentError("encrypted JWTs are not accepted");
  if (jwt.header.contains("kid")) {
    auto kid = GetString(jwt.header, "kid");
    if (!kid) return absl::InvalidArgumentError("JWT kid is not a string");
    jwt.kid = std::string(*kid);
  }
  if (jwt.signature.empty()) return absl::InvalidArgumentError("JWT is unsigned");
  return jwt;
}

bool Jwk::Verify(std::string_view alg, std::string_view signing_input,
                 std::string_view signature) const {
  if (alg != alg_ || !key_ || key_->pkey == nullptr) return false;
  std::string der;
  if (alg == "ES256") {
    auto d = RawEcdsaToDer(signature);
    if (!d) return false;
    der = std::move(*d);
    signature = der;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(),
                             reinterpret_cast<const unsigned char*>(signing_input.data()),
                             signing_input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

absl::StatusOr<JwkSet> JwkSet::Parse(std::string_view json_text) {
  if (json_text.size() > kMaxJwksBytes) return absl::InvalidArgumentError("JWKS too large");
  auto doc = ParseJson(json_text, 16);
  if (!doc.ok() || !doc->is_object()) return absl::InvalidArgumentError("JWKS is not a JSON object");
  const json::array* keys = GetArray(doc->get_object(), "keys");
  if (keys == nullptr) return absl::InvalidArgumentError("JWKS has no \"keys\" array");
  JwkSet set;
  for (const json::value& v : *keys) {
    if (set.keys_.size() >= kMaxJwks) break;
    if (!v.is_object()) continue;
    const json::object& o = v.get_object();
    auto use = GetString(o, "use");
    if (use && *use != "sig") continue;
    if (o.contains("d")) continue;  // A private key published by mistake: never use it.
    auto kty = GetString(o, "kty");
    auto alg = GetString(o, "alg");
    Jwk jwk;
    jwk.kid_ = std::string(GetString(o, "kid").value_or(""));
    EVP_PKEY* pkey = nullptr;
    if (kty == "RSA") {
      if (alg && *alg != "RS256") continue;
      auto n = Base64UrlDecode(GetString(o, "n").value_or(""));
      auto e = Base64UrlDecode(GetString(o, "e").value_or(""));
      if (!n || !e) continue;
      pkey = RsaKey(*n, *e);
      jwk.alg_ = "RS256";
    } else if (kty == "EC") {
      if ((alg && *alg != "ES256") || GetString(o, "crv") != "P-256") continue;
      auto x = Base64UrlDecode(GetString(o, "x").value_or(""));
      auto y = Base64UrlDecode(GetString(o, "y").value_or(""));
      if (!x || !y) continue;
      pkey = P256Key(*x, *y);
      jwk.alg_ = "ES256";
    }
    if (pkey == nullptr) continue;
    auto key = std::make_shared<Jwk::Key>();
    key->pkey = pkey;
    jwk.key_ = std::move(key);
    set.keys_.push_back(std::move(jwk));
  }
  return set;
}

std::vector<const Jwk*> JwkSet::Find(std::string_view kid) const {
  std::vector<const Jwk*> out;
  for (const Jwk& k : keys_) {
    if (kid.empty() || k.kid() == kid) out.push_back(&k);
  }
  return out;
}

absl::Status VerifyJwtSignature(const Jwt& jwt, const JwkSet& keys) {
  std::vector<const Jwk*> candidates = keys.Find(jwt.kid);
  if (candidates.empty()) {
    return absl::NotFoundError(StrCat("no key \"", jwt.kid, "\" in the issuer's JWKS"));
  }
  for (const Jwk* k : candidates) {
    if (k->Verify(jwt.alg, jwt.signing_input, jwt.signature)) return absl::OkStatus();
  }
  return absl::UnauthenticatedError("the OIDC token's signature does not verify");
}

}  // namespace bulwark::oidc
