#include "accounts/domains/rdap.h"

#include "base/json.h"
#include "base/strings.h"
#include "base/time_format.h"

namespace bulwark::domains {
namespace {

// RDAP documents are shallow (entities nest vcards a few levels); deeper input is not RDAP.
constexpr size_t kMaxRdapDepth = 32;

std::string WithSlash(std::string_view base) {
  std::string b(base);
  if (b.empty() || b.back() != '/') b.push_back('/');
  return b;
}

void KeepLatest(std::optional<absl::Time>& slot, absl::Time t) {
  if (!slot || t > *slot) slot = t;
}

}  // namespace

absl::StatusOr<RdapDomain> ParseRdapDomain(std::string_view text) {
  if (text.size() > kMaxRdapBytes) {
    return absl::InvalidArgumentError("RDAP answer is larger than 256 KiB");
  }
  BULWARK_ASSIGN_OR_RETURN(json::value v, ParseJson(text, kMaxRdapDepth));
  if (!v.is_object()) return absl::InvalidArgumentError("RDAP answer is not a JSON object");
  const json::object& o = v.get_object();
  auto cls = GetString(o, "objectClassName");
  if (!cls || AsciiStrToLower(*cls) != "domain") {
    return absl::InvalidArgumentError("RDAP answer is not a domain object");
  }
  RdapDomain d;
  if (auto name = GetString(o, "ldhName")) d.ldh_name = AsciiStrToLower(*name);
  if (const json::array* status = GetArray(o, "status")) {
    for (const json::value& s : *status) {
      if (!s.is_string()) continue;
      std::string value = AsciiStrToLower(std::string_view(s.get_string()));
      // Kept one a line in the store; a value with a line break is not an RDAP status.
      if (value.empty() || value.find('\n') != std::string::npos || value.size() > 100) continue;
      d.statuses.push_back(std::move(value));
    }
  }
  if (const json::array* events = GetArray(o, "events")) {
    for (const json::value& e : *events) {
      if (!e.is_object()) continue;
      auto action = GetString(e.get_object(), "eventAction");
      auto date = GetString(e.get_object(), "eventDate");
      if (!action || !date) continue;
      std::string a = AsciiStrToLower(*action);
      std::optional<absl::Time> t = ParseIsoTime(*date);
      if (!t) {
        if (a == "registration" || a == "expiration" || a == "last changed") {
          return absl::InvalidArgumentError(
              StrCat("RDAP event \"", a, "\" has a date that is not RFC 3339"));
        }
        continue;
      }
      // RFC 9083 §10.2.3 event actions.
      if (a == "registration") {
        KeepLatest(d.registered, *t);
      } else if (a == "expiration") {
        KeepLatest(d.expires, *t);
      } else if (a == "last changed") {
        KeepLatest(d.last_changed, *t);
      }
    }
  }
  return d;
}

absl::StatusOr<RdapBootstrap> RdapBootstrap::Parse(std::string_view text) {
  if (text.size() > kMaxBootstrapBytes) {
    return absl::InvalidArgumentError("RDAP bootstrap file is larger than 4 MiB");
  }
  BULWARK_ASSIGN_OR_RETURN(json::value v, ParseJson(text));
  if (!v.is_object()) return absl::InvalidArgumentError("RDAP bootstrap is not a JSON object");
  const json::array* services = GetArray(v.get_object(), "services");
  if (!services) return absl::InvalidArgumentError("RDAP bootstrap has no \"services\" array");
  RdapBootstrap b;
  for (const json::value& service : *services) {
    // RFC 9224 §4: [ [entry, ...], [url, ...] ].
    if (!service.is_array() || service.get_array().size() < 2) continue;
    const json::value& entries = service.get_array()[0];
    const json::value& urls = service.get_array()[1];
    if (!entries.is_array() || !urls.is_array()) continue;
    std::string chosen;
    for (const json::value& u : urls.get_array()) {
      if (!u.is_string()) continue;
      std::string_view url = u.get_string();
      if (StartsWith(url, "https://")) {
        chosen = std::string(url);
        break;
      }
      if (chosen.empty() && StartsWith(url, "http://")) chosen = std::string(url);
    }
    if (chosen.empty()) continue;
    for (const json::value& e : entries.get_array()) {
      if (!e.is_string()) continue;
      std::string suffix = AsciiStrToLower(std::string_view(e.get_string()));
      if (!suffix.empty()) b.by_suffix_.emplace(std::move(suffix), WithSlash(chosen));
    }
  }
  return b;
}

RdapBootstrap RdapBootstrap::Single(std::string base_url) {
  RdapBootstrap b;
  b.single_ = WithSlash(base_url);
  return b;
}

std::optional<std::string> RdapBootstrap::BaseFor(std::string_view domain) const {
  if (!single_.empty()) return single_;
  // Longest match first: try the whole name, then drop one label at a time.
  std::string_view rest = domain;
  while (!rest.empty()) {
    if (auto it = by_suffix_.find(rest); it != by_suffix_.end()) return it->second;
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return std::nullopt;
}

std::string RdapDomainUrl(std::string_view base, std::string_view domain) {
  return StrCat(WithSlash(base), "domain/", domain);
}

}  // namespace bulwark::domains
