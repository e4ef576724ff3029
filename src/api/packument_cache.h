#pragma once
// Rendered packuments kept in memory, so that reads of a package that has not changed cost a
// hash lookup: the full and abbreviated documents, plain and gzip'd, with their ETags, and the
// tarball locations. One entry per (package, base URL), invalidated by every committed change on
// this node and revalidated against the stored revision after `ttl` (for other writers).

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace bulwark {

struct RenderedDoc {
  std::shared_ptr<const std::string> body;
  std::shared_ptr<const std::string> gzip;  // Null when not worth compressing.
  std::string etag;  // Quoted; the gzip'd form uses the same tag with "-gz" appended inside.
};

struct TarballRef {
  std::string blob_path;  // Local file to stream (empty when the blob store has none).
  uint64_t size = 0;
  std::string blob_key;
  std::string shasum;
};

struct CachedPackage {
  std::string name;
  int64_t rev = 0;
  bool public_read = false;  // Readable without credentials: servable on the fast path.
  bool restricted = false;
  std::vector<std::string> maintainers;
  // The (user, email) pairs the documents show: an entry whose users' addresses changed since is
  // rendered again even though the package's revision did not move (docs/email-domains.md).
  std::vector<std::pair<std::string, std::string>> emails;
  RenderedDoc full;
  RenderedDoc corgi;
  std::string last_modified;  // HTTP date.
  std::map<std::string, TarballRef> tarballs;  // By file name ("name-1.0.0.tgz").
  // What a proxied entry was rendered from (docs/proxy.md), to render it once; null for local.
  std::shared_ptr<const void> source;
};

// Tarball bytes kept in memory (least recently used out first, within a byte budget), so hot
// tarballs are sent with one write instead of being read from disk in 4 KB chunks.
class BlobCache {
 public:
  BlobCache(uint64_t budget_bytes, uint64_t max_blob_bytes)
      : budget_(budget_bytes), max_blob_(max_blob_bytes) {}
  std::shared_ptr<const std::string> Find(const std::string& key);
  // Keeps `bytes` if it fits the per-blob limit; evicts old entries to stay within budget.
  void Put(const std::string& key, std::shared_ptr<const std::string> bytes);
  uint64_t max_blob_bytes() const { return max_blob_; }

 private:
  const uint64_t budget_;
  const uint64_t max_blob_;
  absl::Mutex mu_;
  uint64_t used_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t tick_ ABSL_GUARDED_BY(mu_) = 0;
  struct Slot {
    std::shared_ptr<const std::string> bytes;
    uint64_t last_use = 0;
  };
  absl::flat_hash_map<std::string, Slot> slots_ ABSL_GUARDED_BY(mu_);
};

class PackumentCache {
 public:
  PackumentCache(absl::Duration ttl, size_t max_entries) : ttl_(ttl), max_entries_(max_entries) {}

  // The entry, or null. `fresh` tells whether it was validated within the TTL.
  std::shared_ptr<const CachedPackage> Find(std::string_view name, std::string_view base_url,
                                            absl::Time now, bool* fresh);
  // Stores `entry`, rendered from the store's state at `now`.
  void Put(std::string_view base_url, std::shared_ptr<const CachedPackage> entry, absl::Time now);
  // Marks an entry validated at `now` (its rev matched the store).
  void Touch(std::string_view name, std::string_view base_url, absl::Time now);
  void Invalidate(std::string_view name);

 private:
  struct Slot {
    std::shared_ptr<const CachedPackage> entry;
    absl::Time validated;  // When rev was last checked against the store.
  };
  static std::string Key(std::string_view name, std::string_view base_url);

  const absl::Duration ttl_;
  const size_t max_entries_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Slot> slots_ ABSL_GUARDED_BY(mu_);
  // Names to keys, for invalidation across base URLs.
  absl::flat_hash_map<std::string, std::vector<std::string>> by_name_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bulwark
