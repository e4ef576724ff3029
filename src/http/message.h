#pragma once
// HTTP request and response values handed between the Beast server and the application. They
// carry no Beast types, so the npm API layer compiles without Boost.Beast.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bulwark::http {

// What is known once the request head has been read, before its body.
struct RequestHead {
  std::string method;  // Upper case, as sent ("GET", "PUT"...).
  std::string path;    // The target's path, still percent-encoded.
  std::string query;   // Raw query string, without '?'.
  std::vector<std::pair<std::string, std::string>> headers;  // Names lower-cased.
  std::string remote_ip;
  bool secure = false;

  // First value of header `name` (lower case), or empty.
  std::string_view Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return {};
  }
};

struct Request : RequestHead {
  std::string body;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, these shared bytes are sent instead of `body`, without copying (cached
  // packuments and tarballs).
  std::shared_ptr<const std::string> shared_body;
  // When set, the body is streamed from this file (size `file_size`) instead of `body`.
  std::string file_path;
  uint64_t file_size = 0;

  Response& Set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static Response Json(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers.emplace_back("content-type", "application/json");
    return r;
  }
};

// The application served by http::Server. Called from I/O threads except Handle.
class Application {
 public:
  virtual ~Application() = default;
  // Largest body accepted for this request; a larger one gets 413 before it is read.
  virtual uint64_t BodyLimit(const RequestHead& head) = 0;
  // Answers on the I/O thread when that needs no blocking work (a cached packument); returns
  // false to have Handle run on the worker pool instead.
  virtual bool TryFast(const Request& request, Response& response) = 0;
  // Runs on a worker thread; may block on storage.
  virtual Response Handle(const Request& request) = 0;
};

}  // namespace bulwark::http
