// SqliteEmailStore: the mail queue, one-time email secrets, known devices and recovery requests
// in a database file of their own (<data_dir>/email.sqlite3, docs/email.md). One connection
// behind a mutex: every operation is a small single-row statement.

#include "absl/synchronization/mutex.h"
#include "base/strings.h"
#include "bulwark/storage/email_store.h"
#include "storage/sqlite/sqlite.h"

namespace bulwark {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS mail_queue(
  id INTEGER PRIMARY KEY AUTOINCREMENT, sender TEXT NOT NULL, recipient TEXT NOT NULL,
  message TEXT NOT NULL, created INTEGER NOT NULL, next_attempt INTEGER NOT NULL,
  attempts INTEGER NOT NULL, state INTEGER NOT NULL, last_error TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS mail_queue_due ON mail_queue(state, next_attempt);
CREATE TABLE IF NOT EXISTS email_secrets(
  key TEXT PRIMARY KEY, purpose TEXT NOT NULL, user TEXT NOT NULL, code_hash TEXT NOT NULL,
  data TEXT NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL,
  attempts INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS email_secrets_by_user ON email_secrets(user, purpose);
CREATE TABLE IF NOT EXISTS known_devices(
  user TEXT NOT NULL, device_hash TEXT NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY(user, device_hash)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS recovery_requests(
  id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, contact TEXT NOT NULL,
  message TEXT NOT NULL, address TEXT NOT NULL, state INTEGER NOT NULL,
  decided_by TEXT NOT NULL, created INTEGER NOT NULL, decided INTEGER NOT NULL);
)sql";

int64_t Micros(absl::Time t) {
  if (t == absl::InfinitePast()) return INT64_MIN;
  if (t == absl::InfiniteFuture()) return INT64_MAX;
  return absl::ToUnixMicros(t);
}
absl::Time FromMicros(int64_t v) {
  if (v == INT64_MIN) return absl::InfinitePast();
  if (v == INT64_MAX) return absl::InfiniteFuture();
  return absl::FromUnixMicros(v);
}

constexpr char kSecretCols[] = "key,purpose,user,code_hash,data,created,expires,attempts";

EmailSecret ReadSecret(const Stmt& st) {
  EmailSecret s;
  s.key = st.Text(0);
  s.purpose = st.Text(1);
  s.user = st.Text(2);
  s.code_hash = st.Text(3);
  s.data = st.Text(4);
  s.created = FromMicros(st.Int(5));
  s.expires = FromMicros(st.Int(6));
  s.attempts = static_cast<int>(st.Int(7));
  return s;
}

absl::StatusOr<RecoveryRequest> ReadRecovery(const Stmt& st) {
  RecoveryRequest r;
  r.id = st.Int(0);
  r.user = st.Text(1);
  r.contact = st.Text(2);
  r.message = st.Text(3);
  r.address = st.Text(4);
  int64_t state = st.Int(5);
  if (state < 0 || state > 3) return absl::InternalError(StrCat("corrupt recovery state ", state));
  r.state = static_cast<RecoveryState>(state);
  r.decided_by = st.Text(6);
  r.created = FromMicros(st.Int(7));
  r.decided = FromMicros(st.Int(8));
  return r;
}

constexpr char kRecoveryCols[] =
    "id,user,contact,message,address,state,decided_by,created,decided";

class SqliteEmailStore final : public EmailStore {
 public:
  explicit SqliteEmailStore(Db db) : db_(std::move(db)) {}

  absl::StatusOr<int64_t> EnqueueMail(const QueuedMail& m) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO mail_queue(sender,recipient,message,created,"
                             "next_attempt,attempts,state,last_error) VALUES(?,?,?,?,?,?,0,'')"));
    st.Bind(1, m.sender).Bind(2, m.recipient).Bind(3, m.message).Bind(4, Micros(m.created));
    st.Bind(5, Micros(m.next_attempt)).Bind(6, static_cast<int64_t>(m.attempts));
    BULWARK_RETURN_IF_ERROR(st.Run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.raw()));
  }

  absl::StatusOr<std::vector<QueuedMail>> DueMail(absl::Time now, size_t limit) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT id,sender,recipient,message,created,next_attempt,attempts,"
                             "last_error FROM mail_queue WHERE state=0 AND next_attempt<=? "
                             "ORDER BY id LIMIT ?"));
    st.Bind(1, Micros(now)).Bind(2, static_cast<int64_t>(limit));
    std::vector<QueuedMail> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      QueuedMail m;
      m.id = st.Int(0);
      m.sender = st.Text(1);
      m.recipient = st.Text(2);
      m.message = st.Text(3);
      m.created = FromMicros(st.Int(4));
      m.next_attempt = FromMicros(st.Int(5));
      m.attempts = static_cast<int>(st.Int(6));
      m.last_error = st.Text(7);
      out.push_back(std::move(m));
    }
    return out;
  }

  absl::Status FinishAttempt(int64_t id, MailState state, int attempts, absl::Time next,
                             std::string_view error) override {
    absl::MutexLock l(&mu_);
    // A sent message keeps no body: it carried a one-time secret, and the queue is not an
    // archive.
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("UPDATE mail_queue SET state=?, attempts=?, next_attempt=?, "
                             "last_error=?, message=CASE WHEN ?=1 THEN '' ELSE message END "
                             "WHERE id=?"));
    st.Bind(1, static_cast<int64_t>(state)).Bind(2, static_cast<int64_t>(attempts));
    st.Bind(3, Micros(next)).Bind(4, error).Bind(5, static_cast<int64_t>(state)).Bind(6, id);
    return st.Run();
  }

  absl::StatusOr<MailCounts> CountMail() override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             db_.Prepare("SELECT state, count(*) FROM mail_queue GROUP BY state"));
    MailCounts c;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      int64_t n = st.Int(1);
      switch (st.Int(0)) {
        case 0: c.queued = n; break;
        case 1: c.sent = n; break;
        case 2: c.failed = n; break;
        default: break;
      }
    }
    return c;
  }

  absl::Status PutSecret(const EmailSecret& s) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("INSERT OR REPLACE INTO email_secrets(", kSecretCols,
                                    ") VALUES(?,?,?,?,?,?,?,?)")));
    st.Bind(1, s.key).Bind(2, s.purpose).Bind(3, s.user).Bind(4, s.code_hash).Bind(5, s.data);
    st.Bind(6, Micros(s.created)).Bind(7, Micros(s.expires));
    st.Bind(8, static_cast<int64_t>(s.attempts));
    return st.Run();
  }

  absl::StatusOr<EmailSecret> GetSecret(std::string_view key, absl::Time now) override {
    absl::MutexLock l(&mu_);
    return GetLocked(key, now);
  }

  absl::StatusOr<EmailSecret> TakeSecret(std::string_view key, absl::Time now) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(EmailSecret s, GetLocked(key, now));
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("DELETE FROM email_secrets WHERE key=?"));
    st.Bind(1, key);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(db_.raw()) != 1) return absl::NotFoundError("already used");
    return s;
  }

  absl::Status SetSecretAttempts(std::string_view key, int attempts) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st,
                             db_.Prepare("UPDATE email_secrets SET attempts=? WHERE key=?"));
    st.Bind(1, static_cast<int64_t>(attempts)).Bind(2, key);
    return st.Run();
  }

  absl::Status DeleteSecrets(std::string_view user, std::string_view purpose) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("DELETE FROM email_secrets WHERE user=?1 AND (?2='' OR purpose=?2)"));
    st.Bind(1, user).Bind(2, purpose);
    return st.Run();
  }

  absl::StatusOr<std::vector<EmailSecret>> ListSecrets(std::string_view user,
                                                       std::string_view purpose) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kSecretCols, " FROM email_secrets WHERE user=?1 "
                                    "AND (?2='' OR purpose=?2) ORDER BY created")));
    st.Bind(1, user).Bind(2, purpose);
    std::vector<EmailSecret> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(ReadSecret(st));
    }
    return out;
  }

  absl::Status AddDevice(std::string_view user, std::string_view device_hash,
                         absl::Time when) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT OR IGNORE INTO known_devices(user,device_hash,created) "
                             "VALUES(?,?,?)"));
    st.Bind(1, user).Bind(2, device_hash).Bind(3, Micros(when));
    return st.Run();
  }

  absl::StatusOr<bool> HasDevice(std::string_view user, std::string_view device_hash) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("SELECT 1 FROM known_devices WHERE user=? AND device_hash=?"));
    st.Bind(1, user).Bind(2, device_hash);
    return st.Step();
  }

  absl::Status DeleteDevices(std::string_view user) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(Stmt st, db_.Prepare("DELETE FROM known_devices WHERE user=?"));
    st.Bind(1, user);
    return st.Run();
  }

  absl::StatusOr<int64_t> AddRecovery(const RecoveryRequest& r) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("INSERT INTO recovery_requests(user,contact,message,address,state,"
                             "decided_by,created,decided) VALUES(?,?,?,?,?,?,?,?)"));
    st.Bind(1, r.user).Bind(2, r.contact).Bind(3, r.message).Bind(4, r.address);
    st.Bind(5, static_cast<int64_t>(r.state)).Bind(6, r.decided_by);
    st.Bind(7, Micros(r.created)).Bind(8, Micros(r.decided));
    BULWARK_RETURN_IF_ERROR(st.Run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_.raw()));
  }

  absl::StatusOr<RecoveryRequest> GetRecovery(int64_t id) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kRecoveryCols, " FROM recovery_requests "
                                    "WHERE id=?")));
    st.Bind(1, id);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError(StrCat("no recovery request ", id));
    return ReadRecovery(st);
  }

  absl::Status UpdateRecovery(const RecoveryRequest& r) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare("UPDATE recovery_requests SET state=?, decided_by=?, decided=? "
                             "WHERE id=?"));
    st.Bind(1, static_cast<int64_t>(r.state)).Bind(2, r.decided_by);
    st.Bind(3, Micros(r.decided)).Bind(4, r.id);
    BULWARK_RETURN_IF_ERROR(st.Run());
    if (sqlite3_changes(db_.raw()) != 1) {
      return absl::NotFoundError(StrCat("no recovery request ", r.id));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<RecoveryRequest>> ListRecovery(bool open_only) override {
    absl::MutexLock l(&mu_);
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kRecoveryCols, " FROM recovery_requests ",
                                    open_only ? "WHERE state=0 " : "", "ORDER BY id DESC")));
    std::vector<RecoveryRequest> out;
    while (true) {
      BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      BULWARK_ASSIGN_OR_RETURN(RecoveryRequest r, ReadRecovery(st));
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  absl::StatusOr<EmailSecret> GetLocked(std::string_view key, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    BULWARK_ASSIGN_OR_RETURN(
        Stmt st, db_.Prepare(StrCat("SELECT ", kSecretCols, " FROM email_secrets WHERE key=?")));
    st.Bind(1, key);
    BULWARK_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return absl::NotFoundError("unknown or already used");
    EmailSecret s = ReadSecret(st);
    if (s.expires <= now) return absl::NotFoundError("expired");
    return s;
  }

  absl::Mutex mu_;
  Db db_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<EmailStore>> NewSqliteEmailStore(const std::string& path) {
  BULWARK_ASSIGN_OR_RETURN(Db db, Db::Open(path));
  BULWARK_RETURN_IF_ERROR(db.Exec(kSchema));
  return std::make_unique<SqliteEmailStore>(std::move(db));
}

}  // namespace bulwark
