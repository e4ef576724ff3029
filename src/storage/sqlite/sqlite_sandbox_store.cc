// SqliteSandboxStore: sandbox reports and the sandbox job queue in <data_dir>/sandbox.sqlite3.
// One connection behind a mutex: a handful of writes per published version.

#include "absl/synchronization/mutex.h"
#include "base/strings.h"
#include "bulwark/storage/sandbox_store.h"
#include "storage/sqlite/sqlite.h"

namespace bulwark {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS sandbox_reports(
  name TEXT NOT NULL, version TEXT NOT NULL, created INTEGER NOT NULL, verdict TEXT NOT NULL,
  report TEXT NOT NULL, quarantined INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(name, version))
  WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sandbox_reports_by_time ON sandbox_reports(name, created);
CREATE TABLE IF NOT EXISTS sandbox_jobs(
  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, version TEXT NOT NULL,
  reason TEXT NOT NULL, enqueued INTEGER NOT NULL, UNIQUE(name, version));
)sql";

class SqliteSandboxStore final : public SandboxStore {
 public:
  explicit SqliteSandboxStore(Db db) : db_(std::move(db)) {}

  absl::Status PutReport(const SandboxReportRecord& r) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO sandbox_reports(name,version,created,verdict,report) "
                             "VALUES(?1,?2,?3,?4,?5) ON CONFLICT(name,version) DO UPDATE SET "
                             "created=?3, verdict=?4, report=?5"));
    st.Bind(1, r.name).Bind(2, r.version).Bind(3, absl::ToUnixMicros(r.created));
    st.Bind(4, r.verdict).Bind(5, r.report);
    return st.Run();
  }

  absl::StatusOr<SandboxReportRecord> GetReport(std::string_view name,
                                                std::string_view version) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT name,version,created,verdict,report FROM sandbox_reports "
                             "WHERE name=? AND version=?"));
    st.Bind(1, name).Bind(2, version);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError(StrCat("no sandbox report for ", name, "@", version));
    return Row(st);
  }

  absl::StatusOr<std::optional<SandboxReportRecord>> PreviousReport(
      std::string_view name, std::string_view version) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT name,version,created,verdict,report FROM sandbox_reports "
                             "WHERE name=?1 AND version<>?2 AND created <= COALESCE((SELECT "
                             "created FROM sandbox_reports WHERE name=?1 AND version=?2), "
                             "9223372036854775807) ORDER BY created DESC LIMIT 1"));
    st.Bind(1, name).Bind(2, version);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return std::optional<SandboxReportRecord>();
    return std::optional<SandboxReportRecord>(Row(st));
  }

  absl::StatusOr<int64_t> Enqueue(const SandboxJob& job) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO sandbox_jobs(name,version,reason,enqueued) "
                             "VALUES(?,?,?,?) ON CONFLICT(name,version) DO NOTHING"));
    st.Bind(1, job.name).Bind(2, job.version).Bind(3, job.reason);
    st.Bind(4, absl::ToUnixMicros(job.enqueued));
    BULWARK_RETURN_IF_ERROR(st.Run());
    BULWARK_ASSIGN_OR_RETURN(
        Stmt id, db_.Prepare("SELECT id FROM sandbox_jobs WHERE name=? AND version=?"));
    id.Bind(1, job.name).Bind(2, job.version);
    BULWARK_ASSIGN_OR_RETURN(bool row, id.Step());
    if (!row) return absl::InternalError("queued job vanished");
    return id.Int(0);
  }

  absl::StatusOr<std::optional<SandboxJob>> Dequeue() override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT id,name,version,reason,enqueued FROM sandbox_jobs "
                             "ORDER BY id LIMIT 1"));
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return std::optional<SandboxJob>();
    SandboxJob j;
    j.id = st.Int(0);
    j.name = st.Text(1);
    j.version = st.Text(2);
    j.reason = st.Text(3);
    j.enqueued = absl::FromUnixMicros(st.Int(4));
    BULWARK_ASSIGN_OR_RETURN(Stmt del, db_.Prepare("DELETE FROM sandbox_jobs WHERE id=?"));
    del.Bind(1, j.id);
    BULWARK_RETURN_IF_ERROR(del.Run());
    return std::optional<SandboxJob>(std::move(j));
  }

  absl::Status MarkQuarantined(std::string_view name, std::string_view version) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("UPDATE sandbox_reports SET quarantined=1 WHERE name=? AND "
                             "version=?"));
    st.Bind(1, name).Bind(2, version);
    return st.Run();
  }

  absl::StatusOr<SandboxCounts> Counts() override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT count(*), coalesce(sum(verdict='malicious'),0), "
                             "coalesce(sum(verdict='suspicious'),0), coalesce(sum(quarantined),0), "
                             "(SELECT count(*) FROM sandbox_jobs) FROM sandbox_reports"));
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    SandboxCounts c;
    if (row) {
      c.reports = st.Int(0);
      c.flagged = st.Int(1);
      c.suspicious = st.Int(2);
      c.quarantined = st.Int(3);
      c.queued = st.Int(4);
    }
    return c;
  }

 private:
  static SandboxReportRecord Row(const Stmt& st) {
    SandboxReportRecord r;
    r.name = st.Text(0);
    r.version = st.Text(1);
    r.created = absl::FromUnixMicros(st.Int(2));
    r.verdict = st.Text(3);
    r.report = st.Text(4);
    return r;
  }

  absl::Mutex mu_;
  Db db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<SandboxStore>> NewSqliteSandboxStore(const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(Db db, Db::Open(path));
  BULWARK_RETURN_IF_ERROR(db.Exec(kSchema));
  return std::make_unique<SqliteSandboxStore>(std::move(db));
}

}  // namespace bulwark
