#pragma once
// Counts tarball downloads in memory and writes them to the store in batches, so serving a
// tarball never waits on a database write. The counts feed popularity (typosquat protection of
// this registry's own popular packages) and, later, the 2FA mandate for high-impact packages.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "bulwark/env/clock.h"
#include "bulwark/storage/metadata_store.h"

namespace bulwark {

// UTC days since the Unix epoch: the unit downloads are stored in.
int64_t DayNumber(absl::Time t);

class DownloadCounter {
 public:
  DownloadCounter(MetadataStore& store, Clock& clock) : store_(store), clock_(clock) {}

  // Thread-safe and cheap (a locked hash-map increment); called on I/O threads.
  void Count(std::string_view package);
  // Writes what was counted since the last flush under today's date. On failure the counts are
  // kept for the next flush, so an outage of the store loses none.
  absl::Status Flush();

 private:
  MetadataStore& store_;
  Clock& clock_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, uint64_t> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bulwark
