#include "server/name_index.h"

#include <fstream>
#include <sstream>

#include "base/log.h"
#include "base/strings.h"
#include "jobs/download_counter.h"

#ifndef BULWARK_DEFAULT_SNAPSHOT
#define BULWARK_DEFAULT_SNAPSHOT "/usr/share/bulwark/npm-popularity-top.tsv.gz"
#endif

namespace bulwark {

std::string DefaultSnapshotPath() { return BULWARK_DEFAULT_SNAPSHOT; }

absl::StatusOr<std::shared_ptr<const typosquat::Index>> LoadPopularityIndex(
    const TyposquatConfig& config, MetadataStore& store, Clock& clock, NameIndexInfo& info) {
  info = NameIndexInfo();
  info.enabled = config.enabled;
  info.snapshot_path = config.snapshot.empty() ? DefaultSnapshotPath() : config.snapshot;
  if (!config.enabled) return std::shared_ptr<const typosquat::Index>();
  const absl::Time start = clock.Now();

  std::vector<typosquat::PopularName> snapshot;
  std::ifstream in(info.snapshot_path, std::ios::binary);
  if (!in) {
    info.snapshot_problem = StrCat("cannot read the popularity snapshot ", info.snapshot_path);
  } else {
    std::stringstream bytes;
    bytes << in.rdbuf();
    auto parsed = typosquat::ParsePopularityTsv(bytes.str());
    if (parsed.ok()) {
      snapshot = std::move(*parsed);
      info.snapshot_loaded = true;
      info.snapshot_names = snapshot.size();
    } else {
      info.snapshot_problem = StrCat("the popularity snapshot ", info.snapshot_path,
                                     " is unusable: ", parsed.status().message());
    }
  }
  if (!info.snapshot_problem.empty()) {
    LogWarning(
        "typosquat: %s; popular names are protected only by imported popularity "
        "(bulwark popularity import)",
        info.snapshot_problem);
  }
  BULWARK_ASSIGN_OR_RETURN(std::vector<PopularityEntry> imported, store.ListPopularity());
  info.imported_names = imported.size();
  // This registry's own counts over the last 30 days, to compare with monthly figures.
  BULWARK_ASSIGN_OR_RETURN(std::vector<PopularityEntry> counted,
                           store.SumDownloads(DayNumber(clock.Now()) - 30));
  info.counted_names = counted.size();
  BULWARK_ASSIGN_OR_RETURN(std::vector<ProtectedName> protected_rows, store.ListProtectedNames());
  std::vector<std::string> protected_names;
  for (const auto& p : protected_rows) protected_names.push_back(p.name);
  info.protected_names = protected_names.size();
  if (snapshot.empty() && imported.empty() && counted.empty() && protected_names.empty()) {
    return std::shared_ptr<const typosquat::Index>();
  }
  BULWARK_ASSIGN_OR_RETURN(auto index,
                           BuildPopularityIndex(std::move(snapshot), imported, config.engine,
                                                counted, protected_names));
  info.indexed_names = index->size();
  info.memory_bytes = index->MemoryBytes();
  info.build_time = clock.Now() - start;
  return std::shared_ptr<const typosquat::Index>(std::move(index));
}

}  // namespace bulwark
