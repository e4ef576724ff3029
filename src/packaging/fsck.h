#pragma once
// Consistency check of a registry's data (`bulwark fsck`): every live version's blob exists and
// matches its recorded integrity, and no half-applied change is visible.

#include <string>
#include <vector>

#include "bulwark/env/blob_store.h"
#include "bulwark/storage/metadata_store.h"

namespace bulwark {

struct FsckReport {
  size_t packages = 0;
  size_t versions = 0;
  size_t blobs_checked = 0;
  std::vector<std::string> problems;  // One sentence each, naming package@version.
};

absl::StatusOr<FsckReport> CheckRegistry(MetadataStore& store, BlobStore& blobs);

}  // namespace bulwark
