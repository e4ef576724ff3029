#include "server/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "base/strings.h"

namespace bulwark {
namespace {

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::UnavailableError(StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status CreateKey(const std::string& path, size_t bytes, Random& random) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Errno("cannot create", dir.string());
  }
  std::string tmp = path + ".tmp";
  // O_EXCL with mode 0600: the key is never readable by others, not even for a moment.
  unlink(tmp.c_str());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", tmp);
  std::string key = random.Bytes(bytes);
  bool ok = write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) return Errno("cannot write", tmp);
  // link() fails if another process created the key meanwhile: then both use that one.
  if (link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) return Errno("cannot create", path);
  unlink(tmp.c_str());
  if (!dir.empty()) {
    int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> LoadOrCreateKeyFile(const std::string& path, size_t bytes,
                                                Random& random) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Errno("cannot read", path);
    BULWARK_RETURN_IF_ERROR(CreateKey(path, bytes, random));
    if (stat(path.c_str(), &st) != 0) return Errno("cannot read", path);
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return absl::FailedPreconditionError(StrCat("key file ", path,
                                                " is accessible by group or others (mode ", mode,
                                                "); run: chmod 600 ", path));
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot read", path);
  std::string key(bytes + 1, '\0');
  ssize_t n = read(fd, key.data(), key.size());
  close(fd);
  if (n < 0) return Errno("cannot read", path);
  if (static_cast<size_t>(n) != bytes) {
    return absl::FailedPreconditionError(
        StrCat("key file ", path, " must hold exactly ", bytes, " bytes"));
  }
  key.resize(bytes);
  return key;
}

}  // namespace bulwark
