// HttpClient over libcurl's easy interface. One handle per thread (curl handles are not
// thread-safe, and a reused handle keeps its connection alive to the upstream).

#include <curl/curl.h>

#include <mutex>

#include "base/strings.h"
#include "bulwark/env/http_client.h"

namespace bulwark {
namespace {

struct Transfer {
  HttpResponse* response;
  uint64_t max_body;
  bool too_big = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  if (t->response->body.size() + bytes > t->max_body) {
    t->too_big = true;
    return 0;  // Aborts the transfer (CURLE_WRITE_ERROR).
  }
  t->response->body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  std::string_view line(data, bytes);
  if (StartsWith(line, "HTTP/")) {
    t->response->headers.clear();  // A new response (after a redirect or 100 Continue).
    return bytes;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name = AsciiStrToLower(line.substr(0, colon));
  std::string_view value = StripAsciiWhitespace(line.substr(colon + 1));
  if (t->response->headers.size() < 200) t->response->headers.emplace_back(name, value);
  return bytes;
}

struct Handle {
  CURL* curl = nullptr;
  Handle() : curl(curl_easy_init()) {}
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

class CurlHttpClient final : public HttpClient {
 public:
  absl::StatusOr<HttpResponse> Fetch(const HttpRequest& req) override {
    if (!StartsWith(req.url, "http://") && !StartsWith(req.url, "https://")) {
      return absl::InvalidArgumentError(StrCat("not an http(s) URL: ", req.url));
    }
    thread_local Handle handle;
    CURL* c = handle.curl;
    if (!c) return absl::InternalError("curl_easy_init failed");
    curl_easy_reset(c);
    HttpResponse response;
    Transfer t{&response, req.max_body};
    curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    // Redirects only to http(s), a few hops (registries redirect tarballs to CDNs).
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, req.follow_redirects ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(req.timeout)));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(req.timeout)));
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // Every encoding curl can decode.
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    // A declared length above the limit is refused before any byte is read.
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(req.max_body));
    curl_slist* headers = nullptr;
    for (const auto& [k, v] : req.headers) {
      headers = curl_slist_append(headers, StrCat(k, ": ", v).c_str());
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(headers);
    if (t.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
      return absl::ResourceExhaustedError(
          StrCat(req.url, ": response larger than ", req.max_body, " bytes"));
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return absl::DeadlineExceededError(StrCat(req.url, ": timed out"));
    }
    if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) {
      return absl::InvalidArgumentError(StrCat(req.url, ": ", curl_easy_strerror(rc)));
    }
    if (rc != CURLE_OK) {
      return absl::UnavailableError(StrCat(req.url, ": ", curl_easy_strerror(rc)));
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    return response;
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpClient>> NewCurlHttpClient() {
  static std::once_flag once;
  static CURLcode init = CURLE_OK;
  std::call_once(once, [] { init = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init != CURLE_OK) {
    return absl::InternalError(StrCat("curl_global_init: ", curl_easy_strerror(init)));
  }
  return std::make_unique<CurlHttpClient>();
}

}  // namespace bulwark
