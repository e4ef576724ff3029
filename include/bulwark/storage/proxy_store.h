#pragma once
// ProxyStore seam: what the upstream proxy (docs/proxy.md) keeps across restarts. Upstream
// packuments as fetched (with their ETag, for If-None-Match), the tarballs fetched so far (the
// bytes live in the BlobStore under their sha512; this maps a version to its blob), and the
// firewall's verdict per version (so a version is scanned once), and the dependency-confusion
// findings already reported (so each is reported once).
//
// Contract:
//  - Every method is thread-safe; each write is one transaction.
//  - Get* return NotFound when nothing is stored; Unavailable when the database cannot be
//    reached; Internal for corrupt rows.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct UpstreamPackument {
  std::string name;
  std::string uplink;  // The uplink's name in config.
  std::string etag;    // As the upstream sent it ("" when it sent none).
  absl::Time fetched = absl::InfinitePast();  // Last fetched or revalidated (304).
  std::string body;    // The upstream's JSON, unmodified.
};

struct ProxiedTarball {
  std::string name;
  std::string version;
  std::string blob_key;   // Hex sha512 of the bytes (BlobStore key).
  std::string integrity;  // What the upstream's packument declared, checked before storing.
  uint64_t size = 0;
  absl::Time fetched = absl::InfinitePast();
};

// The firewall's decision on one proxied version.
struct ProxyVerdict {
  std::string name;
  std::string version;
  // NOTE: persisted; do not rename. "allow", "refuse".
  std::string action;
  std::string reason;  // For the client and the admin ("malware scan: ...").
  absl::Time checked = absl::InfinitePast();
};

class ProxyStore {
 public:
  virtual ~ProxyStore() = default;
  virtual absl::StatusOr<UpstreamPackument> GetPackument(std::string_view name) = 0;
  virtual absl::Status PutPackument(const UpstreamPackument& p) = 0;  // Replaces.
  // Marks a stored packument revalidated (a 304) at `when`.
  virtual absl::Status TouchPackument(std::string_view name, absl::Time when) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListPackumentNames() = 0;

  virtual absl::StatusOr<ProxiedTarball> GetTarball(std::string_view name,
                                                    std::string_view version) = 0;
  virtual absl::Status PutTarball(const ProxiedTarball& t) = 0;
  // The versions of `name` whose tarballs were fetched (any order; empty when none).
  virtual absl::StatusOr<std::vector<std::string>> ListTarballVersions(std::string_view name) = 0;

  virtual absl::StatusOr<ProxyVerdict> GetVerdict(std::string_view name,
                                                  std::string_view version) = 0;
  virtual absl::Status PutVerdict(const ProxyVerdict& v) = 0;  // Replaces.
  // Forgets the verdicts of `name` (all versions) so they are decided again.
  virtual absl::Status ClearVerdicts(std::string_view name) = 0;

  // A private name `uplink` offers (the confusion probe). Returns true when it was not recorded
  // yet (a new finding, to report), false when it was (already reported).
  virtual absl::StatusOr<bool> RecordConfusion(std::string_view name, std::string_view uplink,
                                               std::string_view detail, absl::Time when) = 0;
  // Forgets a finding (the uplink no longer offers the name): a later offer is new again.
  virtual absl::Status ClearConfusion(std::string_view name, std::string_view uplink) = 0;
};

// Tables in their own database file (<data_dir>/proxy.sqlite3): a cache that the metadata
// store's writers never wait for.
absl::StatusOr<std::unique_ptr<ProxyStore>> NewSqliteProxyStore(const std::string& path);

}  // namespace bulwark
