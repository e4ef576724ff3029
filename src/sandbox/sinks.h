#pragma once
// The fake internet inside the sandbox's network namespace (docs/sandbox.md §Sinks): a DNS
// responder on 127.0.0.1:53 that answers every A query with 127.0.0.2, and TCP sinks on the
// usual ports that record the first bytes of each connection (HTTP request head and body,
// TLS server name) and answer 404. Runs in the namespace's pid 1; single-threaded.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "base/json.h"

namespace bulwark::sandbox {

// Ports with a sink; a connect to any other port is refused by the kernel (and still traced).
inline constexpr int kSinkPorts[] = {80, 443, 3000, 4873, 5000, 8000, 8080, 8443, 9000};
inline constexpr unsigned kSinkAddress = 0x7f000002;  // 127.0.0.2, what every name resolves to.

// The port npm's registry is configured at inside the sandbox (npm_config_registry). With a
// registry to forward to, the host side serves it (sandbox/registry_forward.h), not a sink.
inline constexpr int kRegistryPort = 4873;

// The record of one sink connection: an HTTP request's method, target, headers and body, a TLS
// ClientHello's server name, or raw bytes. `http` tells whether it was an HTTP request.
json::object SinkRecord(int port, double opened, std::string_view data, bool* http = nullptr);

class Sinks {
 public:
  Sinks() = default;
  ~Sinks();
  Sinks(const Sinks&) = delete;
  Sinks& operator=(const Sinks&) = delete;

  // `skip_registry_port`: leave kRegistryPort to the registry forwarder.
  absl::Status Open(bool skip_registry_port = false);
  // Waits up to `timeout_ms` for traffic (or for `extra_fd` to become readable) and serves it.
  void Poll(int extra_fd, int timeout_ms);
  // Records what is still open and writes every record as JSON lines to `path`.
  void Flush(const std::string& path);

 private:
  struct Conn {
    int fd = -1;
    int port = 0;
    std::string data;
    double opened = 0;
  };
  void Record(const std::string& json_line);
  void Finish(Conn& c);

  int dns_fd_ = -1;
  std::vector<std::pair<int, int>> listeners_;  // fd, port
  std::vector<Conn> conns_;
  std::string records_;
};

}  // namespace bulwark::sandbox
