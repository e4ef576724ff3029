// HttpClient over libcurl's easy interface: one handle per request (thread-safe without
// sharing), http/https only (also after redirects), a whole-transfer timeout, and a byte bound
// enforced while receiving.

#include <curl/curl.h>

#include <mutex>

#include "base/strings.h"
#include "bulwark/env/http_client.h"

namespace bulwark {
namespace {

struct Sink {
  std::string body;
  uint64_t max = 0;
  bool overflow = false;
};

size_t OnData(char* data, size_t size, size_t n, void* arg) {
  auto* s = static_cast<Sink*>(arg);
  size_t len = size * n;
  if (s->body.size() + len > s->max) {
    s->overflow = true;
    return 0;  // Aborts the transfer (CURLE_WRITE_ERROR).
  }
  s->body.append(data, len);
  return len;
}

class CurlHttpClient final : public HttpClient {
 public:
  absl::StatusOr<HttpGetResult> Get(std::string_view url, const HttpGetOptions& o) override {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (!StartsWith(url, "http://") && !StartsWith(url, "https://")) {
      return absl::InvalidArgumentError(StrCat("not an http(s) URL: ", url));
    }
    CURL* h = curl_easy_init();
    if (!h) return absl::InternalError("curl_easy_init failed");
    std::string u(url);
    Sink sink;
    sink.max = o.max_bytes;
    std::string accept = StrCat("Accept: ", o.accept);
    curl_slist* headers = curl_slist_append(nullptr, accept.c_str());
    curl_easy_setopt(h, CURLOPT_URL, u.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(absl::ToInt64Milliseconds(o.timeout)));
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(o.max_bytes));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnData);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "bulwark-domain-monitor");
    CURLcode rc = curl_easy_perform(h);
    HttpGetResult out;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    char* type = nullptr;
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &type);
    if (type) out.content_type = type;
    curl_off_t retry = 0;
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK && retry > 0) {
      out.retry_after = StrCat(static_cast<int64_t>(retry));
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED) {
      return absl::ResourceExhaustedError(
          StrCat("answer from ", url, " is larger than ", o.max_bytes, " bytes"));
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return absl::DeadlineExceededError(StrCat("no answer from ", url, " in time"));
    }
    if (rc != CURLE_OK) {
      return absl::UnavailableError(StrCat(url, ": ", curl_easy_strerror(rc)));
    }
    out.status = static_cast<int>(status);
    out.body = std::move(sink.body);
    return out;
  }
};

}  // namespace

std::unique_ptr<HttpClient> NewCurlHttpClient() { return std::make_unique<CurlHttpClient>(); }

}  // namespace bulwark
