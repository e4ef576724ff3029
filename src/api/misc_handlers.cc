// Search and stars (npm-registry-api.md §3.8, §8.1).

#include <algorithm>

#include "base/strings.h"
#include "absl/strings/ascii.h"
#include "api/registry_api.h"
#include "api/routes.h"
#include "base/time_format.h"

namespace bulwark {
namespace {

constexpr int64_t kDefaultSearchSize = 20;
constexpr int64_t kMaxSearchSize = 250;  // npmjs' cap.

// Relevance of one package for one lower-cased term; 0 means no match.
double TermScore(const PackageSummary& p, std::string_view term) {
  std::string name = AsciiStrToLower(p.name);
  // Scoped names also match on their unscoped part.
  std::string_view bare = name;
  if (size_t slash = bare.find('/'); slash != std::string_view::npos) bare.remove_prefix(slash + 1);
  if (name == term || bare == term) return 100;
  double score = 0;
  if (StartsWith(bare, term) || StartsWith(name, term)) {
    score += 30;
  } else if (StrContains(name, term)) {
    score += 15;
  }
  for (const auto& k : p.keywords) {
    if (AsciiStrToLower(k) == term) {
      score += 10;
      break;
    }
  }
  if (StrContains(AsciiStrToLower(p.description), term)) score += 5;
  return score;
}

}  // namespace

http::Response RegistryApi::Search(Ctx& ctx) {
  std::string text = AsciiStrToLower(QueryParam(ctx.req.query, "text").value_or(""));
  int64_t size = kDefaultSearchSize, from = 0;
  if (auto v = QueryParam(ctx.req.query, "size")) SimpleAtoi(*v, &size);
  if (auto v = QueryParam(ctx.req.query, "from")) SimpleAtoi(*v, &from);
  size = std::clamp<int64_t>(size, 1, kMaxSearchSize);
  from = std::max<int64_t>(from, 0);

  std::vector<std::string> terms, keywords, maintainers;
  for (std::string_view t : StrSplit(text, ByAnyChar{" \t"}, SkipEmpty())) {
    if (ConsumePrefix(&t, "keywords:")) {
      for (std::string_view k : StrSplit(t, ',', SkipEmpty())) keywords.emplace_back(k);
    } else if (ConsumePrefix(&t, "maintainer:") || ConsumePrefix(&t, "author:")) {
      maintainers.emplace_back(t);
    } else if (StartsWith(t, "not:") || StartsWith(t, "is:") ||
               StartsWith(t, "boost-exact:")) {
      continue;  // Quality qualifiers we do not score on.
    } else {
      terms.emplace_back(t);
    }
  }

  auto list = packages_.ListReadable(ctx.who());
  if (!list.ok()) return ErrorResponse(list.status());
  std::vector<std::pair<double, const PackageSummary*>> hits;
  for (const auto& p : *list) {
    double score = 0;
    bool all = true;
    for (const auto& t : terms) {
      double s = TermScore(p, t);
      if (s == 0) {
        all = false;
        break;
      }
      score += s;
    }
    for (const auto& k : keywords) {
      bool has = std::any_of(p.keywords.begin(), p.keywords.end(),
                             [&](const std::string& x) { return AsciiStrToLower(x) == k; });
      all = all && has;
      score += 10;
    }
    for (const auto& m : maintainers) {
      all = all && std::find(p.maintainers.begin(), p.maintainers.end(), m) != p.maintainers.end();
    }
    if (all && (!terms.empty() || !keywords.empty() || !maintainers.empty())) {
      hits.emplace_back(score, &p);
    }
  }
  std::stable_sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return a.second->name < b.second->name;
  });
  double top = hits.empty() ? 1 : hits.front().first;
  json::array objects;
  for (int64_t i = from; i < std::min<int64_t>(from + size, hits.size()); ++i) {
    const PackageSummary& p = *hits[i].second;
    json::array maint;
    for (const auto& u : p.maintainers) maint.push_back(json::object{{"username", u}});
    json::array kw;
    for (const auto& k : p.keywords) kw.emplace_back(k);
    json::object pkg{{"name", p.name},
                     {"version", p.latest},
                     {"description", p.description},
                     {"keywords", std::move(kw)},
                     {"date", FormatIsoTime(p.modified)},
                     {"links", json::object{{"npm", ctx.base_url + "/" + p.name}}},
                     {"maintainers", std::move(maint)}};
    if (!p.maintainers.empty()) {
      pkg["publisher"] = json::object{{"username", p.maintainers.front()}};
    }
    double final_score = hits[i].first / top;
    objects.push_back(json::object{
        {"package", std::move(pkg)},
        {"score", json::object{{"final", final_score},
                               {"detail", json::object{{"quality", final_score},
                                                       {"popularity", 0.0},
                                                       {"maintenance", 1.0}}}}},
        {"searchScore", hits[i].first}});
  }
  return JsonResponse(200, json::object{{"objects", std::move(objects)},
                                        {"total", hits.size()},
                                        {"time", FormatIsoTime(clock_.Now())}});
}

http::Response RegistryApi::StarredByUser(Ctx& ctx) {
  std::string key = QueryParam(ctx.req.query, "key").value_or("");
  auto parsed = ParseJson(key);
  if (!parsed.ok() || !parsed->is_string()) {
    return ErrorResponse(absl::InvalidArgumentError("key must be a JSON string"));
  }
  std::string user(parsed->get_string());
  auto starred = packages_.StarredBy(user, ctx.who());
  if (!starred.ok()) return ErrorResponse(starred.status());
  json::array rows;
  for (const auto& name : *starred) rows.push_back(json::object{{"value", name}});
  return JsonResponse(200, json::object{{"rows", std::move(rows)}});
}

}  // namespace bulwark
