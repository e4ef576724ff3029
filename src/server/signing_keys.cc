#include "server/signing_keys.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/hash.h"
#include "base/json.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/time_format.h"

namespace bulwark {
namespace {

constexpr char kManifest[] = "keys.json";
constexpr char kLock[] = "keys.lock";
constexpr size_t kMaxFileBytes = 1 << 20;  // A PEM key is ~250 bytes; keys.json a line per key.

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::UnavailableError(StrCat(what, " ", path, ": ", std::strerror(errno)));
}

std::string Mode(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

void SyncDir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

// Group- or world-writable directory or keys.json: someone else could swap the keys.
absl::Status CheckNotWritableByOthers(const std::string& path, const struct stat& st) {
  if ((st.st_mode & 022) != 0) {
    return absl::FailedPreconditionError(StrCat("signing keys: ", path,
                                                " is writable by group or others (mode ",
                                                Mode(st.st_mode), "); run: chmod go-w ", path));
  }
  return absl::OkStatus();
}

absl::Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Errno("cannot create", dir);
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return Errno("cannot read", dir);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(StrCat("signing keys: ", dir, " is not a directory"));
  }
  return CheckNotWritableByOthers(dir, st);
}

// An exclusive flock on <dir>/keys.lock: creation and rotation by several processes serialise.
class DirLock {
 public:
  static absl::StatusOr<DirLock> Take(const std::string& dir) {
    std::string path = StrCat(dir, "/", kLock);
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("cannot open", path);
    if (flock(fd, LOCK_EX) != 0) {
      close(fd);
      return Errno("cannot lock", path);
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ~DirLock() {
    if (fd_ >= 0) close(fd_);  // Releases the lock.
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot read", path);
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      close(fd);
      return Errno("cannot read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxFileBytes) {
      close(fd);
      return absl::FailedPreconditionError(StrCat("signing keys: ", path, " is too large"));
    }
  }
  close(fd);
  return out;
}

absl::Status WriteFile(const std::string& path, std::string_view data, int flags, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode);
  if (fd < 0) return Errno("cannot create", path);
  bool ok =
      write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) return Errno("cannot write", path);
  return absl::OkStatus();
}

// A private key file must be a regular file nobody but its owner can read (like ssh's keys).
absl::Status CheckPrivateFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Errno("cannot read signing key", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(StrCat("signing key ", path, " is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(StrCat("signing key ", path,
                                                " is accessible by group or others (mode ",
                                                Mode(st.st_mode), "); run: chmod 600 ", path));
  }
  return absl::OkStatus();
}

struct Entry {
  std::string file;  // A plain file name inside the directory.
  absl::Time created = absl::InfinitePast();
  std::optional<absl::Time> expires;
};

absl::StatusOr<std::vector<Entry>> ParseManifest(const std::string& path, std::string_view text) {
  auto bad = [&](std::string_view why) {
    return absl::FailedPreconditionError(StrCat("signing keys: ", path, ": ", why));
  };
  auto v = ParseJson(text);
  if (!v.ok()) return bad(std::string(v.status().message()));
  if (!v->is_object()) return bad("not a JSON object");
  const json::array* keys = GetArray(v->get_object(), "keys");
  if (!keys) return bad("no \"keys\" array");
  std::vector<Entry> out;
  for (const auto& k : *keys) {
    if (!k.is_object()) return bad("a key entry is not an object");
    const json::object& o = k.get_object();
    Entry e;
    auto file = GetString(o, "file");
    if (!file || file->empty() || file->find('/') != std::string_view::npos || (*file)[0] == '.') {
      return bad("a key entry's \"file\" must be a file name in the directory");
    }
    e.file = std::string(*file);
    auto created = GetString(o, "created");
    auto created_time = created ? ParseIsoTime(*created) : std::nullopt;
    if (!created_time) return bad(StrCat(e.file, ": \"created\" is not an ISO-8601 time"));
    e.created = *created_time;
    if (auto it = o.find("expires"); it != o.end() && !it->value().is_null()) {
      std::optional<absl::Time> t;
      if (it->value().is_string()) t = ParseIsoTime(it->value().get_string());
      if (!t) return bad(StrCat(e.file, ": \"expires\" is not null or an ISO-8601 time"));
      e.expires = t;
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status WriteManifest(const std::string& dir, const std::vector<Entry>& entries) {
  json::array keys;
  for (const auto& e : entries) {
    json::object o{{"file", e.file}, {"created", FormatIsoTime(e.created)}};
    o["expires"] = e.expires ? json::value(FormatIsoTime(*e.expires)) : json::value(nullptr);
    keys.push_back(std::move(o));
  }
  std::string path = StrCat(dir, "/", kManifest);
  std::string tmp = StrCat(path, ".tmp.", getpid());
  unlink(tmp.c_str());
  BULWARK_RETURN_IF_ERROR(
      WriteFile(tmp, ToJson(json::object{{"keys", std::move(keys)}}) + "\n", O_EXCL, 0644));
  // rename() is atomic: readers see the old list or the new one, never half of one.
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status s = Errno("cannot replace", path);
    unlink(tmp.c_str());
    return s;
  }
  SyncDir(dir);
  return absl::OkStatus();
}

// Writes a fresh key to a new file (mode 0600 from the start; O_EXCL) and returns its entry.
absl::StatusOr<Entry> NewKeyFile(const std::string& dir, absl::Time now) {
  BULWARK_ASSIGN_OR_RETURN(EcdsaP256Key key, EcdsaP256Key::Generate());
  std::string pem = key.PrivatePem();
  if (pem.empty()) return absl::InternalError("OpenSSL could not encode the key");
  Entry e;
  e.created = now;
  e.file = StrCat("ecdsa-p256-", absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()), "-",
                  HexEncode(Sha256(key.PublicDer())).substr(0, 12), ".pem");
  BULWARK_RETURN_IF_ERROR(WriteFile(StrCat(dir, "/", e.file), pem, O_EXCL, 0600));
  SyncDir(dir);
  return e;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SigningKeys>> SigningKeys::Open(const std::string& dir,
                                                               Clock& clock) {
  BULWARK_RETURN_IF_ERROR(EnsureDir(dir));
  std::unique_ptr<SigningKeys> keys(new SigningKeys(dir, clock));
  {
    BULWARK_ASSIGN_OR_RETURN(DirLock lock, DirLock::Take(dir));
    std::string manifest = StrCat(dir, "/", kManifest);
    if (access(manifest.c_str(), F_OK) != 0) {
      if (errno != ENOENT) return Errno("cannot read", manifest);
      BULWARK_ASSIGN_OR_RETURN(Entry first, NewKeyFile(dir, clock.Now()));
      BULWARK_RETURN_IF_ERROR(WriteManifest(dir, {first}));
    }
  }
  absl::MutexLock l(&keys->mu_);
  BULWARK_RETURN_IF_ERROR(keys->LoadLocked());
  return keys;
}

absl::Status SigningKeys::LoadLocked() {
  std::string path = StrCat(dir_, "/", kManifest);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Errno("cannot read", path);
  BULWARK_RETURN_IF_ERROR(CheckNotWritableByOthers(path, st));
  FileId id{static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
            static_cast<int64_t>(st.st_size), static_cast<uint64_t>(st.st_ino)};
  BULWARK_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  BULWARK_ASSIGN_OR_RETURN(std::vector<Entry> entries, ParseManifest(path, text));
  std::vector<Key> keys;
  int active = -1;
  for (auto& e : entries) {
    std::string file = StrCat(dir_, "/", e.file);
    BULWARK_RETURN_IF_ERROR(CheckPrivateFile(file));
    BULWARK_ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(file));
    auto key = EcdsaP256Key::FromPem(pem);
    if (!key.ok()) {
      return absl::FailedPreconditionError(
          StrCat("signing key ", file, ": ", std::string(key.status().message())));
    }
    Key k;
    k.public_der = key->PublicDer();
    k.info.keyid = NpmKeyId(k.public_der);
    k.info.file = file;
    k.info.created = e.created;
    k.info.expires = e.expires;
    k.key = std::make_shared<const EcdsaP256Key>(*std::move(key));
    for (const auto& other : keys) {
      if (other.info.keyid == k.info.keyid) {
        return absl::FailedPreconditionError(
            StrCat("signing keys: ", path, " lists the key ", k.info.keyid, " twice"));
      }
    }
    if (!e.expires) active = static_cast<int>(keys.size());
    keys.push_back(std::move(k));
  }
  if (active < 0) {
    return absl::FailedPreconditionError(
        StrCat("signing keys: ", path,
               " has no active key (one without \"expires\"); run: bulwark "
               "keys rotate"));
  }
  keys[active].info.active = true;
  keys_ = std::move(keys);
  loaded_ = id;
  return absl::OkStatus();
}

absl::Status SigningKeys::RefreshLocked() {
  std::string path = StrCat(dir_, "/", kManifest);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Errno("cannot read", path);
  FileId id{static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
            static_cast<int64_t>(st.st_size), static_cast<uint64_t>(st.st_ino)};
  if (id == loaded_) return absl::OkStatus();
  return LoadLocked();
}

absl::StatusOr<VersionSignature> SigningKeys::Sign(std::string_view name, std::string_view version,
                                                   std::string_view integrity) {
  absl::MutexLock l(&mu_);
  absl::Status s = RefreshLocked();
  if (!s.ok()) {
    return absl::UnavailableError(StrCat("cannot sign: ", std::string(s.message())));
  }
  for (const Key& k : keys_) {
    if (!k.info.active) continue;
    auto sig = k.key->Sign(SignedMessage(name, version, integrity));
    if (!sig.ok())
      return absl::UnavailableError(StrCat("cannot sign: ", std::string(sig.status().message())));
    return VersionSignature{k.info.keyid, Base64Encode(*sig)};
  }
  return absl::UnavailableError("cannot sign: no active signing key");
}

absl::StatusOr<std::vector<PublicSigningKey>> SigningKeys::PublicKeys() {
  absl::MutexLock l(&mu_);
  if (absl::Status s = RefreshLocked(); !s.ok()) {
    // Public keys are not secret and the last good list still verifies what was signed, so a
    // broken keys.json on a running server does not stop npm audit signatures (signing does
    // stop: Sign fails until the list is fixed).
    LogWarning("signing keys not reloaded, serving the previous list: %s", s.ToString());
  }
  std::vector<PublicSigningKey> out;
  for (const Key& k : keys_) out.push_back({k.info.keyid, k.public_der, k.info.expires});
  return out;
}

absl::StatusOr<std::vector<SigningKeyInfo>> SigningKeys::List() {
  absl::MutexLock l(&mu_);
  BULWARK_RETURN_IF_ERROR(RefreshLocked());
  std::vector<SigningKeyInfo> out;
  for (const Key& k : keys_) out.push_back(k.info);
  return out;
}

absl::StatusOr<SigningKeyInfo> SigningKeys::Rotate(absl::Duration grace) {
  absl::MutexLock l(&mu_);
  BULWARK_ASSIGN_OR_RETURN(DirLock lock, DirLock::Take(dir_));
  BULWARK_RETURN_IF_ERROR(LoadLocked());  // Under the lock: another rotation may have run.
  std::string path = StrCat(dir_, "/", kManifest);
  BULWARK_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
  BULWARK_ASSIGN_OR_RETURN(std::vector<Entry> entries, ParseManifest(path, text));
  absl::Time now = clock_.Now();
  BULWARK_ASSIGN_OR_RETURN(Entry fresh, NewKeyFile(dir_, now));
  for (auto& e : entries) {
    if (!e.expires) e.expires = now + grace;
  }
  entries.push_back(fresh);
  BULWARK_RETURN_IF_ERROR(WriteManifest(dir_, entries));
  BULWARK_RETURN_IF_ERROR(LoadLocked());
  for (const Key& k : keys_) {
    if (k.info.active) return k.info;
  }
  return absl::InternalError("rotation left no active key");
}

}  // namespace bulwark
