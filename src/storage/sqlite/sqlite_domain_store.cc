// SqliteDomainStore: the expired-domain monitor's cache of DNS/RDAP facts per email domain and
// the accounts it flagged (docs/email-domains.md), in a database file of its own
// (<data_dir>/domains.sqlite3). One connection behind a mutex: the monitor writes a few rows per
// domain per check.

#include "absl/synchronization/mutex.h"
#include "base/strings.h"
#include "bulwark/storage/domain_store.h"
#include "storage/sqlite/sqlite.h"

namespace bulwark {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS email_domains(
  domain TEXT PRIMARY KEY, registrable TEXT NOT NULL,
  dns INTEGER NOT NULL, mx TEXT NOT NULL, dns_checked INTEGER NOT NULL,
  rdap INTEGER NOT NULL, rdap_server TEXT NOT NULL,
  registered INTEGER, expires INTEGER, last_changed INTEGER, statuses TEXT NOT NULL,
  rdap_checked INTEGER NOT NULL,
  reason TEXT NOT NULL, flagged_since INTEGER,
  failures INTEGER NOT NULL, next_check INTEGER NOT NULL, last_error TEXT NOT NULL)
  WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS flagged_accounts(
  user TEXT PRIMARY KEY, email TEXT NOT NULL, domain TEXT NOT NULL, reason TEXT NOT NULL,
  detail TEXT NOT NULL, since INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// Times as Unix microseconds; InfinitePast (never) as the minimum so it orders first.
int64_t Micros(absl::Time t) {
  return t == absl::InfinitePast() ? INT64_MIN : absl::ToUnixMicros(t);
}
absl::Time FromMicros(int64_t v) {
  return v == INT64_MIN ? absl::InfinitePast() : absl::FromUnixMicros(v);
}
std::optional<int64_t> OptMicros(const std::optional<absl::Time>& t) {
  if (!t) return std::nullopt;
  return absl::ToUnixMicros(*t);
}
std::optional<absl::Time> OptTime(const Stmt& st, int col) {
  if (st.IsNull(col)) return std::nullopt;
  return absl::FromUnixMicros(st.Int(col));
}
// Lists are stored one item a line: neither MX hosts nor RDAP status values contain newlines
// (the monitor drops any that do).
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  for (std::string_view s : StrSplit(text, '\n', SkipEmpty())) out.emplace_back(s);
  return out;
}

constexpr char kDomainColumns[] =
    "domain,registrable,dns,mx,dns_checked,rdap,rdap_server,registered,expires,last_changed,"
    "statuses,rdap_checked,reason,flagged_since,failures,next_check,last_error";

class SqliteDomainStore final : public DomainStore {
 public:
  explicit SqliteDomainStore(Db db) : db_(std::move(db)) {}

  absl::StatusOr<DomainRecord> GetDomain(std::string_view domain) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kDomainColumns, " FROM email_domains WHERE domain=?")));
    st.Bind(1, domain);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError(StrCat("domain ", domain, " was never checked"));
    return ReadDomain(st);
  }

  absl::Status PutDomain(const DomainRecord& r) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("INSERT OR REPLACE INTO email_domains(", kDomainColumns,
                                    ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")));
    st.Bind(1, r.domain).Bind(2, r.registrable).Bind(3, static_cast<int64_t>(r.dns));
    st.Bind(4, StrJoin(r.mx, "\n")).Bind(5, Micros(r.dns_checked));
    st.Bind(6, static_cast<int64_t>(r.rdap)).Bind(7, r.rdap_server);
    st.BindOpt(8, OptMicros(r.registered)).BindOpt(9, OptMicros(r.expires));
    st.BindOpt(10, OptMicros(r.last_changed)).Bind(11, StrJoin(r.statuses, "\n"));
    st.Bind(12, Micros(r.rdap_checked)).Bind(13, r.reason).BindOpt(14, OptMicros(r.flagged_since));
    st.Bind(15, static_cast<int64_t>(r.failures)).Bind(16, Micros(r.next_check));
    st.Bind(17, r.last_error);
    return st.Run();
  }

  absl::StatusOr<std::vector<DomainRecord>> ListDomains() override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st,
        db_.Prepare(StrCat("SELECT ", kDomainColumns, " FROM email_domains ORDER BY domain")));
    std::vector<DomainRecord> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      BULWARK_ASSIGN_OR_RETURN(DomainRecord r, ReadDomain(st));
      out.push_back(std::move(r));
    }
    return out;
  }

  absl::StatusOr<std::vector<FlaggedAccount>> ListFlagged() override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT user,email,domain,reason,detail,since FROM flagged_accounts "
                             "ORDER BY user"));
    std::vector<FlaggedAccount> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      FlaggedAccount a;
      a.user = st.Text(0);
      a.email = st.Text(1);
      a.domain = st.Text(2);
      a.reason = st.Text(3);
      a.detail = st.Text(4);
      a.since = absl::FromUnixMicros(st.Int(5));
      out.push_back(std::move(a));
    }
    return out;
  }

  absl::Status PutFlagged(const FlaggedAccount& a) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR REPLACE INTO flagged_accounts(user,email,domain,reason,"
                             "detail,since) VALUES(?,?,?,?,?,?)"));
    st.Bind(1, a.user).Bind(2, a.email).Bind(3, a.domain).Bind(4, a.reason).Bind(5, a.detail);
    st.Bind(6, absl::ToUnixMicros(a.since));
    return st.Run();
  }

  absl::Status ClearFlagged(std::string_view user) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("DELETE FROM flagged_accounts WHERE user=?"));
    st.Bind(1, user);
    return st.Run();
  }

 private:
  static absl::StatusOr<DomainRecord> ReadDomain(const Stmt& st) {
    DomainRecord r;
    r.domain = st.Text(0);
    r.registrable = st.Text(1);
    int64_t dns = st.Int(2);
    if (dns < 0 || dns > 4) return absl::InternalError(StrCat("corrupt row: dns state ", dns));
    r.dns = static_cast<DnsState>(dns);
    r.mx = Lines(st.Text(3));
    r.dns_checked = FromMicros(st.Int(4));
    int64_t rdap = st.Int(5);
    if (rdap < 0 || rdap > 3) return absl::InternalError(StrCat("corrupt row: rdap state ", rdap));
    r.rdap = static_cast<RdapState>(rdap);
    r.rdap_server = st.Text(6);
    r.registered = OptTime(st, 7);
    r.expires = OptTime(st, 8);
    r.last_changed = OptTime(st, 9);
    r.statuses = Lines(st.Text(10));
    r.rdap_checked = FromMicros(st.Int(11));
    r.reason = st.Text(12);
    r.flagged_since = OptTime(st, 13);
    r.failures = static_cast<int>(st.Int(14));
    r.next_check = FromMicros(st.Int(15));
    r.last_error = st.Text(16);
    return r;
  }

  absl::Mutex mu_;
  Db db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<DomainStore>> NewSqliteDomainStore(const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(Db db, Db::Open(path));
  BULWARK_RETURN_IF_ERROR(db.Exec(kSchema));
  return std::make_unique<SqliteDomainStore>(std::move(db));
}

}  // namespace bulwark
