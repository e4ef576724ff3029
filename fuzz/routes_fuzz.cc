// Fuzzes the request-path and header parsing the API does itself (Beast parses HTTP framing):
// percent-decoding, package routes, query strings, Accept-Encoding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/routes.h"
#include "http/gzip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto r = bulwark::ParsePackageRoute(text)) {
    // A parsed route never carries an empty name, and scoped names keep their scope.
    if (r->name.empty()) __builtin_trap();
  }
  if (auto d = bulwark::PercentDecode(text)) {
    (void)bulwark::SplitSegments(*d, 2);
    // encodeURIComponent output always decodes back to its input.
    std::string enc = bulwark::PercentEncodeComponent(*d);
    auto back = bulwark::PercentDecode(enc);
    if (!back || *back != *d) __builtin_trap();
  }
  (void)bulwark::QueryParam(text, "text");
  (void)bulwark::http::AcceptsGzip(text);
  return 0;
}
