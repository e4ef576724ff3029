#pragma once
// VersionSigner seam: the registry's signing keys (docs/signatures.md). Packaging defines it and
// calls it when a version is published (and when older versions are signed at start-up); the api
// serves its public keys at /-/npm/v1/keys. server/ implements it over key files
// (server/signing_keys.h), so packaging and api never see private keys or files.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"
#include "bulwark/storage/records.h"

namespace bulwark {

// "<name>@<version>:<integrity>": what npm's pacote verifies a registry signature over
// (pacote/lib/registry.js: `${mani._id}:${mani._integrity}`).
std::string SignedMessage(std::string_view name, std::string_view version,
                          std::string_view integrity);

// One public key as /-/npm/v1/keys lists it.
struct PublicSigningKey {
  std::string keyid;                  // "SHA256:<unpadded base64 of SHA-256 of the DER key>".
  std::string public_der;             // DER SubjectPublicKeyInfo (P-256).
  std::optional<absl::Time> expires;  // Signatures of versions published from then on fail.
};

class VersionSigner {
 public:
  virtual ~VersionSigner() = default;

  // Signs SignedMessage(name, version, integrity) with the active key. Unavailable when the key
  // cannot be used (the publish then fails rather than storing an unsigned version). Thread-safe.
  virtual absl::StatusOr<VersionSignature> Sign(std::string_view name, std::string_view version,
                                                std::string_view integrity) = 0;
  // Every key whose signatures may still be served, active and retired, oldest first.
  virtual absl::StatusOr<std::vector<PublicSigningKey>> PublicKeys() = 0;
};

}  // namespace bulwark
