#pragma once
// Registry signatures of versions (docs/signatures.md): checking one against a public key the way
// npm's pacote does. Signing is the VersionSigner seam's (packaging/version_signer.h).

#include <string_view>
#include <vector>

#include "bulwark/storage/records.h"
#include "packaging/version_signer.h"

namespace bulwark {

// Why a version's signatures do or do not verify, in pacote's terms (pacote/lib/registry.js).
enum class SignatureCheck {
  kValid,
  kMissing,     // No signature (npm audit signatures: "missing registry signature").
  kUnknownKey,  // A keyid not among `keys` (EMISSINGSIGNATUREKEY).
  kExpiredKey,  // Published at or after the key's expiry (EEXPIREDSIGNATUREKEY).
  kInvalid,     // The signature does not match (EINTEGRITYSIGNATURE).
};

// Checks every signature of `v` (of package `name`) as pacote does: each must name a known key,
// the key must not have expired before `v.published`, and the signature must verify over
// SignedMessage(name, v.version, v.integrity). The first failure is returned.
SignatureCheck CheckVersionSignatures(std::string_view name, const VersionRecord& v,
                                      const std::vector<PublicSigningKey>& keys);
std::string_view SignatureCheckName(SignatureCheck c);

}  // namespace bulwark
