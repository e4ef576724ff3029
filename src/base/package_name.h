#pragma once
// npm package names: the rules of the `validate-npm-package-name` package (v6+), checked
// differentially against it by tests/name_differential, and splitting into scope and name.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark {

struct NameValidation {
  bool valid_for_new_packages = false;
  bool valid_for_old_packages = false;
  // The same sentences validate-npm-package-name returns, in the same order.
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

// `name` is bytes read as UTF-8; each maximal invalid sequence counts as one U+FFFD, as when
// a registry decodes a request body, so invalid UTF-8 is never valid (U+FFFD is not URL-safe).
// Lengths count UTF-16 code units and a "capital letter" is any code point toLowerCase changes
// (Unicode-wide, not only A-Z), exactly as the JS package sees the decoded string.
NameValidation ValidatePackageName(std::string_view name);

struct PackageName {
  std::string scope;     // "@scope" or empty.
  std::string unscoped;  // "name".
  std::string full() const { return scope.empty() ? unscoped : scope + "/" + unscoped; }
};

// Splits "@scope/name" or "name"; nullopt when the shape is wrong (empty parts, extra "/").
std::optional<PackageName> SplitPackageName(std::string_view name);

}  // namespace bulwark
