// FsBlobStore: content-addressed tarball folder. Durability follows the classic recipe: write a
// unique temp file in the same folder, fsync it, rename over the final name, fsync the folder.
// A crash leaves either no file under the key or the complete one; stray temp files are
// removed at open.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/strings.h"
#include "base/hash.h"
#include "bulwark/env/blob_store.h"

namespace bulwark {
namespace {

namespace fs = std::filesystem;

bool IsHexKey(std::string_view key) {
  if (key.size() != 128) return false;
  for (char c : key) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::UnavailableError(StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync", path);
  return absl::OkStatus();
}

class FsBlobStore final : public BlobStore {
 public:
  explicit FsBlobStore(std::string root) : root_(std::move(root)) {}

  absl::Status Put(std::string_view key, std::string_view data) override {
    if (!IsHexKey(key)) return absl::InvalidArgumentError("blob key must be 128 hex digits");
    if (HexEncode(Sha512(data)) != key) {
      return absl::InvalidArgumentError("blob key does not match its content");
    }
    std::string dir = DirFor(key);
    std::string path = PathFor(key);
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) == data.size()) {
      return absl::OkStatus();
    }
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return absl::UnavailableError(StrCat("mkdir ", dir, ": ", ec.message()));
    std::string tmp = StrCat(dir, "/.tmp-", ::getpid(), "-", counter_.fetch_add(1));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return Errno("create", tmp);
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        absl::Status s = Errno("write", tmp);
        ::close(fd);
        ::unlink(tmp.c_str());
        return s;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
      absl::Status s = Errno("fsync", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      absl::Status s = Errno("rename", tmp);
      ::unlink(tmp.c_str());
      return s;
    }
    return FsyncPath(dir, O_RDONLY | O_DIRECTORY);
  }

  absl::StatusOr<std::string> Get(std::string_view key) override {
    BULWARK_ASSIGN_OR_RETURN(BlobLocation loc, Locate(key));
    int fd = ::open(loc.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return absl::NotFoundError("blob not found");
      return Errno("open", loc.path);
    }
    std::string out(loc.size, '\0');
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::read(fd, out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        return absl::UnavailableError("short read of blob " + loc.path);
      }
      done += static_cast<size_t>(n);
    }
    ::close(fd);
    return out;
  }

  absl::StatusOr<BlobLocation> Locate(std::string_view key) override {
    if (!IsHexKey(key)) return absl::NotFoundError("blob not found");
    std::string path = PathFor(key);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return absl::NotFoundError("blob not found");
      return Errno("stat", path);
    }
    return BlobLocation{path, static_cast<uint64_t>(st.st_size)};
  }

  absl::StatusOr<bool> Exists(std::string_view key) override {
    auto loc = Locate(key);
    if (loc.ok()) return true;
    if (absl::IsNotFound(loc.status())) return false;
    return loc.status();
  }

  absl::Status Delete(std::string_view key) override {
    if (!IsHexKey(key)) return absl::OkStatus();
    std::string path = PathFor(key);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("unlink", path);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> List() override {
    std::vector<std::string> keys;
    std::error_code ec;
    fs::path base = fs::path(root_) / "sha512";
    if (!fs::exists(base, ec)) return keys;
    for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file()) continue;
      std::string name = it->path().filename().string();
      if (IsHexKey(name)) keys.push_back(name);
    }
    if (ec) return absl::UnavailableError("listing blobs: " + ec.message());
    return keys;
  }

  // Removes temp files left by a crash in the middle of Put.
  void RemoveStrayTempFiles() {
    std::error_code ec;
    fs::path base = fs::path(root_) / "sha512";
    if (!fs::exists(base, ec)) return;
    std::vector<fs::path> stray;
    for (auto it = fs::recursive_directory_iterator(base, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->path().filename().string().rfind(".tmp-", 0) == 0) stray.push_back(it->path());
    }
    for (const auto& p : stray) fs::remove(p, ec);
  }

 private:
  std::string DirFor(std::string_view key) const {
    return StrCat(root_, "/sha512/", key.substr(0, 2));
  }
  std::string PathFor(std::string_view key) const { return StrCat(DirFor(key), "/", key); }

  const std::string root_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<BlobStore>> NewFsBlobStore(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return absl::UnavailableError(StrCat("cannot create ", root, ": ", ec.message()));
  auto store = std::make_unique<FsBlobStore>(fs::absolute(root).string());
  store->RemoveStrayTempFiles();
  return store;
}

}  // namespace bulwark
