#pragma once
// HttpClient seam: outgoing HTTP requests (the upstream registries of docs/proxy.md, RDAP servers
// of docs/email-domains.md). The real
// implementation is libcurl (env/curl_http_client.cc); tests use a Bulwark on loopback or a fake.
//
// Contract:
//  - Fetch returns the response for any HTTP status (a 404 or 500 is a response, not an error).
//  - Unavailable when the server cannot be reached or the connection fails; DeadlineExceeded
//    when `timeout` passes first; ResourceExhausted when the (decoded) body exceeds `max_body`
//    (the transfer is aborted there, so a hostile upstream cannot fill memory);
//    InvalidArgument for a URL the client cannot use.
//  - Content-Encoding (gzip) is decoded; `max_body` bounds the decoded bytes.
//  - Thread-safe; connections may be reused between calls.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // Name, value.
  absl::Duration timeout = absl::Seconds(30);  // The whole exchange, connect included.
  uint64_t max_body = 10ull << 20;
  bool follow_redirects = true;  // At most 5 hops, http(s) only; false: a 3xx is the response.
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // Names lower case.
  std::string body;
  // The first header named `name` (lower case), or "".
  std::string_view Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual absl::StatusOr<HttpResponse> Fetch(const HttpRequest& request) = 0;
};

// libcurl, http and https (system CA store), one reused handle per calling thread.
absl::StatusOr<std::unique_ptr<HttpClient>> NewCurlHttpClient();

}  // namespace bulwark
