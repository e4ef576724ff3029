#pragma once
// HttpFetcher seam: GET a small document over HTTP(S) (OIDC discovery documents and JWKS for
// trusted publishing, docs/trusted-publishing.md).
//
// Contract:
//  - Get returns the body of a 200 response. Unavailable when the server cannot be reached or
//    answers anything but 200 (the message names the URL and the status); ResourceExhausted
//    when the body exceeds `max_bytes`; InvalidArgument for a URL that is not http(s).
//  - Redirects are not followed (a discovery document must name its JWKS directly).
//  - Thread-safe; each call has its own connection and a bounded total time.

#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

class HttpFetcher {
 public:
  virtual ~HttpFetcher() = default;
  virtual absl::StatusOr<std::string> Get(std::string_view url, size_t max_bytes) = 0;
};

// libcurl underneath (src/env/curl_fetcher.cc); `timeout` bounds each whole request.
std::unique_ptr<HttpFetcher> NewCurlHttpFetcher(absl::Duration timeout = absl::Seconds(10));

}  // namespace bulwark
