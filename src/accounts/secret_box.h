#pragma once
// Authenticated encryption of small secrets at rest (TOTP seeds) with AES-256-GCM (NIST SP
// 800-38D), the one wrapper around OpenSSL's EVP AEAD interface. A stolen database alone then
// yields no second factors: the key lives in a separate file (server/key_file.h).

#include <string>
#include <string_view>

#include "bulwark/base/status.h"
#include "bulwark/env/random.h"

namespace bulwark {

class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;    // AES-256.
  static constexpr size_t kNonceBytes = 12;  // SP 800-38D §8.2: 96-bit IVs.
  static constexpr size_t kTagBytes = 16;    // Full-length tag.

  // InvalidArgument unless `key` is kKeyBytes bytes.
  static absl::StatusOr<SecretBox> Create(std::string key);

  // Returns version byte 1 || random nonce || ciphertext || tag. `context` (e.g. the user name)
  // is authenticated but not stored, so a sealed value copied to another row does not open.
  // Random 96-bit nonces are safe for the few million seals a registry will ever make
  // (SP 800-38D §8.3 bounds them at 2^32 per key). Internal if OpenSSL fails.
  absl::StatusOr<std::string> Seal(std::string_view plaintext, std::string_view context,
                                   Random& random) const;
  // DataLoss when `sealed` was altered, has the wrong context, or was sealed with another key.
  absl::StatusOr<std::string> Open(std::string_view sealed, std::string_view context) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace bulwark
