#include "base/strings.h"
#include "packaging/package_service.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "base/hash.h"
#include "base/package_name.h"
#include "base/semver.h"
#include "packaging/manifest.h"
#include "packaging/packument.h"

namespace bulwark {
namespace {

bool IsMaintainer(const PackageRecord& p, const Identity& who) {
  return who.admin ||
         std::find(p.maintainers.begin(), p.maintainers.end(), who.user) != p.maintainers.end();
}

bool Exists(const PackageRecord& p) { return p.rev > 0; }

}  // namespace

std::optional<std::string> HighestLiveVersion(const PackageRecord& p, bool allow_prerelease) {
  std::optional<semver::Version> best;
  std::optional<std::string> best_str;
  for (const auto& [ver, v] : p.versions) {
    if (v.unpublished) continue;
    auto parsed = semver::Parse(ver);
    if (!parsed.ok()) continue;
    if (!allow_prerelease && !parsed->prerelease.empty()) continue;
    if (!best || semver::Compare(*parsed, *best) > 0) {
      best = *parsed;
      best_str = ver;
    }
  }
  if (!best_str && !allow_prerelease) return HighestLiveVersion(p, true);
  return best_str;
}


PackageService::PackageService(MetadataStore& store, BlobStore& blobs, Clock& clock,
                               const AccessPolicy& policy, RegistryOptions options)
    : store_(store), blobs_(blobs), clock_(clock), policy_(policy), options_(std::move(options)) {}

bool PackageService::PubliclyReadable(std::string_view name, bool restricted) const {
  return !restricted && policy_.Allows(PackageAction::kRead, name, std::nullopt);
}

absl::StatusOr<PackageRecord> PackageService::Read(std::string_view name,
                                                   const std::optional<Identity>& who) {
  auto p = store_.GetPackage(name);
  if (!p.ok()) {
    if (absl::IsNotFound(p.status())) return absl::NotFoundError("Not found");
    return p.status();
  }
  std::optional<std::string> user;
  if (who) user = who->user;
  if (p->unpublished || !policy_.Allows(PackageAction::kRead, name, user) ||
      (p->restricted && !(who && IsMaintainer(*p, *who)))) {
    // Private packages answer exactly like missing ones, so names do not leak.
    return absl::NotFoundError("Not found");
  }
  return p;
}

absl::Status PackageService::CheckWrite(const PackageRecord& p, const Identity& who,
                                        PackageAction action) const {
  if (who.readonly) {
    return absl::PermissionDeniedError("this token is read-only and cannot change packages");
  }
  if (!policy_.Allows(action, p.name, who.user)) {
    return absl::PermissionDeniedError(StrCat(
        "user ", who.user, " is not allowed to ",
        action == PackageAction::kUnpublish ? "unpublish" : "publish", " package ", p.name));
  }
  if (Exists(p) && !IsMaintainer(p, who)) {
    return absl::PermissionDeniedError(StrCat(
        "You do not have permission to publish \"", p.name,
        "\". Are you logged in as the correct user?"));
  }
  return absl::OkStatus();
}

absl::Status PackageService::CheckNewPackage(const Identity& who, std::string_view name) const {
  NameValidation nv = ValidatePackageName(name);
  if (!nv.valid_for_new_packages) {
    std::vector<std::string> all = nv.errors;
    all.insert(all.end(), nv.warnings.begin(), nv.warnings.end());
    return absl::InvalidArgumentError(
        StrCat("invalid package name \"", name, "\": ", StrJoin(all, "; ")));
  }
  if (who.readonly) return absl::PermissionDeniedError("this token is read-only");
  if (!policy_.Allows(PackageAction::kPublish, name, who.user)) {
    return absl::PermissionDeniedError(
        StrCat("user ", who.user, " is not allowed to publish package ", name));
  }
  return absl::OkStatus();
}

absl::Status PackageService::Mutate(std::string_view name, bool create, const Mutation& fn) {
  for (int attempt = 0; attempt < options_.max_commit_retries; ++attempt) {
    PackageRecord p;
    auto got = store_.GetPackage(name);
    if (got.ok()) {
      p = std::move(*got);
    } else if (absl::IsNotFound(got.status()) && create) {
      p.name = std::string(name);
      p.created = clock_.Now();
    } else if (absl::IsNotFound(got.status())) {
      return absl::NotFoundError("Not found");
    } else {
      return got.status();
    }
    int64_t rev = p.rev;
    absl::Status s = fn(p);
    if (absl::IsCancelled(s)) return absl::OkStatus();  // Nothing to change.
    BULWARK_RETURN_IF_ERROR(s);
    absl::Time now = clock_.Now();
    p.modified = std::max(now, p.modified + absl::Milliseconds(1));
    UpdateSearchFields(p);
    s = store_.CommitPackage(p, rev);
    if (s.ok()) {
      if (on_change_) on_change_(p.name);
      return s;
    }
    if (!absl::IsAborted(s)) return s;
  }
  return absl::UnavailableError("too many concurrent changes to this package; try again");
}

void PackageService::UpdateSearchFields(PackageRecord& p) const {
  p.description.clear();
  p.keywords.clear();
  auto it = p.dist_tags.find("latest");
  if (it == p.dist_tags.end()) return;
  auto v = p.versions.find(it->second);
  if (v == p.versions.end()) return;
  auto m = ParseJson(v->second.manifest_json, 256);
  if (!m.ok() || !m->is_object()) return;
  if (auto d = GetString(m->get_object(), "description")) p.description = std::string(*d);
  if (const json::array* kw = GetArray(m->get_object(), "keywords")) {
    for (const auto& k : *kw) {
      if (k.is_string()) p.keywords.emplace_back(k.get_string());
    }
  }
}


absl::StatusOr<PublishResult> PackageService::Publish(const Identity& who, std::string_view name,
                                                      const json::object& body) {
  BULWARK_ASSIGN_OR_RETURN(PublishDocument doc, DecodePublishDocument(name, body, options_.tarball,
                                                                       options_.max_readme_bytes));
  const std::string& version = doc.version;
  const auto& tags = doc.tags;
  const std::optional<bool>& restricted = doc.restricted;
  const std::string& readme = doc.readme;
  const std::string& readme_filename = doc.readme_filename;
  json::object& stored = doc.manifest;
  const std::string* tarball = &doc.tarball;
  std::string email;
  if (auto u = store_.GetUser(who.user); u.ok()) email = u->email;
  stored["_npmUser"] = json::object{{"name", who.user}, {"email", email}};

  VersionRecord vr;
  vr.version = version;
  vr.manifest_json = ToJson(stored);
  vr.integrity = Sha512Integrity(*tarball);
  vr.shasum = HexEncode(Sha1(*tarball));
  vr.blob_key = HexEncode(Sha512(*tarball));
  vr.size = tarball->size();

  // --- The publisher's right to this version, checked before any gate so a stranger's tarball
  // cannot open a moderation case on someone else's package (Mutate checks again, for races).
  BULWARK_ASSIGN_OR_RETURN(int64_t rev, store_.GetPackageRev(name));
  bool new_package = rev == 0;
  bool will_be_restricted =
      restricted.value_or(name[0] == '@' && options_.scoped_default_restricted);
  if (!new_package) {
    BULWARK_ASSIGN_OR_RETURN(PackageRecord existing, store_.GetPackage(name));
    BULWARK_RETURN_IF_ERROR(CheckWrite(existing, who, PackageAction::kPublish));
    if (!restricted && !existing.unpublished) will_be_restricted = existing.restricted;
    if (auto it = existing.versions.find(version); it != existing.versions.end()) {
      if (it->second.integrity == vr.integrity && !it->second.unpublished &&
          !existing.unpublished) {
        return PublishResult{std::string(name), version, true};  // Identical retry (§1.6).
      }
      return absl::PermissionDeniedError(StrCat(
          "You cannot publish over the previously published versions: ", version, "."));
    }
    new_package = existing.unpublished.has_value() &&
                  std::all_of(existing.versions.begin(), existing.versions.end(),
                              [](const auto& kv) { return kv.second.unpublished.has_value(); });
  }

  // --- A new name passes the name gate (typosquatting, dependency confusion) before anything
  // is stored, so a refused name leaves no blob behind. A concurrent first publish of the same
  // name is gated too; whichever commits first creates the package.
  if (rev == 0) {
    // The plain rules first, so a user who may not publish at all hears that, not a verdict.
    BULWARK_RETURN_IF_ERROR(CheckNewPackage(who, name));
    if (name_gate_) BULWARK_RETURN_IF_ERROR(name_gate_->CheckNewName(who, name));
  }

  // --- The version gate: scan, leaked tokens, diff, policy (may refuse, warn or hold).
  GateDecision decision;
  if (publish_gate_) {
    PublishCandidate candidate{who,     name,         version,    stored,
                               *tarball, doc.contents, new_package, will_be_restricted};
    BULWARK_ASSIGN_OR_RETURN(decision, publish_gate_->Check(candidate));
    if (decision.action == GateDecision::Action::kReject) {
      return absl::PermissionDeniedError(decision.message);
    }
  }

  // --- Signed before anything is stored: a version is never served without its signature.
  if (signer_) {
    BULWARK_ASSIGN_OR_RETURN(VersionSignature sig, signer_->Sign(name, version, vr.integrity));
    vr.signatures = {std::move(sig)};
  }

  // --- Blob first, then metadata: a crash in between leaves an unreferenced blob only.
  BULWARK_RETURN_IF_ERROR(blobs_.Put(vr.blob_key, *tarball));

  PublishResult result{std::string(name), version, false};
  result.notice = decision.message;
  if (decision.action == GateDecision::Action::kHold) {
    HeldPublish held{std::string(name), who.user, vr, tags, restricted, readme, readme_filename};
    BULWARK_RETURN_IF_ERROR(publish_gate_->Hold(decision, held));
    result.held = true;
    return result;
  }
  HeldPublish fresh{std::string(name), who.user, vr, tags, restricted, readme, readme_filename};
  absl::Status s = Mutate(name, true, [&](PackageRecord& p) -> absl::Status {
    return CommitVersion(p, who, fresh, result);
  });
  BULWARK_RETURN_IF_ERROR(s);
  if (on_published_ && !result.already_published) on_published_(result.name, result.version);
  return result;
}

absl::StatusOr<size_t> PackageService::SignUnsignedVersions() {
  if (!signer_) return absl::FailedPreconditionError("no signing keys configured");
  BULWARK_ASSIGN_OR_RETURN(auto names, store_.ListPackagesWithUnsignedVersions());
  size_t signed_count = 0;
  for (const auto& name : names) {
    for (int attempt = 0;; ++attempt) {
      if (attempt == options_.max_commit_retries) {
        return absl::UnavailableError(StrCat("too many concurrent changes to ", name));
      }
      BULWARK_ASSIGN_OR_RETURN(PackageRecord p, store_.GetPackage(name));
      size_t n = 0;
      for (auto& [ver, v] : p.versions) {
        if (v.unpublished || !v.signatures.empty()) continue;
        BULWARK_ASSIGN_OR_RETURN(VersionSignature sig, signer_->Sign(p.name, ver, v.integrity));
        v.signatures = {std::move(sig)};
        ++n;
      }
      if (n == 0) break;
      absl::Status s = store_.CommitPackage(p, p.rev);
      if (absl::IsAborted(s)) continue;  // Changed meanwhile (a publish): re-read.
      BULWARK_RETURN_IF_ERROR(s);
      if (on_change_) on_change_(p.name);
      signed_count += n;
      break;
    }
  }
  return signed_count;
}

absl::Status PackageService::CommitVersion(PackageRecord& p, const Identity& who,
                                           const HeldPublish& h, PublishResult& result) {
  const std::string& version = h.version.version;
  if (auto it = p.versions.find(version); it != p.versions.end()) {
    // npm retries a PUT after a 5xx; the identical tarball is a success (§1.6).
    if (it->second.integrity == h.version.integrity && !it->second.unpublished &&
        !p.unpublished) {
      result.already_published = true;
      return absl::CancelledError();
    }
    return absl::PermissionDeniedError(StrCat(
        "You cannot publish over the previously published versions: ", version, "."));
  }
  if (!Exists(p)) {
    BULWARK_RETURN_IF_ERROR(CheckNewPackage(who, p.name));
    p.maintainers = {who.user};
    p.restricted = h.restricted.value_or(p.name[0] == '@' && options_.scoped_default_restricted);
  } else {
    BULWARK_RETURN_IF_ERROR(CheckWrite(p, who, PackageAction::kPublish));
    if (h.restricted) p.restricted = *h.restricted;
  }
  if (p.unpublished) {
    // Re-publishing an unpublished name (by its maintainers): a fresh tag set.
    p.unpublished.reset();
    p.dist_tags.clear();
  }
  VersionRecord vr = h.version;
  vr.published = clock_.Now();
  p.versions[version] = vr;
  for (const auto& [tag, v] : h.tags) p.dist_tags[tag] = v;
  if (!p.dist_tags.count("latest")) p.dist_tags["latest"] = version;
  if (p.dist_tags["latest"] == version) {
    p.readme = h.readme;
    p.readme_filename = h.readme_filename;
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> PackageService::HasDependents(std::string_view name) {
  BULWARK_ASSIGN_OR_RETURN(auto all, store_.ListPackages());
  for (const auto& summary : all) {
    if (summary.name == name || summary.latest.empty()) continue;
    BULWARK_ASSIGN_OR_RETURN(PackageRecord p, store_.GetPackage(summary.name));
    auto v = p.versions.find(summary.latest);
    if (v == p.versions.end()) continue;
    auto m = ParseJson(v->second.manifest_json, 256);
    if (!m.ok() || !m->is_object()) continue;
    for (std::string_view field : {"dependencies", "optionalDependencies", "peerDependencies"}) {
      const json::object* deps = GetObject(m->get_object(), field);
      if (deps && deps->contains(name)) return true;
    }
  }
  return false;
}

absl::Status PackageService::CheckUnpublishAllowed(const PackageRecord& p,
                                                   const VersionRecord* v) {
  switch (options_.unpublish) {
    case UnpublishPolicy::kAlways:
      return absl::OkStatus();
    case UnpublishPolicy::kNever:
      return absl::FailedPreconditionError(
          "unpublishing is disabled on this registry; deprecate the version instead");
    case UnpublishPolicy::kNpm:
      break;
  }
  bool recent = true;
  for (const auto& [ver, rec] : p.versions) {
    if (v && &rec != v) continue;
    if (!rec.unpublished && clock_.Now() - rec.published > options_.unpublish_window) {
      recent = false;
    }
  }
  if (recent) return absl::OkStatus();
  BULWARK_ASSIGN_OR_RETURN(bool has_dependents, HasDependents(p.name));
  if (has_dependents) {
    return absl::FailedPreconditionError(StrCat(
        p.name, " was published more than ", absl::ToInt64Hours(options_.unpublish_window),
        " hours ago and other packages depend on it; deprecate it instead"));
  }
  return absl::OkStatus();
}

absl::Status PackageService::ApplyDocument(const Identity& who, std::string_view name,
                                           const json::object& body) {
  if (const json::object* versions = GetObject(body, "versions")) {
    return Mutate(name, false, [&](PackageRecord& p) -> absl::Status {
      if (p.unpublished) return absl::NotFoundError("Not found");
      bool changed = false;
      std::vector<std::string> removed;
      for (auto& [ver, v] : p.versions) {
        if (v.unpublished) continue;
        auto it = versions->find(ver);
        if (it == versions->end()) {
          removed.push_back(ver);
          continue;
        }
        // Deprecation: only the `deprecated` field of each version is taken from the body.
        std::string dep;
        if (it->value().is_object()) {
          if (auto d = GetString(it->value().get_object(), "deprecated")) dep = std::string(*d);
        }
        if (dep != v.deprecated) {
          BULWARK_RETURN_IF_ERROR(CheckWrite(p, who, PackageAction::kPublish));
          v.deprecated = dep;
          changed = true;
        }
      }
      if (!removed.empty()) {
        BULWARK_RETURN_IF_ERROR(CheckWrite(p, who, PackageAction::kUnpublish));
        for (const auto& ver : removed) {
          BULWARK_RETURN_IF_ERROR(CheckUnpublishAllowed(p, &p.versions[ver]));
        }
        for (const auto& ver : removed) p.versions[ver].unpublished = clock_.Now();
        // Tags follow the body where they point at live versions; latest stays valid.
        std::map<std::string, std::string> tags;
        if (const json::object* t = GetObject(body, "dist-tags")) {
          for (const auto& [tag, v] : *t) {
            if (!v.is_string()) continue;
            auto it = p.versions.find(std::string(v.get_string()));
            if (it != p.versions.end() && !it->second.unpublished) {
              tags[std::string(tag)] = std::string(v.get_string());
            }
          }
        }
        p.dist_tags = std::move(tags);
        if (!p.dist_tags.count("latest")) {
          if (auto best = HighestLiveVersion(p, false)) p.dist_tags["latest"] = *best;
        }
        if (p.dist_tags.empty()) {
          p.unpublished = clock_.Now();  // The last version went: the package is gone.
        }
        changed = true;
      }
      return changed ? absl::OkStatus() : absl::CancelledError();
    });
  }
  if (const json::array* maintainers = GetArray(body, "maintainers")) {
    std::vector<std::string> names;
    for (const auto& m : *maintainers) {
      if (!m.is_object()) return absl::InvalidArgumentError("maintainers must be objects");
      auto n = GetString(m.get_object(), "name");
      if (!n || n->empty()) return absl::InvalidArgumentError("a maintainer has no name");
      if (std::find(names.begin(), names.end(), *n) != names.end()) continue;
      auto u = store_.GetUser(*n);
      if (!u.ok()) {
        if (absl::IsNotFound(u.status())) {
          return absl::NotFoundError(StrCat("user ", *n, " does not exist"));
        }
        return u.status();
      }
      names.emplace_back(*n);
    }
    if (names.empty()) return absl::InvalidArgumentError("a package needs at least one owner");
    return Mutate(name, false, [&](PackageRecord& p) -> absl::Status {
      BULWARK_RETURN_IF_ERROR(CheckWrite(p, who, PackageAction::kPublish));
      if (p.maintainers == names) return absl::CancelledError();
      p.maintainers = names;
      return absl::OkStatus();
    });
  }
  if (const json::object* users = GetObject(body, "users")) {
    // Stars: the caller may change only their own entry.
    bool starred = users->contains(who.user);
    return Mutate(name, false, [&](PackageRecord& p) -> absl::Status {
      if (p.unpublished) return absl::NotFoundError("Not found");
      if (starred == (p.stars.count(who.user) > 0)) return absl::CancelledError();
      if (starred) {
        p.stars.insert(who.user);
      } else {
        p.stars.erase(who.user);
      }
      return absl::OkStatus();
    });
  }
  return absl::InvalidArgumentError(
      "unrecognised package update: expected a publish, deprecation, owner or star change");
}

absl::Status PackageService::UnpublishPackage(const Identity& who, std::string_view name) {
  return Mutate(name, false, [&](PackageRecord& p) -> absl::Status {
    if (p.unpublished) return absl::NotFoundError("Not found");
    BULWARK_RETURN_IF_ERROR(CheckWrite(p, who, PackageAction::kUnpublish));
    BULWARK_RETURN_IF_ERROR(CheckUnpublishAllowed(p, nullptr));
    absl::Time now = clock_.Now();
    for (auto& [ver, v] : p.versions) {
      if (!v.unpublished) v.unpublished = now;
    }
    p.dist_tags.clear();
    p.unpublished = now;
    return absl::OkStatus();
  });
}

absl::Status PackageService::DeleteTarball(const Identity& who, std::string_view name,
                                           std::string_view file) {
  // Blobs are content-addressed and may be shared, so the bytes stay until `bulwark fsck --gc`
  // finds them unreferenced; the version itself is already unpublished by the document PUT.
  auto p = store_.GetPackage(name);
  if (!p.ok()) return absl::IsNotFound(p.status()) ? absl::OkStatus() : p.status();
  return CheckWrite(*p, who, PackageAction::kUnpublish);
}

absl::Status PackageService::SetDistTag(const Identity& who, std::string_view name,
                                        std::string_view tag, std::string_view version) {
  BULWARK_RETURN_IF_ERROR(CheckTagName(tag));
  return Mutate(name, false, [&](PackageRecord& p) -> absl::Status {
    if (p.unpublished) return absl::NotFoundError("Not found");
    BULWARK_RETURN_IF_ERROR(CheckWrite(p, who, PackageAction::kPublish));
    auto it = p.versions.find(std::string(version));
    if (it == p.versions.end() || it->second.unpublished) {
      return absl::NotFoundError(StrCat("version ", version, " of ", name, " not found"));
    }
    if (p.dist_tags[std::string(tag)] == version) return absl::CancelledError();
    p.dist_tags[std::string(tag)] = std::string(version);
    return absl::OkStatus();
  });
}

absl::Status PackageService::RemoveDistTag(const Identity& who, std::string_view name,
                                           std::string_view tag) {
  if (tag == "latest") {
    return absl::FailedPreconditionError("the latest tag cannot be removed; move it instead");
  }
  return Mutate(name, false, [&](PackageRecord& p) -> absl::Status {
    if (p.unpublished) return absl::NotFoundError("Not found");
    BULWARK_RETURN_IF_ERROR(CheckWrite(p, who, PackageAction::kPublish));
    if (!p.dist_tags.erase(std::string(tag))) {
      return absl::NotFoundError(StrCat("dist-tag ", tag, " not found"));
    }
    return absl::OkStatus();
  });
}

absl::Status PackageService::SetRestricted(const Identity& who, std::string_view name,
                                           bool restricted) {
  if (restricted && name[0] != '@') {
    return absl::InvalidArgumentError("unscoped packages cannot be restricted");
  }
  return Mutate(name, false, [&](PackageRecord& p) -> absl::Status {
    if (p.unpublished) return absl::NotFoundError("Not found");
    BULWARK_RETURN_IF_ERROR(CheckWrite(p, who, PackageAction::kPublish));
    if (p.restricted == restricted) return absl::CancelledError();
    p.restricted = restricted;
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<PackageSummary>> PackageService::ListReadable(
    const std::optional<Identity>& who) {
  BULWARK_ASSIGN_OR_RETURN(auto all, store_.ListPackages());
  std::optional<std::string> user;
  if (who) user = who->user;
  std::vector<PackageSummary> out;
  for (auto& s : all) {
    if (!policy_.Allows(PackageAction::kRead, s.name, user)) continue;
    if (s.restricted && !(who && (who->admin || std::find(s.maintainers.begin(),
                                                          s.maintainers.end(),
                                                          who->user) != s.maintainers.end()))) {
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> PackageService::StarredBy(
    std::string_view user, const std::optional<Identity>& who) {
  BULWARK_ASSIGN_OR_RETURN(auto list, ListReadable(who));
  std::vector<std::string> out;
  for (const auto& s : list) {
    BULWARK_ASSIGN_OR_RETURN(PackageRecord p, store_.GetPackage(s.name));
    if (p.stars.count(std::string(user))) out.push_back(s.name);
  }
  return out;
}

}  // namespace bulwark
