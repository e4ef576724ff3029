// SqliteMetadataStore: the embedded default MetadataStore. Tables added after schema version 1
// (popularity, allowed_names, name_findings, user_tfa, tfa_recovery_codes) are created with IF
// NOT EXISTS on open, and later columns (tokens.grants, tokens.last_used, versions.signatures:
// registry signatures, docs/signatures.md) added by AddMissingColumns, so older databases gain
// them without a version bump.
// One writer connection (writes are
// serialised in-process; BEGIN IMMEDIATE also serialises against other processes such as
// `bulwark user add` while the server runs) and a small pool of reader connections, which WAL
// lets run beside the writer.

#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <vector>

#include "base/strings.h"
#include "absl/synchronization/mutex.h"
#include "base/hash.h"
#include "base/json.h"
#include "bulwark/storage/metadata_store.h"
#include "storage/sqlite/sqlite.h"

namespace bulwark {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr int kSchemaVersion = 1;
constexpr int kReaders = 4;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users(
  name TEXT PRIMARY KEY, email TEXT NOT NULL, password_hash TEXT NOT NULL,
  admin INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(
  key TEXT PRIMARY KEY, prefix TEXT NOT NULL, user TEXT NOT NULL, name TEXT NOT NULL,
  readonly INTEGER NOT NULL, cidr TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER,
  grants TEXT NOT NULL DEFAULT '{}', last_used INTEGER);
CREATE INDEX IF NOT EXISTS tokens_by_user ON tokens(user);
CREATE TABLE IF NOT EXISTS packages(
  name TEXT PRIMARY KEY, rev INTEGER NOT NULL, created INTEGER NOT NULL, modified INTEGER NOT NULL,
  restricted INTEGER NOT NULL, dist_tags TEXT NOT NULL, maintainers TEXT NOT NULL,
  stars TEXT NOT NULL, unpublished INTEGER, readme TEXT NOT NULL, readme_filename TEXT NOT NULL,
  description TEXT NOT NULL, keywords TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions(
  package TEXT NOT NULL, version TEXT NOT NULL, manifest TEXT NOT NULL, integrity TEXT NOT NULL,
  shasum TEXT NOT NULL, blob_key TEXT NOT NULL, size INTEGER NOT NULL, published INTEGER NOT NULL,
  deprecated TEXT NOT NULL, unpublished INTEGER, signatures TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY(package, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS login_sessions(
  id TEXT PRIMARY KEY, created INTEGER NOT NULL, user TEXT NOT NULL, secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS popularity(name TEXT PRIMARY KEY, downloads INTEGER NOT NULL)
  WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS downloads(
  package TEXT NOT NULL, day INTEGER NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY(package, day)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS protected_names(
  name TEXT PRIMARY KEY, added_by TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS allowed_names(
  name TEXT PRIMARY KEY, added_by TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS name_findings(
  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, user TEXT NOT NULL,
  verdict TEXT NOT NULL, target TEXT NOT NULL, checks TEXT NOT NULL, score REAL NOT NULL,
  message TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS user_tfa(
  name TEXT PRIMARY KEY, mode INTEGER NOT NULL, pending INTEGER NOT NULL, secret TEXT NOT NULL,
  last_step INTEGER NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tfa_recovery_codes(
  name TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY(name, hash)) WITHOUT ROWID;
)sql";

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t v) { return absl::FromUnixMicros(v); }
std::optional<int64_t> OptMicros(const std::optional<absl::Time>& t) {
  if (!t) return std::nullopt;
  return Micros(*t);
}
std::optional<absl::Time> OptTime(const Stmt& st, int col) {
  if (st.IsNull(col)) return std::nullopt;
  return FromMicros(st.Int(col));
}

std::string StringsToJson(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return ToJson(a);
}
// Rows hold JSON we wrote; anything unparsable is corruption (Internal), not bad input.
absl::StatusOr<json::value> ParseRowJson(const std::string& text) {
  auto v = ParseJson(text);
  if (!v.ok()) return absl::InternalError("corrupt row: " + std::string(v.status().message()));
  return v;
}

absl::StatusOr<std::vector<std::string>> StringsFromJson(const std::string& text) {
  BULWARK_ASSIGN_OR_RETURN(json::value v, ParseRowJson(text));
  std::vector<std::string> out;
  if (!v.is_array()) return absl::InternalError("corrupt row: expected a JSON array");
  for (const auto& e : v.get_array()) {
    if (!e.is_string()) return absl::InternalError("corrupt row: expected strings");
    out.emplace_back(e.get_string());
  }
  return out;
}
std::string MapToJson(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return ToJson(o);
}
absl::StatusOr<std::map<std::string, std::string>> MapFromJson(const std::string& text) {
  BULWARK_ASSIGN_OR_RETURN(json::value v, ParseRowJson(text));
  if (!v.is_object()) return absl::InternalError("corrupt row: expected a JSON object");
  std::map<std::string, std::string> out;
  for (const auto& [k, e] : v.get_object()) {
    if (!e.is_string()) return absl::InternalError("corrupt row: expected string values");
    out.emplace(std::string(k), std::string(e.get_string()));
  }
  return out;
}

// Signatures are stored as a JSON object keyid -> sig (a version has at most one per key).
std::string SignaturesToJson(const std::vector<VersionSignature>& sigs) {
  std::map<std::string, std::string> m;
  for (const auto& s : sigs) m[s.keyid] = s.sig;
  return MapToJson(m);
}
absl::StatusOr<std::vector<VersionSignature>> SignaturesFromJson(const std::string& text) {
  BULWARK_ASSIGN_OR_RETURN(auto m, MapFromJson(text));
  std::vector<VersionSignature> out;
  for (auto& [keyid, sig] : m) out.push_back({keyid, std::move(sig)});
  return out;
}

// users.email_verified: 0 when the address was never proven.
int64_t VerifiedMicros(const UserRecord& u) {
  return u.email_verified == absl::InfinitePast() ? 0 : Micros(u.email_verified);
}

UserRecord ReadUser(const Stmt& st) {
  UserRecord u;
  u.name = st.Text(0);
  u.email = st.Text(1);
  u.password_hash = st.Text(2);
  u.admin = st.Int(3) != 0;
  u.created = FromMicros(st.Int(4));
  u.updated = FromMicros(st.Int(5));
  u.email_verified = st.Int(6) == 0 ? absl::InfinitePast() : FromMicros(st.Int(6));
  return u;
}

absl::StatusOr<TokenRecord> ReadToken(const Stmt& st) {
  TokenRecord t;
  t.key = st.Text(0);
  t.prefix = st.Text(1);
  t.user = st.Text(2);
  t.name = st.Text(3);
  t.readonly = st.Int(4) != 0;
  BULWARK_ASSIGN_OR_RETURN(t.cidr_whitelist, StringsFromJson(st.Text(5)));
  t.created = FromMicros(st.Int(6));
  t.expires = OptTime(st, 7);
  BULWARK_ASSIGN_OR_RETURN(json::value g, ParseRowJson(st.Text(8)));
  if (!g.is_object()) return absl::InternalError("corrupt row: token grants");
  const json::object& o = g.get_object();
  for (auto [key, out] : {std::pair{"packages", &t.packages}, std::pair{"scopes", &t.scopes}}) {
    if (const json::array* a = GetArray(o, key)) {
      for (const auto& e : *a) {
        if (e.is_string()) out->emplace_back(e.get_string());
      }
    }
  }
  t.bypass_2fa = GetBool(o, "bypass_2fa").value_or(false);
  t.description = std::string(GetString(o, "description").value_or(""));
  t.last_used = OptTime(st, 9);
  return t;
}

std::string TokenGrantsJson(const TokenRecord& t) {
  json::array packages, scopes;
  for (const auto& p : t.packages) packages.emplace_back(p);
  for (const auto& s : t.scopes) scopes.emplace_back(s);
  return ToJson(json::object{{"packages", std::move(packages)},
                             {"scopes", std::move(scopes)},
                             {"bypass_2fa", t.bypass_2fa},
                             {"description", t.description}});
}

constexpr char kTokenColumns[] =
    "key,prefix,user,name,readonly,cidr,created,expires,grants,last_used";

// A connection and the lock that guards it.
struct Conn {
  explicit Conn(Db d) : db(std::move(d)) {}
  absl::Mutex mu;
  Db db;
};

class SqliteMetadataStore final : public MetadataStore {
 public:
  SqliteMetadataStore(std::unique_ptr<Conn> writer, std::vector<std::unique_ptr<Conn>> readers)
      : writer_(std::move(writer)), readers_(std::move(readers)) {}

  absl::Status CreateUser(const UserRecord& u) override {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, writer_->db.Prepare("INSERT INTO users(name,email,password_hash,admin,created,"
                                     "updated,email_verified) VALUES(?,?,?,?,?,?,?)"));
    st.Bind(1, u.name).Bind(2, u.email).Bind(3, u.password_hash).Bind(4, int64_t{u.admin});
    st.Bind(5, Micros(u.created)).Bind(6, Micros(u.updated)).Bind(7, VerifiedMicros(u));
    absl::Status s = st.Run();
    if (absl::IsAlreadyExists(s)) return absl::AlreadyExistsError("user already exists");
    return s;
  }

  absl::StatusOr<UserRecord> GetUser(std::string_view name) override {
    return WithReader([&](Db& db) -> absl::StatusOr<UserRecord> {
      BULWARK_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT name,email,password_hash,admin,created,"
                                                   "updated,email_verified FROM users WHERE name=?"));
      st.Bind(1, name);
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return absl::NotFoundError("user not found");
      return ReadUser(st);
    });
  }

  absl::Status UpdateUser(const UserRecord& u) override {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, writer_->db.Prepare(
                                          "UPDATE users SET email=?,password_hash=?,admin=?,"
                                          "updated=?,email_verified=? WHERE name=?"));
    st.Bind(1, u.email).Bind(2, u.password_hash).Bind(3, int64_t{u.admin});
    st.Bind(4, Micros(u.updated)).Bind(5, VerifiedMicros(u)).Bind(6, u.name);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(writer_->db.raw()) == 0) return absl::NotFoundError("user not found");
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<UserRecord>> ListUsers() override {
    return WithReader([&](Db& db) -> absl::StatusOr<std::vector<UserRecord>> {
      BULWARK_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT name,email,password_hash,admin,created,"
                                                   "updated,email_verified FROM users ORDER BY name"));
      std::vector<UserRecord> out;
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        out.push_back(ReadUser(st));
      }
      return out;
    });
  }

  absl::Status CreateToken(const TokenRecord& t) override {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, writer_->db.Prepare(StrCat("INSERT INTO tokens(", kTokenColumns,
                                            ") VALUES(?,?,?,?,?,?,?,?,?,?)")));
    st.Bind(1, t.key).Bind(2, t.prefix).Bind(3, t.user).Bind(4, t.name);
    st.Bind(5, int64_t{t.readonly}).Bind(6, StringsToJson(t.cidr_whitelist));
    st.Bind(7, Micros(t.created)).BindOpt(8, OptMicros(t.expires));
    st.Bind(9, TokenGrantsJson(t)).BindOpt(10, OptMicros(t.last_used));
    return st.Run();
  }

  absl::Status TouchToken(std::string_view key, absl::Time when) override {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             writer_->db.Prepare("UPDATE tokens SET last_used=? WHERE key=?"));
    st.Bind(1, Micros(when)).Bind(2, key);
    return st.Run();
  }

  absl::StatusOr<TokenRecord> GetToken(std::string_view key) override {
    return WithReader([&](Db& db) -> absl::StatusOr<TokenRecord> {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare(StrCat("SELECT ", kTokenColumns, " FROM tokens WHERE key=?")));
      st.Bind(1, key);
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return absl::NotFoundError("token not found");
      return ReadToken(st);
    });
  }

  absl::StatusOr<std::vector<TokenRecord>> ListTokens(std::string_view user) override {
    return WithReader([&](Db& db) -> absl::StatusOr<std::vector<TokenRecord>> {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare(StrCat("SELECT ", kTokenColumns,
                                     " FROM tokens WHERE user=? ORDER BY created, key")));
      st.Bind(1, user);
      std::vector<TokenRecord> out;
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        BULWARK_ASSIGN_OR_RETURN(TokenRecord t, ReadToken(st));
        out.push_back(std::move(t));
      }
      return out;
    });
  }

  absl::Status DeleteToken(std::string_view key) override {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, writer_->db.Prepare("DELETE FROM tokens WHERE key=?"));
    st.Bind(1, key);
    return st.Run();
  }

  absl::StatusOr<TfaRecord> GetTfa(std::string_view user) override {
    return WithReader([&](Db& db) -> absl::StatusOr<TfaRecord> {
      BULWARK_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT name,mode,pending,secret,last_step,"
                                                   "created,updated FROM user_tfa WHERE name=?"));
      st.Bind(1, user);
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return absl::NotFoundError("two-factor authentication is not set up");
      TfaRecord t;
      t.user = st.Text(0);
      int64_t mode = st.Int(1);
      if (mode != static_cast<int64_t>(TfaMode::kAuthOnly) &&
          mode != static_cast<int64_t>(TfaMode::kAuthAndWrites)) {
        return absl::InternalError("corrupt row: unknown two-factor mode");
      }
      t.mode = static_cast<TfaMode>(mode);
      t.pending = st.Int(2) != 0;
      auto secret = HexDecode(st.Text(3));
      if (!secret) return absl::InternalError("corrupt row: two-factor secret is not hex");
      t.sealed_secret = std::move(*secret);
      t.last_step = st.Int(4);
      t.created = FromMicros(st.Int(5));
      t.updated = FromMicros(st.Int(6));
      BULWARK_ASSIGN_OR_RETURN(
          Stmt codes, db.Prepare("SELECT hash FROM tfa_recovery_codes WHERE name=? ORDER BY hash"));
      codes.Bind(1, user);
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool crow, codes.Step());
        if (!crow) break;
        t.recovery_hashes.push_back(codes.Text(0));
      }
      return t;
    });
  }

  absl::Status PutTfa(const TfaRecord& t) override {
    absl::MutexLock l(&writer_->mu);
    Db& db = writer_->db;
    BULWARK_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    absl::Status s = [&]() -> absl::Status {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare("INSERT OR REPLACE INTO user_tfa(name,mode,pending,secret,last_step,"
                              "created,updated) VALUES(?,?,?,?,?,?,?)"));
      st.Bind(1, t.user).Bind(2, static_cast<int64_t>(t.mode)).Bind(3, int64_t{t.pending});
      st.Bind(4, HexEncode(t.sealed_secret)).Bind(5, t.last_step);
      st.Bind(6, Micros(t.created)).Bind(7, Micros(t.updated));
      BULWARK_RETURN_IF_ERROR(st.Run());
      BULWARK_ASSIGN_OR_RETURN(Stmt del,
                               db.Prepare("DELETE FROM tfa_recovery_codes WHERE name=?"));
      BULWARK_RETURN_IF_ERROR(del.Bind(1, t.user).Run());
      BULWARK_ASSIGN_OR_RETURN(
          Stmt ins, db.Prepare("INSERT OR IGNORE INTO tfa_recovery_codes(name,hash) VALUES(?,?)"));
      for (const auto& h : t.recovery_hashes) {
        BULWARK_RETURN_IF_ERROR(ins.Bind(1, t.user).Bind(2, h).Run());
        ins.Reset();
      }
      return absl::OkStatus();
    }();
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) db.Exec("ROLLBACK").IgnoreError();
    return s;
  }

  absl::Status DeleteTfa(std::string_view user) override {
    absl::MutexLock l(&writer_->mu);
    Db& db = writer_->db;
    BULWARK_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    absl::Status s = [&]() -> absl::Status {
      for (const char* sql : {"DELETE FROM user_tfa WHERE name=?",
                              "DELETE FROM tfa_recovery_codes WHERE name=?"}) {
        BULWARK_ASSIGN_OR_RETURN(Stmt st, db.Prepare(sql));
        BULWARK_RETURN_IF_ERROR(st.Bind(1, user).Run());
      }
      return absl::OkStatus();
    }();
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) db.Exec("ROLLBACK").IgnoreError();
    return s;
  }

  absl::Status UseTotpStep(std::string_view user, int64_t step) override {
    absl::MutexLock l(&writer_->mu);
    // One conditional UPDATE: atomic against other connections and processes too.
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, writer_->db.Prepare("UPDATE user_tfa SET last_step=? WHERE name=? AND "
                                     "last_step<?"));
    BULWARK_RETURN_IF_ERROR(st.Bind(1, step).Bind(2, user).Bind(3, step).Run());
    if (sqlite3_changes(writer_->db.raw()) == 1) return absl::OkStatus();
    BULWARK_ASSIGN_OR_RETURN(Stmt q, writer_->db.Prepare("SELECT 1 FROM user_tfa WHERE name=?"));
    q.Bind(1, user);
    BULWARK_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return absl::NotFoundError("two-factor authentication is not set up");
    return absl::FailedPreconditionError("one-time password already used");
  }

  absl::Status UseRecoveryCode(std::string_view user, std::string_view code_hash) override {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, writer_->db.Prepare("DELETE FROM tfa_recovery_codes WHERE name=? AND hash=?"));
    BULWARK_RETURN_IF_ERROR(st.Bind(1, user).Bind(2, code_hash).Run());
    if (sqlite3_changes(writer_->db.raw()) == 0) {
      return absl::NotFoundError("no such unused recovery code");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<PackageRecord> GetPackage(std::string_view name) override {
    return WithReader([&](Db& db) { return ReadPackage(db, name); });
  }

  absl::StatusOr<int64_t> GetPackageRev(std::string_view name) override {
    return WithReader([&](Db& db) -> absl::StatusOr<int64_t> {
      BULWARK_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT rev FROM packages WHERE name=?"));
      st.Bind(1, name);
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      return row ? st.Int(0) : int64_t{0};
    });
  }

  absl::Status CommitPackage(const PackageRecord& next, int64_t expected_rev) override {
    absl::MutexLock l(&writer_->mu);
    Db& db = writer_->db;
    BULWARK_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    absl::Status s = CommitLocked(db, next, expected_rev);
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) db.Exec("ROLLBACK").IgnoreError();
    return s;
  }

  absl::StatusOr<std::vector<std::string>> ListPackagesWithUnsignedVersions() override {
    return WithReader([&](Db& db) -> absl::StatusOr<std::vector<std::string>> {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare("SELECT DISTINCT package FROM versions WHERE signatures='{}' AND "
                              "unpublished IS NULL ORDER BY package"));
      std::vector<std::string> out;
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        out.push_back(st.Text(0));
      }
      return out;
    });
  }

  absl::StatusOr<std::vector<PackageSummary>> ListPackages() override {
    return WithReader([&](Db& db) -> absl::StatusOr<std::vector<PackageSummary>> {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare("SELECT name,rev,dist_tags,description,keywords,maintainers,"
                              "modified,restricted FROM packages WHERE unpublished IS NULL "
                              "ORDER BY name"));
      std::vector<PackageSummary> out;
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        PackageSummary p;
        p.name = st.Text(0);
        p.rev = st.Int(1);
        BULWARK_ASSIGN_OR_RETURN(auto tags, MapFromJson(st.Text(2)));
        if (auto it = tags.find("latest"); it != tags.end()) p.latest = it->second;
        p.description = st.Text(3);
        BULWARK_ASSIGN_OR_RETURN(p.keywords, StringsFromJson(st.Text(4)));
        BULWARK_ASSIGN_OR_RETURN(p.maintainers, StringsFromJson(st.Text(5)));
        p.modified = FromMicros(st.Int(6));
        p.restricted = st.Int(7) != 0;
        out.push_back(std::move(p));
      }
      return out;
    });
  }

  absl::Status CreateLoginSession(const LoginSession& s) override {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, writer_->db.Prepare(
                                          "INSERT INTO login_sessions(id,created,user,secret) "
                                          "VALUES(?,?,?,?)"));
    st.Bind(1, s.id).Bind(2, Micros(s.created)).Bind(3, s.user).Bind(4, s.secret);
    return st.Run();
  }

  absl::StatusOr<LoginSession> GetLoginSession(std::string_view id) override {
    return WithReader([&](Db& db) -> absl::StatusOr<LoginSession> {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare("SELECT id,created,user,secret FROM login_sessions WHERE id=?"));
      st.Bind(1, id);
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return absl::NotFoundError("login session not found");
      LoginSession s;
      s.id = st.Text(0);
      s.created = FromMicros(st.Int(1));
      s.user = st.Text(2);
      s.secret = st.Text(3);
      return s;
    });
  }

  absl::Status UpdateLoginSession(const LoginSession& s) override {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, writer_->db.Prepare("UPDATE login_sessions SET user=?, secret=? WHERE id=?"));
    st.Bind(1, s.user).Bind(2, s.secret).Bind(3, s.id);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(writer_->db.raw()) == 0) {
      return absl::NotFoundError("login session not found");
    }
    return absl::OkStatus();
  }

  absl::Status DeleteLoginSession(std::string_view id) override {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             writer_->db.Prepare("DELETE FROM login_sessions WHERE id=?"));
    st.Bind(1, id);
    return st.Run();
  }

  absl::Status ExpireLoginSessions(absl::Time cutoff) override {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             writer_->db.Prepare("DELETE FROM login_sessions WHERE created<?"));
    st.Bind(1, Micros(cutoff));
    return st.Run();
  }

  absl::Status SetPopularity(const std::vector<PopularityEntry>& entries) override {
    absl::MutexLock l(&writer_->mu);
    Db& db = writer_->db;
    BULWARK_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    absl::Status s = [&]() -> absl::Status {
      BULWARK_RETURN_IF_ERROR(db.Exec("DELETE FROM popularity"));
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare("INSERT OR REPLACE INTO popularity(name,downloads) VALUES(?,?)"));
      for (const auto& e : entries) {
        // SQLite integers are signed; no package has 2^63 downloads, so clamp rather than wrap.
        int64_t downloads = static_cast<int64_t>(
            std::min<uint64_t>(e.downloads, std::numeric_limits<int64_t>::max()));
        st.Bind(1, e.name).Bind(2, downloads);
        BULWARK_RETURN_IF_ERROR(st.Run());
        st.Reset();
      }
      return absl::OkStatus();
    }();
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) db.Exec("ROLLBACK").IgnoreError();
    return s;
  }

  absl::StatusOr<std::vector<PopularityEntry>> ListPopularity() override {
    return WithReader([&](Db& db) -> absl::StatusOr<std::vector<PopularityEntry>> {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare("SELECT name,downloads FROM popularity ORDER BY name"));
      std::vector<PopularityEntry> out;
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        out.push_back({st.Text(0), static_cast<uint64_t>(std::max<int64_t>(0, st.Int(1)))});
      }
      return out;
    });
  }

  absl::Status AddDownloads(int64_t day, const std::vector<PopularityEntry>& counts) override {
    absl::MutexLock l(&writer_->mu);
    Db& db = writer_->db;
    BULWARK_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    absl::Status s = [&]() -> absl::Status {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare("INSERT INTO downloads(package,day,count) VALUES(?,?,?) "
                              "ON CONFLICT(package,day) DO UPDATE SET count=count+excluded.count"));
      for (const auto& c : counts) {
        st.Bind(1, c.name).Bind(2, day).Bind(3, static_cast<int64_t>(c.downloads));
        BULWARK_RETURN_IF_ERROR(st.Run());
        st.Reset();
      }
      return absl::OkStatus();
    }();
    if (s.ok()) s = db.Exec("COMMIT");
    if (!s.ok()) db.Exec("ROLLBACK").IgnoreError();
    return s;
  }

  absl::StatusOr<std::vector<PopularityEntry>> SumDownloads(int64_t since_day) override {
    return WithReader([&](Db& db) -> absl::StatusOr<std::vector<PopularityEntry>> {
      BULWARK_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT package,SUM(count) FROM downloads "
                                                   "WHERE day>=? GROUP BY package ORDER BY package"));
      st.Bind(1, since_day);
      std::vector<PopularityEntry> out;
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        out.push_back({st.Text(0), static_cast<uint64_t>(std::max<int64_t>(0, st.Int(1)))});
      }
      return out;
    });
  }

  absl::StatusOr<std::vector<PopularityEntry>> CountDependents(uint64_t min_count) override {
    return WithReader([&](Db& db) -> absl::StatusOr<std::vector<PopularityEntry>> {
      // The latest version of each live package, and the names in its dependencies. A package
      // counts once per dependency however the range is written; bad JSON rows are skipped by
      // json_valid rather than failing the whole count.
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st,
          db.Prepare("SELECT d.key, COUNT(DISTINCT p.name) FROM packages p JOIN versions v ON "
                     "v.package=p.name AND v.version=json_extract(p.dist_tags,'$.latest') AND "
                     "v.unpublished IS NULL, json_each(v.manifest,'$.dependencies') d WHERE "
                     "p.unpublished IS NULL AND json_valid(v.manifest) AND d.key<>p.name "
                     "GROUP BY d.key HAVING COUNT(DISTINCT p.name)>=? ORDER BY d.key"));
      st.Bind(1, static_cast<int64_t>(min_count));
      std::vector<PopularityEntry> out;
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        out.push_back({st.Text(0), static_cast<uint64_t>(std::max<int64_t>(0, st.Int(1)))});
      }
      return out;
    });
  }

  absl::Status AddProtectedName(const ProtectedName& p) override {
    return AddListedName("protected_names", p.name, p.added_by, p.created);
  }
  absl::Status RemoveProtectedName(std::string_view name) override {
    return RemoveListedName("protected_names", name, " is not a protected name");
  }
  absl::StatusOr<std::vector<ProtectedName>> ListProtectedNames() override {
    return ListListedNames<ProtectedName>("protected_names");
  }

  absl::Status AddAllowedName(const AllowedName& a) override {
    return AddListedName("allowed_names", a.name, a.added_by, a.created);
  }
  absl::Status RemoveAllowedName(std::string_view name) override {
    return RemoveListedName("allowed_names", name, " is not on the allow-list");
  }
  absl::StatusOr<std::vector<AllowedName>> ListAllowedNames() override {
    return ListListedNames<AllowedName>("allowed_names");
  }

  absl::Status RecordNameFinding(const NameFinding& f) override {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, writer_->db.Prepare("INSERT INTO name_findings(name,user,verdict,target,checks,"
                                     "score,message,created) VALUES(?,?,?,?,?,?,?,?)"));
    st.Bind(1, f.name).Bind(2, f.user).Bind(3, f.verdict).Bind(4, f.target);
    st.Bind(5, StringsToJson(f.checks)).Bind(6, f.score).Bind(7, f.message);
    st.Bind(8, Micros(f.created));
    return st.Run();
  }

  absl::StatusOr<std::vector<NameFinding>> ListNameFindings() override {
    return WithReader([&](Db& db) -> absl::StatusOr<std::vector<NameFinding>> {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare("SELECT id,name,user,verdict,target,checks,score,message,created "
                              "FROM name_findings ORDER BY id"));
      std::vector<NameFinding> out;
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        NameFinding f;
        f.id = st.Int(0);
        f.name = st.Text(1);
        f.user = st.Text(2);
        f.verdict = st.Text(3);
        f.target = st.Text(4);
        BULWARK_ASSIGN_OR_RETURN(f.checks, StringsFromJson(st.Text(5)));
        f.score = st.Double(6);
        f.message = st.Text(7);
        f.created = FromMicros(st.Int(8));
        out.push_back(std::move(f));
      }
      return out;
    });
  }

 private:
  // The name lists (allowed_names, protected_names) share one shape: name, added_by, created.
  // `table` is always one of our literal table names, never input.
  absl::Status AddListedName(std::string_view table, const std::string& name,
                             const std::string& added_by, absl::Time created) {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, writer_->db.Prepare(StrCat("INSERT OR IGNORE INTO ", table,
                                            "(name,added_by,created) VALUES(?,?,?)")));
    st.Bind(1, name).Bind(2, added_by).Bind(3, Micros(created));
    return st.Run();
  }

  absl::Status RemoveListedName(std::string_view table, std::string_view name,
                                std::string_view not_found) {
    absl::MutexLock l(&writer_->mu);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             writer_->db.Prepare(StrCat("DELETE FROM ", table, " WHERE name=?")));
    st.Bind(1, name);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(writer_->db.raw()) == 0) {
      return absl::NotFoundError(StrCat(name, not_found));
    }
    return absl::OkStatus();
  }

  template <typename Row>
  absl::StatusOr<std::vector<Row>> ListListedNames(std::string_view table) {
    return WithReader([&](Db& db) -> absl::StatusOr<std::vector<Row>> {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare(StrCat("SELECT name,added_by,created FROM ", table, " ORDER BY name")));
      std::vector<Row> out;
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        out.push_back({st.Text(0), st.Text(1), FromMicros(st.Int(2))});
      }
      return out;
    });
  }

  template <typename F>
  auto WithReader(F&& f) -> decltype(f(std::declval<Db&>())) {
    // Try each reader without blocking, then wait on one chosen round-robin.
    for (auto& c : readers_) {
      if (c->mu.TryLock()) {
        auto r = f(c->db);
        c->mu.Unlock();
        return r;
      }
    }
    Conn& c = *readers_[next_reader_.fetch_add(1) % readers_.size()];
    absl::MutexLock l(&c.mu);
    return f(c.db);
  }

  static absl::StatusOr<PackageRecord> ReadPackage(Db& db, std::string_view name) {
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db.Prepare("SELECT name,rev,created,modified,restricted,dist_tags,maintainers,"
                            "stars,unpublished,readme,readme_filename,description,keywords "
                            "FROM packages WHERE name=?"));
    st.Bind(1, name);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError("package not found");
    PackageRecord p;
    p.name = st.Text(0);
    p.rev = st.Int(1);
    p.created = FromMicros(st.Int(2));
    p.modified = FromMicros(st.Int(3));
    p.restricted = st.Int(4) != 0;
    BULWARK_ASSIGN_OR_RETURN(p.dist_tags, MapFromJson(st.Text(5)));
    BULWARK_ASSIGN_OR_RETURN(p.maintainers, StringsFromJson(st.Text(6)));
    BULWARK_ASSIGN_OR_RETURN(auto stars, StringsFromJson(st.Text(7)));
    p.stars.insert(stars.begin(), stars.end());
    p.unpublished = OptTime(st, 8);
    p.readme = st.Text(9);
    p.readme_filename = st.Text(10);
    p.description = st.Text(11);
    BULWARK_ASSIGN_OR_RETURN(p.keywords, StringsFromJson(st.Text(12)));

    BULWARK_ASSIGN_OR_RETURN(
        Stmt vs, db.Prepare("SELECT version,manifest,integrity,shasum,blob_key,size,published,"
                            "deprecated,unpublished,signatures FROM versions WHERE package=?"));
    vs.Bind(1, name);
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool vrow, vs.Step());
      if (!vrow) break;
      VersionRecord v;
      v.version = vs.Text(0);
      v.manifest_json = vs.Text(1);
      v.integrity = vs.Text(2);
      v.shasum = vs.Text(3);
      v.blob_key = vs.Text(4);
      v.size = static_cast<uint64_t>(vs.Int(5));
      v.published = FromMicros(vs.Int(6));
      v.deprecated = vs.Text(7);
      v.unpublished = OptTime(vs, 8);
      BULWARK_ASSIGN_OR_RETURN(v.signatures, SignaturesFromJson(vs.Text(9)));
      p.versions.emplace(v.version, std::move(v));
    }
    return p;
  }

  static absl::Status CommitLocked(Db& db, const PackageRecord& next, int64_t expected_rev) {
    // Optimistic concurrency: the caller read `expected_rev`; anything else means a concurrent
    // writer got there first and the caller must re-read and re-apply its change.
    int64_t stored_rev = 0;
    {
      BULWARK_ASSIGN_OR_RETURN(Stmt st, db.Prepare("SELECT rev FROM packages WHERE name=?"));
      st.Bind(1, next.name);
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (row) stored_rev = st.Int(0);
    }
    if (stored_rev != expected_rev) {
      return absl::AbortedError(StrCat("package ", next.name, " changed concurrently"));
    }
    {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st,
          db.Prepare("INSERT OR REPLACE INTO packages(name,rev,created,modified,restricted,"
                     "dist_tags,maintainers,stars,unpublished,readme,readme_filename,description,"
                     "keywords) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"));
      st.Bind(1, next.name).Bind(2, expected_rev + 1).Bind(3, Micros(next.created));
      st.Bind(4, Micros(next.modified)).Bind(5, int64_t{next.restricted});
      st.Bind(6, MapToJson(next.dist_tags)).Bind(7, StringsToJson(next.maintainers));
      st.Bind(8, StringsToJson({next.stars.begin(), next.stars.end()}));
      st.BindOpt(9, OptMicros(next.unpublished)).Bind(10, next.readme);
      st.Bind(11, next.readme_filename).Bind(12, next.description);
      st.Bind(13, StringsToJson(next.keywords));
      BULWARK_RETURN_IF_ERROR(st.Run());
    }
    // Manifests are immutable once written; only deprecation and unpublish marks change. Write
    // new rows and changed marks, so a package with thousands of versions commits cheaply.
    struct Marks {
      std::string deprecated;
      std::optional<int64_t> unpublished;
      std::string signatures;
    };
    std::map<std::string, Marks> stored;
    {
      BULWARK_ASSIGN_OR_RETURN(
          Stmt st, db.Prepare("SELECT version,deprecated,unpublished,signatures FROM versions "
                              "WHERE package=?"));
      st.Bind(1, next.name);
      while (true) {
        BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        std::optional<int64_t> un;
        if (!st.IsNull(2)) un = st.Int(2);
        stored.emplace(st.Text(0), Marks{st.Text(1), un, st.Text(3)});
      }
    }
    for (const auto& [ver, v] : next.versions) {
      auto it = stored.find(ver);
      if (it == stored.end()) {
        BULWARK_ASSIGN_OR_RETURN(
            Stmt st, db.Prepare("INSERT INTO versions(package,version,manifest,integrity,shasum,"
                                "blob_key,size,published,deprecated,unpublished,signatures) "
                                "VALUES(?,?,?,?,?,?,?,?,?,?,?)"));
        st.Bind(1, next.name).Bind(2, ver).Bind(3, v.manifest_json).Bind(4, v.integrity);
        st.Bind(5, v.shasum).Bind(6, v.blob_key).Bind(7, static_cast<int64_t>(v.size));
        st.Bind(8, Micros(v.published)).Bind(9, v.deprecated).BindOpt(10, OptMicros(v.unpublished));
        st.Bind(11, SignaturesToJson(v.signatures));
        BULWARK_RETURN_IF_ERROR(st.Run());
      } else if (it->second.deprecated != v.deprecated ||
                 it->second.unpublished != OptMicros(v.unpublished) ||
                 it->second.signatures != SignaturesToJson(v.signatures)) {
        BULWARK_ASSIGN_OR_RETURN(
            Stmt st, db.Prepare("UPDATE versions SET deprecated=?, unpublished=?, signatures=? "
                                "WHERE package=? AND version=?"));
        st.Bind(1, v.deprecated).BindOpt(2, OptMicros(v.unpublished));
        st.Bind(3, SignaturesToJson(v.signatures)).Bind(4, next.name).Bind(5, ver);
        BULWARK_RETURN_IF_ERROR(st.Run());
      }
    }
    // Version rows are never deleted: an unpublished number stays reserved.
    for (const auto& [ver, _] : stored) {
      if (!next.versions.count(ver)) {
        return absl::InternalError("commit would drop version row " + ver);
      }
    }
    return absl::OkStatus();
  }

  std::unique_ptr<Conn> writer_;
  std::vector<std::unique_ptr<Conn>> readers_;
  std::atomic<size_t> next_reader_{0};
};

// Columns added after schema version 1, added to older databases on open.
absl::Status AddMissingColumns(Db& db) {
  struct Column {
    const char* table;
    const char* name;
    const char* decl;
  };
  static constexpr Column kAdded[] = {
      {"tokens", "grants", "TEXT NOT NULL DEFAULT '{}'"},
      {"tokens", "last_used", "INTEGER"},
      {"versions", "signatures", "TEXT NOT NULL DEFAULT '{}'"},  // registry signatures
      {"users", "email_verified", "INTEGER NOT NULL DEFAULT 0"},   // 0: not verified
  };
  for (const Column& c : kAdded) {
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db.Prepare(StrCat("SELECT count(*) FROM pragma_table_info('",
                                                        c.table, "') WHERE name=?")));
    st.Bind(1, std::string_view(c.name));
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row && st.Int(0) > 0) continue;
    BULWARK_RETURN_IF_ERROR(
        db.Exec(StrCat("ALTER TABLE ", c.table, " ADD COLUMN ", c.name, " ", c.decl).c_str()));
  }
  return absl::OkStatus();
}

absl::Status Migrate(Db& db) {
  BULWARK_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  absl::Status s = db.Exec(kSchema);
  if (s.ok()) s = AddMissingColumns(db);
  if (s.ok()) {
    auto st = db.Prepare("SELECT value FROM meta WHERE key='schema_version'");
    if (!st.ok()) {
      s = st.status();
    } else {
      auto row = st->Step();
      if (!row.ok()) {
        s = row.status();
      } else if (*row && st->Text(0) != std::to_string(kSchemaVersion)) {
        s = absl::FailedPreconditionError("database schema version " + st->Text(0) +
                                          " is not supported by this build");
      } else if (!*row) {
        auto ins = db.Prepare("INSERT INTO meta(key,value) VALUES('schema_version',?)");
        s = ins.ok() ? ins->Bind(1, std::to_string(kSchemaVersion)).Run() : ins.status();
      }
    }
  }
  if (s.ok()) return db.Exec("COMMIT");
  db.Exec("ROLLBACK").IgnoreError();
  return s;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetadataStore>> NewSqliteMetadataStore(const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(Db writer, Db::Open(path));
  BULWARK_RETURN_IF_ERROR(Migrate(writer));
  std::vector<std::unique_ptr<Conn>> readers;
  for (int i = 0; i < kReaders; ++i) {
    BULWARK_ASSIGN_OR_RETURN(Db r, Db::Open(path));
    readers.push_back(std::make_unique<Conn>(std::move(r)));
  }
  return std::make_unique<SqliteMetadataStore>(std::make_unique<Conn>(std::move(writer)),
                                               std::move(readers));
}

}  // namespace bulwark
