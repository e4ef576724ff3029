// CurlHttpFetcher: HttpFetcher over libcurl's easy interface, one handle per call.

#include <curl/curl.h>

#include <mutex>

#include "base/strings.h"
#include "bulwark/env/http_fetcher.h"

namespace bulwark {
namespace {

struct Sink {
  std::string body;
  size_t max_bytes = 0;
  bool overflow = false;
};

size_t Write(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t len = size * n;
  if (sink->body.size() + len > sink->max_bytes) {
    sink->overflow = true;
    return 0;  // Makes curl stop with CURLE_WRITE_ERROR.
  }
  sink->body.append(data, len);
  return len;
}

class CurlHttpFetcher final : public HttpFetcher {
 public:
  explicit CurlHttpFetcher(absl::Duration timeout) : timeout_(timeout) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  absl::StatusOr<std::string> Get(std::string_view url, size_t max_bytes) override {
    if (!StartsWith(url, "https://") && !StartsWith(url, "http://")) {
      return absl::InvalidArgumentError(StrCat("not an http(s) URL: ", url));
    }
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
    std::string u(url);
    Sink sink;
    sink.max_bytes = max_bytes;
    curl_easy_setopt(curl, CURLOPT_URL, u.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(timeout_)));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "bulwark");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (sink.overflow) {
      return absl::ResourceExhaustedError(StrCat(url, ": response larger than ", max_bytes));
    }
    if (rc != CURLE_OK) {
      return absl::UnavailableError(StrCat("GET ", url, ": ", curl_easy_strerror(rc)));
    }
    if (status != 200) return absl::UnavailableError(StrCat("GET ", url, ": HTTP ", status));
    return std::move(sink.body);
  }

 private:
  const absl::Duration timeout_;
};

}  // namespace

std::unique_ptr<HttpFetcher> NewCurlHttpFetcher(absl::Duration timeout) {
  return std::make_unique<CurlHttpFetcher>(timeout);
}

}  // namespace bulwark
