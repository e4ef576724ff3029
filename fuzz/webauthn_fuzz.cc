// WebAuthn inputs from browsers: CBOR items, authenticator data, COSE keys and whole
// attestation objects. Checks that nothing crashes or reads out of bounds, and the invariants
// callers rely on: a decoded item's length never exceeds the input, a parsed authenticator
// data's credential id is within the limit, and a registration built from arbitrary bytes is
// never accepted without a matching challenge.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "accounts/webauthn/cbor.h"
#include "accounts/webauthn/cose.h"
#include "accounts/webauthn/webauthn.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t used = 0;
  auto item = bulwark::webauthn::DecodeCbor(in, &used);
  if (item.ok() && used > size) abort();
  (void)bulwark::webauthn::DecodeCbor(in);
  auto ad = bulwark::webauthn::ParseAuthenticatorData(in);
  if (ad.ok()) {
    if (ad->credential_id.size() > bulwark::webauthn::kMaxCredentialIdBytes) abort();
    if (ad->rp_id_hash.size() != 32) abort();
    if (!ad->credential_public_key.empty()) {
      (void)bulwark::webauthn::ParseCoseKey(ad->credential_public_key);
    }
  }
  (void)bulwark::webauthn::ParseCoseKey(in);
  const bulwark::webauthn::RelyingParty rp{"localhost", "http://localhost:4873", false};
  // The client data names a challenge the fuzzer cannot know: acceptance would be a bug.
  auto reg = bulwark::webauthn::VerifyRegistration(
      rp, "server-challenge",
      R"({"type":"webauthn.create","challenge":"b3RoZXI","origin":"http://localhost:4873"})",
      in);
  if (reg.ok()) abort();
  return 0;
}
