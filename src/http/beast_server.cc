// Beast server. Shaped after Beast's awaitable and advanced_server examples: an acceptor
// coroutine spawns one session coroutine per connection; a session reads the header first, asks
// the application for this route's body limit, then reads the body.

#include <atomic>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "base/strings.h"
#include "absl/strings/ascii.h"
#include "http/server.h"

namespace bulwark::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);

// Runs `f` on the worker pool and resumes the calling coroutine on its own executor.
template <typename F>
net::awaitable<Response> RunOnPool(net::thread_pool& pool, F f) {
  return net::async_initiate<const net::use_awaitable_t<>, void(Response)>(
      [&pool](auto handler, F fn) {
        net::post(pool, [handler = std::move(handler), fn = std::move(fn)]() mutable {
          Response r = fn();
          auto ex = net::get_associated_executor(handler);
          net::dispatch(ex, [handler = std::move(handler), r = std::move(r)]() mutable {
            std::move(handler)(std::move(r));
          });
        });
      },
      net::use_awaitable, std::move(f));
}

Response PlainError(int status, std::string_view message) {
  return Response::Json(status, StrCat("{\"error\":\"", message, "\"}"));
}

class BeastServer final : public Server {
 public:
  BeastServer(ServerOptions options, Application& app)
      : options_(std::move(options)),
        app_(app),
        ioc_(options_.io_threads),
        pool_(options_.worker_threads),
        acceptor_(ioc_) {}

  ~BeastServer() override { pool_.join(); }

  absl::Status Listen() override {
    boost::system::error_code ec;
    auto addr = net::ip::make_address(options_.host, ec);
    if (ec) return absl::InvalidArgumentError("bad listen address " + options_.host);
    tcp::endpoint ep(addr, options_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          StrCat("cannot listen on ", options_.host, ":", options_.port, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    return absl::OkStatus();
  }

  uint16_t port() const override { return port_; }

  void Run() override {
    net::co_spawn(ioc_, Accept(), net::detached);
    std::vector<std::thread> threads;
    for (int i = 1; i < options_.io_threads; ++i) threads.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& t : threads) t.join();
    pool_.join();
  }

  void Stop() override {
    if (stopping_.exchange(true)) return;
    net::post(ioc_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      // Give in-flight requests a grace period, then stop the loop.
      auto timer = std::make_shared<net::steady_timer>(ioc_, std::chrono::seconds(5));
      auto check = std::make_shared<std::function<void()>>();
      *check = [this, timer, check] {
        if (active_sessions_.load() == 0) {
          ioc_.stop();
          return;
        }
        timer->expires_after(std::chrono::milliseconds(50));
        timer->async_wait([this, check, timer](boost::system::error_code) {
          if (++grace_ticks_ > 100) ioc_.stop();
          else (*check)();
        });
      };
      (*check)();
    });
  }

 private:
  net::awaitable<void> Accept() {
    while (!stopping_.load()) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec) {
        if (stopping_.load() || ec == net::error::operation_aborted) break;
        continue;  // EMFILE and friends: keep serving the connections we have.
      }
      socket.set_option(tcp::no_delay(true), ec);
      net::co_spawn(acceptor_.get_executor(), Session(std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> Session(tcp::socket socket) {
    ++active_sessions_;
    struct Guard {
      std::atomic<int>& n;
      ~Guard() { --n; }
    } guard{active_sessions_};

    std::string remote_ip;
    {
      boost::system::error_code ec;
      auto ep = socket.remote_endpoint(ec);
      if (!ec) remote_ip = ep.address().to_string();
    }
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (uint32_t served = 0; served < options_.max_requests_per_connection; ++served) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(options_.header_limit);
      // The real limit is chosen per route once the head is known; Beast would otherwise
      // refuse at the header a Content-Length above its default.
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      stream.expires_after(served == 0 ? options_.read_timeout : options_.idle_timeout);
      auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kNoThrow);
      if (ec) {
        if (ec == bhttp::error::header_limit) {
          co_await Write(stream, PlainError(431, "request header fields too large"), false, false);
        } else if (ec != bhttp::error::end_of_stream && ec != net::error::eof &&
                   ec != beast::error::timeout && ec != net::error::connection_reset) {
          co_await Write(stream, PlainError(400, "malformed HTTP request"), false, false);
        }
        break;
      }
      auto& hreq = parser.get();
      Request req;
      req.method = std::string(hreq.method_string());
      std::string_view target(hreq.target().data(), hreq.target().size());
      if (auto q = target.find('?'); q != std::string_view::npos) {
        req.path = std::string(target.substr(0, q));
        req.query = std::string(target.substr(q + 1));
      } else {
        req.path = std::string(target);
      }
      req.remote_ip = remote_ip;
      for (const auto& f : hreq) {
        req.headers.emplace_back(AsciiStrToLower(std::string_view(f.name_string().data(),
                                                                        f.name_string().size())),
                                 std::string(f.value()));
      }
      const bool head_only = req.method == "HEAD";
      uint64_t limit = app_.BodyLimit(req);
      if (parser.content_length() && *parser.content_length() > limit) {
        co_await Write(stream, PlainError(413, StrCat("request body is larger than the ",
                                                            limit, "-byte limit")),
                       false, false);
        co_await LingeringClose(stream);
        co_return;
      }
      parser.body_limit(limit);
      if (hreq[bhttp::field::expect] == "100-continue") {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, hreq.version()};
        auto [wec, wn] = co_await bhttp::async_write(stream, cont, kNoThrow);
        if (wec) break;
      }
      if (!parser.is_done()) {
        stream.expires_after(options_.read_timeout);
        auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
        if (bec) {
          if (bec == bhttp::error::body_limit) {
            co_await Write(stream, PlainError(413, StrCat("request body is larger than the ",
                                                                limit, "-byte limit")),
                           false, false);
            co_await LingeringClose(stream);
            co_return;
          }
          break;
        }
      }
      req.body = std::move(parser.get().body());
      const bool keep_alive = parser.get().keep_alive() && !stopping_.load();

      Response res;
      if (!app_.TryFast(req, res)) {
        res = co_await RunOnPool(pool_, [this, &req] { return app_.Handle(req); });
      }
      if (!co_await Write(stream, std::move(res), keep_alive, head_only)) break;
      if (!keep_alive) break;
    }
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // After answering a request whose body we refused, read and discard a bounded amount of what
  // the client is still sending before closing. Closing with unread data makes the kernel send
  // a reset, and the client would see EPIPE/ECONNRESET instead of our 413.
  static net::awaitable<void> LingeringClose(beast::tcp_stream& stream) {
    constexpr size_t kMaxDrain = 16 << 20;
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::vector<char> scratch(64 * 1024);
    size_t drained = 0;
    stream.expires_after(std::chrono::seconds(2));
    while (drained < kMaxDrain) {
      auto [rec, n] = co_await stream.async_read_some(net::buffer(scratch), kNoThrow);
      if (rec) break;
      drained += n;
    }
    stream.socket().close(ec);
  }

  template <typename Body>
  static void CopyHeaders(bhttp::response<Body>& out, Response& in, bool keep_alive) {
    out.keep_alive(keep_alive);
    out.set(bhttp::field::server, "bulwark");
    for (auto& [k, v] : in.headers) out.insert(k, v);
  }

  net::awaitable<bool> Write(beast::tcp_stream& stream, Response res, bool keep_alive,
                             bool head_only) {
    stream.expires_after(options_.read_timeout);
    if (!res.file_path.empty() && !head_only) {
      bhttp::response<bhttp::file_body> out{static_cast<bhttp::status>(res.status), 11};
      beast::error_code ec;
      out.body().open(res.file_path.c_str(), beast::file_mode::scan, ec);
      if (ec) {
        res = PlainError(500, "internal error");
      } else {
        CopyHeaders(out, res, keep_alive);
        out.prepare_payload();
        auto [wec, n] = co_await bhttp::async_write(stream, out, kNoThrow);
        co_return !wec;
      }
    }
    if (res.shared_body && !head_only) {
      // Keeps the bytes alive for the duration of the write; no copy.
      std::shared_ptr<const std::string> bytes = res.shared_body;
      bhttp::response<bhttp::span_body<const char>> out{static_cast<bhttp::status>(res.status),
                                                        11};
      CopyHeaders(out, res, keep_alive);
      out.body() = boost::span<const char>(bytes->data(), bytes->size());
      out.prepare_payload();
      auto [wec, n] = co_await bhttp::async_write(stream, out, kNoThrow);
      co_return !wec;
    }
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), 11};
    CopyHeaders(out, res, keep_alive);
    if (head_only) {
      out.content_length(res.shared_body  ? res.shared_body->size()
                         : res.file_path.empty() ? res.body.size()
                                                 : res.file_size);
    } else {
      out.body() = std::move(res.body);
      out.prepare_payload();
    }
    if (head_only) {
      bhttp::response_serializer<bhttp::string_body> sr{out};
      auto [wec, n] = co_await bhttp::async_write_header(stream, sr, kNoThrow);
      co_return !wec;
    }
    auto [wec, n] = co_await bhttp::async_write(stream, out, kNoThrow);
    co_return !wec;
  }

  const ServerOptions options_;
  Application& app_;
  net::io_context ioc_;
  net::thread_pool pool_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> active_sessions_{0};
  int grace_ticks_ = 0;
};

}  // namespace

std::unique_ptr<Server> NewBeastServer(ServerOptions options, Application& app) {
  return std::make_unique<BeastServer>(std::move(options), app);
}

}  // namespace bulwark::http
