#pragma once
// The one wrapper around the sqlite3 C API: connections and prepared statements with Status
// errors. SQLITE_BUSY/LOCKED become Unavailable, constraint violations AlreadyExists.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bulwark/base/status.h"

namespace bulwark::sqlite {

class Stmt;

class Db {
 public:
  // Opens (creating) `path` in WAL mode with a busy timeout.
  static absl::StatusOr<Db> Open(const std::string& path);
  Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Db& operator=(Db&&) = delete;
  ~Db();

  absl::Status Exec(const char* sql);
  absl::StatusOr<Stmt> Prepare(std::string_view sql);
  sqlite3* raw() const { return db_; }

 private:
  explicit Db(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

class Stmt {
 public:
  Stmt(Stmt&& o) noexcept : st_(o.st_), db_(o.db_) { o.st_ = nullptr; }
  ~Stmt();

  Stmt& Bind(int i, std::string_view v);
  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, double v);
  Stmt& BindNull(int i);
  Stmt& BindOpt(int i, const std::optional<int64_t>& v) {
    return v ? Bind(i, *v) : BindNull(i);
  }

  // Steps once: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Runs to completion (for statements without rows).
  absl::Status Run();
  // Rewinds the statement and clears its bindings, to run it again with new values.
  void Reset();

  std::string Text(int col) const;
  int64_t Int(int col) const;
  double Double(int col) const;
  bool IsNull(int col) const;

 private:
  friend class Db;
  Stmt(sqlite3_stmt* st, sqlite3* db) : st_(st), db_(db) {}
  sqlite3_stmt* st_;
  sqlite3* db_;
};

absl::Status ErrorFromCode(int rc, sqlite3* db, std::string_view what);

}  // namespace bulwark::sqlite
