#pragma once
// COSE public keys (RFC 9052 §7, RFC 9053) as WebAuthn authenticators send them, and signature
// checks with OpenSSL. Supported algorithms are the three WebAuthn §5.8.3 asks relying parties
// to accept: ES256 (ECDSA P-256 SHA-256), EdDSA (Ed25519) and RS256 (RSASSA-PKCS1-v1_5 SHA-256).

#include <memory>
#include <string>
#include <string_view>

#include "bulwark/base/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace bulwark::webauthn {

// COSE algorithm identifiers (IANA "COSE Algorithms"). NOTE: persisted; do not renumber.
enum class CoseAlg : int {
  kEs256 = -7,
  kEdDsa = -8,
  kRs256 = -257,
};
const char* CoseAlgName(CoseAlg alg);

// RSA moduli shorter than this are refused (NIST SP 800-131A: 2048 bits since 2014).
inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 8192;  // Bounds the cost of a verification.

struct EvpPkeyFree {
  void operator()(EVP_PKEY* k) const;
};
using PublicKey = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

struct CoseKey {
  CoseAlg alg = CoseAlg::kEs256;
  PublicKey key;
};

// Parses a COSE_Key (the CBOR bytes in attested credential data). InvalidArgument for
// malformed keys, unknown or mismatched kty/alg/crv, points not on the curve, weak RSA keys.
absl::StatusOr<CoseKey> ParseCoseKey(std::string_view cose);

// Verifies `signature` over `data` with `key` per `alg` (ES256: DER-encoded ECDSA signature;
// EdDSA: 64 raw bytes; RS256: PKCS #1 v1.5). True only for a valid signature.
bool VerifySignature(CoseAlg alg, EVP_PKEY* key, std::string_view data,
                     std::string_view signature);

}  // namespace bulwark::webauthn
