#pragma once
// Parsing npm request paths. Package names arrive as "name", "@scope/name", "@scope%2fname" and
// "@scope%2Fname" (npm-registry-api.md §1.1); the path is percent-decoded exactly once.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark {

// Decodes %XX escapes once; nullopt for a malformed escape or a NUL (raw or encoded).
std::optional<std::string> PercentDecode(std::string_view text);
// encodeURIComponent, for building URLs.
std::string PercentEncodeComponent(std::string_view text);
// Value of `key` in a query string (decoded; '+' is a space), or nullopt.
std::optional<std::string> QueryParam(std::string_view query, std::string_view key);

struct PackageRoute {
  enum class Kind {
    kPackument,   // /<pkg>
    kPackageRev,  // /<pkg>/-rev/<rev>
    kVersion,     // /<pkg>/<version-or-tag>
    kTarball,     // /<pkg>/-/<file>.tgz
    kTarballRev,  // /<pkg>/-/<file>.tgz/-rev/<rev>
  };
  Kind kind = Kind::kPackument;
  std::string name;
  std::string arg;  // Version/tag, tarball file name or rev.
};

// For paths that do not start with "/-/": nullopt when the shape matches no package route.
std::optional<PackageRoute> ParsePackageRoute(std::string_view raw_path);

// Splits a decoded "/-/..." path after its prefix into segments, taking "@scope/name" at
// `name_at` as one segment (for /-/package/<pkg>/...).
std::vector<std::string> SplitSegments(std::string_view decoded_path, int name_at = -1);

}  // namespace bulwark
