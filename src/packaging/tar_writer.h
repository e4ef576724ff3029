#pragma once
// Writes a package tarball (gzip'd ustar, every entry under "package/") the way `npm pack` lays
// it out; for packages the registry publishes itself (the security placeholder).

#include <string>
#include <utility>
#include <vector>

#include "bulwark/base/status.h"

namespace bulwark {

// `files`: (path relative to the package root, content). Internal when libarchive fails.
absl::StatusOr<std::string> WritePackageTarball(
    const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace bulwark
