// SqliteSecurityStore: the security event log and per-package 2FA policy, in a database file of
// their own (<data_dir>/security.sqlite3) so that appending events never waits for the metadata
// store's writer. One connection behind a mutex: events are small single-row inserts.

#include "absl/synchronization/mutex.h"
#include "base/strings.h"
#include "bulwark/storage/security_store.h"
#include "storage/sqlite/sqlite.h"

namespace bulwark {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS security_events(
  id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, kind TEXT NOT NULL,
  user TEXT NOT NULL, address TEXT NOT NULL, package TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS security_events_by_user ON security_events(user, id);
CREATE INDEX IF NOT EXISTS security_events_by_time ON security_events(time);
CREATE TABLE IF NOT EXISTS package_mfa(
  package TEXT PRIMARY KEY, mfa INTEGER NOT NULL, set_by TEXT NOT NULL, updated INTEGER NOT NULL)
  WITHOUT ROWID;
)sql";

class SqliteSecurityStore final : public SecurityStore {
 public:
  explicit SqliteSecurityStore(Db db) : db_(std::move(db)) {}

  absl::Status RecordEvent(const SecurityEvent& e) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO security_events(time,kind,user,address,package,detail) "
                             "VALUES(?,?,?,?,?,?)"));
    st.Bind(1, absl::ToUnixMicros(e.time)).Bind(2, e.kind).Bind(3, e.user).Bind(4, e.address);
    st.Bind(5, e.package).Bind(6, e.detail);
    return st.Run();
  }

  absl::StatusOr<std::vector<SecurityEvent>> ListEvents(const EventQuery& q) override {
    absl::MutexLock l(&mu_);
    std::string sql =
        "SELECT id,time,kind,user,address,package,detail FROM security_events WHERE 1";
    if (!q.user.empty()) sql += " AND user=?1";
    if (!q.kind_prefix.empty()) sql += " AND substr(kind,1,length(?2))=?2";
    if (q.before_id > 0) sql += " AND id<?3";
    sql += " ORDER BY id DESC LIMIT ?4";
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare(sql));
    if (!q.user.empty()) st.Bind(1, q.user);
    if (!q.kind_prefix.empty()) st.Bind(2, q.kind_prefix);
    if (q.before_id > 0) st.Bind(3, q.before_id);
    st.Bind(4, static_cast<int64_t>(q.limit));
    std::vector<SecurityEvent> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      SecurityEvent e;
      e.id = st.Int(0);
      e.time = absl::FromUnixMicros(st.Int(1));
      e.kind = st.Text(2);
      e.user = st.Text(3);
      e.address = st.Text(4);
      e.package = st.Text(5);
      e.detail = st.Text(6);
      out.push_back(std::move(e));
    }
    return out;
  }

  absl::StatusOr<std::map<std::string, int64_t>> CountEvents(absl::Time since) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT kind, count(*) FROM security_events WHERE time>=? "
                             "GROUP BY kind"));
    st.Bind(1, absl::ToUnixMicros(since));
    std::map<std::string, int64_t> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out[st.Text(0)] = st.Int(1);
    }
    return out;
  }

  absl::StatusOr<int64_t> PruneEvents(absl::Time cutoff) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("DELETE FROM security_events WHERE time<?"));
    st.Bind(1, absl::ToUnixMicros(cutoff));
    BULWARK_RETURN_IF_ERROR(st.Run());
    return static_cast<int64_t>(sqlite3_changes(db_.raw()));
  }

  absl::StatusOr<PackageMfa> GetPackageMfa(std::string_view package) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("SELECT mfa FROM package_mfa WHERE package=?"));
    st.Bind(1, package);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return PackageMfa::kNone;
    return ToMfa(st.Int(0));
  }

  absl::Status SetPackageMfa(std::string_view package, PackageMfa mfa, std::string_view set_by,
                             absl::Time when) override {
    absl::MutexLock l(&mu_);
    if (mfa == PackageMfa::kNone) {
      BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("DELETE FROM package_mfa WHERE package=?"));
      st.Bind(1, package);
      return st.Run();
    }
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO package_mfa(package,mfa,set_by,updated) VALUES(?,?,?,?) "
                             "ON CONFLICT(package) DO UPDATE SET mfa=excluded.mfa, "
                             "set_by=excluded.set_by, updated=excluded.updated"));
    st.Bind(1, package).Bind(2, static_cast<int64_t>(mfa)).Bind(3, set_by);
    st.Bind(4, absl::ToUnixMicros(when));
    return st.Run();
  }

  absl::StatusOr<std::map<std::string, PackageMfa>> ListPackageMfa() override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("SELECT package, mfa FROM package_mfa"));
    std::map<std::string, PackageMfa> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      BULWARK_ASSIGN_OR_RETURN(out[st.Text(0)], ToMfa(st.Int(1)));
    }
    return out;
  }

 private:
  static absl::StatusOr<PackageMfa> ToMfa(int64_t v) {
    if (v < 0 || v > 2) return absl::InternalError(StrCat("corrupt row: package mfa ", v));
    return static_cast<PackageMfa>(v);
  }

  absl::Mutex mu_;
  Db db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<SecurityStore>> NewSqliteSecurityStore(const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(Db db, Db::Open(path));
  BULWARK_RETURN_IF_ERROR(db.Exec(kSchema));
  return std::make_unique<SqliteSecurityStore>(std::move(db));
}

}  // namespace bulwark
