#include "accounts/secret_box.h"

#include <openssl/evp.h>

#include <memory>

#include "base/strings.h"

namespace bulwark {
namespace {

constexpr char kVersion = 1;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<SecretBox> SecretBox::Create(std::string key) {
  if (key.size() != kKeyBytes) {
    return absl::InvalidArgumentError(
        StrCat("secret key must be ", kKeyBytes, " bytes, not ", key.size()));
  }
  return SecretBox(std::move(key));
}

absl::StatusOr<std::string> SecretBox::Seal(std::string_view plaintext, std::string_view context,
                                            Random& random) const {
  std::string nonce = random.Bytes(kNonceBytes);
  std::string out(1 + kNonceBytes + plaintext.size() + kTagBytes, '\0');
  out[0] = kVersion;
  out.replace(1, kNonceBytes, nonce);
  unsigned char* ct = reinterpret_cast<unsigned char*>(out.data()) + 1 + kNonceBytes;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key_), U(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(context), static_cast<int>(context.size())) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), ct, &len, U(plaintext), static_cast<int>(plaintext.size())) !=
          1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          ct + plaintext.size()) != 1) {
    return absl::InternalError("AES-256-GCM encryption failed");
  }
  return out;
}

absl::StatusOr<std::string> SecretBox::Open(std::string_view sealed,
                                            std::string_view context) const {
  if (sealed.size() < 1 + kNonceBytes + kTagBytes || sealed[0] != kVersion) {
    return absl::DataLossError("sealed secret is malformed");
  }
  std::string_view nonce = sealed.substr(1, kNonceBytes);
  std::string_view ct = sealed.substr(1 + kNonceBytes, sealed.size() - 1 - kNonceBytes - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  std::string out(ct.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key_), U(nonce)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(context), static_cast<int>(context.size())) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, U(ct),
                        static_cast<int>(ct.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                          tag.data()) != 1) {
    return absl::InternalError("AES-256-GCM decryption failed");
  }
  // The tag is checked here: anything altered (or another key or context) fails.
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &len) !=
      1) {
    return absl::DataLossError("sealed secret failed authentication (altered or wrong key)");
  }
  return out;
}

}  // namespace bulwark
