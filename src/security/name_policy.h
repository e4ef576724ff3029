#pragma once
// The publish gate for new package names: typosquatting (a name one keystroke from a popular
// one: `crossenv` for `cross-env`) and dependency confusion (a public name that shadows the
// organisation's private one). Implements packaging's NameGate; `bulwark typosquat check|audit`
// use the same decisions.
//
// Rules, in order, for a new name published by `who`:
//  1. A name in a private scope (config `private.scopes`) may be published only by the scope's
//     members (and admins); members pass without further checks: the scope is theirs.
//  2. A reserved unscoped name (config `private.names`) only by its listed owners and admins.
//  3. A name on the admin allow-list (`bulwark typosquat allow NAME`) skips the checks below.
//  4. The engine compares the name with the protected names: the popular ones (the popularity
//     index, when typosquat protection is enabled) and the private ones (reserved names and the
//     packages stored in private scopes, always). A name whose unscoped part equals a private
//     name in another scope (`@evil/acme-utils` for `@acme/acme-utils`) is a "private-shadow"
//     match with verdict block. Matches on a name `who` may publish anyway (their own package,
//     their scope's) are dropped.
//  5. block: refused (PermissionDenied) naming the imitated package and how to ask for an
//     exception; hold: refused until the moderation queue exists, saying an admin must review
//     it; warn: published, logged and recorded (MetadataStore::RecordNameFinding). Every
//     refusal is recorded too.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "accounts/account_service.h"
#include "bulwark/env/clock.h"
#include "bulwark/storage/metadata_store.h"
#include "packaging/name_gate.h"
#include "security/typosquat/typosquat.h"

namespace bulwark {

// Config `private:` (docs/config.md).
struct PrivateNamesConfig {
  // Private scopes ("@acme") and the users who may publish in them.
  std::map<std::string, std::vector<std::string>> scopes;
  // Reserved unscoped names and who besides admins may publish them (empty: admins only).
  std::map<std::string, std::vector<std::string>> names;
};

// Config `typosquat:` (docs/config.md).
struct TyposquatConfig {
  bool enabled = true;
  // The popularity snapshot (TSV name<TAB>downloads, gzip or plain). Empty: the one shipped
  // with Bulwark (server/app.cc resolves it).
  std::string snapshot;
  typosquat::Options engine;
};

// The popularity sources merged and indexed. Pure. An imported entry replaces the snapshot's
// for the same name; downloads counted by this registry raise a name's count when higher
// (a private registry's own popular packages get protected too); protected names are indexed
// as admin-protected whatever their downloads.
absl::StatusOr<std::unique_ptr<typosquat::Index>> BuildPopularityIndex(
    std::vector<typosquat::PopularName> snapshot, const std::vector<PopularityEntry>& imported,
    const typosquat::Options& options, const std::vector<PopularityEntry>& counted = {},
    const std::vector<std::string>& protected_names = {});

// Check name of the exact shadowing of a private name in another scope (rule 4).
// NOTE: persisted in findings; do not rename.
inline constexpr std::string_view kPrivateShadowCheck = "private-shadow";

// What the gate decides about one name.
struct NameDecision {
  enum class Action { kAllow, kWarn, kRefuse };
  Action action = Action::kAllow;
  // The effective verdict: the engine's, or block for a rule 1/2 refusal.
  typosquat::Verdict verdict = typosquat::Verdict::kClean;
  // "private-scope", "reserved-name", "allow-list", "member" (rule 1 pass), "owner" (rule 2
  // pass) or "engine".
  std::string rule;
  bool allow_listed = false;
  typosquat::Result result;  // The engine's matches (empty when a rule decided first).
  std::string message;       // For the publisher: why it was refused or warned. Empty: clean.
};

class NamePolicy final : public NameGate {
 public:
  // `popular` may be null (protection disabled, or no snapshot): private names are still
  // protected. `store` and `clock` must outlive the policy.
  NamePolicy(MetadataStore& store, Clock& clock, std::shared_ptr<const typosquat::Index> popular,
             PrivateNamesConfig private_names, typosquat::Options options = {});

  absl::Status CheckNewName(const Identity& who, std::string_view name) override;

  // Rules 1-5 for `who` (nullopt: an anonymous what-if, as `bulwark typosquat check` asks).
  // Records nothing. Errors only when the store fails.
  absl::StatusOr<NameDecision> Decide(const std::optional<Identity>& who, std::string_view name);

  // Rule 4 alone: the engine's matches against popular and private names. Call
  // RefreshPrivateNames first with the registry's packages (done by Decide itself).
  typosquat::Result Match(std::string_view name, const typosquat::Context& context) const;
  // Rebuilds the private-name index when the set of private names changed.
  absl::Status RefreshPrivateNames(const std::vector<PackageSummary>& packages);

  // Private names (reserved names and stored packages in private scopes), as last refreshed.
  std::vector<std::string> PrivateNames() const;

 private:
  // Whether `who` may publish the private name `target` (a member of its scope, a listed owner
  // of the reserved name, an admin).
  bool MayPublishPrivate(const Identity& who, std::string_view target) const;
  bool IsPrivateName(std::string_view name) const;

  MetadataStore& store_;
  Clock& clock_;
  const std::shared_ptr<const typosquat::Index> popular_;
  const PrivateNamesConfig private_;
  const typosquat::Options options_;

  mutable absl::Mutex mu_;
  std::vector<std::string> private_names_ ABSL_GUARDED_BY(mu_);  // Sorted.
  std::shared_ptr<const typosquat::Index> private_index_ ABSL_GUARDED_BY(mu_);
};

// "@acme" for "@acme/x", "" for an unscoped name.
std::string_view ScopeOf(std::string_view name);
// "x" for "@acme/x" and for "x".
std::string_view BareName(std::string_view name);

}  // namespace bulwark
