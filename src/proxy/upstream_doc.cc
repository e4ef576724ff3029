#include "proxy/upstream_doc.h"

#include "base/semver.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "packaging/packument.h"

namespace bulwark::proxy {
namespace {

// Fields of a version in the abbreviated document; the same list as packaging/packument.cc
// (arborist's pkgMetaKeys plus what pnpm reads, npm-registry-api.md §2.3).
constexpr std::string_view kCorgiFields[] = {
    "name", "version", "deprecated", "dependencies", "optionalDependencies", "devDependencies",
    "bundleDependencies", "peerDependencies", "peerDependenciesMeta", "acceptDependencies",
    "bin", "directories", "engines", "os", "cpu", "libc", "funding", "license", "dist",
    "_hasShrinkwrap", "hasInstallScript"};

std::string Str(const json::object& o, std::string_view key) {
  auto s = GetString(o, key);
  return s ? std::string(*s) : std::string();
}

UpstreamVersion Facts(std::string_view version, const json::object& manifest,
                      const json::object* times) {
  UpstreamVersion v;
  v.version = std::string(version);
  if (const json::object* dist = GetObject(manifest, "dist")) {
    v.tarball_url = Str(*dist, "tarball");
    v.integrity = Str(*dist, "integrity");
    v.shasum = Str(*dist, "shasum");
  }
  if (const json::object* user = GetObject(manifest, "_npmUser")) v.publisher = Str(*user, "name");
  if (times) {
    if (auto t = GetString(*times, version)) v.published = ParseIsoTime(*t);
  }
  return v;
}

}  // namespace

absl::StatusOr<json::object> ParseUpstreamPackument(std::string_view body, std::string_view name) {
  auto parsed = ParseJson(body, kMaxUpstreamJsonDepth);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        StrCat("upstream packument for ", name, " is not JSON: ", parsed.status().message()));
  }
  if (!parsed->is_object()) {
    return absl::InvalidArgumentError(StrCat("upstream packument for ", name, " is not an object"));
  }
  json::object doc = std::move(parsed->get_object());
  if (auto n = doc.find("name"); n != doc.end()) {
    if (!n->value().is_string() || n->value().get_string() != name) {
      return absl::InvalidArgumentError(
          StrCat("upstream packument names another package than ", name));
    }
  }
  if (auto v = doc.find("versions"); v != doc.end()) {
    if (!v->value().is_object()) {
      return absl::InvalidArgumentError(StrCat("upstream packument for ", name,
                                               ": versions is not an object"));
    }
    if (v->value().get_object().size() > kMaxUpstreamVersions) {
      return absl::InvalidArgumentError(
          StrCat("upstream packument for ", name, " has more than ", kMaxUpstreamVersions,
                 " versions"));
    }
  }
  for (std::string_view key : {"dist-tags", "time"}) {
    if (auto f = doc.find(key); f != doc.end() && !f->value().is_object()) {
      return absl::InvalidArgumentError(
          StrCat("upstream packument for ", name, ": ", key, " is not an object"));
    }
  }
  return doc;
}

std::vector<UpstreamVersion> UpstreamVersions(const json::object& doc) {
  std::vector<UpstreamVersion> out;
  const json::object* versions = GetObject(doc, "versions");
  if (!versions) return out;
  const json::object* times = GetObject(doc, "time");
  for (const auto& kv : *versions) {
    std::string_view version(kv.key().data(), kv.key().size());
    if (!kv.value().is_object() || !semver::Parse(version).ok()) continue;
    out.push_back(Facts(version, kv.value().get_object(), times));
  }
  return out;
}

ShapedPackument ShapePackument(const json::object& doc, std::string_view name,
                               const ShapeOptions& o) {
  ShapedPackument out;
  const json::object* versions = GetObject(doc, "versions");
  const json::object* times = GetObject(doc, "time");
  const bool cooldown = o.cooldown > absl::ZeroDuration();

  json::object full_versions, corgi_versions, kept_times;
  std::vector<std::string> kept;
  if (versions) {
    for (const auto& kv : *versions) {
      std::string_view version(kv.key().data(), kv.key().size());
      if (!kv.value().is_object()) continue;
      auto parsed = semver::Parse(version);
      // Only canonical numbers: the tarball file name and our URL are derived from them.
      if (!parsed.ok() || semver::Valid(version).value_or("") != version) continue;
      const json::object& manifest = kv.value().get_object();
      UpstreamVersion facts = Facts(version, manifest, times);
      if (cooldown && (!facts.published || o.now - *facts.published < o.cooldown)) {
        out.cooling.push_back(std::string(version));
        continue;
      }
      json::object m = manifest;
      json::object dist;
      if (const json::object* d = GetObject(manifest, "dist")) dist = *d;
      dist.erase("signatures");
      dist.erase("attestations");
      dist["tarball"] = TarballUrl(o.base_url, name, version);
      m["dist"] = dist;
      m.erase("_resolved");
      json::object corgi;
      for (std::string_view k : kCorgiFields) {
        if (auto it = m.find(k); it != m.end()) corgi[k] = it->value();
      }
      full_versions[version] = std::move(m);
      corgi_versions[version] = std::move(corgi);
      if (times) {
        if (auto t = times->find(version); t != times->end()) kept_times[version] = t->value();
      }
      out.tarballs.emplace(TarballFileName(name, version), std::move(facts));
      kept.push_back(std::string(version));
    }
  }

  // dist-tags: only those pointing at kept versions; latest falls back to the newest release.
  json::object tags;
  if (const json::object* upstream_tags = GetObject(doc, "dist-tags")) {
    for (const auto& kv : *upstream_tags) {
      if (!kv.value().is_string()) continue;
      std::string_view target = kv.value().get_string();
      if (full_versions.contains(target)) tags[kv.key()] = kv.value();
    }
  }
  if (!tags.contains("latest") && !kept.empty()) {
    std::vector<std::string> releases;
    for (const auto& v : kept) {
      auto p = semver::Parse(v);
      if (p.ok() && p->prerelease.empty()) releases.push_back(v);
    }
    const std::vector<std::string>& pool = releases.empty() ? kept : releases;
    const std::string* best = nullptr;
    semver::Version best_v;
    for (const auto& v : pool) {
      auto p = semver::Parse(v);
      if (!p.ok()) continue;
      if (!best || semver::Compare(*p, best_v) > 0) {
        best = &v;
        best_v = *p;
      }
    }
    if (best) tags["latest"] = *best;
  }

  if (times) {
    for (std::string_view k : {"created", "modified"}) {
      if (auto t = times->find(k); t != times->end()) kept_times[k] = t->value();
    }
    if (auto m = GetString(*times, "modified")) {
      if (auto t = ParseIsoTime(*m)) out.modified = *t;
    }
  }

  json::object full = doc;
  full.erase("_rev");
  full.erase("_attachments");
  full["_id"] = name;
  full["name"] = name;
  full["dist-tags"] = tags;
  full["versions"] = std::move(full_versions);
  full["time"] = std::move(kept_times);
  json::object corgi{{"name", name},
                     {"modified", FormatIsoTime(out.modified)},
                     {"dist-tags", tags},
                     {"versions", std::move(corgi_versions)}};
  out.full = ToJson(full);
  out.corgi = ToJson(corgi);
  return out;
}

}  // namespace bulwark::proxy
