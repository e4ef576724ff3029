#pragma once
// The publish request (`PUT /<name>` with a tarball attachment), decoded and verified before
// anything is stored.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "bulwark/base/status.h"
#include "packaging/tarball.h"

namespace bulwark {

// A publish request decoded and verified (npm-registry-api.md §3.1 step 4): names agree, one
// canonical semver version, tags valid, exactly one tarball attachment whose bytes match
// dist.integrity/shasum, a readable tarball, and a manifest that agrees with the tarball's
// package.json. Pure: no storage, no clock.
struct PublishDocument {
  std::string version;
  std::map<std::string, std::string> tags;
  std::optional<bool> restricted;  // From `access`; unset when the client sent null.
  std::string tarball;             // Decoded bytes.
  json::object manifest;           // The stored manifest (from the tarball's package.json).
  std::string readme;
  std::string readme_filename;
  TarballContents contents;  // The tarball's files, for the publish gate's scan.
};

absl::StatusOr<PublishDocument> DecodePublishDocument(std::string_view name,
                                                     const json::object& body,
                                                     const TarballLimits& limits,
                                                     size_t max_readme_bytes);

// Validates a dist-tag name: not a semver range (it would shadow versions) and URL-safe.
absl::Status CheckTagName(std::string_view tag);

}  // namespace bulwark
