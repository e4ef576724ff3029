#pragma once
// http::Server: Boost.Beast over C++20 coroutines, one coroutine per connection. Every read has
// a timeout, a header limit and a per-request body limit chosen by the application; blocking
// work runs on a bounded worker pool, never on the I/O threads. Stops gracefully on Stop() (the
// CLI calls it on SIGINT/SIGTERM).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "bulwark/base/status.h"
#include "http/message.h"

namespace bulwark::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 4873;  // 0 picks a free port (see Server::port()).
  int io_threads = 2;
  int worker_threads = 4;
  uint32_t header_limit = 16 * 1024;  // Header block bytes; npm sends well under 2 KB.
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds idle_timeout{60};
  // Requests served on one connection before it is closed, so one client cannot hold a
  // connection (and its buffers) forever.
  uint32_t max_requests_per_connection = 100000;
};

class Server {
 public:
  virtual ~Server() = default;
  // Binds and listens; the port is known after this returns.
  virtual absl::Status Listen() = 0;
  virtual uint16_t port() const = 0;
  // Serves until Stop(); returns after in-flight requests have finished (or the grace period).
  virtual void Run() = 0;
  // Thread-safe and signal-handler safe to call from another thread.
  virtual void Stop() = 0;
};

std::unique_ptr<Server> NewBeastServer(ServerOptions options, Application& app);

}  // namespace bulwark::http
