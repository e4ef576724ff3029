#include "accounts/webauthn/cose.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "accounts/webauthn/cbor.h"
#include "base/strings.h"

namespace bulwark::webauthn {
namespace {

// COSE key parameters (RFC 9052 §7.1, RFC 9053 §7).
constexpr int64_t kKty = 1, kAlg = 3;
constexpr int64_t kKtyOkp = 1, kKtyEc2 = 2, kKtyRsa = 3;
constexpr int64_t kCrv = -1, kX = -2, kY = -3;  // EC2 and OKP.
constexpr int64_t kN = -1, kE = -2;             // RSA.
constexpr int64_t kCrvP256 = 1, kCrvEd25519 = 6;

absl::Status Bad(std::string_view why) {
  return absl::InvalidArgumentError(StrCat("credential public key: ", why));
}

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};

const std::string* Bytes(const Cbor& key, int64_t label) {
  const Cbor* v = key.Find(label);
  return v && v->is_bytes() ? &v->bytes : nullptr;
}

// Builds a public key of `type` ("EC", "RSA") from OpenSSL parameters.
absl::StatusOr<PublicKey> FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Bad("not a valid key");
  }
  PublicKey key(raw);
  // An EC point off the curve would make ECDSA verification meaningless (invalid-curve
  // attacks); OpenSSL's public check also rejects the point at infinity.
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return Bad("not a valid key");
  return key;
}

}  // namespace

void EvpPkeyFree::operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }

const char* CoseAlgName(CoseAlg alg) {
  switch (alg) {
    case CoseAlg::kEs256: return "ES256";
    case CoseAlg::kEdDsa: return "EdDSA";
    case CoseAlg::kRs256: return "RS256";
  }
  return "?";
}

absl::StatusOr<CoseKey> ParseCoseKey(std::string_view cose) {
  BULWARK_ASSIGN_OR_RETURN(Cbor key, DecodeCbor(cose));
  if (!key.is_map()) return Bad("not a COSE_Key map");
  const Cbor* kty = key.Find(kKty);
  const Cbor* alg = key.Find(kAlg);
  if (!kty || !kty->is_int() || !alg || !alg->is_int()) return Bad("kty or alg missing");
  CoseKey out;
  if (alg->integer == static_cast<int64_t>(CoseAlg::kEs256)) {
    const Cbor* crv = key.Find(kCrv);
    const std::string* x = Bytes(key, kX);
    const std::string* y = Bytes(key, kY);
    if (kty->integer != kKtyEc2 || !crv || !crv->is_int() || crv->integer != kCrvP256) {
      return Bad("ES256 needs an EC2 key on P-256");
    }
    // WebAuthn §5.8.5: uncompressed coordinates, 32 bytes each.
    if (!x || !y || x->size() != 32 || y->size() != 32) return Bad("bad P-256 coordinates");
    std::string point = StrCat("\x04", *x, *y);
    std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1",
                                         0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                          point.size())) {
      return absl::InternalError("OpenSSL parameter building failed");
    }
    BULWARK_ASSIGN_OR_RETURN(out.key, FromParams("EC", bld.get()));
    out.alg = CoseAlg::kEs256;
    return out;
  }
  if (alg->integer == static_cast<int64_t>(CoseAlg::kEdDsa)) {
    const Cbor* crv = key.Find(kCrv);
    const std::string* x = Bytes(key, kX);
    if (kty->integer != kKtyOkp || !crv || !crv->is_int() || crv->integer != kCrvEd25519) {
      return Bad("EdDSA needs an OKP key on Ed25519");
    }
    if (!x || x->size() != 32) return Bad("bad Ed25519 key");
    EVP_PKEY* raw = EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size());
    if (!raw) return Bad("bad Ed25519 key");
    out.key.reset(raw);
    out.alg = CoseAlg::kEdDsa;
    return out;
  }
  if (alg->integer == static_cast<int64_t>(CoseAlg::kRs256)) {
    const std::string* n = Bytes(key, kN);
    const std::string* e = Bytes(key, kE);
    if (kty->integer != kKtyRsa || !n || !e) return Bad("RS256 needs an RSA key");
    std::unique_ptr<BIGNUM, BnFree> bn_n(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), n->size(), nullptr));
    std::unique_ptr<BIGNUM, BnFree> bn_e(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), e->size(), nullptr));
    if (!bn_n || !bn_e) return absl::InternalError("OpenSSL BIGNUM failed");
    const int bits = BN_num_bits(bn_n.get());
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return Bad(StrCat("RSA modulus of ", bits, " bits (", kMinRsaBits, " to ", kMaxRsaBits,
                        " accepted)"));
    }
    // An even or tiny exponent is not RSA anyone's authenticator made.
    if (!BN_is_odd(bn_e.get()) || BN_num_bits(bn_e.get()) < 2 || BN_num_bits(bn_e.get()) > 32) {
      return Bad("bad RSA exponent");
    }
    std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
    if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
      return absl::InternalError("OpenSSL parameter building failed");
    }
    BULWARK_ASSIGN_OR_RETURN(out.key, FromParams("RSA", bld.get()));
    out.alg = CoseAlg::kRs256;
    return out;
  }
  return Bad(StrCat("algorithm ", alg->integer, " is not supported (ES256, EdDSA, RS256 are)"));
}

bool VerifySignature(CoseAlg alg, EVP_PKEY* key, std::string_view data,
                     std::string_view signature) {
  if (!key) return false;
  // The key must be of the algorithm's type: a P-384 key or an RSA key is no ES256 key, even
  // when a certificate (packed attestation) pairs them.
  switch (alg) {
    case CoseAlg::kEs256: {
      char group[64] = {0};
      if (!EVP_PKEY_is_a(key, "EC") ||
          EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                         nullptr) != 1 ||
          (std::string_view(group) != "prime256v1" && std::string_view(group) != "P-256")) {
        return false;
      }
      break;
    }
    case CoseAlg::kEdDsa:
      if (!EVP_PKEY_is_a(key, "ED25519")) return false;
      break;
    case CoseAlg::kRs256:
      if (!EVP_PKEY_is_a(key, "RSA")) return false;
      break;
    default:
      return false;
  }
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (!md) return false;
  // EdDSA signs the message itself (PureEdDSA, RFC 8032): no separate digest.
  const EVP_MD* digest = alg == CoseAlg::kEdDsa ? nullptr : EVP_sha256();
  bool ok = EVP_DigestVerifyInit(md, nullptr, digest, nullptr, key) == 1 &&
            EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

}  // namespace bulwark::webauthn
