#pragma once
// gzip encoding of response bodies (zlib). The API layer compresses a packument once per change
// and serves the cached bytes to every client that sends Accept-Encoding: gzip.

#include <string>
#include <string_view>

namespace bulwark::http {

std::string GzipCompress(std::string_view data, int level = 6);
// True when the Accept-Encoding header value allows gzip (q > 0).
bool AcceptsGzip(std::string_view accept_encoding);

}  // namespace bulwark::http
