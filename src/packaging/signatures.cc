#include "packaging/signatures.h"

#include "base/ecdsa.h"
#include "base/hash.h"
#include "base/strings.h"

namespace bulwark {

std::string SignedMessage(std::string_view name, std::string_view version,
                          std::string_view integrity) {
  return StrCat(name, "@", version, ":", integrity);
}

SignatureCheck CheckVersionSignatures(std::string_view name, const VersionRecord& v,
                                      const std::vector<PublicSigningKey>& keys) {
  if (v.signatures.empty()) return SignatureCheck::kMissing;
  const std::string message = SignedMessage(name, v.version, v.integrity);
  for (const VersionSignature& s : v.signatures) {
    const PublicSigningKey* key = nullptr;
    for (const auto& k : keys) {
      if (k.keyid == s.keyid) key = &k;
    }
    if (key == nullptr) return SignatureCheck::kUnknownKey;
    // pacote: valid iff publishedTime < Date.parse(expires).
    if (key->expires && !(v.published < *key->expires)) return SignatureCheck::kExpiredKey;
    auto sig = Base64Decode(s.sig);
    if (!sig || !VerifyEcdsaP256(key->public_der, message, *sig)) return SignatureCheck::kInvalid;
  }
  return SignatureCheck::kValid;
}

std::string_view SignatureCheckName(SignatureCheck c) {
  switch (c) {
    case SignatureCheck::kValid:
      return "valid";
    case SignatureCheck::kMissing:
      return "missing";
    case SignatureCheck::kUnknownKey:
      return "signed by an unknown key";
    case SignatureCheck::kExpiredKey:
      return "signed by a key that expired before it was published";
    case SignatureCheck::kInvalid:
      return "invalid";
  }
  return "?";
}

}  // namespace bulwark
