#include "server/email_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/strings.h"

namespace bulwark {
namespace {

template <typename T>
absl::Status Get(const YAML::Node& node, const char* key, T& out, const std::string& where) {
  if (!node || !node[key]) return absl::OkStatus();
  try {
    out = node[key].as<T>();
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat("config: ", where, ".", key, ": ", e.what()));
  }
  return absl::OkStatus();
}

absl::Status Known(const YAML::Node& node, const std::string& where,
                   std::initializer_list<std::string_view> keys) {
  if (!node) return absl::OkStatus();
  if (!node.IsMap()) return absl::InvalidArgumentError(StrCat("config: ", where, " must be a mapping"));
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return absl::InvalidArgumentError(StrCat("config: unknown key \"", where, ".", key, "\""));
    }
  }
  return absl::OkStatus();
}

std::string Absolute(const std::string& base_dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

// A duration given in whole units; `min` guards against zero and negative values.
absl::Status Duration(const YAML::Node& node, const char* key, absl::Duration unit, int64_t min,
                      absl::Duration& out, const std::string& where) {
  int64_t v = out / unit;
  BULWARK_RETURN_IF_ERROR(Get(node, key, v, where));
  if (v < min) {
    return absl::InvalidArgumentError(StrCat("config: ", where, ".", key, " must be at least ", min));
  }
  out = v * unit;
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseEmailConfig(const YAML::Node& node, const std::string& base_dir,
                              EmailConfig& out) {
  if (!node) return absl::OkStatus();
  BULWARK_RETURN_IF_ERROR(Known(node, "email",
                                {"transport", "from", "maildir", "smtp", "queue",
                                 "login_verification", "require_verified_to_publish",
                                 "reset_revokes_all_tokens", "code_minutes",
                                 "reset_link_minutes", "verify_link_hours", "site_name"}));
  BULWARK_RETURN_IF_ERROR(Get(node, "transport", out.transport, "email"));
  if (out.transport != "none" && out.transport != "smtp" && out.transport != "maildir") {
    return absl::InvalidArgumentError(
        "config: email.transport must be \"smtp\", \"maildir\" or \"none\"");
  }
  BULWARK_RETURN_IF_ERROR(Get(node, "from", out.queue.from, "email"));
  if (out.queue.from.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("config: email.from may not contain line breaks");
  }
  BULWARK_RETURN_IF_ERROR(Get(node, "maildir", out.maildir, "email"));
  out.maildir = Absolute(base_dir, out.maildir);
  if (out.transport == "maildir" && out.maildir.empty()) {
    return absl::InvalidArgumentError("config: email.maildir is required with transport maildir");
  }
  const YAML::Node smtp = node["smtp"];
  BULWARK_RETURN_IF_ERROR(Known(smtp, "email.smtp",
                                {"host", "port", "security", "username", "password",
                                 "password_file", "ca_file", "verify_tls", "helo_name",
                                 "timeout_seconds"}));
  SmtpOptions& s = out.smtp;
  BULWARK_RETURN_IF_ERROR(Get(smtp, "host", s.host, "email.smtp"));
  BULWARK_RETURN_IF_ERROR(Get(smtp, "port", s.port, "email.smtp"));
  std::string security = "starttls";
  BULWARK_RETURN_IF_ERROR(Get(smtp, "security", security, "email.smtp"));
  if (security == "starttls") {
    s.security = SmtpSecurity::kStartTls;
  } else if (security == "tls") {
    s.security = SmtpSecurity::kTls;
    if (!smtp || !smtp["port"]) s.port = 465;
  } else if (security == "none") {
    s.security = SmtpSecurity::kNone;
  } else {
    return absl::InvalidArgumentError(
        "config: email.smtp.security must be \"starttls\", \"tls\" or \"none\"");
  }
  BULWARK_RETURN_IF_ERROR(Get(smtp, "username", s.username, "email.smtp"));
  BULWARK_RETURN_IF_ERROR(Get(smtp, "password", s.password, "email.smtp"));
  std::string password_file;
  BULWARK_RETURN_IF_ERROR(Get(smtp, "password_file", password_file, "email.smtp"));
  if (!password_file.empty()) {
    // Keeps the secret out of the config file (which is often world-readable or committed).
    std::ifstream in(Absolute(base_dir, password_file));
    if (!in) {
      return absl::InvalidArgumentError(
          StrCat("config: email.smtp.password_file: cannot read ", password_file));
    }
    std::getline(in, s.password);
  }
  BULWARK_RETURN_IF_ERROR(Get(smtp, "ca_file", s.ca_file, "email.smtp"));
  s.ca_file = Absolute(base_dir, s.ca_file);
  BULWARK_RETURN_IF_ERROR(Get(smtp, "verify_tls", s.verify_tls, "email.smtp"));
  BULWARK_RETURN_IF_ERROR(Get(smtp, "helo_name", s.helo_name, "email.smtp"));
  BULWARK_RETURN_IF_ERROR(
      Duration(smtp, "timeout_seconds", absl::Seconds(1), 1, s.timeout, "email.smtp"));
  if (out.transport == "smtp" && (s.port < 1 || s.port > 65535)) {
    return absl::InvalidArgumentError("config: email.smtp.port must be 1 to 65535");
  }
  const YAML::Node queue = node["queue"];
  BULWARK_RETURN_IF_ERROR(Known(queue, "email.queue",
                                {"retry_seconds", "max_retry_seconds", "give_up_hours",
                                 "poll_seconds"}));
  MailQueueOptions& q = out.queue;
  BULWARK_RETURN_IF_ERROR(
      Duration(queue, "retry_seconds", absl::Seconds(1), 1, q.first_retry, "email.queue"));
  BULWARK_RETURN_IF_ERROR(
      Duration(queue, "max_retry_seconds", absl::Seconds(1), 1, q.max_retry, "email.queue"));
  BULWARK_RETURN_IF_ERROR(
      Duration(queue, "give_up_hours", absl::Hours(1), 1, q.give_up_after, "email.queue"));
  BULWARK_RETURN_IF_ERROR(
      Duration(queue, "poll_seconds", absl::Seconds(1), 1, q.poll, "email.queue"));
  EmailSecurityOptions& e = out.security;
  BULWARK_RETURN_IF_ERROR(Get(node, "login_verification", e.login_verification, "email"));
  BULWARK_RETURN_IF_ERROR(
      Get(node, "require_verified_to_publish", e.require_verified_to_publish, "email"));
  BULWARK_RETURN_IF_ERROR(Get(node, "reset_revokes_all_tokens", e.reset_revokes_all_tokens, "email"));
  BULWARK_RETURN_IF_ERROR(Get(node, "site_name", e.site_name, "email"));
  BULWARK_RETURN_IF_ERROR(
      Duration(node, "code_minutes", absl::Minutes(1), 1, e.code_lifetime, "email"));
  if (e.code_lifetime > absl::Minutes(30)) {
    return absl::InvalidArgumentError("config: email.code_minutes must be at most 30");
  }
  BULWARK_RETURN_IF_ERROR(
      Duration(node, "reset_link_minutes", absl::Minutes(1), 1, e.reset_link_lifetime, "email"));
  if (e.reset_link_lifetime >= absl::Hours(1)) {
    return absl::InvalidArgumentError("config: email.reset_link_minutes must be under 60");
  }
  BULWARK_RETURN_IF_ERROR(
      Duration(node, "verify_link_hours", absl::Hours(1), 1, e.verify_link_lifetime, "email"));
  return absl::OkStatus();
}

}  // namespace bulwark
