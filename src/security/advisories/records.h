#pragma once
// Between the advisory model and the AdvisoryStore's records.

#include <vector>

#include "bulwark/storage/advisory_store.h"
#include "security/advisories/advisory.h"

namespace bulwark::advisories {

// The record to store: the OSV document, its npm packages, its severity word.
AdvisoryRecord ToRecord(const Advisory& a);
// The advisory a stored record holds. Internal when the stored document no longer parses.
absl::StatusOr<Advisory> FromRecord(const AdvisoryRecord& r);

}  // namespace bulwark::advisories
