// Resolver over c-ares (Debian bookworm ships 1.18): one channel per lookup, driven with poll()
// (not select(), whose FD_SETSIZE a busy server can exceed). c-ares parses the answers; this
// file only maps its status codes: ENOTFOUND is NXDOMAIN, ENODATA is NOERROR without records,
// everything else is a failure that must not become a verdict.

#include <arpa/nameser.h>
#include <ares.h>
#include <poll.h>

#include <mutex>

#include "base/strings.h"
#include "bulwark/env/resolver.h"

namespace bulwark {
namespace {

// ARES_GETSOCK_MAXNUM sockets at most per channel.
constexpr int kMaxSockets = ARES_GETSOCK_MAXNUM;

struct Reply {
  bool done = false;
  int status = ARES_SUCCESS;
  std::string answer;
};

void OnReply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* r = static_cast<Reply*>(arg);
  r->done = true;
  r->status = status;
  if (status == ARES_SUCCESS && abuf && alen > 0) {
    r->answer.assign(reinterpret_cast<const char*>(abuf), static_cast<size_t>(alen));
  }
}

absl::Status Failure(int status, std::string_view what, std::string_view domain) {
  std::string msg = StrCat(what, " ", domain, ": ", ares_strerror(status));
  if (status == ARES_ETIMEOUT) return absl::DeadlineExceededError(msg);
  return absl::UnavailableError(msg);
}

class CaresResolver final : public Resolver {
 public:
  explicit CaresResolver(ResolverOptions options) : options_(std::move(options)) {}

  absl::Status Validate() {
    BULWARK_ASSIGN_OR_RETURN(Channel ch, Open());
    return absl::OkStatus();
  }

  absl::StatusOr<MailDnsAnswer> LookupMail(std::string_view domain) override {
    MailDnsAnswer out;
    BULWARK_ASSIGN_OR_RETURN(Reply mx, Query(domain, ns_t_mx));
    if (mx.status == ARES_ENOTFOUND) {
      out.nxdomain = true;
      return out;
    }
    if (mx.status == ARES_SUCCESS) {
      struct ares_mx_reply* list = nullptr;
      int rc = ares_parse_mx_reply(reinterpret_cast<const unsigned char*>(mx.answer.data()),
                                   static_cast<int>(mx.answer.size()), &list);
      if (rc == ARES_SUCCESS) {
        for (auto* m = list; m != nullptr; m = m->next) {
          std::string host = m->host ? AsciiStrToLower(m->host) : "";
          if (!host.empty() && host.back() == '.') host.pop_back();
          out.mx.push_back(MxRecord{static_cast<int>(m->priority), std::move(host)});
        }
        ares_free_data(list);
      } else if (rc != ARES_ENODATA) {
        return Failure(rc, "malformed MX answer for", domain);
      }
    } else if (mx.status != ARES_ENODATA) {
      return Failure(mx.status, "MX", domain);
    }
    if (!out.mx.empty()) return out;
    // No MX: RFC 5321 §5.1's implicit MX is the domain's own A/AAAA.
    for (int type : {ns_t_a, ns_t_aaaa}) {
      BULWARK_ASSIGN_OR_RETURN(Reply a, Query(domain, type));
      if (a.status == ARES_SUCCESS) {
        out.has_address = true;
        break;
      }
      if (a.status == ARES_ENOTFOUND) {
        // The name vanished between the two questions: report what the last answer said.
        out.nxdomain = true;
        return out;
      }
      if (a.status != ARES_ENODATA) {
        return Failure(a.status, type == ns_t_a ? "A" : "AAAA", domain);
      }
    }
    return out;
  }

 private:
  struct Channel {
    ares_channel ch = nullptr;
    Channel() = default;
    Channel(Channel&& o) noexcept : ch(o.ch) { o.ch = nullptr; }
    ~Channel() {
      if (ch) ares_destroy(ch);
    }
  };

  absl::StatusOr<Channel> Open() {
    static std::once_flag once;
    static int init_rc = ARES_SUCCESS;
    std::call_once(once, [] { init_rc = ares_library_init(ARES_LIB_INIT_ALL); });
    if (init_rc != ARES_SUCCESS) {
      return absl::InternalError(StrCat("c-ares: ", ares_strerror(init_rc)));
    }
    struct ares_options opts {};
    opts.timeout = static_cast<int>(absl::ToInt64Milliseconds(options_.timeout));
    opts.tries = options_.tries;
    // No search list: the names asked are always fully qualified.
    opts.flags = ARES_FLAG_NOSEARCH;
    Channel c;
    int rc = ares_init_options(&c.ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
    if (rc != ARES_SUCCESS) return absl::UnavailableError(StrCat("c-ares: ", ares_strerror(rc)));
    if (!options_.servers.empty()) {
      rc = ares_set_servers_ports_csv(c.ch, options_.servers.c_str());
      if (rc != ARES_SUCCESS) {
        return absl::InvalidArgumentError(
            StrCat("resolver \"", options_.servers, "\" is not HOST:PORT[,HOST:PORT]: ",
                   ares_strerror(rc)));
      }
    }
    return c;
  }

  absl::StatusOr<Reply> Query(std::string_view domain, int type) {
    BULWARK_ASSIGN_OR_RETURN(Channel c, Open());
    Reply reply;
    std::string name(domain);
    ares_query(c.ch, name.c_str(), ns_c_in, type, OnReply, &reply);
    while (!reply.done) {
      ares_socket_t socks[kMaxSockets];
      int bits = ares_getsock(c.ch, socks, kMaxSockets);
      pollfd fds[kMaxSockets];
      int n = 0;
      for (int i = 0; i < kMaxSockets; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events == 0) continue;
        fds[n++] = pollfd{socks[i], events, 0};
      }
      timeval tv{};
      timeval* left = ares_timeout(c.ch, nullptr, &tv);
      int ms = left ? static_cast<int>(left->tv_sec * 1000 + left->tv_usec / 1000) : 1000;
      int ready = poll(fds, n, ms);
      if (ready <= 0) {
        ares_process_fd(c.ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // Timeouts and retries.
        continue;
      }
      for (int i = 0; i < n; ++i) {
        ares_socket_t r = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd
                                                                           : ARES_SOCKET_BAD;
        ares_socket_t w = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
        if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD) ares_process_fd(c.ch, r, w);
      }
    }
    return reply;
  }

  const ResolverOptions options_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Resolver>> NewCaresResolver(const ResolverOptions& options) {
  if (options.tries < 1) return absl::InvalidArgumentError("resolver tries must be at least 1");
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("resolver timeout must be positive");
  }
  auto r = std::make_unique<CaresResolver>(options);
  BULWARK_RETURN_IF_ERROR(r->Validate());
  return r;
}

}  // namespace bulwark
