#pragma once
// Reads an npm package tarball (gzip'd tar) under hard limits. Outside input: every malformed,
// hostile or oversized archive yields InvalidArgument (or ResourceExhausted for limits) with a
// message fit for the publishing user; nothing here crashes or asserts on input.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"

namespace bulwark {

struct TarballLimits {
  uint64_t max_unpacked_bytes = 256ull << 20;  // Gzip-bomb guard: total of entry sizes.
  uint64_t max_entries = 20000;                // npm packages rarely exceed a few thousand files.
  uint64_t max_file_bytes = 64ull << 20;       // Any single file.
  uint64_t max_path_length = 1024;
  // Files whose content is kept in TarballContents::files[i].content (for package.json, readme
  // and, later, scanners). Larger files keep only their size.
  uint64_t keep_content_up_to = 4ull << 20;
};

struct TarballFile {
  std::string path;  // Relative to the package root, the first path component stripped.
  uint64_t size = 0;
  uint32_t mode = 0;
  bool content_kept = false;
  std::string content;
};

struct TarballContents {
  std::string package_json;  // Bytes of <root>/package.json. Required.
  std::vector<TarballFile> files;
  uint64_t unpacked_size = 0;  // Sum of regular-file sizes.
  bool has_shrinkwrap = false; // <root>/npm-shrinkwrap.json present.
};

// Rejects: not gzip, not tar, truncated data, absolute paths, ".." components, entries outside
// one top-level folder, device/fifo/socket entries, hard links and symlinks (npm pack never
// produces links), duplicate paths, and anything past `limits`.
absl::StatusOr<TarballContents> ReadTarball(std::string_view gzipped, const TarballLimits& limits);

}  // namespace bulwark
