#include "security/advisories/index.h"

#include <algorithm>

namespace bulwark::advisories {

AdvisoryIndex::AdvisoryIndex(std::vector<Advisory> advisories) {
  std::sort(advisories.begin(), advisories.end(),
            [](const Advisory& a, const Advisory& b) { return a.id < b.id; });
  // Compiled in package order, and before any answer is rendered, so that one package's ranges
  // and versions sit together in memory: a request walks them all, and cache misses, not
  // comparisons, are what a request costs.
  std::vector<std::pair<std::string, std::shared_ptr<const Advisory>>> by_name;
  for (Advisory& a : advisories) {
    if (a.withdrawn) continue;
    ++advisories_;
    auto shared = std::make_shared<const Advisory>(std::move(a));
    for (std::string& package : NpmPackages(*shared))
      by_name.emplace_back(std::move(package), shared);
  }
  std::stable_sort(by_name.begin(), by_name.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  by_package_.reserve(by_name.size());
  for (auto& [package, advisory] : by_name) {
    Entry e;
    e.affected = CompiledAffected(*advisory, package);
    e.severity = Rate(*advisory).level;
    e.advisory = std::move(advisory);
    by_package_[package].push_back(std::move(e));
  }
  for (auto& [package, entries] : by_package_) {
    for (Entry& e : entries) {
      e.bulk = BulkEntry(*e.advisory, package);
      e.bulk_json = ToJson(e.bulk);
    }
  }
}

const std::vector<AdvisoryIndex::Entry>& AdvisoryIndex::For(std::string_view package) const {
  static const std::vector<Entry> kNone;
  auto it = by_package_.find(package);
  return it == by_package_.end() ? kNone : it->second;
}

void AdvisoryIndex::Matching(std::string_view package, const std::vector<std::string>& versions,
                             std::vector<const Entry*>& out) const {
  constexpr semver::Options kNpm{.loose = true, .include_prerelease = true};
  const std::vector<Entry>& entries = For(package);
  if (entries.empty()) return;
  std::vector<semver::Version> parsed;
  parsed.reserve(versions.size());
  for (const std::string& v : versions) {
    if (auto p = semver::Parse(v, kNpm); p.ok()) parsed.push_back(std::move(*p));
  }
  for (const Entry& e : entries) {
    for (const semver::Version& v : parsed) {
      if (e.affected.Affects(v)) {
        out.push_back(&e);
        break;
      }
    }
  }
}

json::object AdvisoryIndex::Bulk(const BulkRequest& request) const {
  json::object out;
  std::vector<const Entry*> found;
  for (const auto& [name, versions] : request) {
    found.clear();
    Matching(name, versions, found);
    if (found.empty()) continue;
    json::array list;
    for (const Entry* e : found) list.push_back(e->bulk);
    out[name] = std::move(list);
  }
  return out;
}

std::string AdvisoryIndex::BulkJson(const BulkRequest& request) const {
  std::string out = "{";
  std::vector<const Entry*> found;
  for (const auto& [name, versions] : request) {
    found.clear();
    Matching(name, versions, found);
    if (found.empty()) continue;
    if (out.size() > 1) out += ',';
    out += ToJson(json::string(name));
    out += ":[";
    for (size_t i = 0; i < found.size(); ++i) {
      if (i > 0) out += ',';
      out += found[i]->bulk_json;
    }
    out += ']';
  }
  out += '}';
  return out;
}

}  // namespace bulwark::advisories
