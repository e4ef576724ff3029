#include "base/strings.h"
#include "server/config.h"
#include "server/proxy_config.h"
#include "server/trusted_publishing_config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include <yaml-cpp/yaml.h>


namespace bulwark {
namespace {

// Reads a YAML scalar of type T at `key`, or leaves `out` unchanged when absent.
template <typename T>
absl::Status Read(const YAML::Node& node, const char* key, T& out, const std::string& path) {
  if (!node || !node[key]) return absl::OkStatus();
  try {
    out = node[key].as<T>();
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat("config: ", path, key, ": ", e.what()));
  }
  return absl::OkStatus();
}

// Verdaccio accepts "alice bob" or [alice, bob] for principals.
absl::StatusOr<std::vector<std::string>> Principals(const YAML::Node& n, const std::string& where) {
  std::vector<std::string> out;
  try {
    if (n.IsSequence()) {
      for (const auto& e : n) out.push_back(e.as<std::string>());
    } else {
      for (std::string_view s : StrSplit(n.as<std::string>(), ' ', SkipEmpty())) {
        out.emplace_back(s);
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat("config: ", where, ": ", e.what()));
  }
  return out;
}

absl::Status CheckKeys(const YAML::Node& node, const std::string& where,
                       std::initializer_list<std::string_view> known) {
  if (!node) return absl::OkStatus();
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(StrCat("config: ", where, " must be a mapping"));
  }
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return absl::InvalidArgumentError(StrCat("config: unknown key \"", where, ".", key, "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseTyposquat(const YAML::Node& node, const std::string& base_dir,
                            TyposquatConfig& out) {
  BULWARK_RETURN_IF_ERROR(CheckKeys(node, "typosquat",
                                    {"enabled", "snapshot", "top_n", "min_target_downloads",
                                     "warn_score", "hold_score", "block_score"}));
  const std::string w = "typosquat.";
  BULWARK_RETURN_IF_ERROR(Read(node, "enabled", out.enabled, w));
  BULWARK_RETURN_IF_ERROR(Read(node, "snapshot", out.snapshot, w));
  if (!out.snapshot.empty() && std::filesystem::path(out.snapshot).is_relative()) {
    out.snapshot = (std::filesystem::path(base_dir) / out.snapshot).lexically_normal().string();
  }
  typosquat::Options& o = out.engine;
  BULWARK_RETURN_IF_ERROR(Read(node, "top_n", o.top_n, w));
  BULWARK_RETURN_IF_ERROR(Read(node, "min_target_downloads", o.min_target_downloads, w));
  BULWARK_RETURN_IF_ERROR(Read(node, "warn_score", o.warn_score, w));
  BULWARK_RETURN_IF_ERROR(Read(node, "hold_score", o.hold_score, w));
  BULWARK_RETURN_IF_ERROR(Read(node, "block_score", o.block_score, w));
  // Scores are 0..1 and the verdicts escalate: warn <= hold <= block.
  if (!(0 <= o.warn_score && o.warn_score <= o.hold_score && o.hold_score <= o.block_score &&
        o.block_score <= 1)) {
    return absl::InvalidArgumentError(
        "config: typosquat scores must satisfy 0 <= warn_score <= hold_score <= block_score <= 1");
  }
  if (o.top_n < 1) return absl::InvalidArgumentError("config: typosquat.top_n must be positive");
  return absl::OkStatus();
}

absl::Status ParsePrivate(const YAML::Node& node, PrivateNamesConfig& out) {
  BULWARK_RETURN_IF_ERROR(CheckKeys(node, "private", {"scopes", "names"}));
  if (!node) return absl::OkStatus();
  if (const YAML::Node scopes = node["scopes"]) {
    if (!scopes.IsMap()) {
      return absl::InvalidArgumentError("config: private.scopes must map '@scope' to members");
    }
    for (const auto& kv : scopes) {
      std::string scope = kv.first.as<std::string>();
      if (scope.size() < 2 || scope[0] != '@' || scope.find('/') != std::string::npos) {
        return absl::InvalidArgumentError(StrCat(
            "config: private.scopes: \"", scope, "\" is not a scope (write it as '@name')"));
      }
      std::vector<std::string> members;
      if (!kv.second.IsNull()) {
        BULWARK_ASSIGN_OR_RETURN(members, Principals(kv.second, "private.scopes." + scope));
      }
      out.scopes[AsciiStrToLower(scope)] = std::move(members);
    }
  }
  if (const YAML::Node names = node["names"]) {
    // Either a list of names (admins only) or a mapping of name to its owners.
    auto add = [&](const std::string& name) -> absl::Status {
      if (name.empty() || name[0] == '@') {
        return absl::InvalidArgumentError(StrCat(
            "config: private.names: \"", name,
            "\" must be an unscoped name (scoped names are protected by private.scopes)"));
      }
      return absl::OkStatus();
    };
    try {
      if (names.IsSequence()) {
        for (const auto& n : names) {
          std::string name = n.as<std::string>();
          BULWARK_RETURN_IF_ERROR(add(name));
          out.names[name] = {};
        }
      } else if (names.IsMap()) {
        for (const auto& kv : names) {
          std::string name = kv.first.as<std::string>();
          BULWARK_RETURN_IF_ERROR(add(name));
          std::vector<std::string> owners;
          if (!kv.second.IsNull()) {
            BULWARK_ASSIGN_OR_RETURN(owners, Principals(kv.second, "private.names." + name));
          }
          out.names[name] = std::move(owners);
        }
      } else {
        return absl::InvalidArgumentError(
            "config: private.names must be a list of names or a mapping of name to owners");
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(StrCat("config: private.names: ", e.what()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyListen(Config& config, const std::string& listen) {
  std::string host = "127.0.0.1";
  std::string port_text = listen;
  if (size_t colon = listen.rfind(':'); colon != std::string::npos) {
    host = listen.substr(0, colon);
    port_text = listen.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
  }
  int port = 0;
  if (!SimpleAtoi(port_text, &port) || port < 0 || port > 65535 || host.empty()) {
    return absl::InvalidArgumentError(
        StrCat("listen address \"", listen, "\" is not HOST:PORT"));
  }
  if (host == "localhost") host = "127.0.0.1";
  config.listen = listen;
  config.server.host = host;
  config.server.port = static_cast<uint16_t>(port);
  config.api.fallback_host = StrCat(host.find(':') != std::string::npos ? "[" + host + "]"
                                                                              : host,
                                          ":", port);
  return absl::OkStatus();
}

absl::StatusOr<Config> ParseConfig(const std::string& yaml_text, const std::string& base_dir) {
  Config c;
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat("config: not valid YAML: ", e.what()));
  }
  if (root.IsNull()) return c;
  if (!root.IsMap()) return absl::InvalidArgumentError("config: the top level must be a mapping");
  static const char* kKnown[] = {"listen", "storage", "public_url", "log_level", "server",
                                 "limits", "auth", "publish", "packages", "typosquat",
                                 "private", "signing", "scanning", "moderation",
                                 "email_domains", "packuments", "email",
                                 "uplinks", "proxy", "sandbox", "trusted_publishing"};
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return absl::InvalidArgumentError(StrCat("config: unknown key \"", key, "\""));
    }
  }
  std::string listen = c.listen;
  BULWARK_RETURN_IF_ERROR(Read(root, "listen", listen, ""));
  BULWARK_RETURN_IF_ERROR(ApplyListen(c, listen));
  BULWARK_RETURN_IF_ERROR(Read(root, "storage", c.data_dir, ""));
  if (std::filesystem::path(c.data_dir).is_relative()) {
    // Relative to the config file, as in Verdaccio.
    c.data_dir = (std::filesystem::path(base_dir) / c.data_dir).lexically_normal().string();
  }
  BULWARK_RETURN_IF_ERROR(Read(root, "public_url", c.api.public_url, ""));
  while (!c.api.public_url.empty() && c.api.public_url.back() == '/') c.api.public_url.pop_back();
  BULWARK_RETURN_IF_ERROR(Read(root, "log_level", c.log_level, ""));

  const YAML::Node server = root["server"];
  BULWARK_RETURN_IF_ERROR(Read(server, "io_threads", c.server.io_threads, "server."));
  BULWARK_RETURN_IF_ERROR(Read(server, "worker_threads", c.server.worker_threads, "server."));
  int64_t read_timeout = c.server.read_timeout.count();
  BULWARK_RETURN_IF_ERROR(Read(server, "read_timeout_seconds", read_timeout, "server."));
  c.server.read_timeout = std::chrono::seconds(read_timeout);
  if (c.server.io_threads < 1 || c.server.worker_threads < 1 || read_timeout < 1) {
    return absl::InvalidArgumentError("config: server threads and timeouts must be positive");
  }

  const YAML::Node limits = root["limits"];
  uint64_t body_mb = c.api.max_publish_body >> 20;
  uint64_t unpacked_mb = c.registry.tarball.max_unpacked_bytes >> 20;
  BULWARK_RETURN_IF_ERROR(Read(limits, "max_publish_body_mb", body_mb, "limits."));
  BULWARK_RETURN_IF_ERROR(Read(limits, "max_unpacked_mb", unpacked_mb, "limits."));
  BULWARK_RETURN_IF_ERROR(
      Read(limits, "max_tarball_entries", c.registry.tarball.max_entries, "limits."));
  c.api.max_publish_body = body_mb << 20;
  c.registry.tarball.max_unpacked_bytes = unpacked_mb << 20;

  const YAML::Node auth = root["auth"];
  BULWARK_RETURN_IF_ERROR(Read(auth, "allow_registration", c.api.allow_registration, "auth."));
  int64_t token_days = absl::ToInt64Hours(c.accounts.session_token_lifetime) / 24;
  BULWARK_RETURN_IF_ERROR(Read(auth, "token_lifetime_days", token_days, "auth."));
  if (token_days < 1) return absl::InvalidArgumentError("config: auth.token_lifetime_days < 1");
  c.accounts.session_token_lifetime = absl::Hours(24 * token_days);
  int64_t login_hours = absl::ToInt64Hours(c.accounts.login_token_lifetime);
  BULWARK_RETURN_IF_ERROR(Read(auth, "login_token_hours", login_hours, "auth."));
  if (login_hours < 1 || login_hours > 24 * 90) {
    return absl::InvalidArgumentError("config: auth.login_token_hours must be 1 to 2160");
  }
  c.accounts.login_token_lifetime = absl::Hours(login_hours);
  int64_t max_write_days = absl::ToInt64Hours(c.accounts.max_write_token_lifetime) / 24;
  BULWARK_RETURN_IF_ERROR(Read(auth, "max_write_token_days", max_write_days, "auth."));
  if (max_write_days < 1 || max_write_days > 365) {
    return absl::InvalidArgumentError("config: auth.max_write_token_days must be 1 to 365");
  }
  if (token_days > max_write_days) {
    return absl::InvalidArgumentError(
        "config: auth.token_lifetime_days must not exceed auth.max_write_token_days");
  }
  c.accounts.max_write_token_lifetime = absl::Hours(24 * max_write_days);
  BULWARK_RETURN_IF_ERROR(
      Read(auth, "require_2fa_for_publish", c.mfa.require_2fa_for_publish, "auth."));
  if (auth && auth["require_2fa_scopes"]) {
    BULWARK_ASSIGN_OR_RETURN(c.mfa.require_2fa_scopes,
                             Principals(auth["require_2fa_scopes"], "auth.require_2fa_scopes"));
    for (auto& scope : c.mfa.require_2fa_scopes) {
      if (scope.size() < 2 || scope[0] != '@' || scope.find('/') != std::string::npos) {
        return absl::InvalidArgumentError(StrCat("config: auth.require_2fa_scopes: \"", scope,
                                                 "\" is not a scope (write it as '@name')"));
      }
      scope = AsciiStrToLower(scope);
    }
  }
  int64_t retention_days = absl::ToInt64Hours(c.event_retention) / 24;
  BULWARK_RETURN_IF_ERROR(Read(auth, "event_retention_days", retention_days, "auth."));
  if (retention_days < 1) {
    return absl::InvalidArgumentError("config: auth.event_retention_days must be at least 1");
  }
  c.event_retention = absl::Hours(24 * retention_days);
  const YAML::Node impact = auth ? auth["high_impact"] : YAML::Node();
  if (auth && auth["high_impact"]) {
    BULWARK_RETURN_IF_ERROR(CheckKeys(impact, "auth.high_impact",
                                      {"weekly_downloads", "dependents", "top_n",
                                       "refresh_seconds"}));
  }
  HighImpactOptions& hi = c.high_impact;
  int64_t refresh_seconds = absl::ToInt64Seconds(hi.refresh);
  BULWARK_RETURN_IF_ERROR(Read(impact, "weekly_downloads", hi.weekly_downloads, "auth.high_impact."));
  BULWARK_RETURN_IF_ERROR(Read(impact, "dependents", hi.dependents, "auth.high_impact."));
  BULWARK_RETURN_IF_ERROR(Read(impact, "top_n", hi.top_n, "auth.high_impact."));
  BULWARK_RETURN_IF_ERROR(Read(impact, "refresh_seconds", refresh_seconds, "auth.high_impact."));
  if (refresh_seconds < 1) {
    return absl::InvalidArgumentError("config: auth.high_impact.refresh_seconds must be >= 1");
  }
  hi.refresh = absl::Seconds(refresh_seconds);
  const YAML::Node throttle = auth ? auth["throttle"] : YAML::Node();
  ThrottleOptions& t = c.accounts.throttle;
  int64_t free_failures = t.free_failures;
  int64_t base_seconds = absl::ToInt64Seconds(t.base_delay);
  int64_t max_seconds = absl::ToInt64Seconds(t.max_delay);
  BULWARK_RETURN_IF_ERROR(Read(throttle, "free_failures", free_failures, "auth.throttle."));
  BULWARK_RETURN_IF_ERROR(Read(throttle, "base_delay_seconds", base_seconds, "auth.throttle."));
  BULWARK_RETURN_IF_ERROR(Read(throttle, "max_delay_seconds", max_seconds, "auth.throttle."));
  // No way to switch throttling off: a zero delay would make guessing free again.
  if (free_failures < 0 || free_failures > 1000 || base_seconds < 1 ||
      max_seconds < base_seconds) {
    return absl::InvalidArgumentError(
        "config: auth.throttle needs 0 <= free_failures <= 1000 and "
        "1 <= base_delay_seconds <= max_delay_seconds");
  }
  // Security keys: the user-verification policy (docs/security.md §Security keys).
  // Looked up through a const node: a missing key must not be created (as a null) by [].
  const YAML::Node& auth_map = auth;
  const YAML::Node keys = auth_map && auth_map.IsMap() ? auth_map["security_keys"] : YAML::Node();
  if (keys && !keys.IsNull()) {
    BULWARK_RETURN_IF_ERROR(CheckKeys(keys, "auth.security_keys", {"require_user_verification"}));
  }
  BULWARK_RETURN_IF_ERROR(Read(keys, "require_user_verification",
                               c.security_keys.require_user_verification,
                               "auth.security_keys."));
  t.free_failures = static_cast<int>(free_failures);
  t.base_delay = absl::Seconds(base_seconds);
  t.max_delay = absl::Seconds(max_seconds);

  const YAML::Node publish = root["publish"];
  std::string unpublish = "npm";
  BULWARK_RETURN_IF_ERROR(Read(publish, "unpublish", unpublish, "publish."));
  if (unpublish == "npm") {
    c.registry.unpublish = UnpublishPolicy::kNpm;
  } else if (unpublish == "always") {
    c.registry.unpublish = UnpublishPolicy::kAlways;
  } else if (unpublish == "never") {
    c.registry.unpublish = UnpublishPolicy::kNever;
  } else {
    return absl::InvalidArgumentError("config: publish.unpublish must be npm, always or never");
  }
  int64_t window = absl::ToInt64Hours(c.registry.unpublish_window);
  BULWARK_RETURN_IF_ERROR(Read(publish, "unpublish_window_hours", window, "publish."));
  c.registry.unpublish_window = absl::Hours(window);
  std::string scoped_access = "public";
  BULWARK_RETURN_IF_ERROR(Read(publish, "scoped_default_access", scoped_access, "publish."));
  if (scoped_access != "public" && scoped_access != "restricted") {
    return absl::InvalidArgumentError(
        "config: publish.scoped_default_access must be public or restricted");
  }
  c.registry.scoped_default_restricted = scoped_access == "restricted";

  if (const YAML::Node packages = root["packages"]) {
    if (!packages.IsMap()) return absl::InvalidArgumentError("config: packages must be a mapping");
    for (const auto& kv : packages) {
      PackageRule rule;
      rule.pattern = kv.first.as<std::string>();
      const std::string where = "packages." + rule.pattern;
      for (const char* field : {"access", "publish", "unpublish"}) {
        if (!kv.second[field]) continue;
        BULWARK_ASSIGN_OR_RETURN(auto who, Principals(kv.second[field], where + "." + field));
        if (std::string_view(field) == "access") rule.access = who;
        else if (std::string_view(field) == "publish") rule.publish = who;
        else rule.unpublish = who;
      }
      c.packages.push_back(std::move(rule));
    }
  }
  BULWARK_RETURN_IF_ERROR(ParseTyposquat(root["typosquat"], base_dir, c.typosquat));
  BULWARK_RETURN_IF_ERROR(ParsePrivate(root["private"], c.private_names));
  // Registry signing keys (docs/signatures.md): a directory outside the database.
  BULWARK_RETURN_IF_ERROR(CheckKeys(root["signing"], "signing", {"keys_dir"}));
  BULWARK_RETURN_IF_ERROR(Read(root["signing"], "keys_dir", c.signing_keys_dir, "signing."));
  if (!c.signing_keys_dir.empty() && std::filesystem::path(c.signing_keys_dir).is_relative()) {
    c.signing_keys_dir =
        (std::filesystem::path(base_dir) / c.signing_keys_dir).lexically_normal().string();
  }
  BULWARK_RETURN_IF_ERROR(
      ParseScanningConfig(root["scanning"], root["moderation"], base_dir, c.scanning));
  BULWARK_RETURN_IF_ERROR(ParseDomainsConfig(root["email_domains"], root["packuments"], base_dir,
                                             c.email_domains, c.api.hide_emails));
  BULWARK_RETURN_IF_ERROR(ParseEmailConfig(root["email"], base_dir, c.email));
  BULWARK_RETURN_IF_ERROR(
      ParseProxyConfig(root["uplinks"], root["packages"], root["proxy"], c.proxy));
  BULWARK_RETURN_IF_ERROR(ParseSandboxConfig(root["sandbox"], c.sandbox));
  BULWARK_RETURN_IF_ERROR(
      ParseTrustedPublishingConfig(root["trusted_publishing"], c.trusted_publishing));
  return c;
}

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat("cannot read config file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string dir = std::filesystem::absolute(path).parent_path().string();
  return ParseConfig(ss.str(), dir);
}

}  // namespace bulwark
