#pragma once
// node-semver compatible versions and ranges (the rules of the npm `semver` package, v7, in its
// default non-loose mode unless said otherwise). Checked differentially against that package by
// tests/semver_differential.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bulwark/base/status.h"

namespace bulwark::semver {

struct Version {
  uint64_t major = 0, minor = 0, patch = 0;
  // Each prerelease identifier is numeric (uint64_t) or alphanumeric (string). As in node-semver,
  // an all-digit identifier of MAX_SAFE_INTEGER (2^53-1) or more stays a string (Compare then
  // compares it as a rounded double).
  std::vector<std::variant<uint64_t, std::string>> prerelease;
  std::vector<std::string> build;

  // Canonical form, as semver.valid() prints it: "1.2.3-beta.1" (build metadata dropped).
  std::string ToString() const;
};

struct Options {
  bool loose = false;
  bool include_prerelease = false;
};

// semver.parse(): InvalidArgument when `text` is not a version (leading "v"/"=" and surrounding
// whitespace are accepted as node-semver does; over 256 characters is refused).
absl::StatusOr<Version> Parse(std::string_view text, Options opts = {});

// semver.valid(): the canonical string, or nullopt.
std::optional<std::string> Valid(std::string_view text, Options opts = {});

// semver.compare(): -1, 0, 1 (build metadata ignored).
int Compare(const Version& a, const Version& b);

// A parsed range (semver.Range): a union of comparator sets.
class Range {
 public:
  // InvalidArgument when `text` is not a valid range.
  static absl::StatusOr<Range> Parse(std::string_view text, Options opts = {});
  // Whether `v` satisfies the range. Where node-semver throws instead (loose and
  // include_prerelease, and a comparator whose canonical version is over 256 characters, which
  // it fails to re-parse), this returns false.
  bool Test(const Version& v) const;
  // Normalised form, as `new semver.Range(text).range` prints it ("" for any version).
  std::string ToString() const;

 private:
  struct Comparator {
    enum class Op { kAny, kEq, kLt, kLte, kGt, kGte };
    Op op = Op::kAny;
    Version version;
    // Comparator.value: "" for any version, else the operator and the canonical version.
    std::string ToString() const;
  };
  // Test, but FailedPrecondition where node-semver throws (see Test).
  absl::StatusOr<bool> Evaluate(const Version& v) const;

  std::vector<std::vector<Comparator>> sets_;
  Options opts_;
  friend class RangeParser;
  friend std::optional<std::string> MaxSatisfying(const std::vector<std::string>&, std::string_view,
                                                  Options);
};

// semver.validRange(): normalised range string or nullopt.
std::optional<std::string> ValidRange(std::string_view text, Options opts = {});
// semver.satisfies(): false when either side does not parse.
bool Satisfies(std::string_view version, std::string_view range, Options opts = {});
// semver.maxSatisfying(): the highest version (as given) in `versions` that satisfies `range`.
std::optional<std::string> MaxSatisfying(const std::vector<std::string>& versions,
                                         std::string_view range, Options opts = {});

}  // namespace bulwark::semver
