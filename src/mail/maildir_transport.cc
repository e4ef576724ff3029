// A maildir "transport" for development: every message becomes a file in <dir>/new.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "base/strings.h"
#include "mail/transports.h"

namespace bulwark {
namespace {

class MaildirTransport final : public MailTransport {
 public:
  explicit MaildirTransport(std::string dir) : dir_(std::move(dir)) {}

  absl::Status Send(std::string_view sender, std::string_view recipient,
                    std::string_view message) override {
    // Maildir names: unique per host (time, pid, counter), written in tmp/ then renamed.
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    std::string name =
        StrCat(std::chrono::duration_cast<std::chrono::microseconds>(now).count(), ".",
               static_cast<int64_t>(getpid()), "_", counter_.fetch_add(1), ".bulwark");
    std::string tmp = StrCat(dir_, "/tmp/", name);
    {
      std::ofstream out(tmp, std::ios::binary);
      out << "Return-Path: <" << sender << ">\r\nDelivered-To: " << recipient << "\r\n";
      out << message;
      out.flush();
      if (!out) return absl::UnavailableError(StrCat("maildir: cannot write ", tmp));
    }
    std::error_code ec;
    std::filesystem::rename(tmp, StrCat(dir_, "/new/", name), ec);
    if (ec) return absl::UnavailableError(StrCat("maildir: ", ec.message()));
    return absl::OkStatus();
  }

 private:
  const std::string dir_;
  std::atomic<int64_t> counter_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<MailTransport>> NewMaildirTransport(const std::string& dir) {
  std::error_code ec;
  for (const char* sub : {"tmp", "new", "cur"}) {
    std::filesystem::create_directories(StrCat(dir, "/", sub), ec);
    if (ec) return absl::UnavailableError(StrCat("maildir ", dir, ": ", ec.message()));
  }
  return std::make_unique<MaildirTransport>(dir);
}

}  // namespace bulwark
