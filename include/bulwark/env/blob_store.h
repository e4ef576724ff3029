#pragma once
// BlobStore seam: content-addressed, immutable storage of tarballs. Keys are the lower-case hex
// SHA-512 of the content, so the same bytes are stored once and a key proves its content.
//
// Contract for every implementation (tests/blob_store_conformance):
//  - Put is atomic and durable: when it returns OK the blob is complete and survives a crash; a
//    crash during Put leaves no blob under that key (a partial file is never visible).
//  - Put of an existing key is OK and leaves the blob unchanged.
//  - Get/Open return NotFound for an unknown key; Unavailable for I/O failures.
//  - All methods are thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"

namespace bulwark {

// Where a blob can be read from without copying it through memory (a local file today; an
// object-store URL later).
struct BlobLocation {
  std::string path;  // Absolute local file path.
  uint64_t size = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Stores `data` under `key` (hex sha512 of data, computed by the caller, verified here).
  // InvalidArgument when the key does not match the content.
  virtual absl::Status Put(std::string_view key, std::string_view data) = 0;
  virtual absl::StatusOr<std::string> Get(std::string_view key) = 0;
  virtual absl::StatusOr<BlobLocation> Locate(std::string_view key) = 0;
  virtual absl::StatusOr<bool> Exists(std::string_view key) = 0;
  virtual absl::Status Delete(std::string_view key) = 0;  // OK when absent.
  virtual absl::StatusOr<std::vector<std::string>> List() = 0;
};

// A folder of files `<root>/sha512/<2 hex>/<128 hex>`, written to a temp file, fsynced and
// renamed into place.
absl::StatusOr<std::unique_ptr<BlobStore>> NewFsBlobStore(const std::string& root);

}  // namespace bulwark
