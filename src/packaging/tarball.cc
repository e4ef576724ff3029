#include "packaging/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/strings.h"
#include "packaging/tar_shadow.h"

// Two readers look at every tarball: libarchive here, and node-tar wherever `npm install` runs.
// Where they would read one archive differently, a publisher can show this registry (its
// manifest check, its scanners) one set of files and have npm install another. So TarShadow
// (tar_shadow.h) re-frames the same decompressed bytes the way node-tar does, and every entry
// must look the same to both. The rules err on the side of refusing: `npm pack` output never
// comes near them.

namespace bulwark {
namespace {

using tarball_internal::IsAllZero;
using tarball_internal::IsValidUtf8;
using tarball_internal::ShadowEntry;
using tarball_internal::TarShadow;

std::string Quote(std::string_view s) { return tarball_internal::QuoteForMessage(s); }

constexpr size_t kChunkBytes = 64 << 10;
// Decompressed bytes allowed on top of max_unpacked_bytes: tar headers, pax records, padding.
// An entry with a pax header for a path up to max_path_length fits in 4 KiB; the fixed part
// covers the end-of-archive blocks, blocking padding and one large extended header.
constexpr uint64_t kTarOverheadPerEntry = 4096;
constexpr uint64_t kTarOverheadFixed = 2 << 20;

absl::Status NotTar(std::string_view why) {
  return absl::InvalidArgumentError(StrCat("tarball is not a valid tar archive: ", why));
}

absl::Status Ambiguous(std::string_view why) {
  return absl::InvalidArgumentError(
      StrCat("tarball is ambiguous (npm's tar reader would see it differently): ", why));
}

absl::Status TooBig(uint64_t limit) {
  return absl::ResourceExhaustedError(
      StrCat("tarball exceeds the unpacked size limit of ", limit, " bytes"));
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Inflates the attachment one chunk at a time. We inflate here rather than through libarchive's
// gzip filter so that every decompressed byte, including those libarchive skips internally,
// counts against the budget, and so that bytes after the gzip stream are seen.
class GzipSource {
 public:
  GzipSource(std::string_view in, uint64_t budget, uint64_t limit)
      : rest_(in), budget_(budget), limit_(limit) {}
  ~GzipSource() {
    if (ready_) inflateEnd(&zs_);
  }
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  absl::Status Init() {
    // 16 + MAX_WBITS: gzip only; a zlib or raw deflate stream is not an npm tarball.
    if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) {
      return absl::ResourceExhaustedError("cannot allocate a gzip decoder");
    }
    ready_ = true;
    return absl::OkStatus();
  }

  bool done() const { return done_; }

  // The next decompressed bytes, valid until the next call; empty once the stream has ended.
  absl::StatusOr<std::string_view> Next() {
    zs_.next_out = reinterpret_cast<Bytef*>(out_.get());
    zs_.avail_out = kChunkBytes;
    while (!done_ && zs_.avail_out == kChunkBytes) {
      Refill();
      if (member_done_) {
        if (Available() == 0) {
          done_ = true;
          break;
        }
        // node's zlib, like gzip(1), reads concatenated members as one stream. Zeros after the
        // stream are block padding (libarchive's writer adds it). Other bytes would be stored
        // and served but never unpacked or scanned, or make the file a polyglot (a zip's
        // directory sits at its end), so they are refused.
        if (Available() < 2 || ByteAt(0) != 0x1f || ByteAt(1) != 0x8b) {
          if (!TrailerIsZeros()) {
            return absl::InvalidArgumentError("tarball has data after the end of the gzip stream");
          }
          done_ = true;
          break;
        }
        inflateReset(&zs_);
        member_done_ = false;
        continue;
      }
      if (Available() == 0) {
        return absl::InvalidArgumentError("tarball is truncated: the gzip stream ends early");
      }
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_done_ = true;
      } else if (rc != Z_OK) {
        return absl::InvalidArgumentError(
            StrCat("tarball has corrupt gzip data: ", zs_.msg ? zs_.msg : "cannot inflate"));
      }
    }
    size_t n = kChunkBytes - zs_.avail_out;
    total_ += n;
    if (total_ > budget_) return TooBig(limit_);
    return std::string_view(out_.get(), n);
  }

 private:
  // zlib counts input in 32-bit units; hand it at most 1 GiB at a time.
  void Refill() {
    if (zs_.avail_in != 0 || rest_.empty()) return;
    size_t n = std::min<size_t>(rest_.size(), 1u << 30);
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(rest_.data()));
    zs_.avail_in = static_cast<uInt>(n);
    rest_.remove_prefix(n);
  }
  size_t Available() const { return zs_.avail_in + rest_.size(); }
  bool TrailerIsZeros() const {
    return IsAllZero(std::string_view(reinterpret_cast<const char*>(zs_.next_in), zs_.avail_in)) &&
           IsAllZero(rest_);
  }
  unsigned char ByteAt(size_t i) const {
    return i < zs_.avail_in ? zs_.next_in[i] : static_cast<unsigned char>(rest_[i - zs_.avail_in]);
  }

  std::string_view rest_;  // Input not yet handed to zlib.
  uint64_t budget_;
  uint64_t limit_;  // max_unpacked_bytes, for the message.
  z_stream zs_{};
  bool ready_ = false;
  bool member_done_ = false;
  bool done_ = false;
  uint64_t total_ = 0;
  std::unique_ptr<char[]> out_ = std::make_unique<char[]>(kChunkBytes);
};

struct SplitPath {
  std::string top;   // First component; npm strips it.
  std::string rest;  // The path inside the package; empty for the top folder itself.
};

absl::StatusOr<SplitPath> CheckPath(std::string_view path, bool is_dir, uint64_t max_length,
                                    bool normalize_dots) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(StrCat("tarball entry path ", why, ": ", Quote(path)));
  };
  if (path.empty()) return bad("is empty");
  if (path.size() > max_length) return bad(StrCat("is longer than ", max_length, " bytes"));
  // node-tar decodes names as UTF-8 with replacement characters, so two invalid names could
  // become one file; and a name must be one string in a JSON file list.
  if (!IsValidUtf8(path)) return bad("is not valid UTF-8");
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return bad("has a control character");
  }
  // On Windows node-tar turns '\' into '/', which could make "..\x" or a second package.json.
  if (path.find('\\') != std::string_view::npos) return bad("has a backslash");
  if (path.front() == '/') return bad("is absolute");
  std::string_view p = path;
  if (is_dir && p.back() == '/') p.remove_suffix(1);
  std::vector<std::string_view> parts = StrSplit(p, '/');
  if (normalize_dots && parts.size() > 1) {
    std::vector<std::string_view> kept{parts[0]};
    for (size_t i = 1; i < parts.size(); ++i) {
      if (parts[i] != ".") kept.push_back(parts[i]);
    }
    if (kept.size() != parts.size()) {
      SplitPath s;
      for (size_t i = 0; i < kept.size(); ++i) {
        std::string_view c = kept[i];
        if (c == ".." || c.empty()) return bad("has an empty or \"..\" component");
        if (c.size() >= 2 && IsAsciiLetter(c[0]) && c[1] == ':') {
          return bad("has a component starting with a drive letter");
        }
        if (i == 0) {
          s.top = std::string(c);
        } else {
          StrAppend(&s.rest, s.rest.empty() ? "" : "/", c);
        }
      }
      return s;
    }
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view c = parts[i];
    if (c == "..") return bad("has a \"..\" component");
    // "a//b" and "a/./b" are other spellings of "a/b" (a way around the duplicate check); a
    // lone "." is allowed as the top folder, which npm strips.
    if (c.empty() || (c == "." && i > 0)) return bad("has an empty or \".\" component");
    // node-tar on Windows strips a leading "C:" and unpacks what follows.
    if (c.size() >= 2 && IsAsciiLetter(c[0]) && c[1] == ':') {
      return bad("has a component starting with a drive letter");
    }
  }
  SplitPath s;
  s.top = std::string(parts[0]);
  if (parts.size() > 1) s.rest = std::string(p.substr(parts[0].size() + 1));
  return s;
}

// Paths that name one file on Windows or macOS disks: ASCII case folded, trailing dots and
// spaces dropped from each component (Windows drops them).
std::string CollisionKey(std::string_view rest) {
  std::string key;
  for (std::string_view c : StrSplit(rest, '/')) {
    while (!c.empty() && (c.back() == '.' || c.back() == ' ')) c.remove_suffix(1);
    StrAppend(&key, key.empty() ? "" : "/", AsciiStrToLower(c));
  }
  return key;
}

class Reader {
 public:
  Reader(std::string_view gzipped, const TarballLimits& limits)
      : limits_(limits), source_(gzipped, StreamBudget(limits), limits.max_unpacked_bytes) {}

  absl::StatusOr<TarballContents> Run() {
    BULWARK_RETURN_IF_ERROR(source_.Init());
    std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
    if (a == nullptr) return absl::ResourceExhaustedError("cannot allocate a tar reader");
    a_ = a.get();
    // Tar only, and no libarchive filter: decompression is GzipSource's.
    archive_read_support_format_tar(a_);
    // libarchive on macOS reads "._name" entries as metadata of the next entry; node-tar reads
    // them as files. (Off by default elsewhere; stated so the reader is the same everywhere.)
    archive_read_set_format_option(a_, "tar", "mac-ext", nullptr);
    if (archive_read_open(a_, this, nullptr, &Reader::ReadCallback, nullptr) != ARCHIVE_OK) {
      return LibarchiveError();
    }
    for (;;) {
      archive_entry* e = nullptr;
      int r = archive_read_next_header(a_, &e);
      if (!status_.ok()) return status_;
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && !(r == ARCHIVE_WARN && IsCharsetWarning())) return LibarchiveError();
      BULWARK_RETURN_IF_ERROR(OnEntry(e));
    }
    // libarchive stops at the first zero block. The rest must still be inflated: for the gzip
    // checksum, the bytes after the gzip stream, and anything node-tar would read after it.
    while (!source_.done() && shadow_.empty()) BULWARK_RETURN_IF_ERROR(Pull().status());
    if (!shadow_.empty()) return Ambiguous("entries after libarchive's end of the archive");
    BULWARK_RETURN_IF_ERROR(shadow_.Finish());
    if (!has_package_json_) return absl::InvalidArgumentError("tarball has no package.json");
    return std::move(out_);
  }

 private:
  static uint64_t StreamBudget(const TarballLimits& l) {
    uint64_t overhead, budget;
    if (__builtin_mul_overflow(l.max_entries, kTarOverheadPerEntry, &overhead) ||
        __builtin_add_overflow(overhead, kTarOverheadFixed, &overhead) ||
        __builtin_add_overflow(l.max_unpacked_bytes, overhead, &budget)) {
      return UINT64_MAX;
    }
    return budget;
  }

  static la_ssize_t ReadCallback(archive* a, void* self, const void** buffer) {
    auto* reader = static_cast<Reader*>(self);
    absl::StatusOr<std::string_view> chunk = reader->Pull();
    if (!chunk.ok()) {
      reader->status_ = chunk.status();
      archive_set_error(a, EINVAL, "%s", "tarball rejected");
      return -1;
    }
    *buffer = chunk->data();
    return static_cast<la_ssize_t>(chunk->size());
  }

  absl::StatusOr<std::string_view> Pull() {
    if (!status_.ok()) return status_;
    BULWARK_ASSIGN_OR_RETURN(std::string_view chunk, source_.Next());
    BULWARK_RETURN_IF_ERROR(shadow_.Feed(chunk));
    return chunk;
  }

  absl::Status LibarchiveError() const {
    if (!status_.ok()) return status_;
    // A stream that ends mid-entry: say so, rather than libarchive's "Truncated input file".
    if (source_.done()) BULWARK_RETURN_IF_ERROR(shadow_.Finish());
    const char* msg = archive_error_string(a_);
    return NotTar(msg ? msg : "unreadable");
  }

  // libarchive converts pax (UTF-8) names to the process locale and warns when it cannot, as
  // in the C locale; it keeps the raw bytes, which OnEntry compares with the shadow's.
  bool IsCharsetWarning() const {
    const char* msg = archive_error_string(a_);
    return msg != nullptr && std::strstr(msg, " can't be converted from ") != nullptr;
  }

  absl::Status OnEntry(archive_entry* e) {
    if (++entries_ > limits_.max_entries) {
      return absl::ResourceExhaustedError(
          StrCat("tarball exceeds the limit of ", limits_.max_entries, " entries"));
    }
    std::optional<ShadowEntry> shadow = shadow_.Pop();
    if (!shadow) return Ambiguous("an entry node-tar would not see");
    const std::string& path = shadow->path;
    auto refuse = [&](std::string_view why) {
      return absl::InvalidArgumentError(StrCat("tarball entry ", Quote(path), " ", why));
    };
    // `npm pack` never writes links or special files; unpacked, a link can point anywhere.
    mode_t type = archive_entry_filetype(e);
    if (archive_entry_hardlink(e) != nullptr || shadow->type == '1') {
      return refuse("is a hard link; npm packages cannot contain links");
    }
    if (type == AE_IFLNK || shadow->type == '2') {
      return refuse("is a symbolic link; npm packages cannot contain links");
    }
    bool is_dir = shadow->type == '5';
    if (!is_dir && shadow->type != '0' && shadow->type != '7') {
      return refuse("is a device, FIFO or socket; npm packages contain only files and folders");
    }
    BULWARK_ASSIGN_OR_RETURN(SplitPath split, CheckPath(path, is_dir, limits_.max_path_length,
                                                         limits_.normalize_dot_components));
    const char* la_path = archive_entry_pathname(e);
    if (la_path == nullptr || path != la_path) {
      return Ambiguous(StrCat("entry ", Quote(path), " is named ", Quote(la_path ? la_path : ""),
                              " by libarchive"));
    }
    if (archive_read_header_position(a_) != static_cast<la_int64_t>(shadow->offset) ||
        type != (is_dir ? AE_IFDIR : AE_IFREG) ||
        archive_entry_size(e) != static_cast<la_int64_t>(shadow->size) ||
        archive_entry_sparse_count(e) != 0) {
      return Ambiguous(StrCat("libarchive reads entry ", Quote(path), " differently"));
    }
    if (split.rest.empty() && !is_dir) return refuse("is not inside a folder; npm skips it");
    if (top_.empty()) top_ = split.top;
    if (split.top != top_) {
      return absl::InvalidArgumentError(StrCat("tarball entries must share one top-level folder: ",
                                               Quote(path), " is not inside ", Quote(top_)));
    }
    if (split.rest.empty()) return absl::OkStatus();  // The top folder itself.
    BULWARK_RETURN_IF_ERROR(CheckUnique(path, path, is_dir));
    // npm strips the first component of the fallback too, whatever it is.
    if (!shadow->fallback_path.empty()) {
      BULWARK_RETURN_IF_ERROR(CheckUnique(path, shadow->fallback_path, is_dir));
    }
    if (is_dir) return absl::OkStatus();

    uint32_t mode = archive_entry_perm(e);
    // npm pack writes 0644/0755. A setuid file unpacked by root would be a setuid binary.
    if (mode & (S_ISUID | S_ISGID)) return refuse("has the setuid or setgid bit set");
    bool is_manifest = split.rest == "package.json";
    if (is_manifest && shadow->size > limits_.max_package_json_bytes) {
      return absl::ResourceExhaustedError(StrCat("package.json exceeds the size limit of ",
                                                 limits_.max_package_json_bytes, " bytes"));
    }
    TarballFile file;
    file.path = std::move(split.rest);
    file.mode = mode;
    file.content_kept = is_manifest || shadow->size <= limits_.keep_content_up_to;
    BULWARK_ASSIGN_OR_RETURN(
        file.size, ReadBody(path, shadow->size, file.content_kept ? &file.content : nullptr));
    out_.unpacked_size += file.size;
    if (is_manifest) {
      out_.package_json = file.content;
      has_package_json_ = true;
    }
    if (file.path == "npm-shrinkwrap.json") out_.has_shrinkwrap = true;
    out_.files.push_back(std::move(file));
    return absl::OkStatus();
  }

  // One name per file, whatever the disk: a second package.json is "manifest confusion" (we
  // check one, npm installs the other), and "Package.json" is the same file on macOS and Windows.
  // `name` is where npm may unpack the entry at `path`: the path itself or its fallback.
  absl::Status CheckUnique(const std::string& path, std::string_view name, bool is_dir) {
    std::string_view rest = StripSlash(name.substr(std::min(name.size(), name.find('/') + 1)));
    if (rest.empty()) return absl::OkStatus();  // A top folder; fallbacks can be one.
    auto [it, inserted] =
        seen_.try_emplace(CollisionKey(rest), SeenEntry{path, std::string(name), is_dir, entries_});
    if (inserted) return absl::OkStatus();
    const SeenEntry& seen = it->second;
    if (seen.entry == entries_) return absl::OkStatus();  // Its path and fallback agree.
    if (StripSlash(seen.name) == StripSlash(name) && seen.path == seen.name && path == name) {
      if (is_dir && seen.is_dir) return absl::OkStatus();  // A folder listed twice is harmless.
      return absl::InvalidArgumentError(
          StrCat("tarball contains ", Quote(path), " more than once"));
    }
    return absl::InvalidArgumentError(StrCat("tarball contains both ", Quote(seen.path), " and ",
                                             Quote(path), ", which npm could unpack as one file"));
  }

  static std::string_view StripSlash(std::string_view s) {
    if (!s.empty() && s.back() == '/') s.remove_suffix(1);
    return s;
  }

  // Reads the body of the current entry, counting what libarchive actually returns rather than
  // what the header claimed.
  absl::StatusOr<uint64_t> ReadBody(const std::string& path, uint64_t declared, std::string* keep) {
    auto too_big = [&] {
      return absl::ResourceExhaustedError(StrCat("tarball entry ", Quote(path),
                                                 " exceeds the per-file size limit of ",
                                                 limits_.max_file_bytes, " bytes"));
    };
    // Refuse on the declared size first, so an oversized entry costs no decompression.
    if (declared > limits_.max_file_bytes) return too_big();
    // out_.unpacked_size never passes the limit: each file is checked before it is added.
    if (declared > limits_.max_unpacked_bytes - out_.unpacked_size) {
      return TooBig(limits_.max_unpacked_bytes);
    }
    if (keep) keep->reserve(declared);
    if (!buffer_) buffer_ = std::make_unique<char[]>(kChunkBytes);
    uint64_t got = 0;
    for (;;) {
      la_ssize_t n = archive_read_data(a_, buffer_.get(), kChunkBytes);
      if (!status_.ok()) return status_;
      if (n == 0) break;
      if (n < 0) return LibarchiveError();
      got += static_cast<uint64_t>(n);
      if (got > limits_.max_file_bytes) return too_big();
      if (got > limits_.max_unpacked_bytes - out_.unpacked_size) {
        return TooBig(limits_.max_unpacked_bytes);
      }
      if (got > declared) break;
      if (keep) keep->append(buffer_.get(), static_cast<size_t>(n));
    }
    if (got != declared) {
      return Ambiguous(StrCat("entry ", Quote(path), " has ", got, " bytes, not ", declared));
    }
    return got;
  }

  const TarballLimits& limits_;
  GzipSource source_;
  TarShadow shadow_;
  archive* a_ = nullptr;
  absl::Status status_;  // The first error seen inside the read callback.
  std::unique_ptr<char[]> buffer_;
  uint64_t entries_ = 0;
  std::string top_;
  struct SeenEntry {
    std::string path;  // The entry's path.
    std::string name;  // The name it was registered under: its path or its fallback.
    bool is_dir;
    uint64_t entry;  // Its number.
  };
  absl::flat_hash_map<std::string, SeenEntry> seen_;  // By CollisionKey.
  bool has_package_json_ = false;
  TarballContents out_;
};

}  // namespace

absl::StatusOr<TarballContents> ReadTarball(std::string_view gzipped, const TarballLimits& limits) {
  if (gzipped.size() < 2 || static_cast<unsigned char>(gzipped[0]) != 0x1f ||
      static_cast<unsigned char>(gzipped[1]) != 0x8b) {
    return absl::InvalidArgumentError("tarball is not gzip-compressed");
  }
  return Reader(gzipped, limits).Run();
}

absl::StatusOr<std::string> ExtractPackageJson(std::string_view gzipped,
                                               const TarballLimits& limits) {
  BULWARK_ASSIGN_OR_RETURN(TarballContents contents, ReadTarball(gzipped, limits));
  return std::move(contents.package_json);
}

}  // namespace bulwark
