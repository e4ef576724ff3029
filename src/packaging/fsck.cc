#include "base/strings.h"
#include "packaging/fsck.h"

#include "base/hash.h"
#include "base/json.h"

namespace bulwark {

absl::StatusOr<FsckReport> CheckRegistry(MetadataStore& store, BlobStore& blobs) {
  FsckReport report;
  BULWARK_ASSIGN_OR_RETURN(auto summaries, store.ListPackages());
  for (const auto& s : summaries) {
    BULWARK_ASSIGN_OR_RETURN(PackageRecord p, store.GetPackage(s.name));
    ++report.packages;
    auto problem = [&](std::string_view version, std::string_view what) {
      report.problems.push_back(
          version.empty() ? StrCat(p.name, ": ", what)
                          : StrCat(p.name, "@", version, ": ", what));
    };
    size_t live = 0;
    for (const auto& [ver, v] : p.versions) {
      if (v.unpublished) continue;
      ++live;
      ++report.versions;
      auto manifest = ParseJson(v.manifest_json, 256);
      if (!manifest.ok() || !manifest->is_object()) problem(ver, "stored manifest is not JSON");
      auto data = blobs.Get(v.blob_key);
      if (!data.ok()) {
        problem(ver, StrCat("tarball blob ", v.blob_key.substr(0, 16), "… is missing (",
                                  data.status().message(), ")"));
        continue;
      }
      ++report.blobs_checked;
      if (Sha512Integrity(*data) != v.integrity) {
        problem(ver, "tarball does not match its recorded sha512 integrity");
      } else if (HexEncode(Sha1(*data)) != v.shasum) {
        problem(ver, "tarball does not match its recorded sha1 shasum");
      } else if (data->size() != v.size) {
        problem(ver, "tarball size differs from the recorded size");
      }
    }
    if (live == 0) problem("", "package is visible but has no published versions");
    if (!p.dist_tags.count("latest")) problem("", "package has no latest dist-tag");
    for (const auto& [tag, ver] : p.dist_tags) {
      auto it = p.versions.find(ver);
      if (it == p.versions.end() || it->second.unpublished) {
        problem("", StrCat("dist-tag ", tag, " points at missing version ", ver));
      }
    }
    if (p.maintainers.empty()) problem("", "package has no maintainers");
  }
  return report;
}

}  // namespace bulwark
