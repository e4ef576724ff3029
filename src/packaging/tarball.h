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
  // package.json is always kept and parsed as JSON; real manifests are a few KiB.
  uint64_t max_package_json_bytes = 1ull << 20;
  // Reads "a/./b" as "a/b" instead of refusing it. Only for tarballs that are served as
  // fetched and read for scanning (upstream ones, docs/proxy.md: real packages contain
  // "package/./dist/x.js"); never for publish, where other spellings of a path are refused.
  bool normalize_dot_components = false;
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
  uint64_t unpacked_size = 0;   // Sum of regular-file sizes.
  bool has_shrinkwrap = false;  // <root>/npm-shrinkwrap.json present.
};

// Rejects: not gzip, not tar, truncated data, absolute paths, ".." components, entries outside
// one top-level folder, device/fifo/socket entries, hard links and symlinks (npm pack never
// produces links), duplicate paths, and anything past `limits`.
//
// Also rejects archives that npm's extractor (node-tar) and this reader could read differently:
// bytes after the gzip stream or after the tar end-of-archive marker, header types and pax
// fields node-tar and libarchive disagree on, paths that are not valid UTF-8 or hold control
// characters or backslashes, and two paths that name one file on a case-insensitive disk.
// Limits answer ResourceExhausted; everything else InvalidArgument. Every decompressed byte is
// counted, so a gzip bomb stops near max_unpacked_bytes (plus tar header overhead).
absl::StatusOr<TarballContents> ReadTarball(std::string_view gzipped, const TarballLimits& limits);

// ReadTarball(...).package_json: the same checks, for callers that want only the manifest.
absl::StatusOr<std::string> ExtractPackageJson(std::string_view gzipped,
                                               const TarballLimits& limits);

}  // namespace bulwark
