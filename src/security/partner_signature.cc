#include "security/partner_signature.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

#include "base/hash.h"
#include "base/json.h"
#include "base/strings.h"

namespace bulwark {

absl::StatusOr<std::vector<PartnerKey>> ParsePartnerKeys(std::string_view json_text) {
  auto doc = ParseJson(json_text);
  if (!doc.ok() || !doc->is_object()) {
    return absl::InvalidArgumentError("partner keys: not a JSON object");
  }
  const json::array* list = GetArray(doc->get_object(), "public_keys");
  if (!list) return absl::InvalidArgumentError("partner keys: no \"public_keys\" array");
  std::vector<PartnerKey> keys;
  for (const auto& v : *list) {
    if (!v.is_object())
      return absl::InvalidArgumentError("partner keys: an entry is not an object");
    auto id = GetString(v.get_object(), "key_identifier");
    auto pem = GetString(v.get_object(), "key");
    if (!id || !pem || id->empty() || pem->empty()) {
      return absl::InvalidArgumentError("partner keys: an entry lacks key_identifier or key");
    }
    keys.push_back(PartnerKey{std::string(*id), std::string(*pem)});
  }
  return keys;
}

absl::Status VerifyPartnerSignature(const std::vector<PartnerKey>& keys, std::string_view key_id,
                                    std::string_view signature_b64, std::string_view body) {
  const PartnerKey* key = nullptr;
  for (const auto& k : keys) {
    if (k.id == key_id) key = &k;
  }
  if (!key) return absl::NotFoundError(StrCat("unknown signing key \"", key_id, "\""));
  auto sig = Base64Decode(signature_b64);
  if (!sig || sig->empty()) return absl::UnauthenticatedError("the signature is not base64");
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(key->pem.data(), static_cast<int>(key->pem.size())), BIO_free);
  if (!bio) return absl::InternalError("out of memory");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!pkey) {
    ERR_clear_error();
    return absl::InvalidArgumentError(StrCat("key \"", key_id, "\" is not a PEM public key"));
  }
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_EC || EVP_PKEY_get_bits(pkey.get()) != 256) {
    return absl::InvalidArgumentError(StrCat("key \"", key_id, "\" is not an ECDSA P-256 key"));
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1) {
    return absl::InternalError("cannot initialise signature verification");
  }
  int ok =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                       reinterpret_cast<const unsigned char*>(body.data()), body.size());
  if (ok != 1) {
    ERR_clear_error();  // A bad DER signature leaves errors queued for the next caller.
    return absl::UnauthenticatedError("the signature does not match the body");
  }
  return absl::OkStatus();
}

}  // namespace bulwark
