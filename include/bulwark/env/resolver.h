#pragma once
// Resolver seam: the DNS questions the expired-domain monitor asks about an email domain (MX,
// A, AAAA; docs/email-domains.md). The real one is c-ares (env/net/cares_resolver.cc), which can
// target a resolver on any HOST:PORT; tests use a dnsmasq on loopback or a fake.
//
// Contract:
//  - An answer is a verdict-capable fact: the name does not exist (NXDOMAIN), or it exists with
//    these MX records and with/without an address. A server failure, refusal or timeout is NOT
//    an answer: Unavailable (SERVFAIL, REFUSED, connection refused) or DeadlineExceeded (no
//    reply), so callers keep their previous verdict (a lookup failure is not a verdict).
//  - Thread-safe; each call is independent.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct MxRecord {
  int preference = 0;
  std::string host;  // Without the trailing dot; "" for the root (a null MX, RFC 7505).
  bool operator==(const MxRecord&) const = default;
};

struct MailDnsAnswer {
  bool nxdomain = false;         // The domain does not exist (RCODE 3 on MX).
  std::vector<MxRecord> mx;      // Empty: no MX records (NOERROR/NODATA).
  bool has_address = false;      // An A or AAAA record; asked only when there is no MX (§5.1).
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Asks MX of `domain` (ASCII/punycode, no trailing dot); without MX, A then AAAA.
  virtual absl::StatusOr<MailDnsAnswer> LookupMail(std::string_view domain) = 0;
};

struct ResolverOptions {
  // "HOST:PORT[,HOST:PORT...]" (IPv6 as "[::1]:53"); empty: the system's /etc/resolv.conf.
  std::string servers;
  absl::Duration timeout = absl::Seconds(3);  // Per try.
  int tries = 2;
};

// InvalidArgument for a malformed `servers` list.
absl::StatusOr<std::unique_ptr<Resolver>> NewCaresResolver(const ResolverOptions& options);

}  // namespace bulwark
