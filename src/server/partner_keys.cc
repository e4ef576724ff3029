#include "server/partner_keys.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <fstream>
#include <sstream>

#include "absl/synchronization/mutex.h"
#include "base/log.h"
#include "base/strings.h"

namespace bulwark {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr absl::Duration kMinRefresh = absl::Minutes(1);
constexpr uint64_t kMaxKeyDocument = 1 << 20;
constexpr auto kFetchTimeout = std::chrono::seconds(10);

template <typename Stream>
absl::StatusOr<std::string> Exchange(Stream& stream, const std::string& host,
                                     const std::string& target) {
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "bulwark");
  req.set(http::field::accept, "application/json");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxKeyDocument);
  http::read(stream, buffer, parser);
  if (parser.get().result_int() != 200) {
    return absl::UnavailableError(StrCat("partner keys: HTTP ", parser.get().result_int()));
  }
  return std::move(parser.get().body());
}

absl::StatusOr<std::string> Fetch(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return absl::InvalidArgumentError(StrCat("partner keys: bad URL ", url));
  bool tls = parsed->scheme() == "https";
  std::string host(parsed->host());
  std::string port(parsed->port());
  if (port.empty()) port = tls ? "443" : "80";
  std::string target(parsed->encoded_target());
  if (target.empty()) target = "/";
  try {
    net::io_context ioc;
    net::ip::tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(host, port);
    if (!tls) {
      beast::tcp_stream stream(ioc);
      stream.expires_after(kFetchTimeout);
      stream.connect(endpoints);
      return Exchange(stream, StrCat(host, ":", port), target);
    }
    net::ssl::context ctx(net::ssl::context::tls_client);
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(net::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) {
      return absl::UnavailableError("partner keys: cannot set TLS server name");
    }
    stream.set_verify_callback(net::ssl::host_name_verification(host));
    beast::get_lowest_layer(stream).expires_after(kFetchTimeout);
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(net::ssl::stream_base::client);
    return Exchange(stream, host, target);
  } catch (const std::exception& e) {
    return absl::UnavailableError(StrCat("partner keys: fetching ", url, ": ", e.what()));
  }
}

class CachedKeySource final : public PartnerKeySource {
 public:
  CachedKeySource(std::string file, std::string url, Clock& clock)
      : file_(std::move(file)), url_(std::move(url)), clock_(clock) {}

  absl::StatusOr<std::vector<PartnerKey>> Keys(bool refresh) override {
    absl::MutexLock l(&mu_);
    absl::Time now = clock_.Now();
    bool stale = !loaded_ || (refresh && now - fetched_ >= kMinRefresh);
    if (!stale) return keys_;
    absl::StatusOr<std::string> text;
    if (!file_.empty()) {
      std::ifstream in(file_);
      if (!in) return absl::UnavailableError(StrCat("partner keys: cannot read ", file_));
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
    } else {
      text = Fetch(url_);
    }
    fetched_ = now;
    if (!text.ok()) {
      LogWarning("%s", text.status().ToString());
      if (loaded_) return keys_;  // Keep serving the keys we have.
      return text.status();
    }
    auto parsed = ParsePartnerKeys(*text);
    if (!parsed.ok()) {
      LogWarning("%s", parsed.status().ToString());
      if (loaded_) return keys_;  // A broken update does not drop the keys we trust.
      return parsed.status();
    }
    keys_ = std::move(*parsed);
    loaded_ = true;
    return keys_;
  }

 private:
  const std::string file_, url_;
  Clock& clock_;
  absl::Mutex mu_;
  bool loaded_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time fetched_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::vector<PartnerKey> keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<PartnerKeySource> NewPartnerKeySource(const ScanningConfig& config, Clock& clock) {
  if (config.partner_keys_file.empty() && config.partner_keys_url.empty()) return nullptr;
  return std::make_unique<CachedKeySource>(config.partner_keys_file, config.partner_keys_url,
                                           clock);
}

}  // namespace bulwark
