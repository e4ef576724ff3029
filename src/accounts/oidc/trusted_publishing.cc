#include "accounts/oidc/trusted_publishing.h"

#include <algorithm>

#include "base/hash.h"
#include "base/strings.h"

namespace bulwark::oidc {
namespace {

constexpr std::string_view kCreatePackage = "createPackage";
constexpr std::string_view kCreateStagedPackage = "createStagedPackage";
constexpr std::string_view kCircle = "oidc.circleci.com/";
// Claims npm sends for each type (npm-registry-api.md §9.2); others are refused so a typo does
// not silently widen a configuration.
constexpr size_t kMaxClaimBytes = 4096;

std::string NewUuid(Random& random) {
  std::string b = random.Bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // RFC 9562 version 4.
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string h = HexEncode(b);
  return StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-", h.substr(16, 4),
                "-", h.substr(20));
}

std::string_view Str(const json::object& o, std::string_view key) {
  return GetString(o, key).value_or("");
}

// "<file>" of an object claim like {"file": "release.yml"}.
std::string_view FileOf(const json::object& claims, std::string_view key) {
  const json::object* o = GetObject(claims, key);
  return o ? Str(*o, "file") : "";
}

// The path between `after` and the last '@' of a *_ref claim: "o/r/.github/workflows/x.yml@refs/..".
std::string_view RefPath(std::string_view ref) {
  size_t at = ref.rfind('@');
  return at == std::string_view::npos ? ref : ref.substr(0, at);
}

bool Fail(std::string* why, std::string message) {
  if (why) *why = std::move(message);
  return false;
}

bool EnvMatches(const json::object& config, const json::object& token, std::string* why) {
  auto env = GetString(config, "environment");
  if (!env || env->empty()) return true;
  if (Str(token, "environment") != *env) {
    return Fail(why, StrCat("environment \"", Str(token, "environment"), "\" is not \"", *env, "\""));
  }
  return true;
}

absl::Status ValidateClaims(std::string_view type, const json::object& claims) {
  auto need = [&](bool ok, std::string_view what) {
    return ok ? absl::OkStatus()
              : absl::InvalidArgumentError(StrCat(type, " trust needs ", what));
  };
  for (const auto& [k, v] : claims) {
    if (v.is_string() && v.get_string().size() > kMaxClaimBytes) {
      return absl::InvalidArgumentError(StrCat("claim ", std::string_view(k), " is too long"));
    }
  }
  if (type == "github") {
    BULWARK_RETURN_IF_ERROR(need(!Str(claims, "repository").empty(), "claims.repository"));
    std::string_view file = FileOf(claims, "workflow_ref");
    BULWARK_RETURN_IF_ERROR(need(!file.empty(), "claims.workflow_ref.file"));
    if (file.find('/') != std::string_view::npos) {
      return absl::InvalidArgumentError("the workflow file must be a bare file name");
    }
    return absl::OkStatus();
  }
  if (type == "gitlab") {
    BULWARK_RETURN_IF_ERROR(need(!Str(claims, "project_path").empty(), "claims.project_path"));
    std::string_view file = FileOf(claims, "ci_config_ref_uri");
    return need(!file.empty(), "claims.ci_config_ref_uri.file");
  }
  if (type == "circleci") {
    for (std::string_view k : {"org-id", "project-id", "pipeline-definition-id", "vcs-origin"}) {
      BULWARK_RETURN_IF_ERROR(
          need(!Str(claims, StrCat(kCircle, k)).empty(), StrCat("claims.", kCircle, k)));
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      StrCat("unknown trusted publisher type \"", type, "\" (github, gitlab, circleci)"));
}

std::optional<absl::Time> TimeClaim(const json::object& payload, std::string_view key) {
  auto it = payload.find(key);
  if (it == payload.end()) return std::nullopt;
  if (it->value().is_int64()) return absl::FromUnixSeconds(it->value().get_int64());
  if (it->value().is_uint64() && it->value().get_uint64() < (1ull << 40)) {
    return absl::FromUnixSeconds(static_cast<int64_t>(it->value().get_uint64()));
  }
  if (it->value().is_double()) {
    double d = it->value().get_double();
    if (d > 0 && d < 1e12) return absl::FromUnixSeconds(static_cast<int64_t>(d));
  }
  return std::nullopt;
}

bool AudienceMatches(const json::object& payload, std::string_view expected) {
  auto it = payload.find("aud");
  if (it == payload.end()) return false;
  if (it->value().is_string()) return it->value().get_string() == expected;
  if (it->value().is_array()) {
    for (const auto& v : it->value().get_array()) {
      if (v.is_string() && v.get_string() == expected) return true;
    }
  }
  return false;
}

std::string_view TrimSlashView(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

}  // namespace

bool ClaimsMatch(const TrustConfigRecord& config, const json::object& token, std::string* why) {
  auto parsed = ParseJson(config.claims);
  if (!parsed.ok() || !parsed->is_object()) return Fail(why, "corrupt trust configuration");
  const json::object& want = parsed->get_object();
  if (config.type == "github") {
    std::string_view repo = Str(want, "repository");
    if (!EqualsIgnoreCase(Str(token, "repository"), repo)) {
      return Fail(why, StrCat("repository \"", Str(token, "repository"), "\" is not \"", repo, "\""));
    }
    // workflow_ref: "<owner>/<repo>/.github/workflows/<file>@<ref>".
    std::string expected = StrCat(repo, "/.github/workflows/", FileOf(want, "workflow_ref"));
    std::string_view path = RefPath(Str(token, "workflow_ref"));
    if (!EqualsIgnoreCase(path, expected)) {
      return Fail(why, StrCat("workflow \"", path, "\" is not \"", expected, "\""));
    }
    return EnvMatches(want, token, why);
  }
  if (config.type == "gitlab") {
    std::string_view project = Str(want, "project_path");
    if (Str(token, "project_path") != project) {
      return Fail(why, StrCat("project \"", Str(token, "project_path"), "\" is not \"", project,
                              "\""));
    }
    // ci_config_ref_uri: "<host>/<project>//<file>@<ref>"; the pipeline file must be this
    // project's own (GitLab leaves the claim null otherwise).
    std::string_view uri = RefPath(Str(token, "ci_config_ref_uri"));
    size_t sep = uri.find("//");
    std::string_view file = FileOf(want, "ci_config_ref_uri");
    if (sep == std::string_view::npos || uri.substr(sep + 2) != file ||
        !EndsWith(uri.substr(0, sep), StrCat("/", project))) {
      return Fail(why, StrCat("pipeline \"", uri, "\" is not ", project, "//", file));
    }
    return EnvMatches(want, token, why);
  }
  if (config.type == "circleci") {
    for (std::string_view k : {"org-id", "project-id", "pipeline-definition-id", "vcs-origin"}) {
      std::string key = StrCat(kCircle, k);
      if (Str(token, key) != Str(want, key)) {
        return Fail(why, StrCat(key, " \"", Str(token, key), "\" is not \"", Str(want, key), "\""));
      }
    }
    if (const json::array* ids = GetArray(want, StrCat(kCircle, "context-ids"))) {
      const json::array* have = GetArray(token, StrCat(kCircle, "context-ids"));
      for (const auto& id : *ids) {
        if (!have || std::find(have->begin(), have->end(), id) == have->end()) {
          return Fail(why, "the job does not run in every required CircleCI context");
        }
      }
    }
    return true;
  }
  return Fail(why, StrCat("unknown type ", config.type));
}

TrustedPublishing::TrustedPublishing(TrustStore& store, HttpClient& fetcher, Clock& clock,
                                     Random& random, TrustedPublishingOptions options)
    : store_(store),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      jwks_(fetcher, clock, options_) {}

json::object TrustedPublishing::ConfigJson(const TrustConfigRecord& r) {
  json::object o;
  o["id"] = r.id;
  o["type"] = r.type;
  auto claims = ParseJson(r.claims);
  o["claims"] = claims.ok() ? *claims : json::value(json::object{});
  json::array perms;
  for (const auto& p : r.permissions) perms.emplace_back(p);
  o["permissions"] = std::move(perms);
  o["createdBy"] = r.created_by;
  return o;
}

absl::StatusOr<TrustConfigRecord> TrustedPublishing::AddConfig(std::string_view package,
                                                               const json::object& body,
                                                               std::string_view created_by) {
  std::string type(Str(body, "type"));
  const json::object* claims = GetObject(body, "claims");
  if (claims == nullptr) return absl::InvalidArgumentError("trust configuration needs claims");
  BULWARK_RETURN_IF_ERROR(ValidateClaims(type, *claims));
  bool has_issuer = false;
  for (const Issuer& i : options_.issuers) has_issuer |= i.type == type;
  if (!has_issuer) {
    return absl::FailedPreconditionError(
        StrCat("this registry trusts no ", type, " OIDC issuer; an administrator must set "
               "trusted_publishing.issuers.", type));
  }
  TrustConfigRecord r;
  const json::array* perms = GetArray(body, "permissions");
  if (perms != nullptr) {
    for (const auto& p : *perms) {
      if (!p.is_string() || (p.get_string() != kCreatePackage &&
                             p.get_string() != kCreateStagedPackage)) {
        return absl::InvalidArgumentError(
            "permissions must be createPackage and/or createStagedPackage");
      }
      std::string s(p.get_string());
      if (std::find(r.permissions.begin(), r.permissions.end(), s) == r.permissions.end()) {
        r.permissions.push_back(std::move(s));
      }
    }
  } else {
    r.permissions.emplace_back(kCreatePackage);  // npm before 11.10 sent no permissions.
  }
  if (r.permissions.empty()) return absl::InvalidArgumentError("no permissions given");
  r.id = NewUuid(random_);
  r.package = std::string(package);
  r.type = type;
  r.claims = ToJson(*claims);
  r.created_by = std::string(created_by);
  r.created = clock_.Now();
  BULWARK_RETURN_IF_ERROR(store_.AddTrustConfig(r));
  return r;
}

absl::StatusOr<std::vector<TrustConfigRecord>> TrustedPublishing::ListConfigs(
    std::string_view package) {
  return store_.ListTrustConfigs(package);
}

absl::Status TrustedPublishing::RevokeConfig(std::string_view package, std::string_view id) {
  return store_.DeleteTrustConfig(package, id);
}

absl::StatusOr<ExchangeResult> TrustedPublishing::Exchange(std::string_view compact,
                                                           std::string_view package,
                                                           std::string_view audience,
                                                           Purpose purpose) {
  auto refuse = [](std::string_view why) {
    return absl::UnauthenticatedError(StrCat("OIDC token exchange refused: ", why));
  };
  auto jwt = ParseJwt(compact);
  if (!jwt.ok()) return refuse(std::string(jwt.status().message()));
  std::string_view iss = Str(jwt->payload, "iss");
  const Issuer* issuer = nullptr;
  for (const Issuer& i : options_.issuers) {
    if (TrimSlashView(i.issuer) == TrimSlashView(iss) && !iss.empty()) issuer = &i;
  }
  if (issuer == nullptr) return refuse(StrCat("issuer \"", iss, "\" is not trusted by this registry"));
  absl::Status sig = jwks_.Verify(*issuer, *jwt);
  if (absl::IsUnauthenticated(sig)) return refuse(std::string(sig.message()));
  BULWARK_RETURN_IF_ERROR(sig);

  const absl::Time now = clock_.Now();
  const absl::Duration skew = options_.clock_skew;
  auto exp = TimeClaim(jwt->payload, "exp");
  auto iat = TimeClaim(jwt->payload, "iat");
  auto nbf = TimeClaim(jwt->payload, "nbf");
  if (!exp || !iat) return refuse("the token has no exp or iat");
  if (now > *exp + skew) return refuse("the token has expired");
  if (nbf && *nbf > now + skew) return refuse("the token is not valid yet (nbf)");
  if (*iat > now + skew) return refuse("the token was issued in the future (iat)");
  if (now - *iat > options_.max_token_age) return refuse("the token is too old (iat)");
  std::string expected_aud = options_.audience.empty() ? std::string(audience) : options_.audience;
  if (!AudienceMatches(jwt->payload, expected_aud)) {
    return refuse(StrCat("the token's audience is not \"", expected_aud, "\""));
  }
  std::string_view jti = Str(jwt->payload, "jti");
  if (jti.empty()) return refuse("the token has no jti");

  BULWARK_ASSIGN_OR_RETURN(std::vector<TrustConfigRecord> configs, store_.ListTrustConfigs(package));
  if (configs.empty()) {
    return refuse(StrCat("package ", package, " has no trusted publisher; an owner can add one "
                         "with npm trust"));
  }
  std::string_view need = purpose == Purpose::kPublish ? kCreatePackage : kCreateStagedPackage;
  const TrustConfigRecord* match = nullptr;
  std::string why;
  for (const TrustConfigRecord& c : configs) {
    if (c.type != issuer->type) {
      if (why.empty()) why = StrCat("no ", issuer->type, " trusted publisher");
      continue;
    }
    std::string mismatch;
    if (!ClaimsMatch(c, jwt->payload, &mismatch)) {
      why = mismatch;
      continue;
    }
    if (std::find(c.permissions.begin(), c.permissions.end(), need) == c.permissions.end()) {
      why = StrCat("trusted publisher ", c.id, " does not allow ",
                   purpose == Purpose::kPublish ? "publish" : "stage publish");
      continue;
    }
    match = &c;
    break;
  }
  if (match == nullptr) {
    return refuse(StrCat("no trusted publisher of ", package, " matches this token: ", why));
  }
  absl::Status used = store_.UseTokenId(iss, jti, *exp + skew, now);
  if (absl::IsAlreadyExists(used)) return refuse("this token was already exchanged (jti replay)");
  BULWARK_RETURN_IF_ERROR(used);
  ExchangeResult r;
  r.config = *match;
  r.issuer = std::string(iss);
  r.subject = std::string(Str(jwt->payload, "sub"));
  return r;
}

}  // namespace bulwark::oidc
