#include "base/time_format.h"

namespace bulwark {

std::string FormatIsoTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::optional<absl::Time> ParseIsoTime(std::string_view text) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%dT%H:%M:%E*S%Ez", std::string(text), absl::UTCTimeZone(), &t, &err)) {
    return t;
  }
  if (!text.empty() && text.back() == 'Z' &&
      absl::ParseTime("%Y-%m-%dT%H:%M:%E*S", std::string(text.substr(0, text.size() - 1)),
                      absl::UTCTimeZone(), &t, &err)) {
    return t;
  }
  return std::nullopt;
}

std::string FormatHttpDate(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", t, absl::UTCTimeZone());
}

}  // namespace bulwark
