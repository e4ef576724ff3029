#pragma once
// DomainStore seam: what the expired-domain monitor learnt about each email domain, and which
// accounts are flagged because of it (docs/email-domains.md). Its own SQLite file
// (<data_dir>/domains.sqlite3): the monitor writes in batches from a job and from
// `bulwark domains check`, apart from package commits.
//
// Contract:
//  - Every method is thread-safe; each write is one transaction.
//  - Unavailable when the database cannot be reached; Internal for corrupt rows.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

// NOTE: persisted; do not renumber.
enum class DnsState : int {
  kUnknown = 0,   // Never answered.
  kMail = 1,      // MX records, or no MX but an address (RFC 5321 §5.1 implicit MX).
  kNxdomain = 2,
  kNullMx = 3,    // RFC 7505: a single MX of preference 0 and target ".".
  kNoMail = 4,    // Neither MX nor A/AAAA: mail cannot be delivered.
};

// NOTE: persisted; do not renumber.
enum class RdapState : int {
  kUnknown = 0,      // Never answered.
  kFound = 1,        // The registry returned the domain object.
  kNotFound = 2,     // RDAP 404: the registry has no such domain (free to register).
  kNoService = 3,    // No RDAP server is known for the TLD (the bootstrap has none).
};

struct DomainRecord {
  std::string domain;        // The email's domain, lower case.
  std::string registrable;   // Its registrable domain (Public Suffix List).
  DnsState dns = DnsState::kUnknown;
  std::vector<std::string> mx;  // "10 mail.example.org", for reports.
  absl::Time dns_checked = absl::InfinitePast();
  RdapState rdap = RdapState::kUnknown;
  std::string rdap_server;   // Base URL that answered.
  std::optional<absl::Time> registered;
  std::optional<absl::Time> expires;
  std::optional<absl::Time> last_changed;
  std::vector<std::string> statuses;  // RDAP status values ("active", "pending delete", ...).
  absl::Time rdap_checked = absl::InfinitePast();
  // Domain-level verdict from the facts above ("" healthy or unknown); see domains/verdict.h.
  std::string reason;
  std::optional<absl::Time> flagged_since;
  // Retries: consecutive failed checks, when the next attempt is due, the last error.
  int failures = 0;
  absl::Time next_check = absl::InfinitePast();
  std::string last_error;
};

struct FlaggedAccount {
  std::string user;
  std::string email;
  std::string domain;
  std::string reason;  // "expired", "pending-delete", "re-registered", ... (docs/email-domains.md)
  std::string detail;  // Human-readable specifics.
  absl::Time since = absl::InfinitePast();
};

class DomainStore {
 public:
  virtual ~DomainStore() = default;
  // NotFound when the domain was never checked.
  virtual absl::StatusOr<DomainRecord> GetDomain(std::string_view domain) = 0;
  virtual absl::Status PutDomain(const DomainRecord& record) = 0;  // Insert or replace.
  virtual absl::StatusOr<std::vector<DomainRecord>> ListDomains() = 0;

  // Flagged accounts, by user name.
  virtual absl::StatusOr<std::vector<FlaggedAccount>> ListFlagged() = 0;
  virtual absl::Status PutFlagged(const FlaggedAccount& account) = 0;  // Insert or replace.
  virtual absl::Status ClearFlagged(std::string_view user) = 0;        // OK when absent.
};

// SQLite in WAL mode at `path`, created with its schema when missing.
absl::StatusOr<std::unique_ptr<DomainStore>> NewSqliteDomainStore(const std::string& path);

}  // namespace bulwark
