#include "security/advisories/gunzip.h"

#include <zlib.h>

#include "base/strings.h"

namespace bulwark::advisories {

absl::StatusOr<std::string> Gunzip(std::string_view gz, size_t max_size) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return absl::InternalError("inflateInit failed");
  std::string out;
  char buf[64 << 10];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (out.size() > max_size) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError(
          StrCat("gzip data inflates to more than ", max_size, " bytes"));
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      inflateReset(&zs);  // Another gzip member follows.
      continue;
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_BUF_ERROR;  // Input ended inside the stream.
      break;
    }
  }
  const std::string msg = zs.msg ? zs.msg : "truncated";
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return absl::InvalidArgumentError(StrCat("bad gzip data: ", msg));
  return out;
}

}  // namespace bulwark::advisories
