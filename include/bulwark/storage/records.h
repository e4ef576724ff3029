#pragma once
// Value types persisted by the MetadataStore. Plain data: no behaviour, no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace bulwark {

struct UserRecord {
  std::string name;
  std::string email;
  std::string password_hash;  // PHC string from argon2id; never the password.
  bool admin = false;
  absl::Time created = absl::InfinitePast();
  absl::Time updated = absl::InfinitePast();
  // When the current `email` was proven (verification link followed, or set by an admin);
  // InfinitePast: not verified. Changing `email` must reset it.
  absl::Time email_verified = absl::InfinitePast();
};

// Two-factor authentication of one user; no record means 2FA is off.
// NOTE: persisted; do not renumber.
enum class TfaMode : int {
  kAuthOnly = 1,       // A second factor to log in and change the account.
  kAuthAndWrites = 2,  // ... and for every package write.
};

struct TfaRecord {
  std::string user;
  TfaMode mode = TfaMode::kAuthAndWrites;
  // Enrolment started (secret handed out) but not yet confirmed with a code: not enforced.
  bool pending = true;
  std::string sealed_secret;  // SecretBox(TOTP secret, context = user name); never in clear.
  // Highest TOTP time step accepted: codes of this step or earlier are replays (RFC 6238 §5.2).
  int64_t last_step = 0;
  std::vector<std::string> recovery_hashes;  // Hex SHA-256 of each unused recovery code.
  absl::Time created = absl::InfinitePast();
  absl::Time updated = absl::InfinitePast();
};

struct TokenRecord {
  std::string key;     // Lower-case hex SHA-512 of the secret: the token's id; the secret is not kept.
  std::string prefix;  // First characters of the secret, shown in lists (npm revokes by prefix).
  std::string user;
  std::string name;  // Optional label given at creation.
  bool readonly = false;
  std::vector<std::string> cidr_whitelist;
  absl::Time created = absl::InfinitePast();
  std::optional<absl::Time> expires;
  // Granular restrictions (docs/tokens.md). When either list is non-empty the token may change
  // only the packages named in `packages` or inside one of `scopes` ("@scope"), and no account
  // settings; empty lists: every package its user may change.
  std::vector<std::string> packages;
  std::vector<std::string> scopes;
  bool bypass_2fa = false;   // An automation token: writes need no one-time password.
  std::string description;
  std::optional<absl::Time> last_used;  // Updated at most once a minute (TouchToken).
};

// One registry signature of a version: ECDSA over "<name>@<version>:<integrity>" by the key
// `keyid` (docs/signatures.md). Rendered as `dist.signatures[]`.
struct VersionSignature {
  std::string keyid;  // "SHA256:<unpadded base64>" of the signing key's DER public key.
  std::string sig;    // Base64 of the DER ECDSA signature.
  bool operator==(const VersionSignature&) const = default;
};

struct VersionRecord {
  std::string version;
  // The stored version manifest as JSON, derived from the tarball's package.json plus registry
  // fields (_id, _npmUser, dist without `tarball`, which depends on the request's host).
  std::string manifest_json;
  std::string integrity;  // "sha512-<base64>" of the tarball.
  std::string shasum;     // Hex SHA-1 of the tarball.
  std::string blob_key;   // BlobStore key (hex SHA-512).
  uint64_t size = 0;
  absl::Time published = absl::InfinitePast();
  std::string deprecated;  // Empty: not deprecated.
  // Set when the version was unpublished. The row is kept so the number can never be reused.
  std::optional<absl::Time> unpublished;
  // Registry signatures; empty for versions stored before signing existed, until the start-up
  // migration signs them.
  std::vector<VersionSignature> signatures;
};

struct PackageRecord {
  std::string name;
  // Revision, bumped by every committed change. 0 means "not stored yet".
  int64_t rev = 0;
  absl::Time created = absl::InfinitePast();
  absl::Time modified = absl::InfinitePast();
  bool restricted = false;  // Readable only by maintainers (npm access "restricted").
  std::map<std::string, std::string> dist_tags;
  std::vector<std::string> maintainers;  // User names, in the order they were added.
  std::set<std::string> stars;
  std::map<std::string, VersionRecord> versions;  // Includes unpublished versions.
  // Set when the whole package was unpublished: it reads as absent, but its old version numbers
  // stay reserved.
  std::optional<absl::Time> unpublished;
  std::string readme;
  std::string readme_filename;
  // Search fields, copied from the latest version at commit.
  std::string description;
  std::vector<std::string> keywords;
};

// One row of the package list used by search and fsck.
struct PackageSummary {
  std::string name;
  int64_t rev = 0;
  std::string latest;
  std::string description;
  std::vector<std::string> keywords;
  std::vector<std::string> maintainers;
  absl::Time modified = absl::InfinitePast();
  bool restricted = false;
};

struct LoginSession {
  std::string id;  // Random, URL-safe; appears in loginUrl/doneUrl.
  absl::Time created = absl::InfinitePast();
  std::string user;    // Set when the browser side has authenticated.
  std::string secret;  // Token secret minted for the CLI; handed out once, then the row is deleted.
};

// One name's downloads, imported by `bulwark popularity import` (feeds typosquat protection).
struct PopularityEntry {
  std::string name;
  uint64_t downloads = 0;
};

// A name an administrator protects like a popular one (a brand, an internal name):
// `bulwark typosquat protect NAME`.
struct ProtectedName {
  std::string name;
  std::string added_by;
  absl::Time created = absl::InfinitePast();
};

// A name an administrator let through the typosquat checks (`bulwark typosquat allow NAME`).
struct AllowedName {
  std::string name;
  std::string added_by;  // Who allowed it (a user name, or "cli").
  absl::Time created = absl::InfinitePast();
};

// What the publish gate decided about a suspicious new name, kept for administrators.
struct NameFinding {
  int64_t id = 0;           // Assigned by the store, increasing; 0 before it is stored.
  std::string name;         // The name being published.
  std::string user;         // Who tried to publish it.
  // NOTE: persisted; do not rename. "warn" (published), "hold" or "block" (refused).
  std::string verdict;
  std::string target;       // The popular or private name it resembles.
  std::vector<std::string> checks;  // The engine's check names (typosquat::Match::checks).
  double score = 0;
  std::string message;      // What the publisher was told, or would have been.
  absl::Time created = absl::InfinitePast();
};

}  // namespace bulwark
