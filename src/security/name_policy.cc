#include "security/name_policy.h"

#include <algorithm>
#include <unordered_map>

#include "absl/strings/str_format.h"
#include "base/log.h"
#include "base/strings.h"

namespace bulwark {
namespace {

using typosquat::Verdict;

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void SortAndSetVerdict(typosquat::Result& r) {
  std::stable_sort(
      r.matches.begin(), r.matches.end(),
      [](const typosquat::Match& a, const typosquat::Match& b) { return a.score > b.score; });
  r.verdict = Verdict::kClean;
  for (const auto& m : r.matches) r.verdict = std::max(r.verdict, m.verdict);
}

std::string Describe(const typosquat::Match& m, bool private_target) {
  return StrCat(private_target ? "the private package \"" : "the popular package \"", m.target,
                "\" (checks: ", StrJoin(m.checks, ", "), "; score ",
                absl::StrFormat("%.2f", m.score), ")");
}

}  // namespace

std::string_view ScopeOf(std::string_view name) {
  if (name.empty() || name[0] != '@') return {};
  size_t slash = name.find('/');
  return slash == std::string_view::npos ? name : name.substr(0, slash);
}

std::string_view BareName(std::string_view name) {
  if (name.empty() || name[0] != '@') return name;
  size_t slash = name.find('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

absl::StatusOr<std::unique_ptr<typosquat::Index>> BuildPopularityIndex(
    std::vector<typosquat::PopularName> snapshot, const std::vector<PopularityEntry>& imported,
    const typosquat::Options& options, const std::vector<PopularityEntry>& counted,
    const std::vector<std::string>& protected_names) {
  // Imported counts are this organisation's own view (or a fresher export), so they win.
  std::unordered_map<std::string, size_t> at;
  at.reserve(snapshot.size() + imported.size());
  for (size_t i = 0; i < snapshot.size(); ++i) at.emplace(snapshot[i].name, i);
  for (const auto& e : imported) {
    if (auto it = at.find(e.name); it != at.end()) {
      snapshot[it->second].downloads = e.downloads;
    } else {
      at.emplace(e.name, snapshot.size());
      snapshot.push_back({e.name, e.downloads, false});
    }
  }
  for (const auto& e : counted) {
    if (auto it = at.find(e.name); it != at.end()) {
      uint64_t& d = snapshot[it->second].downloads;
      d = std::max(d, e.downloads);
    } else {
      at.emplace(e.name, snapshot.size());
      snapshot.push_back({e.name, e.downloads, false});
    }
  }
  for (const auto& name : protected_names) {
    if (auto it = at.find(name); it != at.end()) {
      snapshot[it->second].protected_by_admin = true;
    } else {
      at.emplace(name, snapshot.size());
      snapshot.push_back({name, 0, true});
    }
  }
  return typosquat::BuildIndex(std::move(snapshot), options);
}

NamePolicy::NamePolicy(MetadataStore& store, Clock& clock,
                       std::shared_ptr<const typosquat::Index> popular,
                       PrivateNamesConfig private_names, typosquat::Options options)
    : store_(store),
      clock_(clock),
      popular_(std::move(popular)),
      private_(std::move(private_names)),
      options_(options) {}

std::vector<std::string> NamePolicy::PrivateNames() const {
  absl::MutexLock l(&mu_);
  return private_names_;
}

bool NamePolicy::IsPrivateName(std::string_view name) const {
  absl::MutexLock l(&mu_);
  return std::binary_search(private_names_.begin(), private_names_.end(), name);
}

absl::Status NamePolicy::RefreshPrivateNames(const std::vector<PackageSummary>& packages) {
  std::vector<std::string> names;
  for (const auto& [name, owners] : private_.names) names.push_back(name);
  for (const auto& p : packages) {
    if (private_.scopes.count(std::string(ScopeOf(p.name)))) names.push_back(p.name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  {
    absl::MutexLock l(&mu_);
    if (names == private_names_ && (private_index_ || names.empty())) return absl::OkStatus();
  }
  std::shared_ptr<const typosquat::Index> index;
  if (!names.empty()) {
    // Private names are protected whatever their downloads (they have none on a public
    // registry: that is the point of dependency confusion).
    std::vector<typosquat::PopularName> protect;
    for (const auto& n : names) protect.push_back({n, 0, true});
    typosquat::Options options = options_;
    options.top_n = std::max(options.top_n, protect.size());
    options.min_target_downloads = 0;
    BULWARK_ASSIGN_OR_RETURN(auto built, typosquat::BuildIndex(std::move(protect), options));
    index = std::move(built);
  }
  absl::MutexLock l(&mu_);
  private_names_ = std::move(names);
  private_index_ = std::move(index);
  return absl::OkStatus();
}

typosquat::Result NamePolicy::Match(std::string_view name,
                                    const typosquat::Context& context) const {
  typosquat::Result r;
  r.name = std::string(name);
  if (popular_) {
    typosquat::Result p = popular_->Check(name, context);
    for (auto& m : p.matches) r.matches.push_back(std::move(m));
  }
  std::shared_ptr<const typosquat::Index> private_index;
  std::vector<std::string> private_names;
  {
    absl::MutexLock l(&mu_);
    private_index = private_index_;
    private_names = private_names_;
  }
  if (private_index) {
    typosquat::Result p = private_index->Check(name, context);
    for (auto& m : p.matches) {
      auto same = std::find_if(r.matches.begin(), r.matches.end(),
                               [&](const typosquat::Match& o) { return o.target == m.target; });
      if (same == r.matches.end()) {
        r.matches.push_back(std::move(m));
      } else if (m.score > same->score) {
        *same = std::move(m);
      }
    }
  }
  // Exact shadowing: the same unscoped part in another scope (`@evil/acme-utils`, or unscoped
  // `acme-utils` for `@acme/acme-utils`). A name inside a private scope is the organisation's own.
  if (!private_.scopes.count(std::string(ScopeOf(name)))) {
    for (const auto& n : private_names) {
      if (n == name || BareName(n) != BareName(name) || Contains(context.owner_packages, n)) {
        continue;
      }
      auto same = std::find_if(r.matches.begin(), r.matches.end(),
                               [&](const typosquat::Match& o) { return o.target == n; });
      if (same == r.matches.end()) {
        r.matches.push_back({n, 0, {}, 1.0, Verdict::kBlock});
        same = r.matches.end() - 1;
      }
      same->checks.emplace_back(kPrivateShadowCheck);
      same->score = 1.0;
      same->verdict = Verdict::kBlock;
    }
  }
  r.matches.erase(std::remove_if(r.matches.begin(), r.matches.end(),
                                 [&](const typosquat::Match& m) { return m.target == name; }),
                  r.matches.end());
  SortAndSetVerdict(r);
  return r;
}

bool NamePolicy::MayPublishPrivate(const Identity& who, std::string_view target) const {
  if (who.admin) return true;
  std::string_view scope = ScopeOf(target);
  if (!scope.empty()) {
    auto it = private_.scopes.find(std::string(scope));
    return it != private_.scopes.end() && Contains(it->second, who.user);
  }
  auto it = private_.names.find(std::string(target));
  return it != private_.names.end() && Contains(it->second, who.user);
}

absl::StatusOr<NameDecision> NamePolicy::Decide(const std::optional<Identity>& who,
                                                std::string_view name) {
  NameDecision d;
  d.result.name = std::string(name);
  const bool admin = who && who->admin;
  std::string_view scope = ScopeOf(name);

  // Rule 1: private scopes belong to their members.
  if (auto it = private_.scopes.find(std::string(scope));
      !scope.empty() && it != private_.scopes.end()) {
    if (who && (admin || Contains(it->second, who->user))) {
      d.rule = "member";
      return d;
    }
    d.action = NameDecision::Action::kRefuse;
    d.verdict = Verdict::kBlock;
    d.rule = "private-scope";
    d.message = StrCat("\"", name, "\" is in ", scope,
                       ", a private scope of this registry: only its members may publish in it "
                       "(dependency-confusion protection). If you should be one, ask a registry "
                       "administrator to add you to private.scopes in the configuration.");
    return d;
  }
  // Rule 2: reserved unscoped names belong to their owners.
  if (auto it = private_.names.find(std::string(name));
      scope.empty() && it != private_.names.end()) {
    if (who && (admin || Contains(it->second, who->user))) {
      d.rule = "owner";
      return d;
    }
    d.action = NameDecision::Action::kRefuse;
    d.verdict = Verdict::kBlock;
    d.rule = "reserved-name";
    d.message = StrCat("\"", name,
                       "\" is reserved for a private package of this organisation "
                       "(dependency-confusion protection): only its owners may publish it. If "
                       "you should be one, ask a registry administrator to add you to "
                       "private.names in the configuration.");
    return d;
  }

  // Rule 3 is applied after matching, so `bulwark typosquat check` still shows what matched.
  BULWARK_ASSIGN_OR_RETURN(std::vector<AllowedName> allowed, store_.ListAllowedNames());
  d.allow_listed = std::any_of(allowed.begin(), allowed.end(),
                               [&](const AllowedName& a) { return a.name == name; });

  // Rule 4. The package list is read only when needed: for the private names when private
  // scopes exist, and for the publisher's own packages when something matched.
  std::optional<std::vector<PackageSummary>> packages;
  auto list_packages = [&]() -> absl::Status {
    if (packages) return absl::OkStatus();
    BULWARK_ASSIGN_OR_RETURN(packages, store_.ListPackages());
    return absl::OkStatus();
  };
  if (!private_.scopes.empty()) {
    BULWARK_RETURN_IF_ERROR(list_packages());
    BULWARK_RETURN_IF_ERROR(RefreshPrivateNames(*packages));
  } else {
    BULWARK_RETURN_IF_ERROR(RefreshPrivateNames({}));
  }
  typosquat::Context context;
  d.result = Match(name, context);
  if (d.result.verdict != Verdict::kClean && who) {
    // A variant of one's own package is no squat (the engine's rule), nor is a name in one's own
    // private scope or a reserved name one owns.
    BULWARK_RETURN_IF_ERROR(list_packages());
    for (const auto& p : *packages) {
      if (Contains(p.maintainers, who->user)) context.owner_packages.push_back(p.name);
    }
    d.result = Match(name, context);
    d.result.matches.erase(std::remove_if(d.result.matches.begin(), d.result.matches.end(),
                                          [&](const typosquat::Match& m) {
                                            return IsPrivateName(m.target) &&
                                                   MayPublishPrivate(*who, m.target);
                                          }),
                           d.result.matches.end());
    SortAndSetVerdict(d.result);
  }
  d.verdict = d.result.verdict;
  if (d.allow_listed) {
    d.rule = "allow-list";
    return d;
  }
  d.rule = "engine";
  if (d.verdict == Verdict::kClean) return d;

  const typosquat::Match& top = d.result.matches.front();
  const bool private_target = IsPrivateName(top.target);
  const std::string what =
      StrCat(Describe(top, private_target), ", a ",
             private_target ? "dependency-confusion" : "typosquatting", " pattern");
  const std::string ask = StrCat(
      "ask a registry administrator to allow it: bulwark typosquat "
      "allow ",
      name);
  switch (d.verdict) {
    case Verdict::kWarn:
      d.action = NameDecision::Action::kWarn;
      d.message = StrCat("\"", name, "\" was published with a warning: it resembles ", what, ".");
      break;
    case Verdict::kHold:
      d.action = NameDecision::Action::kRefuse;
      d.message = StrCat("\"", name,
                         "\" needs review by a registry administrator before it can "
                         "be published: it resembles ",
                         what, ". If the name is legitimate, ", ask);
      break;
    default:
      d.action = NameDecision::Action::kRefuse;
      d.message = StrCat("\"", name, "\" is refused: it imitates ", what,
                         ". If the name is legitimate, ", ask);
      break;
  }
  return d;
}

absl::Status NamePolicy::CheckNewName(const Identity& who, std::string_view name) {
  BULWARK_ASSIGN_OR_RETURN(NameDecision d, Decide(who, name));
  if (d.action == NameDecision::Action::kAllow) {
    if (d.allow_listed && d.verdict != Verdict::kClean) {
      LogInfo("publish gate: %s by %s passes on the allow-list (verdict %s)", std::string(name),
              who.user, std::string(typosquat::VerdictName(d.verdict)));
    }
    return absl::OkStatus();
  }
  NameFinding f;
  f.name = std::string(name);
  f.user = who.user;
  f.verdict = std::string(typosquat::VerdictName(d.verdict));
  f.message = d.message;
  f.created = clock_.Now();
  if (!d.result.matches.empty()) {
    const typosquat::Match& top = d.result.matches.front();
    f.target = top.target;
    f.checks = top.checks;
    f.score = top.score;
  } else {
    f.target = d.rule == "private-scope" ? std::string(ScopeOf(name)) : std::string(name);
    f.checks = {d.rule};
    f.score = 1.0;
  }
  LogWarning("publish gate: %s %s by %s: %s", f.verdict, f.name, f.user, d.message);
  if (absl::Status s = store_.RecordNameFinding(f); !s.ok()) {
    // The decision stands; losing its record must not turn a refusal into a publish.
    LogError("publish gate: cannot record the finding for %s: %s", f.name,
             std::string(s.message()));
  }
  if (d.action == NameDecision::Action::kWarn) return absl::OkStatus();
  return absl::PermissionDeniedError(d.message);
}

}  // namespace bulwark
