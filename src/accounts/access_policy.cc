#include "accounts/access_policy.h"

#include <algorithm>

namespace bulwark {

bool GlobMatch(std::string_view p, std::string_view t) {
  if (p.empty()) return t.empty();
  if (p.size() >= 2 && p[0] == '*' && p[1] == '*') {
    std::string_view rest = p.substr(2);
    for (size_t i = 0; i <= t.size(); ++i) {
      if (GlobMatch(rest, t.substr(i))) return true;
    }
    return false;
  }
  if (p[0] == '*') {
    std::string_view rest = p.substr(1);
    for (size_t i = 0; i <= t.size(); ++i) {
      if (GlobMatch(rest, t.substr(i))) return true;
      if (i < t.size() && t[i] == '/') break;
    }
    return false;
  }
  if (t.empty()) return false;
  if (p[0] != '?' && p[0] != t[0]) return false;
  if (p[0] == '?' && t[0] == '/') return false;
  return GlobMatch(p.substr(1), t.substr(1));
}

AccessPolicy::AccessPolicy(std::vector<PackageRule> rules) : rules_(std::move(rules)) {}

AccessPolicy AccessPolicy::Default() {
  PackageRule scoped;
  scoped.pattern = "@*/*";
  PackageRule all;
  all.pattern = "**";
  return AccessPolicy({scoped, all});
}

bool AccessPolicy::Allows(PackageAction action, std::string_view package,
                          const std::optional<std::string>& user) const {
  static const PackageRule kFallback;
  const PackageRule* rule = &kFallback;
  for (const auto& r : rules_) {
    if (GlobMatch(r.pattern, package)) {
      rule = &r;
      break;
    }
  }
  const std::vector<std::string>& who = action == PackageAction::kRead      ? rule->access
                                        : action == PackageAction::kPublish ? rule->publish
                                                                            : rule->unpublish;
  return std::any_of(who.begin(), who.end(), [&](const std::string& p) {
    if (p == "$all") return true;
    if (p == "$anonymous") return !user.has_value();
    if (p == "$authenticated") return user.has_value();
    return user.has_value() && *user == p;
  });
}

}  // namespace bulwark
