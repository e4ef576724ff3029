#pragma once
// Verifying token-leak reports sent in the form of GitHub's secret-scanning partner programme
// (docs/moderation.md): the body is signed with ECDSA P-256 over SHA-256 (DER signature, base64,
// in `Github-Public-Key-Signature`), by the key named in `Github-Public-Key-Identifier`; the
// keys are published as {"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}.

#include <string>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"

namespace bulwark {

struct PartnerKey {
  std::string id;
  std::string pem;  // SubjectPublicKeyInfo, PEM.
};

// InvalidArgument for a document that is not the key list.
absl::StatusOr<std::vector<PartnerKey>> ParsePartnerKeys(std::string_view json_text);

// OK when `signature_b64` is a valid ECDSA P-256/SHA-256 signature of `body` by the key
// `key_id` in `keys`. NotFound when no key has that id (the caller may refresh its keys once);
// Unauthenticated for a bad or malformed signature; InvalidArgument for an unusable key.
absl::Status VerifyPartnerSignature(const std::vector<PartnerKey>& keys, std::string_view key_id,
                                    std::string_view signature_b64, std::string_view body);

// Where the verification keys come from (a file or URL; server/ implements the fetching).
class PartnerKeySource {
 public:
  virtual ~PartnerKeySource() = default;
  // The current keys; `refresh` asks for a fresh copy (an unknown key id was seen). Thread-safe.
  virtual absl::StatusOr<std::vector<PartnerKey>> Keys(bool refresh) = 0;
};

}  // namespace bulwark
