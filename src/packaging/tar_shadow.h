#pragma once
// Internal to the tarball reader (tarball.cc): a second, strict view of a decompressed tar
// stream, framed the way npm's extractor (node-tar 7: lib/header.js, lib/parse.js, lib/pax.js)
// frames it. ReadTarball reads entries with libarchive and requires each one to look the same
// here, because where the two readers disagree a publisher can show the registry one set of
// files and have `npm install` unpack another.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "bulwark/base/status.h"

namespace bulwark::tarball_internal {

// True when every byte of `s` is zero.
bool IsAllZero(std::string_view s);

// True for well-formed UTF-8: no overlong forms, surrogates or code points past U+10FFFF.
bool IsValidUtf8(std::string_view s);

// `s` in double quotes for an error message shown to the publisher: valid UTF-8 characters as
// they are, control characters, quotes, backslashes and stray bytes escaped (so a hostile name
// cannot forge text or break the JSON it is sent in), cut after about 120 bytes.
std::string QuoteForMessage(std::string_view s);

// One file-system entry as node-tar frames it.
struct ShadowEntry {
  uint64_t offset = 0;  // Of its first header block, extended headers included.
  char type = '0';      // Typeflag after node-tar's rewrites: '\0' -> '0', '0' + "dir/" -> '5'.
  uint64_t size = 0;    // Body bytes node-tar reads (0 for folders, whatever the header says).
  std::string path;     // Raw bytes: pax path, else GNU long name, else ustar prefix/name.
  // The ustar name when a pax path with non-ASCII bytes overrides it: node-tar decodes a pax
  // header chunk by chunk, and a character split between two chunks makes it drop the path
  // record and use this name instead.
  std::string fallback_path;
};

// Fed the decompressed stream in order, at any chunking; keeps the entries libarchive has not
// reached yet. Refuses (InvalidArgument, message for the publisher) whatever node-tar and
// libarchive could frame differently or that node-tar would silently skip: bad checksums (also
// libarchive's signed variant), loose octal fields, base-256 numbers node-tar cannot read, name
// fields with bytes after their NUL, typeflags other than 0 1 2 3 4 5 6 7 x g L K and NUL,
// chains of extended headers other than g* then one x or at most one L and one K, pax records
// that are malformed or hold fields the two treat differently, entries with no name, non-link
// entries with a link target, GNU sparse headers, and any non-zero byte after the first zero
// block. Memory: one extended header (at most 1 MiB) and the queued entries.
class TarShadow {
 public:
  absl::Status Feed(std::string_view chunk);
  // At the end of the stream: OK when it ended at the end-of-archive marker or at an entry
  // boundary (both readers accept a missing marker), else "truncated".
  absl::Status Finish() const;
  // The oldest entry not yet popped.
  std::optional<ShadowEntry> Pop();
  bool empty() const { return entries_.empty(); }

 private:
  enum class State { kHeader, kBody, kMeta, kEnd };

  absl::Status OnHeader(uint64_t at);
  absl::Status OnMetaHeader(char type, uint64_t size, const unsigned char* h, uint64_t at);
  absl::Status OnMeta();
  absl::Status ParsePax(bool global);
  absl::Status OnPaxRecord(std::string_view key, std::string_view value, bool global);
  absl::Status OnEntryHeader(char type, uint64_t size, const unsigned char* h, uint64_t at);

  State state_ = State::kHeader;
  uint64_t offset_ = 0;  // Stream offset of the next byte fed.
  char block_[512];
  size_t fill_ = 0;
  uint64_t skip_ = 0;  // Bytes left in the current body (kBody) or extension (kMeta), padded.
  char meta_type_ = 0;
  uint64_t meta_size_ = 0;
  std::string meta_;
  // Extended headers seen since the last entry.
  int chain_ = 0;
  uint64_t chain_offset_ = 0;
  bool chain_x_ = false, chain_l_ = false, chain_k_ = false;
  std::optional<std::string> pax_path_, long_path_;
  std::optional<uint64_t> pax_size_;
  bool link_target_ = false;
  std::deque<ShadowEntry> entries_;
};

}  // namespace bulwark::tarball_internal
