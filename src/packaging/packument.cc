#include "base/strings.h"
#include "packaging/packument.h"

#include "base/hash.h"
#include "base/time_format.h"
#include "packaging/manifest.h"

namespace bulwark {
namespace {

// Fields of a version kept in the abbreviated document: what arborist copies into lockfiles
// (shrinkwrap.js pkgMetaKeys) and what pnpm reads to resolve (npm-registry-api.md §2.3).
constexpr std::string_view kCorgiFields[] = {
    "name", "version", "deprecated", "dependencies", "optionalDependencies", "devDependencies",
    "bundleDependencies", "peerDependencies", "peerDependenciesMeta", "acceptDependencies",
    "bin", "directories", "engines", "os", "cpu", "libc", "funding", "license", "dist",
    "_hasShrinkwrap", "hasInstallScript"};

json::array Maintainers(const PackageRecord& p, const EmailLookup& emails) {
  json::array out;
  for (const auto& m : p.maintainers) {
    json::object o{{"name", m}};
    if (std::string email = emails(m); !email.empty()) o["email"] = std::move(email);
    out.push_back(std::move(o));
  }
  return out;
}

// The stored manifest plus the fields that depend on the request or on later changes.
json::object VersionObject(const PackageRecord& p, const VersionRecord& v,
                           std::string_view base_url, const EmailLookup* emails) {
  json::object m;
  auto parsed = ParseJson(v.manifest_json, 256);
  if (parsed.ok() && parsed->is_object()) m = std::move(parsed->get_object());
  // The publisher's address as the account has it now, not as stored at publish time: an
  // address on a lapsed domain must not stay public (docs/email-domains.md).
  if (auto it = m.find("_npmUser"); it != m.end() && it->value().is_object()) {
    json::object& user = it->value().get_object();
    std::string current;
    if (auto name = GetString(user, "name"); name && emails) current = (*emails)(*name);
    if (current.empty()) {
      user.erase("email");
    } else {
      user["email"] = std::move(current);
    }
  }
  json::object dist;
  if (const json::object* d = GetObject(m, "dist")) dist = *d;
  dist["tarball"] = TarballUrl(base_url, p.name, v.version);
  dist["integrity"] = v.integrity;
  dist["shasum"] = v.shasum;
  // Registry signatures (npm audit signatures); the same in the full and abbreviated documents.
  if (!v.signatures.empty()) {
    json::array sigs;
    for (const auto& s : v.signatures) {
      sigs.push_back(json::object{{"keyid", s.keyid}, {"sig", s.sig}});
    }
    dist["signatures"] = std::move(sigs);
  } else {
    dist.erase("signatures");
  }
  m["dist"] = std::move(dist);
  if (!v.deprecated.empty()) {
    m["deprecated"] = v.deprecated;
  } else {
    m.erase("deprecated");
  }
  return m;
}

bool Live(const VersionRecord& v) { return !v.unpublished.has_value(); }

}  // namespace

std::string TarballFileName(std::string_view package, std::string_view version) {
  std::string_view unscoped = package;
  if (size_t slash = package.find('/'); slash != std::string_view::npos) {
    unscoped = package.substr(slash + 1);
  }
  return StrCat(unscoped, "-", version, ".tgz");
}

std::string TarballUrl(std::string_view base_url, std::string_view package,
                       std::string_view version) {
  return StrCat(base_url, "/", package, "/-/", TarballFileName(package, version));
}

std::string RevString(const PackageRecord& p) {
  return StrCat(p.rev, "-", HexEncode(Sha256(StrCat(p.name, "\n", p.rev))).substr(0, 16));
}

json::object RenderFullPackument(const PackageRecord& p, std::string_view base_url,
                                 const EmailLookup& emails) {
  json::object doc;
  doc["_id"] = p.name;
  doc["_rev"] = RevString(p);
  doc["name"] = p.name;
  if (!p.description.empty()) doc["description"] = p.description;
  json::object tags;
  for (const auto& [tag, ver] : p.dist_tags) tags[tag] = ver;
  doc["dist-tags"] = std::move(tags);
  json::object versions;
  json::object time;
  time["created"] = FormatIsoTime(p.created);
  time["modified"] = FormatIsoTime(p.modified);
  json::array maintainers = Maintainers(p, emails);
  for (const auto& [ver, v] : p.versions) {
    // Times of unpublished versions stay, as on npmjs: --before and audits read them.
    time[ver] = FormatIsoTime(v.published);
    if (!Live(v)) continue;
    json::object obj = VersionObject(p, v, base_url, &emails);
    obj["maintainers"] = maintainers;
    versions[ver] = std::move(obj);
  }
  doc["versions"] = std::move(versions);
  doc["time"] = std::move(time);
  doc["maintainers"] = std::move(maintainers);
  json::object users;
  for (const auto& u : p.stars) users[u] = true;
  doc["users"] = std::move(users);
  if (!p.readme.empty()) doc["readme"] = p.readme;
  if (!p.readme_filename.empty()) doc["readmeFilename"] = p.readme_filename;
  // Top-level metadata npm view shows, copied from the latest version.
  if (auto it = p.dist_tags.find("latest"); it != p.dist_tags.end()) {
    if (auto lv = p.versions.find(it->second); lv != p.versions.end() && Live(lv->second)) {
      auto parsed = ParseJson(lv->second.manifest_json, 256);
      if (parsed.ok() && parsed->is_object()) {
        for (std::string_view k : {"author", "repository", "homepage", "bugs", "keywords",
                                   "license"}) {
          if (auto f = parsed->get_object().find(k); f != parsed->get_object().end()) {
            doc[k] = f->value();
          }
        }
      }
    }
  }
  return doc;
}

json::object RenderAbbreviatedPackument(const PackageRecord& p, std::string_view base_url) {
  json::object doc;
  doc["name"] = p.name;
  doc["modified"] = FormatIsoTime(p.modified);
  json::object tags;
  for (const auto& [tag, ver] : p.dist_tags) tags[tag] = ver;
  doc["dist-tags"] = std::move(tags);
  json::object versions;
  for (const auto& [ver, v] : p.versions) {
    if (!Live(v)) continue;
    json::object full = VersionObject(p, v, base_url, nullptr);
    json::object slim;
    for (std::string_view k : kCorgiFields) {
      if (auto f = full.find(k); f != full.end()) slim[k] = f->value();
    }
    // The corgi has no `scripts`, so install-script detection depends on this flag.
    if (HasInstallScript(full)) slim["hasInstallScript"] = true;
    versions[ver] = std::move(slim);
  }
  doc["versions"] = std::move(versions);
  return doc;
}

std::optional<json::object> RenderVersion(const PackageRecord& p, std::string_view version,
                                          std::string_view base_url, const EmailLookup& emails) {
  auto it = p.versions.find(std::string(version));
  if (it == p.versions.end() || !Live(it->second)) return std::nullopt;
  json::object obj = VersionObject(p, it->second, base_url, &emails);
  obj["maintainers"] = Maintainers(p, emails);
  return obj;
}

}  // namespace bulwark
