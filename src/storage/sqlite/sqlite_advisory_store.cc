// SqliteAdvisoryStore: the advisory tables in the SQLite database, on a connection of their own
// (WAL lets it run beside the metadata store's). Writes take BEGIN IMMEDIATE so an import by
// `bulwark advisories import` and a running server serialise; an import of many advisories is
// one transaction (one fsync, not one per advisory).

#include <algorithm>
#include <optional>
#include <set>

#include "absl/synchronization/mutex.h"
#include "base/strings.h"
#include "bulwark/storage/advisory_store.h"
#include "storage/sqlite/sqlite.h"

namespace bulwark {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS advisories(
  id TEXT PRIMARY KEY, modified INTEGER NOT NULL, withdrawn INTEGER, severity TEXT NOT NULL,
  json TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS advisory_packages(
  package TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY(package, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS advisory_packages_by_id ON advisory_packages(id);
CREATE TABLE IF NOT EXISTS advisory_generation(
  one INTEGER PRIMARY KEY CHECK (one = 1), generation INTEGER NOT NULL);
INSERT OR IGNORE INTO advisory_generation(one, generation) VALUES(1, 0);
)sql";

constexpr char kColumns[] = "a.id,a.modified,a.withdrawn,a.severity,a.json";

class SqliteAdvisoryStore final : public AdvisoryStore {
 public:
  explicit SqliteAdvisoryStore(Db db) : db_(std::move(db)) {}

  absl::StatusOr<std::vector<UpsertResult>> UpsertBatch(
      const std::vector<AdvisoryRecord>& records) override {
    absl::MutexLock l(&mu_);
    BULWARK_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
    auto r = UpsertLocked(records);
    const bool changed =
        r.ok() && std::any_of(r->begin(), r->end(), [](UpsertResult u) {
          return u == UpsertResult::kCreated || u == UpsertResult::kUpdated;
        });
    if (changed) {
      if (absl::Status s = BumpLocked(); !s.ok()) r = s;
    }
    if (!r.ok()) {
      db_.Exec("ROLLBACK").IgnoreError();
      return r.status();
    }
    BULWARK_RETURN_IF_ERROR(db_.Exec("COMMIT"));
    return r;
  }

  absl::StatusOr<std::vector<AdvisoryRecord>> ListForPackages(
      const std::vector<std::string>& packages) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kColumns, " FROM advisory_packages p JOIN "
                                    "advisories a ON a.id=p.id WHERE p.package=? AND "
                                    "a.withdrawn IS NULL")));
    std::map<std::string, AdvisoryRecord> found;
    for (const std::string& name : std::set<std::string>(packages.begin(), packages.end())) {
      st.Reset();
      st.Bind(1, name);
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        std::string id = st.Text(0);
        if (found.count(id)) continue;
        BULWARK_ASSIGN_OR_RETURN(AdvisoryRecord rec, Read(st));
        found.emplace(std::move(id), std::move(rec));
      }
    }
    std::vector<AdvisoryRecord> out;
    for (auto& [id, rec] : found) out.push_back(std::move(rec));
    return out;
  }

  absl::StatusOr<std::vector<AdvisoryRecord>> ListAll() override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kColumns, " FROM advisories a ORDER BY a.id")));
    std::vector<AdvisoryRecord> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      BULWARK_ASSIGN_OR_RETURN(AdvisoryRecord rec, Read(st));
      out.push_back(std::move(rec));
    }
    return out;
  }

  absl::StatusOr<AdvisoryRecord> Get(std::string_view id) override {
    absl::MutexLock l(&mu_);
    return GetLocked(id);
  }

  absl::Status Withdraw(std::string_view id, absl::Time when, std::string_view json) override {
    absl::MutexLock l(&mu_);
    BULWARK_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
    absl::Status s = [&]() -> absl::Status {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db_.Prepare("UPDATE advisories SET withdrawn=?,json=? WHERE id=?"));
      st.Bind(1, absl::ToUnixMicros(when)).Bind(2, json).Bind(3, id);
      BULWARK_RETURN_IF_ERROR(st.Run());
      if (sqlite3_changes(db_.raw()) == 0) return absl::NotFoundError("advisory not found");
      return BumpLocked();
    }();
    if (!s.ok()) {
      db_.Exec("ROLLBACK").IgnoreError();
      return s;
    }
    return db_.Exec("COMMIT");
  }

  // Asked on every audit request: the statement is prepared once.
  absl::StatusOr<int64_t> Generation() override {
    absl::MutexLock l(&mu_);
    if (!generation_) {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db_.Prepare("SELECT generation FROM advisory_generation WHERE one=1"));
      generation_.emplace(std::move(st));
    }
    generation_->Reset();
    BULWARK_ASSIGN_OR_RETURN(bool row, generation_->Step());
    const int64_t g = row ? generation_->Int(0) : 0;
    generation_->Reset();  // Ends the read, so it holds no snapshot between requests.
    return g;
  }

  absl::StatusOr<AdvisoryCounts> Count() override {
    absl::MutexLock l(&mu_);
    AdvisoryCounts c;
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT count(*), count(withdrawn), "
                             "sum(withdrawn IS NULL AND id LIKE 'MAL-%') FROM advisories"));
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) {
      c.total = st.Int(0);
      c.withdrawn = st.Int(1);
      c.malware = st.IsNull(2) ? 0 : st.Int(2);
    }
    BULWARK_ASSIGN_OR_RETURN(
        Stmt sev, db_.Prepare("SELECT severity, count(*) FROM advisories WHERE withdrawn IS NULL "
                              "GROUP BY severity"));
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool r, sev.Step());
      if (!r) break;
      c.by_severity[sev.Text(0)] = sev.Int(1);
    }
    return c;
  }

 private:
  static absl::StatusOr<AdvisoryRecord> Read(const Stmt& st) {
    AdvisoryRecord r;
    r.id = st.Text(0);
    r.modified = absl::FromUnixMicros(st.Int(1));
    if (!st.IsNull(2)) r.withdrawn = absl::FromUnixMicros(st.Int(2));
    r.severity = st.Text(3);
    r.json = st.Text(4);
    return r;
  }

  absl::StatusOr<AdvisoryRecord> GetLocked(std::string_view id) {
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kColumns, " FROM advisories a WHERE a.id=?")));
    st.Bind(1, id);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError("advisory not found");
    BULWARK_ASSIGN_OR_RETURN(AdvisoryRecord rec, Read(st));
    BULWARK_ASSIGN_OR_RETURN(
        Stmt pk, db_.Prepare("SELECT package FROM advisory_packages WHERE id=? ORDER BY package"));
    pk.Bind(1, id);
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool r, pk.Step());
      if (!r) break;
      rec.packages.push_back(pk.Text(0));
    }
    return rec;
  }

  absl::Status BumpLocked() {
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("UPDATE advisory_generation SET generation=generation+1 WHERE one=1"));
    return st.Run();
  }

  absl::StatusOr<std::vector<UpsertResult>> UpsertLocked(
      const std::vector<AdvisoryRecord>& records) {
    BULWARK_ASSIGN_OR_RETURN(Stmt get,
                             db_.Prepare("SELECT modified,json FROM advisories WHERE id=?"));
    BULWARK_ASSIGN_OR_RETURN(
        Stmt put, db_.Prepare("INSERT OR REPLACE INTO advisories(id,modified,withdrawn,severity,"
                              "json) VALUES(?,?,?,?,?)"));
    BULWARK_ASSIGN_OR_RETURN(Stmt drop, db_.Prepare("DELETE FROM advisory_packages WHERE id=?"));
    BULWARK_ASSIGN_OR_RETURN(
        Stmt link, db_.Prepare("INSERT OR IGNORE INTO advisory_packages(package,id) VALUES(?,?)"));
    std::vector<UpsertResult> out;
    for (const AdvisoryRecord& r : records) {
      if (r.id.empty()) return absl::InvalidArgumentError("advisory without id");
      get.Reset();
      get.Bind(1, r.id);
      BULWARK_ASSIGN_OR_RETURN(bool exists, get.Step());
      UpsertResult result = UpsertResult::kCreated;
      if (exists) {
        // Re-imports of an older copy (a stale mirror, an old archive) must not roll back a
        // correction or a withdrawal.
        if (absl::FromUnixMicros(get.Int(0)) > r.modified) {
          out.push_back(UpsertResult::kStale);
          continue;
        }
        if (get.Text(1) == r.json) {
          out.push_back(UpsertResult::kUnchanged);
          continue;
        }
        result = UpsertResult::kUpdated;
      }
      put.Reset();
      put.Bind(1, r.id).Bind(2, absl::ToUnixMicros(r.modified));
      if (r.withdrawn) {
        put.Bind(3, absl::ToUnixMicros(*r.withdrawn));
      } else {
        put.BindNull(3);
      }
      put.Bind(4, r.severity).Bind(5, r.json);
      BULWARK_RETURN_IF_ERROR(put.Run());
      drop.Reset();
      drop.Bind(1, r.id);
      BULWARK_RETURN_IF_ERROR(drop.Run());
      for (const std::string& p : r.packages) {
        link.Reset();
        link.Bind(1, p).Bind(2, r.id);
        BULWARK_RETURN_IF_ERROR(link.Run());
      }
      out.push_back(result);
    }
    return out;
  }

  absl::Mutex mu_;
  Db db_ ABSL_GUARDED_BY(mu_);
  std::optional<Stmt> generation_ ABSL_GUARDED_BY(mu_);  // Destroyed before db_.
};

}  // namespace

absl::StatusOr<std::unique_ptr<AdvisoryStore>> NewSqliteAdvisoryStore(const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(Db db, Db::Open(path));
  BULWARK_RETURN_IF_ERROR(db.Exec(kSchema));
  return std::unique_ptr<AdvisoryStore>(new SqliteAdvisoryStore(std::move(db)));
}

}  // namespace bulwark
