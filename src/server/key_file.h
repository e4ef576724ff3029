#pragma once
// Server-held secret keys in files beside the data (`<data_dir>/keys/`), kept apart from the
// database so that a copy of the database alone does not reveal what the keys protect.

#include <cstddef>
#include <string>

#include "bulwark/base/status.h"
#include "bulwark/env/random.h"

namespace bulwark {

// Returns the `bytes`-byte key at `path`. When the file is missing, creates it (and its folder,
// mode 0700) with fresh random bytes, mode 0600, fsynced. FailedPrecondition when the file is
// accessible to group or others (like ssh with a private key, refuse rather than use a key
// others may have read) or has the wrong size; Unavailable when it cannot be read or written.
absl::StatusOr<std::string> LoadOrCreateKeyFile(const std::string& path, size_t bytes,
                                                Random& random);

}  // namespace bulwark
