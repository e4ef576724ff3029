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

// Ids an administrator may give an advisory: 1 to 128 of [A-Za-z0-9._:-] (they appear in
// URLs and in npm's output).
bool ValidAdvisoryId(std::string_view id);

// An advisory an administrator creates or edits (bulwark advisories add, the admin API), made
// ready to store over `stored` (the current version, if any): it must name an npm package;
// `modified` becomes `now` (and later than the stored one, so the edit is never "older than
// stored"); `published` defaults to `now`. InvalidArgument naming what is wrong.
absl::StatusOr<Advisory> PrepareAdminWrite(Advisory a, const Advisory* stored, absl::Time now);

// The malware advisory a moderation decision makes for `package`@`version` (a version found
// malicious): id "MAL-BULWARK-<name>-<version>" with [@/] as '_' (so deciding twice edits the
// same advisory; add versions to `affected[0].versions` for more), critical, the summary given.
Advisory MalwareAdvisory(std::string_view package, std::string_view version,
                         std::string_view summary, absl::Time now);

// The advisory withdrawn at `now` (modified too): it stops matching and is kept on file.
Advisory Withdrawn(Advisory a, absl::Time now);

}  // namespace bulwark::advisories
