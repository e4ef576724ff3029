#include "sandbox/registry_forward.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "base/json.h"
#include "base/strings.h"
#include "sandbox/sinks.h"
#include "sandbox/wire.h"

namespace bulwark::sandbox {
namespace {

constexpr size_t kMaxConnBytes = 64 * 1024;  // A request: head and the start of a body.
constexpr size_t kMaxConns = 32;             // Open at once; more are closed on accept.
constexpr size_t kMaxRequests = 4000;        // Per run; later ones are refused.
constexpr uint64_t kMaxPackument = 32ull << 20;
constexpr uint64_t kMaxTarball = 64ull << 20;  // The sandbox's own file size limit.
constexpr double kConnIdleSeconds = 5.0;
constexpr int kUpstreamSeconds = 30;
constexpr int kSendSeconds = 10;

double Now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

// One name segment (scope without '@', or the package name): npm's characters, not starting
// with '.', '_' or '-', at most 214 characters.
bool Segment(std::string_view s) {
  if (s.empty() || s.size() > 214 || s[0] == '.' || s[0] == '_' || s[0] == '-') return false;
  return std::all_of(s.begin(), s.end(), NameChar);
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void Answer(int fd, int status, std::string_view type, std::string_view body, bool head_only) {
  std::string_view reason = status == 200   ? "OK"
                            : status == 304 ? "Not Modified"
                            : status == 403 ? "Forbidden"
                            : status == 404 ? "Not Found"
                                            : "Status";
  std::string out = StrCat("HTTP/1.1 ", status, " ", reason, "\r\ncontent-type: ", type,
                           "\r\ncontent-length: ", body.size(), "\r\nconnection: close\r\n\r\n");
  if (!head_only) out.append(body);
  SendAll(fd, out);
}

}  // namespace

bool IsRegistryReadPath(std::string_view t) {
  if (!ConsumePrefix(&t, "/")) return false;
  std::string_view tarball;
  if (size_t dash = t.find("/-/"); dash != std::string_view::npos) {
    tarball = t.substr(dash + 3);
    t = t.substr(0, dash);
    if (!Segment(tarball) || tarball.size() < 5 || tarball.substr(tarball.size() - 4) != ".tgz" ||
        StrContains(tarball, "..")) {
      return false;
    }
  }
  if (ConsumePrefix(&t, "@")) {
    size_t sep = t.find('/');
    size_t len = 1;
    if (sep == std::string_view::npos) {
      sep = t.find("%2f");
      if (sep == std::string_view::npos) sep = t.find("%2F");
      len = 3;
    }
    if (sep == std::string_view::npos || !Segment(t.substr(0, sep))) return false;
    t = t.substr(sep + len);
  }
  return Segment(t) && !StrContains(t, "..");
}

std::string RewriteRegistryUrls(std::string_view body, std::string_view upstream) {
  if (upstream.empty()) return std::string(body);
  const std::string from = StrCat("\"", upstream, "/");
  const std::string to = StrCat("\"", kSandboxRegistryBase, "/");
  std::string out;
  out.reserve(body.size());
  size_t pos = 0;
  while (true) {
    size_t hit = body.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(body.substr(pos, hit - pos));
    out += to;
    pos = hit + from.size();
  }
  out.append(body.substr(pos));
  return out;
}

RegistryForwarder::RegistryForwarder(std::string upstream, HttpClient& client)
    : upstream_(std::move(upstream)), client_(client) {
  while (!upstream_.empty() && upstream_.back() == '/') upstream_.pop_back();
}

RegistryForwarder::~RegistryForwarder() {
  if (listen_fd_ >= 0) close(listen_fd_);
  for (auto& c : conns_) {
    if (c.fd >= 0) close(c.fd);
  }
}

absl::Status RegistryForwarder::Listen(pid_t ns_pid) {
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int target = open(StrCat("/proc/", ns_pid, "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
  if (self < 0 || target < 0) {
    if (self >= 0) close(self);
    if (target >= 0) close(target);
    return absl::InternalError(StrCat("registry forwarder: ", std::strerror(errno)));
  }
  absl::Status status = absl::OkStatus();
  if (setns(target, CLONE_NEWNET) != 0) {
    status = absl::FailedPreconditionError(
        StrCat("registry forwarder: cannot enter the sandbox's network: ", std::strerror(errno)));
  } else {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);  // 127.0.0.1 (npm) and 127.0.0.2 (resolved names).
    a.sin_port = htons(static_cast<uint16_t>(kRegistryPort));
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 64)) {
      status = absl::InternalError(StrCat("registry forwarder: listen: ", std::strerror(errno)));
      if (fd >= 0) close(fd);
    } else {
      listen_fd_ = fd;
    }
    // Back to the host's network: the fetches below must reach the registry.
    if (setns(self, CLONE_NEWNET) != 0) {
      std::fprintf(stderr, "registry forwarder: cannot leave the sandbox's network\n");
      std::abort();
    }
  }
  close(self);
  close(target);
  return status;
}

void RegistryForwarder::Serve(Conn& c) {
  std::optional<HttpHead> head = ParseHttpHead(c.data);
  const bool read = head && (head->method == "GET" || head->method == "HEAD");
  if (!read || !IsRegistryReadPath(head->target) || served_ >= kMaxRequests) {
    // Refused: recorded exactly as a sink records a connection.
    bool http = false;
    json::object r = SinkRecord(kRegistryPort, c.opened, c.data, &http);
    r["refused"] = true;
    sinks_ += ToJson(r);
    sinks_ += '\n';
    if (http) {
      Answer(c.fd, read ? 404 : 403, "application/json",
             read ? "{\"error\":\"not found\"}" : "{\"error\":\"read-only registry\"}", false);
    }
    return;
  }
  ++served_;
  const bool tarball = StrContains(head->target, "/-/");
  HttpRequest req;
  req.method = head->method;
  req.url = StrCat(upstream_, head->target);
  req.timeout = absl::Seconds(kUpstreamSeconds);
  req.max_body = tarball ? kMaxTarball : kMaxPackument;
  req.follow_redirects = false;
  for (const auto& [k, v] : head->headers) {
    // Only content negotiation (npm's abbreviated packuments); never credentials or cookies.
    if (k == "accept" && v.size() <= 256 &&
        std::all_of(v.begin(), v.end(), [](char ch) { return ch >= 0x20 && ch < 0x7f; })) {
      req.headers.emplace_back("accept", v);
    }
  }
  json::object rec;
  rec["t"] = c.opened;
  rec["kind"] = "registry";
  rec["port"] = kRegistryPort;
  rec["method"] = head->method;
  rec["target"] = head->target.substr(0, 2048);
  auto resp = client_.Fetch(req);
  if (!resp.ok()) {
    rec["status"] = 502;
    rec["error"] = resp.status().ToString().substr(0, 300);
    Answer(c.fd, 502, "application/json", "{\"error\":\"registry unavailable\"}", false);
  } else {
    std::string type(resp->Header("content-type"));
    if (type.empty() || type.find_first_of("\r\n") != std::string::npos) {
      type = "application/octet-stream";
    }
    std::string body = tarball ? std::move(resp->body) : RewriteRegistryUrls(resp->body, upstream_);
    rec["status"] = resp->status;
    rec["bytes"] = static_cast<int64_t>(body.size());
    Answer(c.fd, resp->status, type, body, head->method == "HEAD");
  }
  fetches_ += ToJson(rec);
  fetches_ += '\n';
}

void RegistryForwarder::Poll(int timeout_ms) {
  if (listen_fd_ < 0) {
    usleep(static_cast<useconds_t>(timeout_ms) * 1000);
    return;
  }
  std::vector<pollfd> fds;
  fds.push_back({listen_fd_, POLLIN, 0});
  for (auto& c : conns_) fds.push_back({c.fd, POLLIN, 0});
  if (poll(fds.data(), fds.size(), timeout_ms) < 0) return;
  if (fds[0].revents & POLLIN) {
    int fd;
    while ((fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
      if (conns_.size() >= kMaxConns) {
        close(fd);
        continue;
      }
      conns_.push_back(Conn{fd, "", Now()});
    }
  }
  const double now = Now();
  for (size_t i = 0; i < conns_.size(); ++i) {
    Conn& c = conns_[i];
    bool done = false;
    if (1 + i < fds.size() && (fds[1 + i].revents & (POLLIN | POLLHUP))) {
      char buf[16384];
      ssize_t n = read(c.fd, buf, sizeof buf);
      if (n <= 0) {
        done = n == 0 || errno != EAGAIN;
      } else {
        c.data.append(buf, std::min<size_t>(static_cast<size_t>(n), kMaxConnBytes - c.data.size()));
        auto head = ParseHttpHead(c.data);
        int64_t length = 0;
        if (head) {
          for (auto& [k, v] : head->headers) {
            if (k == "content-length") SimpleAtoi(v, &length);
          }
        }
        done = c.data.size() >= kMaxConnBytes ||
               (head && c.data.size() >= head->head_end + static_cast<size_t>(std::clamp<int64_t>(
                                                               length, 0, 60000)));
      }
    }
    if (done || now - c.opened > kConnIdleSeconds) {
      // The answer is written blocking, bounded by a send timeout.
      fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) & ~O_NONBLOCK);
      timeval tv{kSendSeconds, 0};
      setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      Serve(c);
      close(c.fd);
      c.fd = -1;
    }
  }
  std::erase_if(conns_, [](const Conn& c) { return c.fd < 0; });
}

void RegistryForwarder::Finish(std::string* sinks, std::string* fetches) {
  served_ = kMaxRequests;  // The namespace is gone: nothing more is forwarded, only recorded.
  for (auto& c : conns_) {
    if (c.data.empty()) {
      close(c.fd);
      c.fd = -1;
      continue;
    }
    Serve(c);
    close(c.fd);
    c.fd = -1;
  }
  conns_.clear();
  *sinks = std::move(sinks_);
  *fetches = std::move(fetches_);
}

}  // namespace bulwark::sandbox
