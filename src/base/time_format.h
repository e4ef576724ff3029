#pragma once
// ISO-8601 timestamps as npm writes them ("2026-11-23T05:43:38.217Z").

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace bulwark {

std::string FormatIsoTime(absl::Time t);  // UTC, millisecond precision, trailing Z.
std::optional<absl::Time> ParseIsoTime(std::string_view text);
// RFC 7231 IMF-fixdate for Last-Modified headers.
std::string FormatHttpDate(absl::Time t);

}  // namespace bulwark
