#include "sandbox/sinks.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/json.h"
#include "base/strings.h"
#include "sandbox/wire.h"

namespace bulwark::sandbox {
namespace {

constexpr size_t kMaxConnBytes = 64 * 1024;   // Kept per connection (head + start of body).
constexpr size_t kMaxRecords = 8 << 20;       // All records together.
constexpr size_t kMaxConns = 64;              // Open at once; more are closed on accept.
constexpr double kConnIdleSeconds = 2.0;

double Now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

// Bytes as text safe for JSON and terminals: printable ASCII kept, the rest \xNN.
std::string Printable(std::string_view data, size_t limit) {
  std::string out;
  for (char c : data.substr(0, limit)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace

Sinks::~Sinks() {
  if (dns_fd_ >= 0) close(dns_fd_);
  for (auto& [fd, port] : listeners_) close(fd);
  for (auto& c : conns_) close(c.fd);
}

absl::Status Sinks::Open(bool skip_registry_port) {
  dns_fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(53);
  if (dns_fd_ < 0 || bind(dns_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    return absl::InternalError(StrCat("dns sink: ", std::strerror(errno)));
  }
  for (int port : kSinkPorts) {
    if (skip_registry_port && port == kRegistryPort) continue;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in t{};
    t.sin_family = AF_INET;
    t.sin_addr.s_addr = htonl(INADDR_ANY);  // 127.0.0.1 and 127.0.0.2 (resolved names).
    t.sin_port = htons(static_cast<uint16_t>(port));
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&t), sizeof t) != 0 || listen(fd, 64)) {
      return absl::InternalError(StrCat("tcp sink ", port, ": ", std::strerror(errno)));
    }
    listeners_.emplace_back(fd, port);
  }
  return absl::OkStatus();
}

void Sinks::Record(const std::string& line) {
  if (records_.size() + line.size() + 1 > kMaxRecords) return;
  records_ += line;
  records_ += '\n';
}

json::object SinkRecord(int port, double opened, std::string_view data, bool* http) {
  json::object r;
  r["t"] = opened;
  r["port"] = port;
  r["bytes"] = static_cast<int64_t>(data.size());
  if (http) *http = false;
  if (auto head = ParseHttpHead(data)) {
    if (http) *http = true;
    r["kind"] = "http";
    r["method"] = head->method;
    r["target"] = Printable(head->target, 2048);
    json::object headers;
    for (auto& [k, v] : head->headers) headers[Printable(k, 100)] = Printable(v, 1024);
    r["headers"] = std::move(headers);
    r["body"] = Printable(data.substr(head->head_end), 8192);
  } else if (std::string sni = ParseTlsSni(data); !sni.empty()) {
    r["kind"] = "tls";
    r["server_name"] = sni;
  } else {
    r["kind"] = "tcp";
    r["data"] = Printable(data, 4096);
  }
  return r;
}

void Sinks::Finish(Conn& c) {
  bool http = false;
  json::object r = SinkRecord(c.port, c.opened, c.data, &http);
  if (http) {
    static constexpr std::string_view kAnswer =
        "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 21\r\n"
        "connection: close\r\n\r\n{\"error\":\"not found\"}";
    (void)!write(c.fd, kAnswer.data(), kAnswer.size());
  }
  Record(ToJson(r));
  close(c.fd);
  c.fd = -1;
}

void Sinks::Poll(int extra_fd, int timeout_ms) {
  std::vector<pollfd> fds;
  fds.push_back({extra_fd, POLLIN, 0});
  fds.push_back({dns_fd_, POLLIN, 0});
  for (auto& [fd, port] : listeners_) fds.push_back({fd, POLLIN, 0});
  for (auto& c : conns_) fds.push_back({c.fd, POLLIN, 0});
  if (poll(fds.data(), fds.size(), timeout_ms) < 0) return;
  if (fds[1].revents & POLLIN) {
    char buf[1500];
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n;
    while ((n = recvfrom(dns_fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from),
                         &len)) > 0) {
      std::string_view msg(buf, static_cast<size_t>(n));
      json::object r;
      r["t"] = Now();
      r["kind"] = "dns";
      if (auto q = ParseDnsQuery(msg)) {
        r["name"] = q->name;
        r["type"] = q->type;
        std::string answer = BuildDnsAnswer(msg, *q, kSinkAddress);
        sendto(dns_fd_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from),
               len);
      } else {
        r["malformed"] = Printable(msg, 256);
      }
      Record(ToJson(r));
      len = sizeof from;
    }
  }
  for (size_t i = 0; i < listeners_.size(); ++i) {
    if (!(fds[2 + i].revents & POLLIN)) continue;
    int fd;
    while ((fd = accept4(listeners_[i].first, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
           0) {
      if (conns_.size() >= kMaxConns) {
        close(fd);
        continue;
      }
      conns_.push_back(Conn{fd, listeners_[i].second, "", Now()});
    }
  }
  const size_t first_conn = 2 + listeners_.size();
  const double now = Now();
  for (size_t i = 0; i < conns_.size(); ++i) {
    Conn& c = conns_[i];
    bool done = false;
    if (first_conn + i < fds.size() && (fds[first_conn + i].revents & (POLLIN | POLLHUP))) {
      char buf[16384];
      ssize_t n = read(c.fd, buf, sizeof buf);
      if (n <= 0) {
        done = n == 0 || errno != EAGAIN;
      } else {
        c.data.append(buf, static_cast<size_t>(std::min<size_t>(
                               static_cast<size_t>(n), kMaxConnBytes - c.data.size())));
        auto head = ParseHttpHead(c.data);
        int64_t length = 0;
        if (head) {
          for (auto& [k, v] : head->headers) {
            if (k == "content-length") SimpleAtoi(v, &length);
          }
        }
        done = c.data.size() >= kMaxConnBytes ||
               (head && c.data.size() >= head->head_end + static_cast<size_t>(std::max<int64_t>(
                                                               0, std::min<int64_t>(length, 60000)))) ||
               !ParseTlsSni(c.data).empty();
      }
    }
    if (done || now - c.opened > kConnIdleSeconds) Finish(c);
  }
  std::erase_if(conns_, [](const Conn& c) { return c.fd < 0; });
}

void Sinks::Flush(const std::string& path) {
  for (auto& c : conns_) Finish(c);
  conns_.clear();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  (void)!write(fd, records_.data(), records_.size());
  close(fd);
}

}  // namespace bulwark::sandbox
