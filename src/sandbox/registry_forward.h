#pragma once
// Registry reads from inside the sandbox (docs/sandbox.md §Dependencies): the host side of a run
// (outside the network namespace) listens on the namespace's port kRegistryPort, where npm's
// registry is configured, and forwards GET/HEAD of packument and tarball paths — nothing else,
// and without any credentials — to the configured Bulwark, rewriting tarball URLs in packuments
// to the in-sandbox address. Every other request is answered 403/404 and recorded exactly as a
// sink records it, so the rules over sinks (credential-sent) see it. Single-threaded.

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "bulwark/env/http_client.h"

namespace bulwark::sandbox {

// The registry's address inside the sandbox (npm_config_registry), without the trailing slash.
inline constexpr std::string_view kSandboxRegistryBase = "http://127.0.0.1:4873";

// Whether `target` is a packument (/name, /@scope/name, /@scope%2fname) or tarball
// (/name/-/file.tgz, /@scope/name/-/file.tgz) path: nothing else is forwarded.
bool IsRegistryReadPath(std::string_view target);

// `body` with every `"<upstream>/` replaced by `"<kSandboxRegistryBase>/` (the tarball URLs of a
// packument). `upstream` without the trailing slash.
std::string RewriteRegistryUrls(std::string_view body, std::string_view upstream);

class RegistryForwarder {
 public:
  // `upstream`: the registry URL (a trailing slash is dropped). `client` outlives this.
  RegistryForwarder(std::string upstream, HttpClient& client);
  ~RegistryForwarder();
  RegistryForwarder(const RegistryForwarder&) = delete;
  RegistryForwarder& operator=(const RegistryForwarder&) = delete;

  // Listens on 0.0.0.0:kRegistryPort inside the network namespace of `ns_pid` (setns there and
  // back: the caller must be single-threaded and privileged over that namespace).
  absl::Status Listen(pid_t ns_pid);
  // Serves what arrived within `timeout_ms`. A forwarded request blocks up to its own timeout.
  void Poll(int timeout_ms);
  // Sink-format JSON lines of refused requests (port kRegistryPort), and JSON lines of the
  // forwarded ones ({"t","method","target","status","bytes"}). Closes what is still open.
  void Finish(std::string* sinks, std::string* fetches);

 private:
  struct Conn {
    int fd = -1;
    std::string data;
    double opened = 0;
  };
  void Serve(Conn& c);

  std::string upstream_;
  HttpClient& client_;
  int listen_fd_ = -1;
  std::vector<Conn> conns_;
  std::string sinks_, fetches_;
  size_t served_ = 0;
};

}  // namespace bulwark::sandbox
