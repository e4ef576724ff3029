// SqliteTrustStore: trusted-publishing configurations and used OIDC token ids, in tables of
// their own on a connection of their own.

#include "absl/synchronization/mutex.h"
#include "base/strings.h"
#include "bulwark/storage/trust_store.h"
#include "storage/sqlite/sqlite.h"

namespace bulwark {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS trust_configs(
  id TEXT PRIMARY KEY, package TEXT NOT NULL, type TEXT NOT NULL, claims TEXT NOT NULL,
  permissions TEXT NOT NULL, created_by TEXT NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trust_configs_by_package ON trust_configs(package);
CREATE TABLE IF NOT EXISTS oidc_used_jtis(
  issuer TEXT NOT NULL, jti TEXT NOT NULL, expires INTEGER NOT NULL,
  PRIMARY KEY(issuer, jti)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS oidc_used_jtis_by_expiry ON oidc_used_jtis(expires);
)sql";

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

class SqliteTrustStore final : public TrustStore {
 public:
  explicit SqliteTrustStore(Db db) : db_(std::move(db)) {}

  absl::Status AddTrustConfig(const TrustConfigRecord& r) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO trust_configs(id,package,type,claims,permissions,"
                             "created_by,created) VALUES(?,?,?,?,?,?,?)"));
    st.Bind(1, r.id).Bind(2, r.package).Bind(3, r.type).Bind(4, r.claims);
    st.Bind(5, StrJoin(r.permissions, ",")).Bind(6, r.created_by).Bind(7, Micros(r.created));
    return st.Run();
  }

  absl::StatusOr<std::vector<TrustConfigRecord>> ListTrustConfigs(
      std::string_view package) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT id,package,type,claims,permissions,created_by,created FROM "
                             "trust_configs WHERE package=? ORDER BY created, id"));
    st.Bind(1, package);
    std::vector<TrustConfigRecord> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      TrustConfigRecord r;
      r.id = st.Text(0);
      r.package = st.Text(1);
      r.type = st.Text(2);
      r.claims = st.Text(3);
      const std::string permissions = st.Text(4);
      for (std::string_view p : StrSplit(permissions, ',')) {
        if (!p.empty()) r.permissions.emplace_back(p);
      }
      r.created_by = st.Text(5);
      r.created = absl::FromUnixMicros(st.Int(6));
      out.push_back(std::move(r));
    }
    return out;
  }

  absl::Status DeleteTrustConfig(std::string_view package, std::string_view id) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             db_.Prepare("DELETE FROM trust_configs WHERE package=? AND id=?"));
    st.Bind(1, package).Bind(2, id);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(db_.raw()) == 0) {
      return absl::NotFoundError(StrCat("no trust configuration ", id, " for ", package));
    }
    return absl::OkStatus();
  }

  absl::Status UseTokenId(std::string_view issuer, std::string_view jti, absl::Time expires,
                          absl::Time now) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt prune, db_.Prepare("DELETE FROM oidc_used_jtis WHERE expires<?"));
    prune.Bind(1, Micros(now));
    BULWARK_RETURN_IF_ERROR(prune.Run());
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO oidc_used_jtis(issuer,jti,expires) VALUES(?,?,?)"));
    st.Bind(1, issuer).Bind(2, jti).Bind(3, Micros(expires));
    absl::Status s = st.Run();
    if (absl::IsAlreadyExists(s)) {
      return absl::AlreadyExistsError("this OIDC token was already exchanged (replay)");
    }
    return s;
  }

 private:
  absl::Mutex mu_;
  Db db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<TrustStore>> NewSqliteTrustStore(const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(Db db, Db::Open(path));
  BULWARK_RETURN_IF_ERROR(db.Exec(kSchema));
  return std::unique_ptr<TrustStore>(new SqliteTrustStore(std::move(db)));
}

}  // namespace bulwark
