// SqliteStageStore: staged versions (docs/staging.md) in a table of their own.

#include "absl/synchronization/mutex.h"
#include "base/strings.h"
#include "bulwark/storage/stage_store.h"
#include "storage/sqlite/sqlite.h"

namespace bulwark {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS staged_versions(
  id TEXT PRIMARY KEY, package TEXT NOT NULL, version TEXT NOT NULL, tag TEXT NOT NULL,
  actor TEXT NOT NULL, actor_type TEXT NOT NULL, integrity TEXT NOT NULL, shasum TEXT NOT NULL,
  size INTEGER NOT NULL, body BLOB NOT NULL, created INTEGER NOT NULL,
  release_id TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stage_policies(package TEXT PRIMARY KEY) WITHOUT ROWID;
)sql";

constexpr char kColumns[] =
    "id,package,version,tag,actor,actor_type,integrity,shasum,size,created,release_id";

StagedVersion Read(const Stmt& st) {
  StagedVersion v;
  v.id = st.Text(0);
  v.package = st.Text(1);
  v.version = st.Text(2);
  v.tag = st.Text(3);
  v.actor = st.Text(4);
  v.actor_type = st.Text(5);
  v.integrity = st.Text(6);
  v.shasum = st.Text(7);
  v.size = st.Int(8);
  v.created = absl::FromUnixMicros(st.Int(9));
  v.release_id = st.Text(10);
  return v;
}

class SqliteStageStore final : public StageStore {
 public:
  explicit SqliteStageStore(Db db) : db_(std::move(db)) {}

  absl::Status AddStaged(const StagedVersion& v) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("INSERT INTO staged_versions(", kColumns,
                                    ",body) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)")));
    st.Bind(1, v.id).Bind(2, v.package).Bind(3, v.version).Bind(4, v.tag).Bind(5, v.actor);
    st.Bind(6, v.actor_type).Bind(7, v.integrity).Bind(8, v.shasum).Bind(9, v.size);
    st.Bind(10, absl::ToUnixMicros(v.created)).Bind(11, v.release_id).Bind(12, v.body);
    return st.Run();
  }

  absl::StatusOr<StagedVersion> GetStaged(std::string_view id) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kColumns, ",body FROM staged_versions WHERE id=?")));
    st.Bind(1, id);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError(StrCat("no staged version ", id));
    StagedVersion v = Read(st);
    v.body = st.Text(11);
    return v;
  }

  absl::StatusOr<std::vector<StagedVersion>> ListStaged() override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kColumns,
                                    " FROM staged_versions ORDER BY created, id")));
    std::vector<StagedVersion> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(Read(st));
    }
    return out;
  }

  absl::Status RemoveStaged(std::string_view id) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("DELETE FROM staged_versions WHERE id=?"));
    st.Bind(1, id);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(db_.raw()) == 0) {
      return absl::NotFoundError(StrCat("staged version ", id, " was already approved or rejected"));
    }
    return absl::OkStatus();
  }

  absl::Status SetRequireStaging(std::string_view package, bool require) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(require ? "INSERT OR IGNORE INTO stage_policies(package) VALUES(?)"
                                     : "DELETE FROM stage_policies WHERE package=?"));
    st.Bind(1, package);
    return st.Run();
  }

  absl::StatusOr<bool> RequiresStaging(std::string_view package) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             db_.Prepare("SELECT 1 FROM stage_policies WHERE package=?"));
    st.Bind(1, package);
    return st.Step();
  }

 private:
  absl::Mutex mu_;
  Db db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<StageStore>> NewSqliteStageStore(const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(Db db, Db::Open(path));
  BULWARK_RETURN_IF_ERROR(db.Exec(kSchema));
  return std::unique_ptr<StageStore>(new SqliteStageStore(std::move(db)));
}

}  // namespace bulwark
