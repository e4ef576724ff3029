// SMTP through libcurl's SMTP client (STARTTLS, implicit TLS, AUTH; curl dot-stuffs the body).

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "base/strings.h"
#include "mail/transports.h"

namespace bulwark {
namespace {

struct Upload {
  std::string_view data;
  size_t offset = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t n = std::min(size * nitems, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

class SmtpTransport final : public MailTransport {
 public:
  explicit SmtpTransport(SmtpOptions o) : o_(std::move(o)) {
    const char* scheme = o_.security == SmtpSecurity::kTls ? "smtps" : "smtp";
    url_ = StrCat(scheme, "://", o_.host, ":", o_.port, "/", o_.helo_name);
  }

  absl::Status Send(std::string_view sender, std::string_view recipient,
                    std::string_view message) override {
    CURL* curl = curl_easy_init();
    if (!curl) return absl::UnavailableError("smtp: curl_easy_init failed");
    Upload up{message, 0};
    std::string from = StrCat("<", sender, ">");
    std::string to = StrCat("<", recipient, ">");
    curl_slist* rcpt = curl_slist_append(nullptr, to.c_str());
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &up);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(o_.timeout)));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(o_.timeout)));
    // Only SMTP: a config typo must not turn this into a fetch of something else.
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (o_.security == SmtpSecurity::kStartTls) {
      // CURLUSESSL_ALL: fail rather than send credentials or codes in clear when the server
      // does not offer STARTTLS (a downgrade attack strips it).
      curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    }
    if (!o_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o_.ca_file.c_str());
    if (!o_.verify_tls) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!o_.username.empty()) {
      curl_easy_setopt(curl, CURLOPT_USERNAME, o_.username.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, o_.password.c_str());
    }
    CURLcode rc = curl_easy_perform(curl);
    long reply = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK) return absl::OkStatus();
    std::string why = StrCat("smtp ", o_.host, ":", o_.port, ": ",
                             errbuf[0] ? errbuf : curl_easy_strerror(rc));
    if (reply > 0) why += StrCat(" (reply ", reply, ")");
    if (rc == CURLE_LOGIN_DENIED) return absl::PermissionDeniedError(why);
    // 5xx: the server refused for good (RFC 5321 §4.2.1); anything else may pass later.
    if (reply >= 500 && reply < 600) return absl::InvalidArgumentError(why);
    return absl::UnavailableError(why);
  }

 private:
  const SmtpOptions o_;
  std::string url_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MailTransport>> NewSmtpTransport(const SmtpOptions& options) {
  if (options.host.empty() || options.host.find_first_of("/@ \r\n") != std::string::npos) {
    return absl::InvalidArgumentError(StrCat("smtp host is not valid: \"", options.host, "\""));
  }
  if (options.port < 1 || options.port > 65535) {
    return absl::InvalidArgumentError(StrCat("smtp port is not valid: ", options.port));
  }
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  return std::make_unique<SmtpTransport>(options);
}

}  // namespace bulwark
