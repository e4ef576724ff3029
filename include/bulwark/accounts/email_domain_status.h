#pragma once
// Seam between the expired-domain monitor (src/accounts/domains/, docs/email.md) and the code
// that trusts an account's email address: password reset by email, self-service recovery.

#include <optional>
#include <string>
#include <string_view>

namespace bulwark {

class EmailDomainStatus {
 public:
  virtual ~EmailDomainStatus() = default;

  // Why the email domain of `user`'s current address cannot be trusted (expired, pending
  // deletion, NXDOMAIN, null MX / no mail exchanger, re-registered after the address was
  // verified), or nullopt when it is healthy or not yet known: a lookup failure is not a verdict.
  virtual std::optional<std::string> FlaggedReason(std::string_view user) const = 0;
};

}  // namespace bulwark
