#pragma once
// Registry operations on packages: publish, and the edits npm makes by PUTting documents
// (deprecate, star, owners, unpublish), dist-tags and access. Enforces the access policy and
// ownership; writes blobs before metadata so a crash leaves the old or the new state.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/access_policy.h"
#include "accounts/account_service.h"
#include "base/json.h"
#include "bulwark/env/blob_store.h"
#include "bulwark/env/clock.h"
#include "bulwark/storage/metadata_store.h"
#include "packaging/name_gate.h"
#include "packaging/publish_gate.h"
#include "packaging/publish_document.h"
#include "packaging/tarball.h"
#include "packaging/version_signer.h"

namespace bulwark {

enum class UnpublishPolicy {
  kNpm,     // npm's rule: within the window after publish, or when nothing here depends on it.
  kAlways,  // Maintainers may always unpublish.
  kNever,   // Nobody may unpublish (deprecate instead).
};

struct RegistryOptions {
  TarballLimits tarball;
  UnpublishPolicy unpublish = UnpublishPolicy::kNpm;
  absl::Duration unpublish_window = absl::Hours(72);
  // Access of a new scoped package published without --access.
  bool scoped_default_restricted = false;
  size_t max_readme_bytes = 512 * 1024;
  int max_commit_retries = 50;
};

struct PublishResult {
  std::string name;
  std::string version;
  bool already_published = false;  // Identical retry of a committed publish.
  bool held = false;               // Stored but held for review by the publish gate: not served.
  std::string notice;              // For the publisher (npm prints it as "npm notice").
};

// The highest live version (releases before prereleases unless `allow_prerelease`).
std::optional<std::string> HighestLiveVersion(const PackageRecord& p, bool allow_prerelease);

class PackageService {
 public:
  PackageService(MetadataStore& store, BlobStore& blobs, Clock& clock, const AccessPolicy& policy,
                 RegistryOptions options);

  // Called with the package name after every committed change (cache invalidation).
  void OnChange(std::function<void(const std::string&)> listener) { on_change_ = listener; }
  // Called with name and version after a publish is committed and served (not for a held
  // version or an identical retry): the sandbox queues its run here. Set before serving.
  void OnPublished(std::function<void(const std::string&, const std::string&)> listener) {
    on_published_ = std::move(listener);
  }
  // The gate new package names must pass (not owned; may be null: no gate). Set before serving.
  void SetNameGate(NameGate* gate) { name_gate_ = gate; }
  // The registry's signing keys (not owned; may be null: versions are published unsigned). With
  // a signer, every version is signed before it is stored and a failure to sign fails the
  // publish. Set before serving.
  void SetSigner(VersionSigner* signer) { signer_ = signer; }
  VersionSigner* signer() const { return signer_; }
  // Signs every live version that has no signature yet (stored before signing was enabled), so
  // `npm audit signatures` passes for everything served. Returns how many were signed. Leaves
  // `modified` alone; bumps the revision of each package it changes.
  absl::StatusOr<size_t> SignUnsignedVersions();
  // The gate every new version passes (scan, policy; not owned; may be null). Set before serving.
  void SetPublishGate(PublishGate* gate) { publish_gate_ = gate; }

  // NotFound when absent, unpublished, or not readable by `who` (not leaking private names).
  absl::StatusOr<PackageRecord> Read(std::string_view name, const std::optional<Identity>& who);
  // Whether a package with these properties can be read without credentials.
  bool PubliclyReadable(std::string_view name, bool restricted) const;

  // `PUT /<name>` with attachments. `name` comes from the URL (already decoded).
  absl::StatusOr<PublishResult> Publish(const Identity& who, std::string_view name,
                                        const json::object& body);
  // `PUT /<name>` or `PUT /<name>/-rev/<rev>` without attachments: deprecate, star, owners or
  // single-version unpublish, told apart by the body (npm-registry-api.md §3.2).
  absl::Status ApplyDocument(const Identity& who, std::string_view name, const json::object& body);
  // `DELETE /<name>/-rev/<rev>`.
  absl::Status UnpublishPackage(const Identity& who, std::string_view name);
  // `DELETE /<name>/-/<file>/-rev/<rev>`: the version is already gone from the document; OK.
  absl::Status DeleteTarball(const Identity& who, std::string_view name, std::string_view file);

  absl::Status SetDistTag(const Identity& who, std::string_view name, std::string_view tag,
                          std::string_view version);
  absl::Status RemoveDistTag(const Identity& who, std::string_view name, std::string_view tag);
  absl::Status SetRestricted(const Identity& who, std::string_view name, bool restricted);

  // Moderation (docs/moderation.md); callers are administrators, so no access checks here.
  // Publishes a version the gate held, as its publisher sent it (PermissionDenied when the
  // publisher no longer maintains the package, AlreadyExists when the number was taken).
  absl::Status AdmitHeld(const HeldPublish& held);
  // Stops serving `versions` (marked unpublished, numbers kept; tags move to live versions).
  // Returns the versions that were live and the tags that pointed at them.
  struct Withdrawn {
    std::vector<std::string> versions;
    std::map<std::string, std::string> tags;
  };
  absl::StatusOr<Withdrawn> WithdrawVersions(std::string_view name,
                                             const std::vector<std::string>& versions);
  // Serves a withdrawn version again, with the tags it had (not moving a tag to an older one).
  absl::Status RestoreVersion(std::string_view name, std::string_view version,
                              const std::map<std::string, std::string>& tags);
  // Withdraws every version and publishes `placeholder` (npm's "0.0.1-security" holding
  // package) as the only live one, tagged latest.
  absl::Status ReplaceWithPlaceholder(std::string_view name, const VersionRecord& placeholder,
                                      std::string_view tarball, std::string_view readme);

  absl::StatusOr<std::vector<PackageSummary>> ListReadable(const std::optional<Identity>& who);
  // Packages `user` has starred, among those `who` may read.
  absl::StatusOr<std::vector<std::string>> StarredBy(std::string_view user,
                                                    const std::optional<Identity>& who);
  // The stored revision (0 when absent): cheap, for cache revalidation.
  absl::StatusOr<int64_t> Revision(std::string_view name) { return store_.GetPackageRev(name); }

  BlobStore& blobs() { return blobs_; }

 private:
  using Mutation = std::function<absl::Status(PackageRecord&)>;
  // Read-modify-commit with optimistic retries. `create` allows a package that does not exist.
  absl::Status Mutate(std::string_view name, bool create, const Mutation& fn);
  absl::Status CheckWrite(const PackageRecord& p, const Identity& who, PackageAction action) const;
  // Whether `who` may create the package `name`: a valid new name, a writable token, the rules.
  absl::Status CheckNewPackage(const Identity& who, std::string_view name) const;
  absl::Status CheckUnpublishAllowed(const PackageRecord& p, const VersionRecord* v);
  absl::StatusOr<bool> HasDependents(std::string_view name);
  void UpdateSearchFields(PackageRecord& p) const;
  // Adds h.version to `p` as published by `who` (Mutate's body for Publish and AdmitHeld).
  absl::Status CommitVersion(PackageRecord& p, const Identity& who, const HeldPublish& h,
                             PublishResult& result);

  MetadataStore& store_;
  BlobStore& blobs_;
  Clock& clock_;
  const AccessPolicy& policy_;
  const RegistryOptions options_;
  std::function<void(const std::string&)> on_change_;
  std::function<void(const std::string&, const std::string&)> on_published_;
  NameGate* name_gate_ = nullptr;
  VersionSigner* signer_ = nullptr;
  PublishGate* publish_gate_ = nullptr;
};

}  // namespace bulwark
