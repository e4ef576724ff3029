// npm audit (npm-registry-api.md §7): the bulk advisory endpoint npm 7+ uses and the older
// quick-audit endpoint of npm 6, yarn berry <= 3 and pnpm <= 10, answered from the advisory
// database (bulwark advisories import).

#include <set>

#include "api/registry_api.h"
#include "base/log.h"
#include "base/strings.h"
#include "security/advisories/bulk.h"
#include "security/advisories/gunzip.h"
#include "security/advisories/records.h"

namespace bulwark {
namespace {

// npm gzips the request; the compressed body is bounded by BodyLimit, this bounds what it
// inflates to (a 1 MiB gzip body of zeros inflates to ~1 GiB).
constexpr size_t kMaxInflatedAuditBody = 32u << 20;

// The body as JSON text: inflated when sent with Content-Encoding: gzip (or when it starts with
// the gzip magic bytes, as some clients omit the header).
absl::StatusOr<std::string> AuditBody(const http::Request& req) {
  const std::string encoding =
      AsciiStrToLower(StripAsciiWhitespace(req.Header("content-encoding")));
  const bool magic = req.body.size() >= 2 && static_cast<unsigned char>(req.body[0]) == 0x1f &&
                     static_cast<unsigned char>(req.body[1]) == 0x8b;
  if (encoding == "gzip" || encoding == "x-gzip" || (encoding.empty() && magic)) {
    return advisories::Gunzip(req.body, kMaxInflatedAuditBody);
  }
  if (!encoding.empty() && encoding != "identity") {
    return absl::InvalidArgumentError(StrCat("unsupported content-encoding: ", encoding));
  }
  return req.body;
}

absl::StatusOr<std::vector<advisories::Advisory>> LoadAdvisories(
    AdvisoryStore& store, const std::vector<std::string>& names) {
  BULWARK_ASSIGN_OR_RETURN(std::vector<AdvisoryRecord> records, store.ListForPackages(names));
  std::vector<advisories::Advisory> out;
  out.reserve(records.size());
  for (const AdvisoryRecord& r : records) {
    auto a = advisories::FromRecord(r);
    if (!a.ok()) {
      // One corrupt row must not blind every audit; it is logged for the operator.
      LogError("%s", a.status().ToString());
      continue;
    }
    out.push_back(std::move(*a));
  }
  return out;
}

// The npm v6 tree of the quick-audit request: name -> versions, and the paths that reach each.
void CollectTree(const json::object& deps, const std::string& prefix,
                 std::map<std::string, std::map<std::string, std::vector<std::string>>>& out,
                 size_t& budget) {
  for (const auto& [key, value] : deps) {
    if (budget == 0 || !value.is_object()) return;
    --budget;
    const std::string name(key);
    const std::string path = prefix.empty() ? name : StrCat(prefix, ">", name);
    if (auto v = GetString(value.get_object(), "version")) {
      out[name][std::string(*v)].push_back(path);
    }
    if (const json::object* sub = GetObject(value.get_object(), "dependencies")) {
      CollectTree(*sub, path, out, budget);
    }
  }
}

}  // namespace

http::Response RegistryApi::AuditBulk(Ctx& ctx) {
  // Without a database the truthful answer is "no known advisories"; npm audit fails on
  // anything but a JSON object.
  if (advisories_ == nullptr) return JsonResponse(200, json::object{});
  auto body = AuditBody(ctx.req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto request = advisories::ParseBulkRequest(*body);
  if (!request.ok()) return ErrorResponse(request.status());
  std::vector<std::string> names;
  names.reserve(request->size());
  for (const auto& [name, versions] : *request) names.push_back(name);
  auto found = LoadAdvisories(*advisories_, names);
  if (!found.ok()) return ErrorResponse(found.status());
  return NoStore(JsonResponse(200, advisories::BulkResponse(*request, *found)));
}

http::Response RegistryApi::AuditQuick(Ctx& ctx) {
  json::object counts{{"info", 0}, {"low", 0}, {"moderate", 0}, {"high", 0}, {"critical", 0}};
  json::object report{{"actions", json::array{}},
                      {"advisories", json::object{}},
                      {"muted", json::array{}}};
  auto body = AuditBody(ctx.req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto doc = ParseJson(*body);
  if (!doc.ok()) return ErrorResponse(doc.status());
  if (!doc->is_object()) {
    return ErrorResponse(absl::InvalidArgumentError("the request body must be a JSON object"));
  }
  std::map<std::string, std::map<std::string, std::vector<std::string>>> tree;
  size_t budget = advisories::kMaxBulkPackages;  // Nodes visited, against huge trees.
  if (const json::object* deps = GetObject(doc->get_object(), "dependencies")) {
    CollectTree(*deps, "", tree, budget);
  }
  size_t total = 0;
  for (const auto& [name, versions] : tree) total += versions.size();
  if (advisories_ != nullptr && !tree.empty()) {
    std::vector<std::string> names;
    for (const auto& [name, versions] : tree) names.push_back(name);
    auto found = LoadAdvisories(*advisories_, names);
    if (!found.ok()) return ErrorResponse(found.status());
    constexpr semver::Options kNpm{.loose = true, .include_prerelease = true};
    json::object& out = report["advisories"].as_object();
    for (const advisories::Advisory& a : *found) {
      for (const std::string& name : advisories::NpmPackages(a)) {
        auto it = tree.find(name);
        if (it == tree.end()) continue;
        json::array findings;
        for (const auto& [version, paths] : it->second) {
          auto v = semver::Parse(version, kNpm);
          if (!v.ok() || !advisories::IsAffected(a, name, *v)) continue;
          json::array p;
          for (const auto& path : paths) p.emplace_back(path);
          findings.push_back(json::object{{"version", version}, {"paths", std::move(p)}});
        }
        if (findings.empty()) continue;
        json::object entry = advisories::BulkEntry(a, name);
        entry["module_name"] = name;
        entry["overview"] = a.details;
        entry["findings"] = std::move(findings);
        const std::string severity(entry["severity"].as_string());
        counts[severity] = counts[severity].to_number<int64_t>() + 1;
        out[StrCat(a.id, out.contains(a.id) ? StrCat(":", name) : "")] = std::move(entry);
      }
    }
  }
  report["metadata"] = json::object{{"vulnerabilities", std::move(counts)},
                                    {"dependencies", total},
                                    {"devDependencies", 0},
                                    {"optionalDependencies", 0},
                                    {"totalDependencies", total}};
  return NoStore(JsonResponse(200, report));
}

}  // namespace bulwark
