#pragma once
// WebAuthn relying-party verification (W3C Web Authentication Level 2, §7.1 "Registering a New
// Credential" and §7.2 "Verifying an Authentication Assertion"; Level 3's additions where they
// are cheap: crossOrigin/topOrigin refused, BE/BS consistency, credential id <= 1023 bytes).
// Pure functions over bytes: challenges, credential records and ownership live in the service
// (accounts/security_keys.h), which calls these.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "accounts/webauthn/cose.h"
#include "bulwark/base/status.h"

namespace bulwark::webauthn {

// Authenticator data (§6.1).
inline constexpr size_t kMaxCredentialIdBytes = 1023;  // Level 3 §5.1.
inline constexpr size_t kMaxWebAuthnInput = 64 * 1024;  // Any one field; real ones are < 2 KiB.

struct AuthenticatorData {
  std::string rp_id_hash;  // 32 bytes.
  uint8_t flags = 0;
  bool user_present = false;     // UP, bit 0.
  bool user_verified = false;    // UV, bit 2.
  bool backup_eligible = false;  // BE, bit 3.
  bool backup_state = false;     // BS, bit 4.
  bool has_attested_data = false;  // AT, bit 6.
  bool has_extensions = false;     // ED, bit 7.
  uint32_t sign_count = 0;
  // Attested credential data (§6.5.1), when AT is set.
  std::string aaguid;                 // 16 bytes.
  std::string credential_id;
  std::string credential_public_key;  // The COSE_Key bytes.
};

// Parses authenticator data strictly: every byte must be accounted for (extensions must be one
// CBOR map), AT set exactly when attested data follows. InvalidArgument otherwise.
absl::StatusOr<AuthenticatorData> ParseAuthenticatorData(std::string_view data);

// What the relying party expects.
struct RelyingParty {
  std::string id;      // RP ID: a domain ("localhost", "registry.example.com").
  std::string origin;  // The web origin pages are served from ("https://registry.example.com").
  // When set, authenticators must verify the user (PIN, biometrics): UV flag required.
  bool require_user_verification = false;
};

// NOTE: persisted (credential records); do not rename.
inline constexpr std::string_view kAttestationNone = "none";
inline constexpr std::string_view kAttestationPackedSelf = "packed-self";
inline constexpr std::string_view kAttestationPackedX5c = "packed-x5c";

struct NewCredential {
  std::string id;          // Raw credential id.
  std::string public_key;  // COSE_Key bytes, as stored.
  CoseAlg alg = CoseAlg::kEs256;
  uint32_t sign_count = 0;
  std::string aaguid;
  std::string attestation;  // kAttestation*.
  bool user_verified = false;
  bool backup_eligible = false;
  bool backup_state = false;
};

// §7.1 steps 5-24 for a `navigator.credentials.create()` response. `challenge` is the raw
// challenge the server issued for this ceremony. Accepts attestation `none` (empty attStmt)
// and `packed` (self attestation, or x5c: signature by the certificate's key, §8.2.1
// certificate requirements, AAGUID extension matching); an x5c chain is not verified against a
// trust anchor (no FIDO metadata service), so it proves no more than `none` does.
absl::StatusOr<NewCredential> VerifyRegistration(const RelyingParty& rp, std::string_view challenge,
                                                 std::string_view client_data_json,
                                                 std::string_view attestation_object);

// A credential as stored, for verifying its assertions.
struct CredentialKey {
  std::string public_key;  // COSE_Key bytes.
  uint32_t sign_count = 0;
  bool backup_eligible = false;
};

struct Assertion {
  uint32_t sign_count = 0;
  bool user_verified = false;
  bool backup_state = false;
};

// §7.2 steps 7-21 for a `navigator.credentials.get()` response, after the caller found the
// credential record (and checked it belongs to the user). A signature counter that does not
// increase (when either count is non-zero) fails with ClonedKeyError: §7.2 step 21 calls it a
// signal that the authenticator may be cloned, and Bulwark refuses the assertion.
absl::StatusOr<Assertion> VerifyAssertion(const RelyingParty& rp, std::string_view challenge,
                                          const CredentialKey& credential,
                                          std::string_view client_data_json,
                                          std::string_view authenticator_data,
                                          std::string_view signature);

// PermissionDenied with a payload marking a signature-counter regression.
absl::Status ClonedKeyError(uint32_t stored, uint32_t received);
bool IsClonedKey(const absl::Status& status);

// RFC 4648 §5 base64url without padding, as WebAuthn's JSON uses it; strict (no padding, no
// whitespace, canonical trailing bits).
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace bulwark::webauthn
