#include "base/strings.h"
#include "http/gzip.h"

#include <zlib.h>

#include "absl/strings/ascii.h"

namespace bulwark::http {

std::string GzipCompress(std::string_view data, int level) {
  z_stream zs{};
  // windowBits 15 + 16: write a gzip header and trailer.
  deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

bool AcceptsGzip(std::string_view accept_encoding) {
  for (std::string_view part : StrSplit(accept_encoding, ',')) {
    part = StripAsciiWhitespace(part);
    std::string_view coding = part.substr(0, part.find(';'));
    coding = StripAsciiWhitespace(coding);
    if (!EqualsIgnoreCase(coding, "gzip") && coding != "*") continue;
    auto q = part.find("q=");
    if (q == std::string_view::npos) return true;
    return part.substr(q + 2).find_first_not_of("0.") != std::string_view::npos;
  }
  return false;
}

}  // namespace bulwark::http
