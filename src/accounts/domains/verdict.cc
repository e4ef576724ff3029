#include "accounts/domains/verdict.h"

#include <algorithm>

#include "base/strings.h"
#include "base/time_format.h"

namespace bulwark::domains {
namespace {

bool HasStatus(const DomainRecord& r, std::string_view s) {
  return std::find(r.statuses.begin(), r.statuses.end(), s) != r.statuses.end();
}

std::string Day(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()); }

}  // namespace

DnsState ClassifyDns(const MailDnsAnswer& a) {
  if (a.nxdomain) return DnsState::kNxdomain;
  if (a.mx.size() == 1 && a.mx[0].host.empty()) return DnsState::kNullMx;
  for (const MxRecord& mx : a.mx) {
    if (!mx.host.empty()) return DnsState::kMail;
  }
  // No usable MX: the implicit MX of RFC 5321 §5.1 is the domain's own address.
  if (a.mx.empty() && a.has_address) return DnsState::kMail;
  return DnsState::kNoMail;
}

std::optional<Verdict> DomainVerdict(const DomainRecord& r, absl::Time now) {
  if (r.rdap == RdapState::kFound) {
    // RFC 8056 maps EPP's pendingDelete / redemptionPeriod / pendingRestore to these values.
    if (HasStatus(r, "pending delete")) return Verdict{kPendingDelete, "RDAP status pending delete"};
    if (HasStatus(r, "redemption period") || HasStatus(r, "pending restore")) {
      return Verdict{kRedemption, "RDAP status redemption period"};
    }
    if (r.expires && *r.expires <= now) {
      return Verdict{kExpired, StrCat("registration expired ", Day(*r.expires))};
    }
  } else if (r.rdap == RdapState::kNotFound) {
    return Verdict{kNotRegistered, StrCat("the registry has no domain ", r.registrable)};
  }
  switch (r.dns) {
    case DnsState::kNxdomain:
      return Verdict{kNxdomain, StrCat(r.domain, " does not exist (NXDOMAIN)")};
    case DnsState::kNullMx:
      return Verdict{kNullMx, StrCat(r.domain, " accepts no mail (null MX, RFC 7505)")};
    case DnsState::kNoMail:
      return Verdict{kNoMail, StrCat(r.domain, " has no MX and no A/AAAA record")};
    case DnsState::kUnknown:
    case DnsState::kMail:
      break;
  }
  return std::nullopt;
}

std::optional<Verdict> AccountVerdict(const DomainRecord& r, const UserRecord& user,
                                      absl::Time now) {
  if (auto v = DomainVerdict(r, now)) return v;
  if (r.rdap == RdapState::kFound && r.registered) {
    absl::Time trusted = user.email_verified != absl::InfinitePast() ? user.email_verified
                                                                      : user.created;
    if (trusted != absl::InfinitePast() && *r.registered > trusted) {
      return Verdict{kReRegistered,
                     StrCat(r.registrable, " was registered ", FormatIsoTime(*r.registered),
                            ", after the address was ",
                            user.email_verified != absl::InfinitePast() ? "verified " : "given ",
                            FormatIsoTime(trusted))};
    }
  }
  return std::nullopt;
}

}  // namespace bulwark::domains
