#pragma once
// The upstream packument, parsed and reshaped for our clients (docs/proxy.md §Packuments). Pure
// functions: upstream JSON and options in, the documents Bulwark serves out.
//
// Reshaping:
//  - versions whose number is not valid semver, whose manifest is not an object, or that are
//    younger than the cooldown (by the upstream's `time`) are left out; a version without a
//    publish time is left out while a cooldown applies (it cannot be shown old enough);
//  - `dist.tarball` points at this registry (<base>/<name>/-/<file>); the upstream's URL and
//    integrity are kept in the tarball table, for the fetch; upstream registry signatures and
//    attestations are dropped (they are signed by the upstream's keys, not ours);
//  - dist-tags pointing at a left-out version are dropped, except `latest`, which moves to the
//    newest kept release (prerelease only when there is no release), so `npm install` falls
//    back to the newest version old enough;
//  - `_rev` and `_attachments` go; `_id` is the name.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "base/json.h"
#include "bulwark/base/status.h"

namespace bulwark::proxy {

// Bounds on what an upstream may send (a hostile or broken upstream must not exhaust memory or
// time): the body itself is bounded by the HTTP client.
inline constexpr size_t kMaxUpstreamVersions = 20000;  // The largest real packuments hold ~10k.
inline constexpr size_t kMaxUpstreamJsonDepth = 64;

// Parses an upstream packument; InvalidArgument unless it is an object whose `name` (when
// present) is `name` and whose `versions` (when present) is an object of at most
// kMaxUpstreamVersions entries.
absl::StatusOr<json::object> ParseUpstreamPackument(std::string_view body, std::string_view name);

struct UpstreamVersion {
  std::string version;
  std::string tarball_url;  // The upstream's dist.tarball.
  std::string integrity;    // dist.integrity ("sha512-..."), may be empty.
  std::string shasum;       // dist.shasum (hex sha1), may be empty.
  std::string publisher;    // _npmUser.name, may be empty.
  std::optional<absl::Time> published;
};

struct ShapeOptions {
  std::string base_url;                  // No trailing slash.
  absl::Time now = absl::UnixEpoch();
  absl::Duration cooldown = absl::ZeroDuration();  // Zero: none.
};

struct ShapedPackument {
  std::string full;   // application/json
  std::string corgi;  // application/vnd.npm.install-v1+json
  // Kept versions by tarball file name ("<unscoped>-<version>.tgz").
  std::map<std::string, UpstreamVersion> tarballs;
  std::vector<std::string> cooling;  // Versions left out by the cooldown.
  absl::Time modified = absl::UnixEpoch();
};

ShapedPackument ShapePackument(const json::object& doc, std::string_view name,
                               const ShapeOptions& options);

// Every version of the upstream document with its facts (for the firewall and doctor), kept or
// not; versions that are not valid semver are skipped.
std::vector<UpstreamVersion> UpstreamVersions(const json::object& doc);

}  // namespace bulwark::proxy
