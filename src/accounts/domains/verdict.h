#pragma once
// Turns what DNS and RDAP said about an email domain into a verdict (docs/email-domains.md).
// Pure: the time comes in as an argument.

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "bulwark/env/resolver.h"
#include "bulwark/storage/domain_store.h"
#include "bulwark/storage/records.h"

namespace bulwark::domains {

// NOTE: persisted (DomainRecord::reason, FlaggedAccount::reason); do not rename.
inline constexpr char kExpired[] = "expired";
inline constexpr char kPendingDelete[] = "pending-delete";
inline constexpr char kRedemption[] = "redemption-period";
inline constexpr char kNotRegistered[] = "not-registered";
inline constexpr char kNxdomain[] = "nxdomain";
inline constexpr char kNullMx[] = "null-mx";
inline constexpr char kNoMail[] = "no-mail-exchanger";
inline constexpr char kReRegistered[] = "re-registered";

// MX answer -> state. A single MX whose target is the root is a null MX (RFC 7505 §3; the
// preference is meant to be 0, but any preference with "." declares the same). A null MX beside
// real exchangers is ignored (mail still has somewhere to go). No MX but an A/AAAA record is
// deliverable: RFC 5321 §5.1 makes the domain its own implicit MX. No MX and no address: kNoMail.
DnsState ClassifyDns(const MailDnsAnswer& answer);

struct Verdict {
  std::string reason;  // One of the constants above.
  std::string detail;  // For people: "expired 2026-01-02", "MX 0 .", ...
};

// The domain's own verdict from the facts in `r` (registry facts first: they are the takeover
// risk; then DNS); nullopt when healthy or not known yet.
std::optional<Verdict> DomainVerdict(const DomainRecord& r, absl::Time now);

// The account's verdict: the domain's, or kReRegistered when the registry's registration date
// is later than the moment the account's address was trusted: `email_verified`, or for an
// address never verified the account's creation (an unverified address is trusted from the
// moment it was given to us, which is what password reset by email relied on until now).
std::optional<Verdict> AccountVerdict(const DomainRecord& r, const UserRecord& user,
                                      absl::Time now);

}  // namespace bulwark::domains
