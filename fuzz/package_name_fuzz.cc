// Validates and splits arbitrary bytes (names arrive from request paths and manifests), and
// checks the invariants callers rely on: the two booleans agree with the lists, and any name
// valid for old packages splits into scope and name that join back to it.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "base/package_name.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view name(reinterpret_cast<const char*>(data), size);
  const bulwark::NameValidation v = bulwark::ValidatePackageName(name);
  if (v.valid_for_old_packages != v.errors.empty()) abort();
  if (v.valid_for_new_packages != (v.errors.empty() && v.warnings.empty())) abort();

  const std::optional<bulwark::PackageName> split = bulwark::SplitPackageName(name);
  if (split && split->full() != name) abort();
  if (v.valid_for_old_packages && !split) abort();
  return 0;
}
