// SqliteProxyStore: the upstream proxy's cache in its own file (<data_dir>/proxy.sqlite3).
// Packuments change in place and can be large, so they are rows replaced by name rather than
// blobs in the content-addressed BlobStore (which would keep every old revision as garbage).
// One connection behind a mutex: proxy writes are rare next to reads served from memory.

#include "absl/synchronization/mutex.h"
#include "base/strings.h"
#include "bulwark/storage/proxy_store.h"
#include "storage/sqlite/sqlite.h"

namespace bulwark {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS proxy_packuments(
  name TEXT PRIMARY KEY, uplink TEXT NOT NULL, etag TEXT NOT NULL, fetched INTEGER NOT NULL,
  body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS proxy_tarballs(
  name TEXT NOT NULL, version TEXT NOT NULL, blob_key TEXT NOT NULL, integrity TEXT NOT NULL,
  size INTEGER NOT NULL, fetched INTEGER NOT NULL, PRIMARY KEY(name, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS proxy_verdicts(
  name TEXT NOT NULL, version TEXT NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL,
  checked INTEGER NOT NULL, PRIMARY KEY(name, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS proxy_confusion(
  name TEXT NOT NULL, uplink TEXT NOT NULL, detail TEXT NOT NULL, first_seen INTEGER NOT NULL,
  PRIMARY KEY(name, uplink)) WITHOUT ROWID;
)sql";

class SqliteProxyStore final : public ProxyStore {
 public:
  explicit SqliteProxyStore(Db db) : db_(std::move(db)) {}

  absl::StatusOr<UpstreamPackument> GetPackument(std::string_view name) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st,
        db_.Prepare("SELECT uplink,etag,fetched,body FROM proxy_packuments WHERE name=?"));
    st.Bind(1, name);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError(StrCat("no cached packument for ", name));
    UpstreamPackument p;
    p.name = std::string(name);
    p.uplink = st.Text(0);
    p.etag = st.Text(1);
    p.fetched = absl::FromUnixMicros(st.Int(2));
    p.body = st.Text(3);
    return p;
  }

  absl::Status PutPackument(const UpstreamPackument& p) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR REPLACE INTO proxy_packuments(name,uplink,etag,fetched,"
                             "body) VALUES(?,?,?,?,?)"));
    st.Bind(1, p.name).Bind(2, p.uplink).Bind(3, p.etag).Bind(4, absl::ToUnixMicros(p.fetched));
    st.Bind(5, p.body);
    return st.Run();
  }

  absl::Status TouchPackument(std::string_view name, absl::Time when) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("UPDATE proxy_packuments SET fetched=? WHERE name=?"));
    st.Bind(1, absl::ToUnixMicros(when)).Bind(2, name);
    return st.Run();
  }

  absl::StatusOr<std::vector<std::string>> ListPackumentNames() override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             db_.Prepare("SELECT name FROM proxy_packuments ORDER BY name"));
    std::vector<std::string> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(st.Text(0));
    }
    return out;
  }

  absl::StatusOr<ProxiedTarball> GetTarball(std::string_view name,
                                            std::string_view version) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT blob_key,integrity,size,fetched FROM proxy_tarballs "
                             "WHERE name=? AND version=?"));
    st.Bind(1, name).Bind(2, version);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError(StrCat("no proxied tarball ", name, "@", version));
    ProxiedTarball t;
    t.name = std::string(name);
    t.version = std::string(version);
    t.blob_key = st.Text(0);
    t.integrity = st.Text(1);
    if (st.Int(2) < 0) return absl::InternalError("proxy_tarballs: negative size");
    t.size = static_cast<uint64_t>(st.Int(2));
    t.fetched = absl::FromUnixMicros(st.Int(3));
    return t;
  }

  absl::Status PutTarball(const ProxiedTarball& t) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR REPLACE INTO proxy_tarballs(name,version,blob_key,"
                             "integrity,size,fetched) VALUES(?,?,?,?,?,?)"));
    st.Bind(1, t.name).Bind(2, t.version).Bind(3, t.blob_key).Bind(4, t.integrity);
    st.Bind(5, static_cast<int64_t>(t.size)).Bind(6, absl::ToUnixMicros(t.fetched));
    return st.Run();
  }

  absl::StatusOr<std::vector<std::string>> ListTarballVersions(std::string_view name) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             db_.Prepare("SELECT version FROM proxy_tarballs WHERE name=?"));
    st.Bind(1, name);
    std::vector<std::string> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(st.Text(0));
    }
    return out;
  }

  absl::StatusOr<ProxyVerdict> GetVerdict(std::string_view name,
                                          std::string_view version) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT action,reason,checked FROM proxy_verdicts "
                             "WHERE name=? AND version=?"));
    st.Bind(1, name).Bind(2, version);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError(StrCat("no verdict for ", name, "@", version));
    ProxyVerdict v;
    v.name = std::string(name);
    v.version = std::string(version);
    v.action = st.Text(0);
    v.reason = st.Text(1);
    v.checked = absl::FromUnixMicros(st.Int(2));
    return v;
  }

  absl::Status PutVerdict(const ProxyVerdict& v) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR REPLACE INTO proxy_verdicts(name,version,action,reason,"
                             "checked) VALUES(?,?,?,?,?)"));
    st.Bind(1, v.name).Bind(2, v.version).Bind(3, v.action).Bind(4, v.reason);
    st.Bind(5, absl::ToUnixMicros(v.checked));
    return st.Run();
  }

  absl::Status ClearVerdicts(std::string_view name) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("DELETE FROM proxy_verdicts WHERE name=?"));
    st.Bind(1, name);
    return st.Run();
  }

  absl::StatusOr<bool> RecordConfusion(std::string_view name, std::string_view uplink,
                                       std::string_view detail, absl::Time when) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR IGNORE INTO proxy_confusion(name,uplink,detail,"
                             "first_seen) VALUES(?,?,?,?)"));
    st.Bind(1, name).Bind(2, uplink).Bind(3, detail).Bind(4, absl::ToUnixMicros(when));
    BULWARK_RETURN_IF_ERROR(st.Run());
    return sqlite3_changes(db_.raw()) > 0;
  }

  absl::Status ClearConfusion(std::string_view name, std::string_view uplink) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("DELETE FROM proxy_confusion WHERE name=? AND uplink=?"));
    st.Bind(1, name).Bind(2, uplink);
    return st.Run();
  }

 private:
  absl::Mutex mu_;
  Db db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProxyStore>> NewSqliteProxyStore(const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(Db db, Db::Open(path));
  BULWARK_RETURN_IF_ERROR(db.Exec(kSchema));
  return std::make_unique<SqliteProxyStore>(std::move(db));
}

}  // namespace bulwark
