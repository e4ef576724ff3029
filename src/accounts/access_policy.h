#pragma once
// Package access rules, as a Verdaccio user knows them from `packages:` in config.yaml: the first
// rule whose glob matches the package name decides who may read (access), publish and unpublish.
// Principals: "$all", "$anonymous", "$authenticated", or a user name. Ownership is checked on top
// of these rules: only maintainers (or admins) change an existing package.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark {

struct PackageRule {
  std::string pattern;  // Glob over the package name: '*' stops at '/', '**' does not.
  std::vector<std::string> access{"$all"};
  std::vector<std::string> publish{"$authenticated"};
  std::vector<std::string> unpublish{"$authenticated"};
};

enum class PackageAction { kRead, kPublish, kUnpublish };

class AccessPolicy {
 public:
  // Rules are tried in order; when none matches, the defaults of PackageRule apply.
  explicit AccessPolicy(std::vector<PackageRule> rules);
  static AccessPolicy Default();

  // `user` is nullopt for anonymous requests.
  bool Allows(PackageAction action, std::string_view package,
              const std::optional<std::string>& user) const;
  const std::vector<PackageRule>& rules() const { return rules_; }

 private:
  std::vector<PackageRule> rules_;
};

// Glob match used by the rules (exposed for tests).
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace bulwark
