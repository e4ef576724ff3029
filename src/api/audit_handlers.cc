// npm audit (npm-registry-api.md §7): the bulk advisory endpoint npm 7+ uses and the older
// quick-audit endpoint of npm 6, yarn berry <= 3 and pnpm (which posts to .../audits/quick and
// falls back to .../audits), answered from the advisory database (bulwark advisories import).

#include <time.h>

#include <chrono>
#include <set>

#include "api/registry_api.h"
#include "base/log.h"
#include "base/strings.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "security/advisories/bulk.h"
#include "security/advisories/index.h"
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

double ThreadCpuMillis() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace

// The compiled advisories, rebuilt when the store's generation moves (an import, an admin
// edit, a withdrawal, from this process or another). Building is done by one request while
// the others wait for it; a build of 50,000 advisories takes about a second.
class AdvisoryIndexCache {
 public:
  explicit AdvisoryIndexCache(AdvisoryStore& store) : store_(store) {}

  absl::StatusOr<std::shared_ptr<const advisories::AdvisoryIndex>> Get() {
    BULWARK_ASSIGN_OR_RETURN(const int64_t generation, store_.Generation());
    absl::MutexLock l(&mu_);
    if (index_ != nullptr && generation == generation_) return index_;
    BULWARK_ASSIGN_OR_RETURN(std::vector<AdvisoryRecord> records, store_.ListAll());
    std::vector<advisories::Advisory> list;
    list.reserve(records.size());
    for (const AdvisoryRecord& r : records) {
      if (r.withdrawn) continue;
      auto a = advisories::FromRecord(r);
      if (!a.ok()) {
        // One corrupt row must not blind every audit; it is logged for the operator.
        LogError("%s", a.status().ToString());
        continue;
      }
      list.push_back(std::move(*a));
    }
    index_ = std::make_shared<const advisories::AdvisoryIndex>(std::move(list));
    generation_ = generation;
    return index_;
  }

 private:
  AdvisoryStore& store_;
  absl::Mutex mu_;
  std::shared_ptr<const advisories::AdvisoryIndex> index_ ABSL_GUARDED_BY(mu_);
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

std::shared_ptr<AdvisoryIndexCache> NewAdvisoryIndexCache(AdvisoryStore* store) {
  if (store == nullptr) return nullptr;
  return std::make_shared<AdvisoryIndexCache>(*store);
}

http::Response RegistryApi::AuditBulk(Ctx& ctx) {
  // Without a database the truthful answer is "no known advisories"; npm audit fails on
  // anything but a JSON object.
  if (advisories_ == nullptr) return JsonResponse(200, json::object{});
  // The time spent here goes out as Server-Timing (bench/advisories measures it): elapsed, and
  // this thread's CPU time, which a loaded machine does not inflate.
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuMillis();
  auto body = AuditBody(ctx.req);
  if (!body.ok()) return ErrorResponse(body.status());
  auto request = advisories::ParseBulkRequest(*body);
  if (!request.ok()) return ErrorResponse(request.status());
  auto index = advisory_index_->Get();
  if (!index.ok()) return ErrorResponse(index.status());
  http::Response res = NoStore(http::Response::Json(200, (*index)->BulkJson(*request)));
  const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
  res.Set("server-timing", absl::StrFormat("audit;dur=%.3f, cpu;dur=%.3f", took.count(),
                                           ThreadCpuMillis() - cpu_start));
  return res;
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
    auto index = advisory_index_->Get();
    if (!index.ok()) return ErrorResponse(index.status());
    constexpr semver::Options kNpm{.loose = true, .include_prerelease = true};
    json::object& out = report["advisories"].as_object();
    for (const auto& [name, versions] : tree) {
      for (const advisories::AdvisoryIndex::Entry& e : (*index)->For(name)) {
        json::array findings;
        for (const auto& [version, paths] : versions) {
          auto v = semver::Parse(version, kNpm);
          if (!v.ok() || !e.affected.Affects(*v)) continue;
          json::array p;
          for (const auto& path : paths) p.emplace_back(path);
          findings.push_back(json::object{{"version", version}, {"paths", std::move(p)}});
        }
        if (findings.empty()) continue;
        const advisories::Advisory& a = *e.advisory;
        json::object entry = e.bulk;
        // The npm v6 advisory fields that npm 6, pnpm (pnpm audit, --fix) and yarn 1 read.
        json::array cves;
        std::string ghsa = StartsWith(a.id, "GHSA-") ? a.id : "";
        for (const std::string& alias : a.aliases) {
          if (StartsWith(alias, "CVE-")) cves.emplace_back(alias);
          if (ghsa.empty() && StartsWith(alias, "GHSA-")) ghsa = alias;
        }
        entry["module_name"] = name;
        entry["overview"] = a.details;
        entry["recommendation"] = "";
        entry["patched_versions"] = e.affected.PatchedRange();
        entry["cves"] = std::move(cves);
        entry["github_advisory_id"] = ghsa;
        entry["access"] = "public";
        entry["created"] = advisories::FormatTimestamp(a.published.value_or(a.modified));
        entry["updated"] = advisories::FormatTimestamp(a.modified);
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
