// Answers advisory questions for tests/differential/advisories.mjs, which checks the answers
// with the npm `semver` package.
//
// Protocol: one JSON object per line on stdin, one JSON object per line on stdout.
//   in:  {"osv": {...OSV document...}, "package": "name", "versions": ["1.0.0", ...]}
//    or  {"npm": "<one line of the npm / Node Security WG export>", "versions": [...]}
//   out: {"id": "...", "package": "name", "range": "<vulnerable_versions>",
//         "affected": [true, ...]}   (per version: the OSV evaluation of the events as stored,
//                                     i.e. after a round trip through the stored document)
//    or  {"error": "..."}

#include <iostream>
#include <string>

#include "base/json.h"
#include "security/advisories/advisory.h"

namespace adv = bulwark::advisories;

int main() {
  constexpr bulwark::semver::Options kNpm{.loose = true, .include_prerelease = true};
  std::string line;
  while (std::getline(std::cin, line)) {
    auto in = bulwark::ParseJson(line, 256);
    if (!in.ok() || !in->is_object()) {
      std::cout << R"({"error":"bad request line"})" << std::endl;
      continue;
    }
    const bulwark::json::object& q = in->get_object();
    absl::StatusOr<adv::Advisory> a = absl::InvalidArgumentError("no advisory");
    std::string package(bulwark::GetString(q, "package").value_or(""));
    if (auto it = q.find("osv"); it != q.end()) {
      a = adv::ParseOsv(it->value());
    } else if (auto npm = bulwark::GetString(q, "npm")) {
      auto list = adv::ParseNpmAdvisoryLine(*npm);
      if (list.ok() && list->size() == 1) {
        a = std::move((*list)[0]);
        if (package.empty()) package = a->affected[0].package;
      } else {
        a = list.ok() ? absl::InvalidArgumentError("not one advisory") : list.status();
      }
    }
    if (!a.ok()) {
      std::cout << bulwark::ToJson(bulwark::json::object{{"error", a.status().ToString()}})
                << std::endl;
      continue;
    }
    // As the database holds it: the stored OSV document, parsed again.
    auto stored = adv::ParseOsv(adv::ToOsvJson(*a));
    if (!stored.ok()) {
      std::cout << bulwark::ToJson(bulwark::json::object{{"error", stored.status().ToString()}})
                << std::endl;
      continue;
    }
    bulwark::json::array affected;
    if (const bulwark::json::array* versions = bulwark::GetArray(q, "versions")) {
      for (const auto& v : *versions) {
        auto parsed = bulwark::semver::Parse(v.is_string() ? v.get_string() : "", kNpm);
        affected.emplace_back(parsed.ok() && adv::IsAffected(*stored, package, *parsed));
      }
    }
    std::cout << bulwark::ToJson(
                     bulwark::json::object{{"id", stored->id},
                                           {"package", package},
                                           {"range", adv::VulnerableRange(*stored, package)},
                                           {"affected", std::move(affected)}})
              << std::endl;
  }
  return 0;
}
