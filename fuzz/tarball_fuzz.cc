// ReadTarball on arbitrary bytes under small limits, checking what callers rely on when it
// succeeds. Mutated gzip almost always fails its CRC, which would keep the fuzzer out of the tar
// layer, so an input starting with 'T' is a raw tar that the harness gzips itself.

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "packaging/tarball.h"

namespace {

std::string GzipForHarness(std::string_view raw) {
  z_stream zs{};
  if (deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
  std::string out(deflateBound(&zs, raw.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) abort();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string gzipped;
  if (!input.empty() && input.front() == 'T') {
    gzipped = GzipForHarness(input.substr(1));
    input = gzipped;
  }
  bulwark::TarballLimits limits;
  limits.max_unpacked_bytes = 1 << 20;
  limits.max_entries = 64;
  limits.max_file_bytes = 256 << 10;
  limits.max_path_length = 256;
  limits.keep_content_up_to = 4 << 10;
  limits.max_package_json_bytes = 64 << 10;
  absl::StatusOr<bulwark::TarballContents> c = bulwark::ReadTarball(input, limits);
  if (!c.ok()) {
    if (c.status().code() != absl::StatusCode::kInvalidArgument &&
        c.status().code() != absl::StatusCode::kResourceExhausted) {
      abort();
    }
    return 0;
  }
  uint64_t total = 0;
  bool has_manifest = false;
  for (const bulwark::TarballFile& f : c->files) {
    if (f.path.empty() || f.path.front() == '/' || f.size > limits.max_file_bytes) abort();
    if (f.content_kept != (f.size <= limits.keep_content_up_to || f.path == "package.json")) {
      abort();
    }
    if (f.content_kept && f.content.size() != f.size) abort();
    if (f.path == "package.json") {
      if (has_manifest || f.content != c->package_json) abort();
      has_manifest = true;
    }
    total += f.size;
  }
  if (!has_manifest || total != c->unpacked_size || total > limits.max_unpacked_bytes) abort();
  if (c->files.size() > limits.max_entries) abort();
  return 0;
}
