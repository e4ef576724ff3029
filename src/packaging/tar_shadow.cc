#include "packaging/tar_shadow.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <utility>

#include "base/strings.h"

// Field offsets are those of POSIX ustar (pax, "Header Block") and GNU tar's oldgnu header.

namespace bulwark::tarball_internal {
namespace {

constexpr size_t kBlock = 512;
// libarchive fails on special headers (pax, GNU long names) past 1 MiB and node-tar ignores
// them past 1 MiB: either way the two would disagree, so they are refused.
constexpr uint64_t kMaxMetaBytes = 1 << 20;
// Extended headers in front of one entry: real archives use one or two (libarchive allows 32).
constexpr int kMaxMetaHeaders = 4;
// node-tar holds sizes in doubles; past 2^53 it would round, and a rounded size moves framing.
constexpr uint64_t kMaxExactSize = 1ull << 53;

const char kZeros[kBlock] = {};
// The magic and version fields (8 bytes at offset 257) of POSIX ustar and of GNU tar headers.
constexpr char kPosixMagic[8] = {'u', 's', 't', 'a', 'r', '\0', '0', '0'};
constexpr char kGnuMagic[8] = {'u', 's', 't', 'a', 'r', ' ', ' ', '\0'};

uint64_t RoundUpToBlock(uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

absl::Status NotTar(std::string_view why) {
  return absl::InvalidArgumentError(StrCat("tarball is not a valid tar archive: ", why));
}

// A tar numeric field, strictly: optional leading spaces, octal digits, then only NULs and
// spaces. node-tar (parseInt) and libarchive (tar_atol8) read sloppier fields differently.
std::optional<uint64_t> ParseOctalField(const unsigned char* p, size_t len) {
  size_t i = 0;
  while (i < len && p[i] == ' ') ++i;
  uint64_t v = 0;
  for (; i < len && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (v > (kMaxExactSize >> 3)) return std::nullopt;
    v = v * 8 + (p[i] - '0');
  }
  for (; i < len; ++i) {
    if (p[i] != '\0' && p[i] != ' ') return std::nullopt;
  }
  return v;
}

// Size field: octal, or GNU base-256 when the top bit is set. node-tar accepts only 0x80
// (positive) and 0xff (negative) as the first base-256 byte; libarchive any byte with the bit.
std::optional<uint64_t> ParseSizeField(const unsigned char* p) {
  if (!(p[0] & 0x80)) return ParseOctalField(p, 12);
  if (p[0] != 0x80) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 1; i < 12; ++i) {
    if (v > (kMaxExactSize >> 8)) return std::nullopt;
    v = (v << 8) | p[i];
  }
  return v;
}

// node-tar reads a string field as `.replace(/\0.*/, '')`, which stops at a line break: bytes
// after the terminating NUL and a newline stay in the name, while libarchive stops at the NUL.
// Fields must hold nothing but NULs after their terminator.
bool CleanAfterNul(const unsigned char* p, size_t len) {
  const void* nul = std::memchr(p, '\0', len);
  if (nul == nullptr) return true;
  size_t n = static_cast<const unsigned char*>(nul) - p;
  return IsAllZero(std::string_view(reinterpret_cast<const char*>(p) + n, len - n));
}

// Whether node-tar can read a numeric field: in base-256 (top bit set) it throws, and skips the
// header, unless the first byte is 0x80 and the value a safe JavaScript integer. Negative
// (0xff) values are refused too; libarchive reads any base-256 field.
bool NodeReadsNumber(const unsigned char* p, size_t len) {
  if (!(p[0] & 0x80)) return true;
  if (p[0] != 0x80) return false;
  uint64_t v = 0;
  for (size_t i = 1; i < len; ++i) {
    if (v > (kMaxExactSize >> 8)) return false;
    v = (v << 8) | p[i];
  }
  return v < kMaxExactSize;
}

// A NUL-terminated string field.
std::string_view CField(const unsigned char* p, size_t len) {
  const void* nul = std::memchr(p, '\0', len);
  size_t n = nul ? static_cast<const unsigned char*>(nul) - p : len;
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

// Length of the well-formed UTF-8 character at s[i], or 0.
size_t Utf8Length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xe0) == 0xc0) {
    n = 2, cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3, cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() - i < n) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

bool HasNonAscii(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c & 0x80; });
}

}  // namespace

bool IsAllZero(std::string_view s) {
  while (!s.empty()) {
    size_t n = std::min(s.size(), kBlock);
    if (std::memcmp(s.data(), kZeros, n) != 0) return false;
    s.remove_prefix(n);
  }
  return true;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8Length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string QuoteForMessage(std::string_view s) {
  constexpr size_t kMax = 120;
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size() && i < kMax) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = Utf8Length(s, i);
    if (n > 1 || (n == 1 && c >= 0x20 && c != 0x7f && c != '"' && c != '\\')) {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    if (c == '"' || c == '\\') {
      out += {'\\', static_cast<char>(c)};
    } else {
      out += {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    }
    ++i;
  }
  if (i < s.size()) out += "...";
  return out + "\"";
}

absl::Status TarShadow::Feed(std::string_view in) {
  while (!in.empty()) {
    size_t n = in.size();
    switch (state_) {
      case State::kEnd:
        // libarchive ends the archive at the first zero block, node-tar only at two in a row:
        // entries after a single zero block would be installed but never checked.
        if (!IsAllZero(in)) {
          return absl::InvalidArgumentError("tarball has data after the tar end-of-archive marker");
        }
        break;
      case State::kHeader:
        n = std::min(n, kBlock - fill_);
        std::memcpy(block_ + fill_, in.data(), n);
        fill_ += n;
        if (fill_ == kBlock) {
          fill_ = 0;
          BULWARK_RETURN_IF_ERROR(OnHeader(offset_ + n - kBlock));
        }
        break;
      case State::kBody:
        n = static_cast<size_t>(std::min<uint64_t>(n, skip_));
        skip_ -= n;
        if (skip_ == 0) state_ = State::kHeader;
        break;
      case State::kMeta:
        n = static_cast<size_t>(std::min<uint64_t>(n, skip_));
        meta_.append(in.data(), std::min<size_t>(n, meta_size_ - meta_.size()));
        skip_ -= n;
        if (skip_ == 0) {
          state_ = State::kHeader;
          BULWARK_RETURN_IF_ERROR(OnMeta());
        }
        break;
    }
    in.remove_prefix(n);
    offset_ += n;
  }
  return absl::OkStatus();
}

absl::Status TarShadow::Finish() const {
  if (state_ == State::kEnd || (state_ == State::kHeader && fill_ == 0 && chain_ == 0)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("tarball is truncated: the tar data ends inside an entry");
}

std::optional<ShadowEntry> TarShadow::Pop() {
  if (entries_.empty()) return std::nullopt;
  ShadowEntry e = std::move(entries_.front());
  entries_.pop_front();
  return e;
}

absl::Status TarShadow::OnHeader(uint64_t at) {
  const auto* h = reinterpret_cast<const unsigned char*>(block_);
  if (IsAllZero(std::string_view(block_, kBlock))) {
    if (chain_ > 0) return NotTar("the archive ends inside an entry's extended headers");
    state_ = State::kEnd;
    return absl::OkStatus();
  }
  // node-tar checks only the unsigned sum; libarchive also a signed one (old BSD tar). A block
  // only libarchive takes for a header shifts node-tar's framing by one block.
  uint64_t sum = 8 * ' ';
  for (size_t i = 0; i < kBlock; ++i) {
    if (i < 148 || i >= 156) sum += h[i];
  }
  if (ParseOctalField(h + 148, 8) != sum) {
    return NotTar(StrCat("bad header checksum at offset ", at));
  }
  std::optional<uint64_t> size = ParseSizeField(h + 124);
  if (!size) return NotTar(StrCat("malformed size field at offset ", at));
  bool posix = std::memcmp(h + 257, kPosixMagic, 8) == 0;
  // The numeric fields node-tar parses: mode, uid, gid, mtime; with the POSIX magic also the
  // device numbers, and atime and ctime when byte 475 (star's layout) is NUL.
  struct Field {
    size_t offset, length;
  };
  static constexpr Field kNumbers[] = {{100, 8}, {108, 8}, {116, 8}, {136, 12}};
  static constexpr Field kPosixNumbers[] = {{329, 8}, {337, 8}};
  static constexpr Field kStarNumbers[] = {{476, 12}, {488, 12}};
  auto readable = [&](const auto& fields) {
    return std::all_of(std::begin(fields), std::end(fields),
                       [&](const Field& f) { return NodeReadsNumber(h + f.offset, f.length); });
  };
  if (!readable(kNumbers) || (posix && !readable(kPosixNumbers)) ||
      (posix && h[475] == 0 && !readable(kStarNumbers))) {
    return NotTar(StrCat("malformed numeric field at offset ", at));
  }
  if (!CleanAfterNul(h, 100) || !CleanAfterNul(h + 157, 100) ||
      (posix && !CleanAfterNul(h + 345, h[475] != 0 ? 155 : 130))) {
    return NotTar(StrCat("a name field has data after its end at offset ", at));
  }
  // In GNU headers libarchive reads old-style sparse maps and their extension blocks (for any
  // typeflag) and a "real size"; node-tar reads none of them.
  if (std::memcmp(h + 257, kGnuMagic, 8) == 0 &&
      !IsAllZero(std::string_view(block_ + 386, 495 - 386))) {
    return absl::InvalidArgumentError("tarball uses GNU sparse files, which npm cannot unpack");
  }
  char type = static_cast<char>(h[156]);
  switch (type) {
    case 'x':
    case 'g':
    case 'L':
    case 'K':
      return OnMetaHeader(type, *size, h, at);
    case '\0':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
      return OnEntryHeader(type, *size, h, at);
    default:
      // node-tar skips unknown types; libarchive reads them as regular files, and reads 'V',
      // 'M', 'N', 'S', 'D', 'A' and 'X' in ways of its own.
      return absl::InvalidArgumentError(StrCat("tarball uses an unsupported tar entry type ",
                                               QuoteForMessage(std::string_view(&type, 1))));
  }
}

absl::Status TarShadow::OnMetaHeader(char type, uint64_t size, const unsigned char* h,
                                     uint64_t at) {
  // node-tar drops a header with an empty name, or an 'L'/'K' header with a link name, and then
  // reads its body as headers; libarchive reads the body as the extension.
  if (CField(h, 100).empty() || ((type == 'L' || type == 'K') && !CField(h + 157, 100).empty())) {
    return NotTar(StrCat("malformed extended header at offset ", at));
  }
  if (chain_ == 0) chain_offset_ = at;
  // With repeats or a pax header mixed with GNU long names, the two readers pick different
  // names and sizes.
  bool ok = false;
  switch (type) {
    case 'g':
      ok = !chain_x_ && !chain_l_ && !chain_k_;
      break;
    case 'x':
      ok = !chain_x_ && !chain_l_ && !chain_k_;
      chain_x_ = true;
      break;
    case 'L':
      ok = !chain_x_ && !chain_l_;
      chain_l_ = true;
      break;
    case 'K':
      ok = !chain_x_ && !chain_k_;
      chain_k_ = true;
      break;
  }
  if (!ok || ++chain_ > kMaxMetaHeaders) {
    return absl::InvalidArgumentError(
        StrCat("tarball has conflicting extended headers at offset ", at));
  }
  // node-tar ignores an empty extension; libarchive applies it (an empty long name).
  if (size == 0 || size > kMaxMetaBytes) {
    return NotTar(StrCat("extended header at offset ", at, " is empty or larger than 1 MiB"));
  }
  meta_type_ = type;
  meta_size_ = size;
  meta_.clear();
  skip_ = RoundUpToBlock(size);
  state_ = State::kMeta;
  return absl::OkStatus();
}

absl::Status TarShadow::OnMeta() {
  if (meta_type_ == 'x' || meta_type_ == 'g') return ParsePax(meta_type_ == 'g');
  const auto* body = reinterpret_cast<const unsigned char*>(meta_.data());
  if (!CleanAfterNul(body, meta_.size())) return NotTar("a GNU long name has data after its end");
  if (meta_type_ == 'L') {
    long_path_ = std::string(CField(body, meta_.size()));
  } else {
    link_target_ = true;
  }
  return absl::OkStatus();
}

// Records are "<decimal length> <key>=<value>\n". libarchive parses by the length and stops at
// a NUL; node-tar splits at newlines and checks parseInt against the byte length. Records they
// could read differently are refused: leading zeros, a NUL or newline inside, an empty key.
absl::Status TarShadow::ParsePax(bool global) {
  std::string_view rest = meta_;
  while (!rest.empty()) {
    if (IsAllZero(rest)) break;  // NUL padding; both readers stop at it.
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos || sp == 0 || sp > 7 || rest.front() == '0') {
      return NotTar("malformed pax header");
    }
    uint64_t len = 0;
    for (char c : rest.substr(0, sp)) {
      if (c < '0' || c > '9') return NotTar("malformed pax header");
      len = len * 10 + (c - '0');
    }
    if (len < sp + 3 || len > rest.size() || rest[len - 1] != '\n') {
      return NotTar("malformed pax header");
    }
    std::string_view record = rest.substr(sp + 1, len - sp - 2);
    size_t eq = record.find('=');
    if (eq == 0 || eq == std::string_view::npos ||
        record.find_first_of(std::string_view("\0\n", 2)) != std::string_view::npos) {
      return NotTar("malformed pax header");
    }
    BULWARK_RETURN_IF_ERROR(OnPaxRecord(record.substr(0, eq), record.substr(eq + 1), global));
    rest.remove_prefix(len);
  }
  return absl::OkStatus();
}

absl::Status TarShadow::OnPaxRecord(std::string_view key, std::string_view value, bool global) {
  // Fields that change nothing checked here. node-tar applies a global header's fields to every
  // later entry and libarchive ignores them, so a global header may hold only these.
  static constexpr std::string_view kInert[] = {"atime", "ctime", "mtime",   "uid",    "gid",
                                                "uname", "gname", "comment", "charset"};
  static constexpr std::string_view kInertLocal[] = {"SCHILY.dev", "SCHILY.ino", "SCHILY.nlink",
                                                     "SCHILY.fflags", "LIBARCHIVE.creationtime"};
  if (std::find(std::begin(kInert), std::end(kInert), key) != std::end(kInert)) {
    return absl::OkStatus();
  }
  // Old npm (fstream-npm over node-tar 1.x/2.x) wrote its own vendor fields, often in a global
  // header: "NODETAR.depth", "NODETAR.package.name", ... Neither reader gives them a meaning
  // (node-tar keeps unknown keys as inert properties, libarchive skips them), and packages
  // published that way are still installed every day.
  if (StartsWith(key, "NODETAR.")) return absl::OkStatus();
  if (!global) {
    if (key == "path" && !value.empty()) {
      pax_path_ = std::string(value);
      return absl::OkStatus();
    }
    if (key == "size" && !value.empty() && value.size() <= 16 &&
        value.find_first_not_of("0123456789") == std::string_view::npos) {
      uint64_t v = 0;
      for (char c : value) v = v * 10 + (c - '0');
      if (v <= kMaxExactSize) {
        pax_size_ = v;
        return absl::OkStatus();
      }
    }
    if (key == "linkpath") {
      link_target_ = link_target_ || !value.empty();
      return absl::OkStatus();
    }
    if (std::find(std::begin(kInertLocal), std::end(kInertLocal), key) != std::end(kInertLocal) ||
        StartsWith(key, "SCHILY.xattr.") || StartsWith(key, "LIBARCHIVE.xattr.")) {
      return absl::OkStatus();
    }
  }
  // Among others: "mode" and "type" (node-tar honours them, libarchive does not), "hdrcharset"
  // (libarchive only), GNU.sparse.* and SCHILY.realsize (libarchive only, and they move data).
  return absl::InvalidArgumentError(StrCat("tarball uses an unsupported pax header field ",
                                           QuoteForMessage(key), "=", QuoteForMessage(value)));
}

absl::Status TarShadow::OnEntryHeader(char type, uint64_t size, const unsigned char* h,
                                      uint64_t at) {
  ShadowEntry e;
  e.offset = chain_ > 0 ? chain_offset_ : at;
  // node-tar: the ustar prefix only with magic "ustar\0" version "00", and only 130 bytes of it
  // when byte 475 is NUL (star's layout). Where libarchive joins them differently, the path
  // cross-check in tarball.cc refuses the entry.
  std::string ustar_path(CField(h, 100));
  if (std::memcmp(h + 257, kPosixMagic, 8) == 0) {
    std::string_view prefix = CField(h + 345, h[475] != 0 ? 155 : 130);
    // With byte 475 set node-tar joins even an empty prefix: "/name".
    if (!prefix.empty() || h[475] != 0) ustar_path = StrCat(prefix, "/", ustar_path);
  }
  if (pax_path_) {
    e.path = std::move(*pax_path_);
    if (HasNonAscii(e.path) && ustar_path != e.path) e.fallback_path = std::move(ustar_path);
  } else if (long_path_) {
    e.path = std::move(*long_path_);
  } else {
    e.path = std::move(ustar_path);
  }
  e.type = type == '\0' ? '0' : type;
  if (e.type == '0' && !e.path.empty() && e.path.back() == '/') e.type = '5';
  e.size = e.type == '5' ? 0 : pax_size_.value_or(size);
  bool has_link = link_target_ || !CField(h + 157, 100).empty();
  pax_path_.reset();
  long_path_.reset();
  pax_size_.reset();
  link_target_ = chain_x_ = chain_l_ = chain_k_ = false;
  chain_ = 0;

  // node-tar drops these headers without reading their bodies, then reads the bodies as headers.
  if (e.path.empty()) return absl::InvalidArgumentError("tarball has an entry with no name");
  if (has_link && e.type != '1' && e.type != '2') {
    return absl::InvalidArgumentError(
        StrCat("tarball entry ", QuoteForMessage(e.path), " has a link target but is not a link"));
  }
  skip_ = RoundUpToBlock(e.size);
  state_ = skip_ > 0 ? State::kBody : State::kHeader;
  entries_.push_back(std::move(e));
  return absl::OkStatus();
}

}  // namespace bulwark::tarball_internal
