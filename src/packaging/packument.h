#pragma once
// Rendering packuments (the npm package documents) from a PackageRecord: the full document npm
// installs with, the abbreviated ("corgi", application/vnd.npm.install-v1+json) one pnpm uses,
// and single versions. Pure functions of their inputs.

#include <functional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "bulwark/storage/records.h"

namespace bulwark {

// Maps a user name to its current email (for `maintainers` and `_npmUser`): the account's, not
// the one recorded at publish time, so a changed or hidden address never lingers in packuments
// (docs/email-domains.md). Empty when unknown or hidden: the "email" member is then left out.
using EmailLookup = std::function<std::string(std::string_view user)>;

// "<unscoped>-<version>.tgz".
std::string TarballFileName(std::string_view package, std::string_view version);
// "<base>/<name>/-/<unscoped>-<version>.tgz": the conventional path every client relies on.
std::string TarballUrl(std::string_view base_url, std::string_view package,
                       std::string_view version);
// The `_rev` npm echoes back in `/-rev/<rev>` paths; URL-safe.
std::string RevString(const PackageRecord& p);

// Live (not unpublished) versions only. `base_url` has no trailing slash.
json::object RenderFullPackument(const PackageRecord& p, std::string_view base_url,
                                 const EmailLookup& emails);
json::object RenderAbbreviatedPackument(const PackageRecord& p, std::string_view base_url);
// One version object as in the full document; nullopt when absent or unpublished.
std::optional<json::object> RenderVersion(const PackageRecord& p, std::string_view version,
                                          std::string_view base_url, const EmailLookup& emails);

}  // namespace bulwark
