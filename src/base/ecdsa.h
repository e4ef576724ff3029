#pragma once
// ECDSA over NIST P-256 with SHA-256 (OpenSSL underneath): the scheme the npm registry signs
// packages with ("ecdsa-sha2-nistp256", npm-registry-api.md §7.3). Pure functions and a key
// value type; no I/O. Key generation and signing nonces use OpenSSL's CSPRNG.

#include <memory>
#include <string>
#include <string_view>

#include "bulwark/base/status.h"

namespace bulwark {

// A P-256 private key. Movable, not copyable.
class EcdsaP256Key {
 public:
  // A fresh key. Internal only if OpenSSL fails.
  static absl::StatusOr<EcdsaP256Key> Generate();
  // Reads a PEM private key (PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY"). InvalidArgument
  // when the text is not a private key, or not one on P-256.
  static absl::StatusOr<EcdsaP256Key> FromPem(std::string_view pem);

  EcdsaP256Key(EcdsaP256Key&&) noexcept;
  EcdsaP256Key& operator=(EcdsaP256Key&&) noexcept;
  ~EcdsaP256Key();

  // PKCS#8 PEM of the private key (unencrypted: the file's permissions protect it).
  std::string PrivatePem() const;
  // DER SubjectPublicKeyInfo of the public key (what npm's /-/npm/v1/keys serves, base64).
  std::string PublicDer() const;
  // DER-encoded ECDSA signature (SEQUENCE of r, s) over SHA-256(message).
  absl::StatusOr<std::string> Sign(std::string_view message) const;

 private:
  struct Impl;
  explicit EcdsaP256Key(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Whether `signature` (DER) is a valid ECDSA-SHA256 signature of `message` under the P-256
// public key `public_der` (DER SubjectPublicKeyInfo). False for malformed input of any kind.
bool VerifyEcdsaP256(std::string_view public_der, std::string_view message,
                     std::string_view signature);

// npm's key id: "SHA256:" + unpadded base64 of SHA-256 of the DER public key (the form
// `ssh-keygen -l` prints, and the npm registry's keys use).
std::string NpmKeyId(std::string_view public_der);

}  // namespace bulwark
