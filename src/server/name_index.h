#pragma once
// Builds the typosquat popularity index at start-up (server and CLI): the snapshot file named by
// config (by default the one shipped with Bulwark) merged with the popularity imported into the
// store by `bulwark popularity import`.

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "bulwark/env/clock.h"
#include "bulwark/storage/metadata_store.h"
#include "security/name_policy.h"
#include "security/typosquat/typosquat.h"

namespace bulwark {

// What building the index found, for the start-up log and `bulwark doctor`.
struct NameIndexInfo {
  bool enabled = true;        // typosquat.enabled.
  std::string snapshot_path;  // Resolved path of the snapshot.
  bool snapshot_loaded = false;
  std::string snapshot_problem;  // Why the snapshot was not used (missing, malformed).
  size_t snapshot_names = 0;
  size_t imported_names = 0;
  size_t counted_names = 0;    // Packages with downloads counted here in the last 30 days.
  size_t protected_names = 0;  // Names protected by an administrator.
  size_t indexed_names = 0;  // Protected names held by the index.
  size_t memory_bytes = 0;
  absl::Duration build_time;
};

// The snapshot shipped with Bulwark: data/npm-popularity-top.tsv.gz of the source tree this
// binary was built from (baked in at build time; override with typosquat.snapshot).
std::string DefaultSnapshotPath();

// Null (with OK) when protection is disabled, or when there is neither a usable snapshot nor
// imported popularity: a missing snapshot is a warning, not a reason to refuse to start.
// Errors only when the store fails or the index cannot be built.
absl::StatusOr<std::shared_ptr<const typosquat::Index>> LoadPopularityIndex(
    const TyposquatConfig& config, MetadataStore& store, Clock& clock, NameIndexInfo& info);

}  // namespace bulwark
