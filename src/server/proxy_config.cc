#include "server/proxy_config.h"

#include <algorithm>

#include "base/semver.h"
#include "base/strings.h"

namespace bulwark {
namespace {

absl::Status Bad(std::string_view where, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("config: ", where, ": ", what));
}

absl::Status CheckUrl(std::string_view where, std::string& url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!StartsWith(url, "http://") && !StartsWith(url, "https://")) {
    return Bad(where, "the url must start with http:// or https://");
  }
  if (url.find_first_of(" \t\r\n") != std::string::npos) return Bad(where, "malformed url");
  return absl::OkStatus();
}

template <typename T>
absl::Status Get(const YAML::Node& node, const char* key, T& out, const std::string& where) {
  if (!node[key]) return absl::OkStatus();
  try {
    out = node[key].as<T>();
  } catch (const YAML::Exception& e) {
    return Bad(StrCat(where, ".", key), e.what());
  }
  return absl::OkStatus();
}

absl::Status CheckKeys(const YAML::Node& node, const std::string& where,
                       std::initializer_list<std::string_view> known) {
  if (!node.IsMap()) return Bad(where, "must be a mapping");
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return absl::InvalidArgumentError(StrCat("config: unknown key \"", where, ".", key, "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseList(const YAML::Node& node, const std::string& where,
                       std::vector<proxy::ListEntry>& out) {
  if (!node) return absl::OkStatus();
  if (!node.IsSequence()) return Bad(where, "must be a list of {name, range, publisher}");
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string w = StrCat(where, "[", i, "]");
    proxy::ListEntry e;
    if (node[i].IsScalar()) {
      e.name = node[i].as<std::string>();
    } else {
      BULWARK_RETURN_IF_ERROR(CheckKeys(node[i], w, {"name", "range", "publisher"}));
      BULWARK_RETURN_IF_ERROR(Get(node[i], "name", e.name, w));
      BULWARK_RETURN_IF_ERROR(Get(node[i], "range", e.range, w));
      BULWARK_RETURN_IF_ERROR(Get(node[i], "publisher", e.publisher, w));
    }
    if (e.name.empty()) return Bad(w, "name is required (a package name or glob)");
    if (!e.range.empty() && !semver::ValidRange(e.range)) {
      return Bad(w, StrCat("\"", e.range, "\" is not a semver range"));
    }
    out.push_back(std::move(e));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseProxyConfig(const YAML::Node& uplinks, const YAML::Node& packages,
                              const YAML::Node& proxy, proxy::ProxyConfig& out) {
  if (uplinks) {
    if (!uplinks.IsMap()) return Bad("uplinks", "must map a name to {url, ...}");
    for (const auto& kv : uplinks) {
      proxy::UplinkConfig u;
      u.name = kv.first.as<std::string>();
      const std::string w = "uplinks." + u.name;
      const YAML::Node& n = kv.second;
      BULWARK_RETURN_IF_ERROR(CheckKeys(n, w,
                                        {"url", "auth_token", "auth_token_env", "timeout_seconds",
                                         "max_age_seconds", "retries", "max_concurrency",
                                         "max_packument_mb", "max_tarball_mb"}));
      BULWARK_RETURN_IF_ERROR(Get(n, "url", u.url, w));
      BULWARK_RETURN_IF_ERROR(CheckUrl(w + ".url", u.url));
      BULWARK_RETURN_IF_ERROR(Get(n, "auth_token", u.auth_token, w));
      std::string env;
      BULWARK_RETURN_IF_ERROR(Get(n, "auth_token_env", env, w));
      if (!env.empty()) {
        // Tokens kept out of the file, as Verdaccio's auth.token_env.
        const char* value = std::getenv(env.c_str());
        if (!value) return Bad(w + ".auth_token_env", StrCat("$", env, " is not set"));
        u.auth_token = value;
      }
      int64_t timeout = absl::ToInt64Seconds(u.timeout), max_age = absl::ToInt64Seconds(u.max_age);
      uint64_t packument_mb = u.max_packument_bytes >> 20, tarball_mb = u.max_tarball_bytes >> 20;
      BULWARK_RETURN_IF_ERROR(Get(n, "timeout_seconds", timeout, w));
      BULWARK_RETURN_IF_ERROR(Get(n, "max_age_seconds", max_age, w));
      BULWARK_RETURN_IF_ERROR(Get(n, "retries", u.retries, w));
      BULWARK_RETURN_IF_ERROR(Get(n, "max_concurrency", u.max_concurrency, w));
      BULWARK_RETURN_IF_ERROR(Get(n, "max_packument_mb", packument_mb, w));
      BULWARK_RETURN_IF_ERROR(Get(n, "max_tarball_mb", tarball_mb, w));
      if (timeout < 1 || max_age < 0 || u.retries < 0 || u.retries > 10 ||
          u.max_concurrency < 1 || packument_mb < 1 || tarball_mb < 1) {
        return Bad(w, "needs timeout_seconds >= 1, max_age_seconds >= 0, 0 <= retries <= 10, "
                      "max_concurrency >= 1 and sizes >= 1 MB");
      }
      u.timeout = absl::Seconds(timeout);
      u.max_age = absl::Seconds(max_age);
      u.max_packument_bytes = packument_mb << 20;
      u.max_tarball_bytes = tarball_mb << 20;
      out.uplinks[u.name] = std::move(u);
    }
  }
  if (packages && packages.IsMap()) {
    for (const auto& kv : packages) {
      proxy::ProxyRoute r;
      r.pattern = kv.first.as<std::string>();
      const std::string w = StrCat("packages.", r.pattern, ".proxy");
      if (kv.second.IsMap() && kv.second["proxy"]) {
        const YAML::Node p = kv.second["proxy"];
        std::vector<std::string> names;
        try {
          if (p.IsSequence()) {
            for (const auto& e : p) names.push_back(e.as<std::string>());
          } else if (!p.IsNull()) {
            for (std::string_view s : StrSplit(p.as<std::string>(), ' ', SkipEmpty())) {
              names.emplace_back(s);
            }
          }
        } catch (const YAML::Exception& e) {
          return Bad(w, e.what());
        }
        for (const auto& name : names) {
          if (!out.uplinks.count(name)) {
            return Bad(w, StrCat("no uplink named \"", name, "\" under uplinks:"));
          }
        }
        r.uplinks = std::move(names);
      }
      out.routes.push_back(std::move(r));
    }
  }
  if (proxy) {
    BULWARK_RETURN_IF_ERROR(CheckKeys(proxy, "proxy",
                                      {"cooldown_hours", "allow", "deny", "scan", "typosquat",
                                       "advisories", "probe_interval_hours"}));
    proxy::FirewallConfig& fw = out.firewall;
    double hours = 0;
    BULWARK_RETURN_IF_ERROR(Get(proxy, "cooldown_hours", hours, "proxy"));
    if (hours < 0 || hours > 24 * 365) return Bad("proxy.cooldown_hours", "must be 0 to 8760");
    fw.cooldown = absl::Hours(hours);
    double probe = absl::ToDoubleHours(fw.probe_interval);
    BULWARK_RETURN_IF_ERROR(Get(proxy, "probe_interval_hours", probe, "proxy"));
    if (probe < 0 || probe > 24 * 365) return Bad("proxy.probe_interval_hours", "must be 0 to 8760");
    fw.probe_interval = absl::Hours(probe);
    BULWARK_RETURN_IF_ERROR(Get(proxy, "scan", fw.scan, "proxy"));
    BULWARK_RETURN_IF_ERROR(Get(proxy, "typosquat", fw.typosquat, "proxy"));
    BULWARK_RETURN_IF_ERROR(Get(proxy, "advisories", fw.advisories, "proxy"));
    BULWARK_RETURN_IF_ERROR(ParseList(proxy["allow"], "proxy.allow", fw.allow));
    BULWARK_RETURN_IF_ERROR(ParseList(proxy["deny"], "proxy.deny", fw.deny));
  }
  return absl::OkStatus();
}

absl::Status ApplyUplinkFlag(const std::string& url, proxy::ProxyConfig& out) {
  proxy::UplinkConfig u;
  u.name = "default";
  u.url = url;
  BULWARK_RETURN_IF_ERROR(CheckUrl("--uplink", u.url));
  out.uplinks[u.name] = std::move(u);
  out.default_uplink = "default";
  return absl::OkStatus();
}

}  // namespace bulwark
