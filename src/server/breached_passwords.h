#pragma once
// Which breached-password filter the server and `bulwark passwords check` use:
// <data_dir>/breached-passwords.filter when an admin imported one (`bulwark passwords import`),
// else the default shipped in data/ (common passwords of at least kMinPasswordLength characters
// from the SecLists top-1M list; shorter ones already fail the length rule).

#include <memory>
#include <string>

#include "accounts/breached/password_filter.h"
#include "env/mapped_file.h"
#include "server/config.h"

namespace bulwark {

struct LoadedPasswordFilter {
  std::unique_ptr<MappedFile> file;  // Owns the bytes `filter` views.
  breached::PasswordFilter filter;
};

std::string ImportedPasswordFilterPath(const Config& config);
std::string DefaultPasswordFilterPath();

// The imported filter if present, else the default. NotFound when neither exists; a corrupt file
// is an error naming it (never silently "no check").
absl::StatusOr<std::unique_ptr<LoadedPasswordFilter>> LoadPasswordFilter(const Config& config);
absl::StatusOr<std::unique_ptr<LoadedPasswordFilter>> LoadPasswordFilterFile(
    const std::string& path);

}  // namespace bulwark
