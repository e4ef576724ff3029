// PackageService's moderation operations (docs/moderation.md): publishing a held version,
// withdrawing versions removed as malicious or held after the fact, and the security placeholder.
// The callers are administrators (security/moderation.cc); access rules are theirs to check.

#include "base/strings.h"
#include "packaging/package_service.h"

namespace bulwark {

absl::Status PackageService::AdmitHeld(const HeldPublish& stored) {
  Identity publisher{stored.publisher, false, false, ""};
  PublishResult result;
  HeldPublish held = stored;
  // Held records do not keep signatures: sign with the key in force when the version goes live.
  if (signer_ && held.version.signatures.empty()) {
    BULWARK_ASSIGN_OR_RETURN(
        VersionSignature sig,
        signer_->Sign(held.name, held.version.version, held.version.integrity));
    held.version.signatures = {std::move(sig)};
  }
  BULWARK_RETURN_IF_ERROR(Mutate(held.name, true, [&](PackageRecord& p) -> absl::Status {
    return CommitVersion(p, publisher, held, result);
  }));
  return absl::OkStatus();
}

absl::StatusOr<PackageService::Withdrawn> PackageService::WithdrawVersions(
    std::string_view name, const std::vector<std::string>& versions) {
  Withdrawn out;
  BULWARK_RETURN_IF_ERROR(Mutate(name, false, [&](PackageRecord& p) -> absl::Status {
    out = {};
    absl::Time now = clock_.Now();
    for (const std::string& ver : versions) {
      auto it = p.versions.find(ver);
      if (it == p.versions.end() || it->second.unpublished) continue;
      it->second.unpublished = now;
      out.versions.push_back(ver);
    }
    if (out.versions.empty()) return absl::CancelledError();
    for (auto it = p.dist_tags.begin(); it != p.dist_tags.end();) {
      auto v = p.versions.find(it->second);
      if (v == p.versions.end() || v->second.unpublished) {
        out.tags.insert(*it);
        it = p.dist_tags.erase(it);
      } else {
        ++it;
      }
    }
    if (!p.dist_tags.count("latest")) {
      if (auto best = HighestLiveVersion(p, false)) p.dist_tags["latest"] = *best;
    }
    if (p.dist_tags.empty())
      p.unpublished = now;  // Nothing live is left: the package reads as absent.
    return absl::OkStatus();
  }));
  return out;
}

absl::Status PackageService::RestoreVersion(std::string_view name, std::string_view version,
                                            const std::map<std::string, std::string>& tags) {
  return Mutate(name, false, [&](PackageRecord& p) -> absl::Status {
    auto it = p.versions.find(std::string(version));
    if (it == p.versions.end()) {
      return absl::NotFoundError(StrCat("version ", version, " of ", name, " not found"));
    }
    if (!it->second.unpublished) return absl::CancelledError();
    it->second.unpublished.reset();
    p.unpublished.reset();
    for (const auto& [tag, v] : tags) {
      if (v != version) continue;
      // A tag moved on while the version was withdrawn keeps its new, newer target.
      auto cur = p.dist_tags.find(tag);
      if (cur == p.dist_tags.end()) {
        p.dist_tags[tag] = v;
      } else if (auto best = HighestLiveVersion(p, true); best && *best == version) {
        cur->second = v;
      }
    }
    if (!p.dist_tags.count("latest")) p.dist_tags["latest"] = std::string(version);
    return absl::OkStatus();
  });
}

absl::Status PackageService::ReplaceWithPlaceholder(std::string_view name,
                                                    const VersionRecord& placeholder,
                                                    std::string_view tarball,
                                                    std::string_view readme) {
  BULWARK_RETURN_IF_ERROR(blobs_.Put(placeholder.blob_key, tarball));
  VersionRecord signed_placeholder = placeholder;
  if (signer_ && signed_placeholder.signatures.empty()) {
    BULWARK_ASSIGN_OR_RETURN(VersionSignature sig,
                             signer_->Sign(name, placeholder.version, placeholder.integrity));
    signed_placeholder.signatures = {std::move(sig)};
  }
  return Mutate(name, true, [&, &placeholder = signed_placeholder](PackageRecord& p) -> absl::Status {
    absl::Time now = clock_.Now();
    // The holding package belongs to nobody: only administrators may change it (as npm owns
    // its security holders), so whoever published the malware loses the name.
    p.maintainers.clear();
    for (auto& [ver, v] : p.versions) {
      if (!v.unpublished) v.unpublished = now;
    }
    auto it = p.versions.find(placeholder.version);
    if (it != p.versions.end() && it->second.integrity == placeholder.integrity) {
      it->second.unpublished.reset();  // Replaced before: serve the same placeholder again.
    } else if (it != p.versions.end()) {
      return absl::AlreadyExistsError(
          StrCat(name, "@", placeholder.version, " exists and is not the placeholder"));
    } else {
      VersionRecord v = placeholder;
      v.published = now;
      p.versions[v.version] = v;
    }
    p.unpublished.reset();
    p.dist_tags = {{"latest", placeholder.version}};
    p.readme = std::string(readme);
    p.readme_filename = "README.md";
    return absl::OkStatus();
  });
}

}  // namespace bulwark
