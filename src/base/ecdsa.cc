#include "base/ecdsa.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/hash.h"
#include "base/strings.h"

namespace bulwark {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

// Only P-256 keys are accepted: npm verifies "ecdsa-sha2-nistp256" and nothing else.
bool IsP256(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) !=
      1) {
    return false;
  }
  return std::string_view(group, len) == "prime256v1";
}

}  // namespace

struct EcdsaP256Key::Impl {
  PkeyPtr key;
};

EcdsaP256Key::EcdsaP256Key(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EcdsaP256Key::EcdsaP256Key(EcdsaP256Key&&) noexcept = default;
EcdsaP256Key& EcdsaP256Key::operator=(EcdsaP256Key&&) noexcept = default;
EcdsaP256Key::~EcdsaP256Key() = default;

absl::StatusOr<EcdsaP256Key> EcdsaP256Key::Generate() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return absl::InternalError("OpenSSL could not generate a P-256 key");
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return EcdsaP256Key(std::move(impl));
}

absl::StatusOr<EcdsaP256Key> EcdsaP256Key::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return absl::InternalError("out of memory");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return absl::InvalidArgumentError("not a PEM private key");
  if (!IsP256(key.get())) return absl::InvalidArgumentError("not an ECDSA P-256 private key");
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return EcdsaP256Key(std::move(impl));
}

std::string EcdsaP256Key::PrivatePem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0,
                                            nullptr, nullptr) != 1) {
    return "";
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

std::string EcdsaP256Key::PublicDer() const {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(impl_->key.get(), &der);
  if (n <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

absl::StatusOr<std::string> EcdsaP256Key::Sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return absl::InternalError("OpenSSL could not sign");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return absl::InternalError("OpenSSL could not sign");
  }
  sig.resize(len);  // DER length varies with the leading bits of r and s.
  return sig;
}

bool VerifyEcdsaP256(std::string_view public_der, std::string_view message,
                     std::string_view signature) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(public_der.data());
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(public_der.size())));
  if (!key || !IsP256(key.get())) return false;
  if (p != reinterpret_cast<const unsigned char*>(public_der.data()) + public_der.size()) {
    return false;  // Trailing bytes after the key.
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string NpmKeyId(std::string_view public_der) {
  std::string b64 = Base64Encode(Sha256(public_der));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return StrCat("SHA256:", b64);
}

}  // namespace bulwark
