#pragma once
// The registry's signing keys (docs/signatures.md): ECDSA P-256 private keys in PEM files in a
// directory outside the database (default `<data_dir>/keys/signing/`), listed with their creation
// and expiry times in `keys.json` there. Implements the VersionSigner seam.
//
// - Open creates the directory (0700) and a first key when there is none. It refuses (Failed
//   Precondition, naming the file and the chmod that fixes it) a private key file that group or
//   others may read, and a directory or keys.json that group or others may write.
// - The newest key without an expiry is the active one; it signs. Retired keys keep their
//   expiry and stay published at /-/npm/v1/keys, so versions published before it still verify.
// - Rotate (`bulwark keys rotate`, possibly while a server runs) writes a new key, then replaces
//   keys.json atomically. Every Sign and PublicKeys call notices a changed keys.json and reloads,
//   so running servers switch at once. The old key expires `grace` after the rotation, so that a
//   publish signed just before it still verifies (npm requires publish time < expiry).
// - When a changed keys.json cannot be loaded on a running server, Sign fails (Unavailable)
//   while PublicKeys keeps serving the last good list.
// Thread-safe; several processes may share the directory (creation and rotation take a lock).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "base/ecdsa.h"
#include "bulwark/env/clock.h"
#include "packaging/version_signer.h"

namespace bulwark {

inline constexpr absl::Duration kRotationGrace = absl::Minutes(1);

struct SigningKeyInfo {
  std::string keyid;
  std::string file;  // Path of the PEM file.
  absl::Time created = absl::InfinitePast();
  std::optional<absl::Time> expires;
  bool active = false;
};

class SigningKeys final : public VersionSigner {
 public:
  static absl::StatusOr<std::unique_ptr<SigningKeys>> Open(const std::string& dir, Clock& clock);

  absl::StatusOr<VersionSignature> Sign(std::string_view name, std::string_view version,
                                        std::string_view integrity) override;
  absl::StatusOr<std::vector<PublicSigningKey>> PublicKeys() override;

  // Oldest first.
  absl::StatusOr<std::vector<SigningKeyInfo>> List();
  // Makes a new active key; the previous active key expires `grace` from now. Returns the new key.
  absl::StatusOr<SigningKeyInfo> Rotate(absl::Duration grace = kRotationGrace);

  const std::string& dir() const { return dir_; }

 private:
  struct Key {
    SigningKeyInfo info;
    std::string public_der;
    std::shared_ptr<const EcdsaP256Key> key;
  };
  struct FileId {
    int64_t mtime_ns = -1;
    int64_t size = -1;
    uint64_t inode = 0;
    bool operator==(const FileId&) const = default;
  };
  SigningKeys(std::string dir, Clock& clock) : dir_(std::move(dir)), clock_(clock) {}
  // Reloads keys.json and the key files when keys.json changed since the last load.
  absl::Status RefreshLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  Clock& clock_;
  absl::Mutex mu_;
  std::vector<Key> keys_ ABSL_GUARDED_BY(mu_);
  FileId loaded_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bulwark
