#pragma once
// gzip decoding of untrusted input with a cap on the inflated size (a few KB of gzip can
// inflate to gigabytes).

#include <string>
#include <string_view>

#include "bulwark/base/status.h"

namespace bulwark::advisories {

// The inflated bytes of a gzip stream (concatenated members are accepted). InvalidArgument when
// the input is not gzip, is truncated or corrupt, or inflates past `max_size` bytes.
absl::StatusOr<std::string> Gunzip(std::string_view gz, size_t max_size);

}  // namespace bulwark::advisories
