#include "api/token_options.h"

#include "base/strings.h"

namespace bulwark {
namespace {

// A string or an array of strings (npm sends arrays; a single value is accepted too).
absl::Status StringList(const json::object& body, std::string_view key,
                        std::vector<std::string>& out) {
  auto it = body.find(key);
  if (it == body.end() || it->value().is_null()) return absl::OkStatus();
  const json::value& v = it->value();
  if (!v.is_string() && !v.is_array()) {
    return absl::InvalidArgumentError(StrCat(key, " must be a list of strings"));
  }
  // "a,b" is split like ["a", "b"]: npm passes a single --packages=a,b through as one string.
  auto add = [&](std::string_view text) {
    for (std::string_view part : StrSplit(text, ',', SkipEmpty())) {
      part = StripAsciiWhitespace(part);
      if (!part.empty()) out.emplace_back(part);
    }
  };
  if (v.is_string()) {
    add(std::string_view(v.get_string()));
    return absl::OkStatus();
  }
  for (const auto& e : v.get_array()) {
    if (!e.is_string()) return absl::InvalidArgumentError(StrCat(key, " must be a list of strings"));
    add(std::string_view(e.get_string()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TokenOptions> ParseTokenOptions(const json::object& body) {
  TokenOptions opts;
  opts.name = std::string(GetString(body, "name").value_or(""));
  opts.description = std::string(GetString(body, "description").value_or(""));
  std::string_view permission = GetString(body, "packages_and_scopes_permission").value_or("");
  if (permission == "no-access") {
    return absl::InvalidArgumentError(
        "packages_and_scopes_permission no-access is not supported: Bulwark tokens always "
        "read; use read-only or read-write");
  }
  if (!permission.empty() && permission != "read-only" && permission != "read-write") {
    return absl::InvalidArgumentError(
        "packages_and_scopes_permission must be read-only or read-write");
  }
  opts.readonly = GetBool(body, "readonly").value_or(false) || permission == "read-only";
  std::vector<std::string> orgs;
  BULWARK_RETURN_IF_ERROR(StringList(body, "orgs", orgs));
  if (!orgs.empty() || body.contains("orgs_permission")) {
    return absl::InvalidArgumentError(
        "organisations are not supported on this registry: limit the token with --scopes "
        "instead (docs/tokens.md)");
  }
  BULWARK_RETURN_IF_ERROR(StringList(body, "packages", opts.packages));
  BULWARK_RETURN_IF_ERROR(StringList(body, "scopes", opts.scopes));
  if (GetBool(body, "packages_all").value_or(false) &&
      (!opts.packages.empty() || !opts.scopes.empty())) {
    return absl::InvalidArgumentError("--packages-all cannot be combined with --packages or --scopes");
  }
  if (const json::array* cidr = GetArray(body, "cidr_whitelist")) {
    for (const auto& c : *cidr) {
      if (!c.is_string()) return absl::InvalidArgumentError("invalid CIDR");
      opts.cidr_whitelist.emplace_back(c.get_string());
    }
  }
  auto expires = body.find("expires");
  if (expires != body.end() && !expires->value().is_null()) {
    auto days = GetInt(body, "expires");
    if (!days || *days < 1 || *days > 100000) {
      return absl::InvalidArgumentError("expires must be a whole number of days, at least 1");
    }
    opts.lifetime = absl::Hours(24 * *days);
  }
  opts.bypass_2fa = GetBool(body, "bypass_2fa").value_or(false);
  return opts;
}

}  // namespace bulwark
