#include "security/advisories/index.h"

#include <algorithm>

namespace bulwark::advisories {

AdvisoryIndex::AdvisoryIndex(std::vector<Advisory> advisories) {
  std::sort(advisories.begin(), advisories.end(),
            [](const Advisory& a, const Advisory& b) { return a.id < b.id; });
  for (Advisory& a : advisories) {
    if (a.withdrawn) continue;
    ++advisories_;
    auto shared = std::make_shared<const Advisory>(std::move(a));
    const Severity severity = Rate(*shared).level;
    for (const std::string& package : NpmPackages(*shared)) {
      by_package_[package].push_back(
          Entry{shared, CompiledAffected(*shared, package), severity, BulkEntry(*shared, package)});
    }
  }
}

const std::vector<AdvisoryIndex::Entry>& AdvisoryIndex::For(std::string_view package) const {
  static const std::vector<Entry> kNone;
  auto it = by_package_.find(package);
  return it == by_package_.end() ? kNone : it->second;
}

json::object AdvisoryIndex::Bulk(const BulkRequest& request) const {
  constexpr semver::Options kNpm{.loose = true, .include_prerelease = true};
  json::object out;
  std::vector<semver::Version> parsed;
  for (const auto& [name, versions] : request) {
    const std::vector<Entry>& entries = For(name);
    if (entries.empty()) continue;
    parsed.clear();
    for (const std::string& v : versions) {
      if (auto p = semver::Parse(v, kNpm); p.ok()) parsed.push_back(std::move(*p));
    }
    json::array found;
    for (const Entry& e : entries) {
      for (const semver::Version& v : parsed) {
        if (e.affected.Affects(v)) {
          found.push_back(e.bulk);
          break;
        }
      }
    }
    if (!found.empty()) out[name] = std::move(found);
  }
  return out;
}

}  // namespace bulwark::advisories
