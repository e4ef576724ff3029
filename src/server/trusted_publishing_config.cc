#include "server/trusted_publishing_config.h"

#include "base/strings.h"

namespace bulwark {
namespace {

absl::Status BadConfig(std::string_view what) {
  return absl::InvalidArgumentError(StrCat("config: trusted_publishing.", what));
}

bool IsHttpUrl(std::string_view url) {
  return StartsWith(url, "https://") || StartsWith(url, "http://");
}

}  // namespace

absl::Status ParseTrustedPublishingConfig(const YAML::Node& node,
                                          oidc::TrustedPublishingOptions& out) {
  if (!node || node.IsNull()) return absl::OkStatus();
  if (!node.IsMap()) return BadConfig("must be a mapping");
  try {
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      const YAML::Node& v = kv.second;
      if (key == "audience") {
        out.audience = v.as<std::string>();
      } else if (key == "token_minutes") {
        int64_t m = v.as<int64_t>();
        // The bound: a stolen exchanged token is useless within a quarter of an hour.
        if (m < 1 || m > 15) return BadConfig("token_minutes must be 1 to 15");
        out.token_lifetime = absl::Minutes(m);
      } else if (key == "clock_skew_seconds") {
        int64_t s = v.as<int64_t>();
        if (s < 0 || s > 300) return BadConfig("clock_skew_seconds must be 0 to 300");
        out.clock_skew = absl::Seconds(s);
      } else if (key == "max_token_age_minutes") {
        int64_t m = v.as<int64_t>();
        if (m < 1 || m > 24 * 60) return BadConfig("max_token_age_minutes must be 1 to 1440");
        out.max_token_age = absl::Minutes(m);
      } else if (key == "jwks_cache_minutes") {
        int64_t m = v.as<int64_t>();
        if (m < 1) return BadConfig("jwks_cache_minutes must be positive");
        out.jwks_ttl = absl::Minutes(m);
      } else if (key == "jwks_min_refetch_seconds") {
        int64_t sec = v.as<int64_t>();
        if (sec < 1 || sec > 3600) return BadConfig("jwks_min_refetch_seconds must be 1 to 3600");
        out.jwks_refetch_interval = absl::Seconds(sec);
      } else if (key == "issuers") {
        if (!v.IsMap()) return BadConfig("issuers must map github/gitlab/circleci to issuers");
        for (const auto& p : v) {
          std::string type = p.first.as<std::string>();
          if (type != "github" && type != "gitlab" && type != "circleci") {
            return BadConfig(StrCat("issuers: unknown provider type \"", type,
                                    "\" (github, gitlab, circleci)"));
          }
          std::vector<YAML::Node> entries;
          if (p.second.IsSequence()) {
            for (const auto& e : p.second) entries.push_back(e);
          } else {
            entries.push_back(p.second);
          }
          for (const YAML::Node& e : entries) {
            oidc::Issuer issuer;
            issuer.type = type;
            if (e.IsScalar()) {
              issuer.issuer = e.as<std::string>();
            } else if (e.IsMap()) {
              for (const auto& f : e) {
                std::string k = f.first.as<std::string>();
                if (k == "issuer") {
                  issuer.issuer = f.second.as<std::string>();
                } else if (k == "jwks_url") {
                  issuer.jwks_url = f.second.as<std::string>();
                } else {
                  return BadConfig(StrCat("issuers.", type, ": unknown key \"", k, "\""));
                }
              }
            }
            if (!IsHttpUrl(issuer.issuer) ||
                (!issuer.jwks_url.empty() && !IsHttpUrl(issuer.jwks_url))) {
              return BadConfig(StrCat("issuers.", type, ": issuer and jwks_url must be URLs"));
            }
            out.issuers.push_back(std::move(issuer));
          }
        }
      } else {
        return BadConfig(StrCat("unknown key \"", key, "\""));
      }
    }
  } catch (const YAML::Exception& e) {
    return BadConfig(e.what());
  }
  return absl::OkStatus();
}

}  // namespace bulwark
