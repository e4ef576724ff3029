// SqliteModerationStore: the moderation tables in the SQLite database, on a connection of their
// own (WAL lets it run beside the metadata store's), so `bulwark moderation` and a running server
// share them.

#include "absl/synchronization/mutex.h"
#include "base/strings.h"
#include "bulwark/storage/moderation_store.h"
#include "storage/sqlite/sqlite.h"

namespace bulwark {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS scans(
  id INTEGER PRIMARY KEY AUTOINCREMENT, package TEXT NOT NULL, version TEXT NOT NULL,
  publisher TEXT NOT NULL, publisher_2fa INTEGER NOT NULL, token_key TEXT NOT NULL,
  verdict TEXT NOT NULL, action TEXT NOT NULL, report TEXT NOT NULL, diff TEXT NOT NULL,
  created INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS scans_by_version ON scans(package, version);
CREATE TABLE IF NOT EXISTS moderation_cases(
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, package TEXT NOT NULL,
  version TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL, reporter TEXT NOT NULL,
  scan_id INTEGER NOT NULL, held TEXT NOT NULL, resolution TEXT NOT NULL,
  resolved_by TEXT NOT NULL, created INTEGER NOT NULL, resolved INTEGER);
CREATE INDEX IF NOT EXISTS moderation_cases_by_package ON moderation_cases(package, state);
CREATE TABLE IF NOT EXISTS moderation_removals(
  package TEXT NOT NULL, version TEXT NOT NULL, case_id INTEGER NOT NULL,
  created INTEGER NOT NULL, PRIMARY KEY(package, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS user_notices(
  id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, kind TEXT NOT NULL,
  detail TEXT NOT NULL, created INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS user_notices_by_user ON user_notices(user);
CREATE TABLE IF NOT EXISTS publish_log(
  token_key TEXT NOT NULL, user TEXT NOT NULL, package TEXT NOT NULL, version TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS publish_log_by_token ON publish_log(token_key, at);
)sql";

constexpr char kScanColumns[] =
    "id,package,version,publisher,publisher_2fa,token_key,verdict,action,report,diff,created";
constexpr char kCaseColumns[] =
    "id,kind,package,version,state,reason,reporter,scan_id,held,resolution,resolved_by,created,"
    "resolved";

class SqliteModerationStore final : public ModerationStore {
 public:
  explicit SqliteModerationStore(Db db) : db_(std::move(db)) {}

  absl::StatusOr<int64_t> RecordScan(const ScanRecord& s) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO scans(package,version,publisher,publisher_2fa,"
                             "token_key,verdict,action,report,diff,created) "
                             "VALUES(?,?,?,?,?,?,?,?,?,?)"));
    st.Bind(1, s.package).Bind(2, s.version).Bind(3, s.publisher);
    st.Bind(4, int64_t{s.publisher_2fa}).Bind(5, s.token_key).Bind(6, s.verdict);
    st.Bind(7, s.action).Bind(8, s.report_json).Bind(9, s.diff_json);
    st.Bind(10, absl::ToUnixMicros(s.created));
    BULWARK_RETURN_IF_ERROR(st.Run());
    return sqlite3_last_insert_rowid(db_.raw());
  }

  absl::StatusOr<ScanRecord> GetScan(int64_t id) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kScanColumns, " FROM scans WHERE id=?")));
    st.Bind(1, id);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError(StrCat("scan ", id, " not found"));
    return ReadScan(st);
  }

  absl::StatusOr<ScanRecord> LatestScan(std::string_view package,
                                        std::string_view version) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kScanColumns,
                                    " FROM scans WHERE package=? AND "
                                    "version=? AND action!='reject' ORDER BY id DESC LIMIT 1")));
    st.Bind(1, package).Bind(2, version);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError(StrCat("no scan of ", package, "@", version));
    return ReadScan(st);
  }

  absl::StatusOr<int64_t> CreateCase(const ModerationCase& c) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO moderation_cases(kind,package,version,state,reason,"
                             "reporter,scan_id,held,resolution,resolved_by,created,resolved) "
                             "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"));
    st.Bind(1, c.kind).Bind(2, c.package).Bind(3, c.version).Bind(4, c.state);
    st.Bind(5, c.reason).Bind(6, c.reporter).Bind(7, c.scan_id).Bind(8, c.held_json);
    st.Bind(9, c.resolution).Bind(10, c.resolved_by).Bind(11, absl::ToUnixMicros(c.created));
    if (c.resolved) {
      st.Bind(12, absl::ToUnixMicros(*c.resolved));
    } else {
      st.BindNull(12);
    }
    BULWARK_RETURN_IF_ERROR(st.Run());
    return sqlite3_last_insert_rowid(db_.raw());
  }

  absl::StatusOr<ModerationCase> GetCase(int64_t id) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kCaseColumns, " FROM moderation_cases WHERE id=?")));
    st.Bind(1, id);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError(StrCat("moderation case ", id, " not found"));
    return ReadCase(st);
  }

  absl::StatusOr<std::vector<ModerationCase>> ListCases(bool open_only) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kCaseColumns, " FROM moderation_cases",
                                    open_only ? " WHERE state='open'" : "", " ORDER BY id")));
    return ReadCases(st);
  }

  absl::StatusOr<std::vector<ModerationCase>> OpenCasesFor(std::string_view package) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             db_.Prepare(StrCat("SELECT ", kCaseColumns,
                                                " FROM moderation_cases WHERE "
                                                "package=? AND state='open' ORDER BY id")));
    st.Bind(1, package);
    return ReadCases(st);
  }

  absl::Status ResolveCase(int64_t id, std::string_view state, std::string_view by,
                           std::string_view resolution, absl::Time when) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("UPDATE moderation_cases SET state=?,resolved_by=?,resolution=?,"
                             "resolved=? WHERE id=? AND state='open'"));
    st.Bind(1, state).Bind(2, by).Bind(3, resolution).Bind(4, absl::ToUnixMicros(when));
    st.Bind(5, id);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(db_.raw()) == 1) return absl::OkStatus();
    BULWARK_ASSIGN_OR_RETURN(Stmt q, db_.Prepare("SELECT state FROM moderation_cases WHERE id=?"));
    q.Bind(1, id);
    BULWARK_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return absl::NotFoundError(StrCat("moderation case ", id, " not found"));
    return absl::FailedPreconditionError(StrCat("moderation case ", id, " is already ", q.Text(0)));
  }

  absl::Status RecordRemoval(std::string_view package, std::string_view version, int64_t case_id,
                             absl::Time when) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR IGNORE INTO moderation_removals(package,version,case_id,"
                             "created) VALUES(?,?,?,?)"));
    st.Bind(1, package).Bind(2, version).Bind(3, case_id).Bind(4, absl::ToUnixMicros(when));
    return st.Run();
  }

  absl::Status RecordNotice(const UserNotice& e) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO user_notices(user,kind,detail,created) VALUES(?,?,?,?)"));
    st.Bind(1, e.user).Bind(2, e.kind).Bind(3, e.detail).Bind(4, absl::ToUnixMicros(e.created));
    return st.Run();
  }

  absl::StatusOr<std::vector<UserNotice>> ListNotices(std::string_view user) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT id,user,kind,detail,created FROM user_notices",
                                    user.empty() ? "" : " WHERE user=?", " ORDER BY id DESC")));
    if (!user.empty()) st.Bind(1, user);
    std::vector<UserNotice> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      UserNotice e;
      e.id = st.Int(0);
      e.user = st.Text(1);
      e.kind = st.Text(2);
      e.detail = st.Text(3);
      e.created = absl::FromUnixMicros(st.Int(4));
      out.push_back(std::move(e));
    }
    return out;
  }

  absl::Status RecordPublish(const PublishLogEntry& e) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO publish_log(token_key,user,package,version,at) "
                             "VALUES(?,?,?,?,?)"));
    st.Bind(1, e.token_key).Bind(2, e.user).Bind(3, e.package).Bind(4, e.version);
    st.Bind(5, absl::ToUnixMicros(e.when));
    return st.Run();
  }

  absl::StatusOr<std::vector<PublishLogEntry>> PublishesByToken(std::string_view token_key,
                                                                absl::Time since) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT token_key,user,package,version,at FROM publish_log WHERE "
                             "token_key=? AND at>=? ORDER BY at, rowid"));
    st.Bind(1, token_key).Bind(2, absl::ToUnixMicros(since));
    std::vector<PublishLogEntry> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(PublishLogEntry{st.Text(0), st.Text(1), st.Text(2), st.Text(3),
                                    absl::FromUnixMicros(st.Int(4))});
    }
    return out;
  }

  absl::StatusOr<ModerationCounts> Count() override {
    absl::MutexLock l(&mu_);
    ModerationCounts c;
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT count(*), coalesce(sum(action='warn'),0), "
                             "coalesce(sum(action='hold'),0), coalesce(sum(action='reject'),0), "
                             "coalesce(sum(verdict='error'),0) FROM scans"));
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) {
      c.scanned = st.Int(0);
      c.warned = st.Int(1);
      c.held = st.Int(2);
      c.rejected = st.Int(3);
      c.scan_errors = st.Int(4);
    }
    BULWARK_ASSIGN_OR_RETURN(Stmt cs,
                             db_.Prepare("SELECT coalesce(sum(kind='report'),0), "
                                         "coalesce(sum(state='open'),0) FROM moderation_cases"));
    BULWARK_ASSIGN_OR_RETURN(row, cs.Step());
    if (row) {
      c.reports = cs.Int(0);
      c.open_cases = cs.Int(1);
    }
    BULWARK_ASSIGN_OR_RETURN(Stmt rm, db_.Prepare("SELECT count(*) FROM moderation_removals"));
    BULWARK_ASSIGN_OR_RETURN(row, rm.Step());
    if (row) c.removed_malicious = rm.Int(0);
    BULWARK_ASSIGN_OR_RETURN(Stmt ev,
                             db_.Prepare("SELECT kind, count(*) FROM user_notices GROUP BY kind"));
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool r, ev.Step());
      if (!r) break;
      std::string kind = ev.Text(0);
      if (kind == "token-leak-tarball") c.tokens_revoked_tarball = ev.Int(1);
      if (kind == "token-leak-partner") c.tokens_revoked_partner = ev.Int(1);
      if (kind == "token-suspended-worm") c.tokens_suspended_worm = ev.Int(1);
    }
    return c;
  }

 private:
  static ScanRecord ReadScan(const Stmt& st) {
    ScanRecord s;
    s.id = st.Int(0);
    s.package = st.Text(1);
    s.version = st.Text(2);
    s.publisher = st.Text(3);
    s.publisher_2fa = st.Int(4) != 0;
    s.token_key = st.Text(5);
    s.verdict = st.Text(6);
    s.action = st.Text(7);
    s.report_json = st.Text(8);
    s.diff_json = st.Text(9);
    s.created = absl::FromUnixMicros(st.Int(10));
    return s;
  }

  static ModerationCase ReadCase(const Stmt& st) {
    ModerationCase c;
    c.id = st.Int(0);
    c.kind = st.Text(1);
    c.package = st.Text(2);
    c.version = st.Text(3);
    c.state = st.Text(4);
    c.reason = st.Text(5);
    c.reporter = st.Text(6);
    c.scan_id = st.Int(7);
    c.held_json = st.Text(8);
    c.resolution = st.Text(9);
    c.resolved_by = st.Text(10);
    c.created = absl::FromUnixMicros(st.Int(11));
    if (!st.IsNull(12)) c.resolved = absl::FromUnixMicros(st.Int(12));
    return c;
  }

  absl::StatusOr<std::vector<ModerationCase>> ReadCases(Stmt& st) {
    std::vector<ModerationCase> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(ReadCase(st));
    }
    return out;
  }

  absl::Mutex mu_;
  Db db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<ModerationStore>> NewSqliteModerationStore(const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(Db db, Db::Open(path));
  BULWARK_RETURN_IF_ERROR(db.Exec(kSchema));
  return std::unique_ptr<ModerationStore>(new SqliteModerationStore(std::move(db)));
}

}  // namespace bulwark
