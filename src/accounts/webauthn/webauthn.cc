#include "accounts/webauthn/webauthn.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/cord.h"
#include "accounts/webauthn/cbor.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/strings.h"

namespace bulwark::webauthn {
namespace {

constexpr char kClonedPayload[] = "type.bulwark.dev/webauthn-cloned-key";
// The AAGUID extension of FIDO attestation certificates (§8.2.1).
constexpr char kAaguidOid[] = "1.3.6.1.4.1.45724.1.1.4";

absl::Status Bad(std::string_view why) {
  return absl::InvalidArgumentError(StrCat("security key response refused: ", why));
}
absl::Status Denied(std::string_view why) {
  return absl::PermissionDeniedError(StrCat("security key response refused: ", why));
}

uint32_t Be32(std::string_view s) {
  return (uint32_t{static_cast<uint8_t>(s[0])} << 24) |
         (uint32_t{static_cast<uint8_t>(s[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[2])} << 8) | uint32_t{static_cast<uint8_t>(s[3])};
}

// §7.1 steps 5-10 / §7.2 steps 10-14: the client data's type, challenge and origin.
absl::Status CheckClientData(const RelyingParty& rp, std::string_view challenge,
                             std::string_view client_data_json, std::string_view type) {
  if (client_data_json.size() > kMaxWebAuthnInput) return Bad("client data too large");
  // §5.8.1.2 limited verification: a JSON object; UTF-8 BOM stripped (§7.1 step 5).
  std::string_view text = client_data_json;
  ConsumePrefix(&text, "\xEF\xBB\xBF");
  auto parsed = ParseJson(text, 8);
  if (!parsed.ok() || !parsed->is_object()) return Bad("client data is not a JSON object");
  const json::object& c = parsed->get_object();
  if (GetString(c, "type") != type) {
    return Bad(StrCat("client data type is not ", type));
  }
  // Single-use server challenge: stops replay of an old response (§13.4.3).
  auto got = GetString(c, "challenge");
  if (!got || *got != Base64UrlEncode(challenge)) return Denied("challenge does not match");
  // Origin binding is what makes keys phishing-resistant: a look-alike site gets a response
  // for its own origin, which fails here (§13.4.9). Exact match, no prefix or suffix games.
  if (GetString(c, "origin") != rp.origin) return Denied("wrong origin");
  // Bulwark's pages are never framed (X-Frame-Options: DENY), so no cross-origin ceremony.
  if (GetBool(c, "crossOrigin").value_or(false) || c.contains("topOrigin")) {
    return Denied("cross-origin ceremonies are not accepted");
  }
  if (const json::object* tb = GetObject(c, "tokenBinding")) {
    if (GetString(*tb, "status") == "present") return Denied("token binding is not supported");
  }
  return absl::OkStatus();
}

// §7.1 steps 13-16 / §7.2 steps 15-18: RP ID hash and flags.
absl::Status CheckAuthFlags(const RelyingParty& rp, const AuthenticatorData& ad) {
  if (!ConstantTimeEquals(ad.rp_id_hash, Sha256(rp.id))) {
    return Denied("the credential was made for another site (rpIdHash)");
  }
  // UP: someone touched the key. Without it a malware-driven authenticator could sign.
  if (!ad.user_present) return Denied("user presence flag not set");
  if (rp.require_user_verification && !ad.user_verified) {
    return Denied("user verification (PIN or biometrics) is required");
  }
  // Level 3 §6.1: BS set with BE clear is inconsistent.
  if (ad.backup_state && !ad.backup_eligible) return Bad("backup state without eligibility");
  return absl::OkStatus();
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

bool SubjectHas(X509_NAME* name, int nid, std::string_view want = "") {
  int i = X509_NAME_get_index_by_NID(name, nid, -1);
  if (i < 0) return false;
  ASN1_STRING* v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  if (!v || ASN1_STRING_length(v) <= 0) return false;
  if (want.empty()) return true;
  return std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                          ASN1_STRING_length(v)) == want;
}

// §8.2.1 packed attestation statement certificate requirements, and the signature.
absl::Status CheckPackedX5c(const Cbor& x5c, CoseAlg alg, std::string_view signed_data,
                            std::string_view sig, std::string_view aaguid) {
  if (!x5c.is_array() || x5c.items.empty() || !x5c.items[0].is_bytes()) {
    return Bad("packed attestation: x5c must be a non-empty array of certificates");
  }
  const std::string& der = x5c.items[0].bytes;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<X509, X509Free> cert(d2i_X509(nullptr, &p, der.size()));
  if (!cert || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return Bad("packed attestation: certificate does not parse");
  }
  PublicKey key(X509_get_pubkey(cert.get()));
  if (!VerifySignature(alg, key.get(), signed_data, sig)) {
    return Denied("packed attestation signature does not verify");
  }
  if (X509_get_version(cert.get()) != 2) return Bad("attestation certificate is not X.509 v3");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (!SubjectHas(subject, NID_countryName) || !SubjectHas(subject, NID_organizationName) ||
      !SubjectHas(subject, NID_organizationalUnitName, "Authenticator Attestation") ||
      !SubjectHas(subject, NID_commonName)) {
    return Bad("attestation certificate subject does not meet §8.2.1");
  }
  if (X509_check_ca(cert.get()) != 0) return Bad("attestation certificate is a CA");
  ASN1_OBJECT* oid = OBJ_txt2obj(kAaguidOid, 1);
  int at = oid ? X509_get_ext_by_OBJ(cert.get(), oid, -1) : -1;
  ASN1_OBJECT_free(oid);
  if (at >= 0) {
    X509_EXTENSION* ext = X509_get_ext(cert.get(), at);
    if (X509_EXTENSION_get_critical(ext)) return Bad("AAGUID extension must not be critical");
    ASN1_OCTET_STRING* outer = X509_EXTENSION_get_data(ext);
    // The extension value is an OCTET STRING holding the 16-byte AAGUID: 04 10 <16 bytes>.
    std::string_view v(reinterpret_cast<const char*>(ASN1_STRING_get0_data(outer)),
                       ASN1_STRING_length(outer));
    if (v.size() != 18 || v[0] != 0x04 || v[1] != 0x10 || v.substr(2) != aaguid) {
      return Denied("attestation certificate AAGUID does not match the authenticator data");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ClonedKeyError(uint32_t stored, uint32_t received) {
  absl::Status s = absl::PermissionDeniedError(StrCat(
      "security key refused: its signature counter went backwards (", received, " after ",
      stored, "), so the key may have been cloned. Use another key, and remove this one from "
      "your account settings if you did not copy it."));
  s.SetPayload(kClonedPayload, absl::Cord("1"));
  return s;
}

bool IsClonedKey(const absl::Status& status) {
  return status.GetPayload(kClonedPayload).has_value();
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // Non-canonical.
  return out;
}

absl::StatusOr<AuthenticatorData> ParseAuthenticatorData(std::string_view data) {
  if (data.size() > kMaxWebAuthnInput) return Bad("authenticator data too large");
  if (data.size() < 37) return Bad("authenticator data shorter than 37 bytes");
  AuthenticatorData ad;
  ad.rp_id_hash.assign(data.substr(0, 32));
  ad.flags = static_cast<uint8_t>(data[32]);
  ad.user_present = ad.flags & 0x01;
  ad.user_verified = ad.flags & 0x04;
  ad.backup_eligible = ad.flags & 0x08;
  ad.backup_state = ad.flags & 0x10;
  ad.has_attested_data = ad.flags & 0x40;
  ad.has_extensions = ad.flags & 0x80;
  ad.sign_count = Be32(data.substr(33, 4));
  std::string_view rest = data.substr(37);
  if (ad.has_attested_data) {
    if (rest.size() < 18) return Bad("attested credential data truncated");
    ad.aaguid.assign(rest.substr(0, 16));
    size_t id_len = (size_t{static_cast<uint8_t>(rest[16])} << 8) | static_cast<uint8_t>(rest[17]);
    rest.remove_prefix(18);
    if (id_len == 0 || id_len > kMaxCredentialIdBytes) return Bad("bad credential id length");
    if (id_len > rest.size()) return Bad("credential id truncated");
    ad.credential_id.assign(rest.substr(0, id_len));
    rest.remove_prefix(id_len);
    size_t used = 0;
    auto key = DecodeCbor(rest, &used);
    if (!key.ok()) return Bad(StrCat("credential public key: ", key.status().message()));
    if (!key->is_map()) return Bad("credential public key is not a map");
    ad.credential_public_key.assign(rest.substr(0, used));
    rest.remove_prefix(used);
  }
  if (ad.has_extensions) {
    size_t used = 0;
    auto ext = DecodeCbor(rest, &used);
    if (!ext.ok() || !ext->is_map()) return Bad("extensions are not a CBOR map");
    rest.remove_prefix(used);
  }
  if (!rest.empty()) return Bad("trailing bytes in authenticator data");
  return ad;
}

absl::StatusOr<NewCredential> VerifyRegistration(const RelyingParty& rp, std::string_view challenge,
                                                 std::string_view client_data_json,
                                                 std::string_view attestation_object) {
  BULWARK_RETURN_IF_ERROR(CheckClientData(rp, challenge, client_data_json, "webauthn.create"));
  if (attestation_object.size() > kMaxWebAuthnInput) return Bad("attestation object too large");
  auto att = DecodeCbor(attestation_object);
  if (!att.ok()) return Bad(std::string(att.status().message()));
  const Cbor* fmt = att->Find("fmt");
  const Cbor* auth_data = att->Find("authData");
  const Cbor* stmt = att->Find("attStmt");
  if (!fmt || !fmt->is_text() || !auth_data || !auth_data->is_bytes() || !stmt ||
      !stmt->is_map()) {
    return Bad("attestation object lacks fmt, authData or attStmt");
  }
  BULWARK_ASSIGN_OR_RETURN(AuthenticatorData ad, ParseAuthenticatorData(auth_data->bytes));
  BULWARK_RETURN_IF_ERROR(CheckAuthFlags(rp, ad));
  if (!ad.has_attested_data) return Bad("no attested credential data");
  auto key = ParseCoseKey(ad.credential_public_key);
  if (!key.ok()) return Bad(std::string(key.status().message()));

  NewCredential cred;
  const std::string signed_data = StrCat(auth_data->bytes, Sha256(client_data_json));
  if (fmt->bytes == "none") {
    if (!stmt->map.empty()) return Bad("attestation \"none\" must have an empty attStmt");
    cred.attestation = kAttestationNone;
  } else if (fmt->bytes == "packed") {
    const Cbor* alg = stmt->Find("alg");
    const Cbor* sig = stmt->Find("sig");
    if (!alg || !alg->is_int() || !sig || !sig->is_bytes()) {
      return Bad("packed attestation needs alg and sig");
    }
    if (const Cbor* x5c = stmt->Find("x5c")) {
      CoseAlg a;
      switch (alg->integer) {
        case -7: a = CoseAlg::kEs256; break;
        case -8: a = CoseAlg::kEdDsa; break;
        case -257: a = CoseAlg::kRs256; break;
        default: return Bad("packed attestation algorithm not supported");
      }
      BULWARK_RETURN_IF_ERROR(CheckPackedX5c(*x5c, a, signed_data, sig->bytes, ad.aaguid));
      cred.attestation = kAttestationPackedX5c;
    } else {
      // Self attestation (§8.2 step 3): signed by the credential key itself.
      if (alg->integer != static_cast<int64_t>(key->alg)) {
        return Bad("self attestation algorithm differs from the credential's");
      }
      if (!VerifySignature(key->alg, key->key.get(), signed_data, sig->bytes)) {
        return Denied("self attestation signature does not verify");
      }
      cred.attestation = kAttestationPackedSelf;
    }
  } else {
    return Bad(StrCat("attestation format \"", fmt->bytes,
                      "\" is not supported (none and packed are)"));
  }
  cred.id = ad.credential_id;
  cred.public_key = ad.credential_public_key;
  cred.alg = key->alg;
  cred.sign_count = ad.sign_count;
  cred.aaguid = ad.aaguid;
  cred.user_verified = ad.user_verified;
  cred.backup_eligible = ad.backup_eligible;
  cred.backup_state = ad.backup_state;
  return cred;
}

absl::StatusOr<Assertion> VerifyAssertion(const RelyingParty& rp, std::string_view challenge,
                                          const CredentialKey& credential,
                                          std::string_view client_data_json,
                                          std::string_view authenticator_data,
                                          std::string_view signature) {
  BULWARK_RETURN_IF_ERROR(CheckClientData(rp, challenge, client_data_json, "webauthn.get"));
  BULWARK_ASSIGN_OR_RETURN(AuthenticatorData ad, ParseAuthenticatorData(authenticator_data));
  if (ad.has_attested_data) return Bad("an assertion carries no attested credential data");
  BULWARK_RETURN_IF_ERROR(CheckAuthFlags(rp, ad));
  // Level 3 §7.2 step 19: backup eligibility is fixed when the credential is made.
  if (ad.backup_eligible != credential.backup_eligible) {
    return Denied("backup eligibility changed since registration");
  }
  if (signature.size() > kMaxWebAuthnInput) return Bad("signature too large");
  auto key = ParseCoseKey(credential.public_key);
  if (!key.ok()) return absl::InternalError(StrCat("stored key: ", key.status().message()));
  // §7.2 step 20: the signature covers authenticatorData || SHA-256(clientDataJSON), so the
  // challenge, origin and flags above are all signed.
  if (!VerifySignature(key->alg, key->key.get(),
                       StrCat(authenticator_data, Sha256(client_data_json)), signature)) {
    return Denied("the signature does not verify with this credential's key");
  }
  // §7.2 step 21. Authenticators without a counter always send 0; once either side is
  // non-zero, the count must grow, or two copies of the key are in use.
  if ((ad.sign_count != 0 || credential.sign_count != 0) &&
      ad.sign_count <= credential.sign_count) {
    return ClonedKeyError(credential.sign_count, ad.sign_count);
  }
  Assertion a;
  a.sign_count = ad.sign_count;
  a.user_verified = ad.user_verified;
  a.backup_state = ad.backup_state;
  return a;
}

}  // namespace bulwark::webauthn
