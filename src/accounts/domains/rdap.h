#pragma once
// RDAP (RFC 9083) domain objects and the RFC 9224 bootstrap registry (IANA's dns.json), parsed
// from untrusted bytes: never throws, bounded depth (base/json.h), unknown members ignored.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark::domains {

// Bodies larger than this are not RDAP answers about one domain (registries send a few KB).
inline constexpr size_t kMaxRdapBytes = 256 * 1024;
// A bootstrap file (IANA's dns.json is ~40 KB).
inline constexpr size_t kMaxBootstrapBytes = 4 * 1024 * 1024;

struct RdapDomain {
  std::string ldh_name;  // Lower case; may be empty (the member is optional in practice).
  std::optional<absl::Time> registered;    // eventAction "registration".
  std::optional<absl::Time> expires;       // eventAction "expiration".
  std::optional<absl::Time> last_changed;  // eventAction "last changed".
  std::vector<std::string> statuses;       // Lower case, e.g. "pending delete".
};

// InvalidArgument when `json` is not a JSON object with objectClassName "domain" (or with an
// event date that is not RFC 3339). Status values other than strings are skipped; duplicate
// events keep the latest date (a registry may list several "last changed").
absl::StatusOr<RdapDomain> ParseRdapDomain(std::string_view json);

// The bootstrap registry: TLD (or longer suffix) -> base URLs, as in RFC 9224 §4.
class RdapBootstrap {
 public:
  // InvalidArgument when `json` is not a bootstrap document ({"services": [[[...], [...]]]}).
  static absl::StatusOr<RdapBootstrap> Parse(std::string_view json);
  // A bootstrap with one base URL for every domain (config `rdap_base`, `--rdap-base`).
  static RdapBootstrap Single(std::string base_url);

  // The base URL (ending in '/') serving `domain`: the entry with the longest matching label
  // suffix, preferring https (RFC 9224 §3); nullopt when none does.
  std::optional<std::string> BaseFor(std::string_view domain) const;

 private:
  std::string single_;
  std::map<std::string, std::string, std::less<>> by_suffix_;
};

// "<base>domain/<name>" (RFC 9082 §3.1.3); `base` gains a '/' when it lacks one.
std::string RdapDomainUrl(std::string_view base, std::string_view domain);

}  // namespace bulwark::domains
