#include "server/breached_passwords.h"

#include "base/strings.h"

#ifndef BULWARK_DEFAULT_PASSWORD_FILTER
#define BULWARK_DEFAULT_PASSWORD_FILTER "/usr/share/bulwark/breached-passwords-default.filter"
#endif

namespace bulwark {

std::string ImportedPasswordFilterPath(const Config& config) {
  return StrCat(config.data_dir, "/breached-passwords.filter");
}

std::string DefaultPasswordFilterPath() { return BULWARK_DEFAULT_PASSWORD_FILTER; }

absl::StatusOr<std::unique_ptr<LoadedPasswordFilter>> LoadPasswordFilterFile(
    const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  auto filter = breached::PasswordFilter::FromBytes(file->bytes());
  if (!filter.ok()) {
    return absl::InvalidArgumentError(StrCat(path, ": ", filter.status().message()));
  }
  return std::unique_ptr<LoadedPasswordFilter>(
      new LoadedPasswordFilter{std::move(file), *std::move(filter)});
}

absl::StatusOr<std::unique_ptr<LoadedPasswordFilter>> LoadPasswordFilter(const Config& config) {
  auto imported = LoadPasswordFilterFile(ImportedPasswordFilterPath(config));
  if (!absl::IsNotFound(imported.status())) return imported;
  return LoadPasswordFilterFile(DefaultPasswordFilterPath());
}

}  // namespace bulwark
