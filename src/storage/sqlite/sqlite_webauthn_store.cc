// SqliteWebAuthnStore: security keys, challenges, web-2FA approvals and browser sessions in
// tables of their own, on a connection of their own (WAL lets it run beside the metadata
// store's). Binary values (credential ids, keys, challenges) are stored as hex.

#include "absl/synchronization/mutex.h"
#include "base/hash.h"
#include "base/strings.h"
#include "bulwark/storage/webauthn_store.h"
#include "storage/sqlite/sqlite.h"

namespace bulwark {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS webauthn_keys(
  id TEXT PRIMARY KEY, user TEXT NOT NULL, name TEXT NOT NULL, public_key TEXT NOT NULL,
  alg INTEGER NOT NULL, sign_count INTEGER NOT NULL, aaguid TEXT NOT NULL,
  attestation TEXT NOT NULL, backup_eligible INTEGER NOT NULL, backup_state INTEGER NOT NULL,
  user_verified INTEGER NOT NULL, created INTEGER NOT NULL, last_used INTEGER) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS webauthn_keys_by_user ON webauthn_keys(user);
CREATE TABLE IF NOT EXISTS webauthn_challenges(
  id TEXT PRIMARY KEY, user TEXT NOT NULL, purpose INTEGER NOT NULL, challenge TEXT NOT NULL,
  context TEXT NOT NULL, data TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS web_otp_sessions(
  id TEXT PRIMARY KEY, user TEXT NOT NULL, action TEXT NOT NULL, created INTEGER NOT NULL,
  approved INTEGER NOT NULL, token_hash TEXT NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS web_otp_by_token ON web_otp_sessions(token_hash);
CREATE TABLE IF NOT EXISTS web_sessions(
  id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, created INTEGER NOT NULL,
  expires INTEGER NOT NULL) WITHOUT ROWID;
)sql";

constexpr char kKeyColumns[] =
    "id,user,name,public_key,alg,sign_count,aaguid,attestation,backup_eligible,backup_state,"
    "user_verified,created,last_used";

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }
absl::Time FromMicros(int64_t v) { return absl::FromUnixMicros(v); }

absl::StatusOr<std::string> Unhex(const std::string& hex, std::string_view what) {
  auto v = HexDecode(hex);
  if (!v) return absl::InternalError(StrCat("corrupt ", what, " in webauthn tables"));
  return *v;
}

absl::StatusOr<SecurityKeyRecord> ReadKey(const Stmt& st) {
  SecurityKeyRecord k;
  BULWARK_ASSIGN_OR_RETURN(k.id, Unhex(st.Text(0), "credential id"));
  k.user = st.Text(1);
  k.name = st.Text(2);
  BULWARK_ASSIGN_OR_RETURN(k.public_key, Unhex(st.Text(3), "public key"));
  k.alg = static_cast<int>(st.Int(4));
  int64_t count = st.Int(5);
  if (count < 0 || count > UINT32_MAX) return absl::InternalError("corrupt signature counter");
  k.sign_count = static_cast<uint32_t>(count);
  BULWARK_ASSIGN_OR_RETURN(k.aaguid, Unhex(st.Text(6), "aaguid"));
  k.attestation = st.Text(7);
  k.backup_eligible = st.Int(8) != 0;
  k.backup_state = st.Int(9) != 0;
  k.user_verified = st.Int(10) != 0;
  k.created = FromMicros(st.Int(11));
  if (!st.IsNull(12)) k.last_used = FromMicros(st.Int(12));
  return k;
}

WebOtpSession ReadOtp(const Stmt& st) {
  WebOtpSession s;
  s.id = st.Text(0);
  s.user = st.Text(1);
  s.action = st.Text(2);
  s.created = FromMicros(st.Int(3));
  s.approved = st.Int(4) != 0;
  s.token_hash = st.Text(5);
  s.used = st.Int(6) != 0;
  return s;
}

class SqliteWebAuthnStore final : public WebAuthnStore {
 public:
  explicit SqliteWebAuthnStore(Db db) : db_(std::move(db)) {}

  absl::Status AddKey(const SecurityKeyRecord& k) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("INSERT INTO webauthn_keys(", kKeyColumns,
                                    ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)")));
    st.Bind(1, HexEncode(k.id)).Bind(2, k.user).Bind(3, k.name).Bind(4, HexEncode(k.public_key));
    st.Bind(5, int64_t{k.alg}).Bind(6, int64_t{k.sign_count}).Bind(7, HexEncode(k.aaguid));
    st.Bind(8, k.attestation).Bind(9, int64_t{k.backup_eligible});
    st.Bind(10, int64_t{k.backup_state}).Bind(11, int64_t{k.user_verified});
    st.Bind(12, Micros(k.created));
    st.BindOpt(13, k.last_used ? std::optional<int64_t>(Micros(*k.last_used)) : std::nullopt);
    absl::Status s = st.Run();
    if (absl::IsAlreadyExists(s)) {
      return absl::AlreadyExistsError("this security key is already registered");
    }
    return s;
  }

  absl::StatusOr<SecurityKeyRecord> GetKey(std::string_view id) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kKeyColumns, " FROM webauthn_keys WHERE id=?")));
    st.Bind(1, HexEncode(id));
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError("no such security key");
    return ReadKey(st);
  }

  absl::StatusOr<std::vector<SecurityKeyRecord>> ListKeys(std::string_view user) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kKeyColumns,
                                    " FROM webauthn_keys WHERE user=? ORDER BY created, id")));
    st.Bind(1, user);
    std::vector<SecurityKeyRecord> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      BULWARK_ASSIGN_OR_RETURN(SecurityKeyRecord k, ReadKey(st));
      out.push_back(std::move(k));
    }
    return out;
  }

  absl::StatusOr<int64_t> CountKeys(std::string_view user) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             db_.Prepare("SELECT count(*) FROM webauthn_keys WHERE user=?"));
    st.Bind(1, user);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? st.Int(0) : 0;
  }

  absl::Status RecordKeyUse(std::string_view id, uint32_t old_count, uint32_t new_count,
                            bool backup_state, absl::Time when) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("UPDATE webauthn_keys SET sign_count=?, backup_state=?, "
                             "last_used=? WHERE id=? AND sign_count=?"));
    st.Bind(1, int64_t{new_count}).Bind(2, int64_t{backup_state}).Bind(3, Micros(when));
    st.Bind(4, HexEncode(id)).Bind(5, int64_t{old_count});
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(db_.raw()) == 0) {
      return absl::FailedPreconditionError("the security key was used concurrently");
    }
    return absl::OkStatus();
  }

  absl::Status RenameKey(std::string_view user, std::string_view id,
                         std::string_view name) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             db_.Prepare("UPDATE webauthn_keys SET name=? WHERE id=? AND user=?"));
    st.Bind(1, name).Bind(2, HexEncode(id)).Bind(3, user);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(db_.raw()) == 0) return absl::NotFoundError("no such security key");
    return absl::OkStatus();
  }

  absl::Status DeleteKey(std::string_view user, std::string_view id) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             db_.Prepare("DELETE FROM webauthn_keys WHERE id=? AND user=?"));
    st.Bind(1, HexEncode(id)).Bind(2, user);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(db_.raw()) == 0) return absl::NotFoundError("no such security key");
    return absl::OkStatus();
  }

  absl::Status PutChallenge(const WebAuthnChallenge& c, absl::Time now) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt sweep,
                             db_.Prepare("DELETE FROM webauthn_challenges WHERE expires<=?"));
    sweep.Bind(1, Micros(now));
    BULWARK_RETURN_IF_ERROR(sweep.Run());
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO webauthn_challenges(id,user,purpose,challenge,context,"
                             "data,expires) VALUES(?,?,?,?,?,?,?)"));
    st.Bind(1, c.id).Bind(2, c.user).Bind(3, int64_t{static_cast<int>(c.purpose)});
    st.Bind(4, HexEncode(c.challenge)).Bind(5, c.context).Bind(6, c.data);
    st.Bind(7, Micros(c.expires));
    return st.Run();
  }

  absl::StatusOr<WebAuthnChallenge> TakeChallenge(std::string_view id, absl::Time now) override {
    absl::MutexLock l(&mu_);
    // DELETE ... RETURNING: read and spend in one statement, so a handle works once.
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("DELETE FROM webauthn_challenges WHERE id=? RETURNING user,purpose,"
                             "challenge,context,data,expires"));
    st.Bind(1, id);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError("unknown or used challenge");
    WebAuthnChallenge c;
    c.id = std::string(id);
    c.user = st.Text(0);
    c.purpose = static_cast<ChallengePurpose>(st.Int(1));
    BULWARK_ASSIGN_OR_RETURN(c.challenge, Unhex(st.Text(2), "challenge"));
    c.context = st.Text(3);
    c.data = st.Text(4);
    c.expires = FromMicros(st.Int(5));
    while (true) {  // Finish the statement so the delete is complete.
      BULWARK_ASSIGN_OR_RETURN(bool more, st.Step());
      if (!more) break;
    }
    if (c.expires <= now) return absl::NotFoundError("challenge expired");
    return c;
  }

  absl::Status CreateWebOtp(const WebOtpSession& s, absl::Time older_than) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt sweep,
                             db_.Prepare("DELETE FROM web_otp_sessions WHERE created<?"));
    sweep.Bind(1, Micros(older_than));
    BULWARK_RETURN_IF_ERROR(sweep.Run());
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO web_otp_sessions(id,user,action,created,approved,"
                             "token_hash,used) VALUES(?,?,?,?,?,?,?)"));
    st.Bind(1, s.id).Bind(2, s.user).Bind(3, s.action).Bind(4, Micros(s.created));
    st.Bind(5, int64_t{s.approved}).Bind(6, s.token_hash).Bind(7, int64_t{s.used});
    return st.Run();
  }

  absl::StatusOr<WebOtpSession> GetWebOtp(std::string_view id) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT id,user,action,created,approved,token_hash,used FROM "
                             "web_otp_sessions WHERE id=?"));
    st.Bind(1, id);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError("unknown two-factor request");
    return ReadOtp(st);
  }

  absl::Status ApproveWebOtp(std::string_view id) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             db_.Prepare("UPDATE web_otp_sessions SET approved=1 WHERE id=?"));
    st.Bind(1, id);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(db_.raw()) == 0) return absl::NotFoundError("unknown two-factor request");
    return absl::OkStatus();
  }

  absl::Status SetWebOtpToken(std::string_view id, std::string_view token_hash) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("UPDATE web_otp_sessions SET token_hash=? WHERE id=? AND "
                             "approved=1 AND token_hash=''"));
    st.Bind(1, token_hash).Bind(2, id);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(db_.raw()) == 0) {
      return absl::FailedPreconditionError("the token was already handed out");
    }
    return absl::OkStatus();
  }

  absl::Status UseWebOtpToken(std::string_view user, std::string_view token_hash,
                              absl::Time created_after) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("UPDATE web_otp_sessions SET used=1 WHERE token_hash=? AND "
                             "token_hash<>'' AND user=? AND used=0 AND created>?"));
    st.Bind(1, token_hash).Bind(2, user).Bind(3, Micros(created_after));
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(db_.raw()) == 0) return absl::NotFoundError("unknown or used token");
    return absl::OkStatus();
  }

  absl::Status CreateWebSession(const WebSession& s) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt sweep, db_.Prepare("DELETE FROM web_sessions WHERE expires<=?"));
    sweep.Bind(1, Micros(s.created));
    BULWARK_RETURN_IF_ERROR(sweep.Run());
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st,
        db_.Prepare("INSERT INTO web_sessions(id_hash,user,created,expires) VALUES(?,?,?,?)"));
    st.Bind(1, s.id_hash).Bind(2, s.user).Bind(3, Micros(s.created)).Bind(4, Micros(s.expires));
    return st.Run();
  }

  absl::StatusOr<WebSession> GetWebSession(std::string_view id_hash, absl::Time now) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT user,created,expires FROM web_sessions WHERE id_hash=?"));
    st.Bind(1, id_hash);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError("not signed in");
    WebSession s;
    s.id_hash = std::string(id_hash);
    s.user = st.Text(0);
    s.created = FromMicros(st.Int(1));
    s.expires = FromMicros(st.Int(2));
    if (s.expires <= now) return absl::NotFoundError("session expired");
    return s;
  }

  absl::Status DeleteWebSession(std::string_view id_hash) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("DELETE FROM web_sessions WHERE id_hash=?"));
    st.Bind(1, id_hash);
    return st.Run();
  }

  absl::Status DeleteWebSessionsOf(std::string_view user) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("DELETE FROM web_sessions WHERE user=?"));
    st.Bind(1, user);
    return st.Run();
  }

 private:
  absl::Mutex mu_;
  Db db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<WebAuthnStore>> NewSqliteWebAuthnStore(const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(Db db, Db::Open(path));
  BULWARK_RETURN_IF_ERROR(db.Exec(kSchema));
  return std::unique_ptr<WebAuthnStore>(new SqliteWebAuthnStore(std::move(db)));
}

}  // namespace bulwark
