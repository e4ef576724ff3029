#pragma once
// HttpClient seam: bounded HTTP GETs to outside services (RDAP servers for the expired-domain
// monitor, docs/email-domains.md). The real one is libcurl (env/net/curl_http_client.cc).
//
// Contract:
//  - Any HTTP status is a response (the caller decides what 404 means); transport failures
//    (DNS, connect, TLS, reset) are Unavailable, a timeout is DeadlineExceeded, and a body past
//    `max_bytes` is ResourceExhausted (the transfer is aborted, never buffered in full).
//  - Only http:// and https:// URLs; redirects are followed at most 3 times, within those.
//  - Thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "bulwark/base/status.h"

namespace bulwark {

struct HttpGetOptions {
  std::string accept = "application/json";
  absl::Duration timeout = absl::Seconds(10);  // Whole transfer.
  uint64_t max_bytes = 1 << 20;
};

struct HttpGetResult {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;  // The Retry-After header, when the server sent one (429/503).
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual absl::StatusOr<HttpGetResult> Get(std::string_view url,
                                            const HttpGetOptions& options) = 0;
};

std::unique_ptr<HttpClient> NewCurlHttpClient();

}  // namespace bulwark
