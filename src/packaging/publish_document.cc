// Decoding and verifying the publish document (npm-registry-api.md §3.1, step 4). Pure.

#include "packaging/publish_document.h"

#include "absl/strings/ascii.h"
#include "base/hash.h"
#include "base/package_name.h"
#include "base/semver.h"
#include "base/strings.h"
#include "packaging/manifest.h"
#include "packaging/packument.h"

namespace bulwark {
namespace {

// `integrity` may list several hashes ("sha512-... sha1-..."); every sha512 one must match.
absl::Status CheckIntegrity(const json::object& dist, std::string_view tarball) {
  auto integrity = GetString(dist, "integrity");
  auto shasum = GetString(dist, "shasum");
  if (!integrity && !shasum) {
    return absl::InvalidArgumentError("the manifest's dist has neither integrity nor shasum");
  }
  bool checked = false;
  if (integrity) {
    std::string expected = Base64Encode(Sha512(tarball));
    for (std::string_view part : StrSplit(*integrity, ' ', SkipEmpty())) {
      if (!StartsWith(part, "sha512-")) continue;
      std::string_view digest = part.substr(7);
      if (size_t q = digest.find('?'); q != std::string_view::npos) digest = digest.substr(0, q);
      if (digest != expected) {
        return absl::InvalidArgumentError(
            "the tarball's sha512 does not match dist.integrity; the upload is corrupt");
      }
      checked = true;
    }
  }
  if (shasum) {
    if (AsciiStrToLower(*shasum) != HexEncode(Sha1(tarball))) {
      return absl::InvalidArgumentError(
          "the tarball's sha1 does not match dist.shasum; the upload is corrupt");
    }
    checked = true;
  }
  if (!checked) return absl::InvalidArgumentError("dist.integrity has no sha512 hash");
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTagName(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) {
    return absl::InvalidArgumentError("dist-tag names must be 1 to 128 characters");
  }
  if (semver::ValidRange(tag).has_value()) {
    return absl::InvalidArgumentError(StrCat(
        "dist-tag \"", tag, "\" is a valid semver range; tags that look like versions are refused"));
  }
  for (char c : tag) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.' && c != '~' && c != '!' &&
        c != '*' && c != '(' && c != ')' && c != '\'') {
      return absl::InvalidArgumentError(
          StrCat("dist-tag \"", tag, "\" must not need URL-encoding"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<PublishDocument> DecodePublishDocument(std::string_view name,
                                                     const json::object& body,
                                                     const TarballLimits& limits,
                                                     size_t max_readme_bytes) {
  PublishDocument doc;
  // --- The request document (npm-registry-api.md §3.1, step 4).
  auto body_name = GetString(body, "name");
  if (!body_name || *body_name != name) {
    return absl::InvalidArgumentError("the document's name does not match the URL");
  }
  if (auto id = GetString(body, "_id"); id && *id != name) {
    return absl::InvalidArgumentError("the document's _id does not match the URL");
  }
  const json::object* versions = GetObject(body, "versions");
  if (!versions || versions->size() != 1) {
    return absl::InvalidArgumentError("a publish must carry exactly one version");
  }
  const std::string version(versions->begin()->key());
  if (!versions->begin()->value().is_object()) {
    return absl::InvalidArgumentError("the version manifest must be an object");
  }
  const json::object& manifest = versions->begin()->value().get_object();
  auto canonical = semver::Valid(version);
  if (!canonical || *canonical != version) {
    return absl::InvalidArgumentError(
        StrCat("\"", version, "\" is not a valid semver version"));
  }
  if (GetString(manifest, "name") != body_name || GetString(manifest, "version") != version) {
    return absl::InvalidArgumentError("the version manifest's name or version does not match");
  }
  std::map<std::string, std::string> tags;
  if (const json::object* t = GetObject(body, "dist-tags")) {
    for (const auto& [tag, v] : *t) {
      BULWARK_RETURN_IF_ERROR(CheckTagName(tag));
      if (!v.is_string() || v.get_string() != version) {
        return absl::InvalidArgumentError("dist-tags must point at the published version");
      }
      tags[std::string(tag)] = version;
    }
  }
  std::optional<bool> restricted;
  if (auto access = GetString(body, "access")) {
    if (*access == "restricted") {
      if (name[0] != '@') {
        return absl::InvalidArgumentError("unscoped packages cannot be restricted");
      }
      restricted = true;
    } else if (*access == "public") {
      restricted = false;
    } else {
      return absl::InvalidArgumentError("access must be \"public\" or \"restricted\"");
    }
  }

  // --- The attachment.
  const json::object* attachments = GetObject(body, "_attachments");
  if (!attachments) return absl::InvalidArgumentError("the publish has no tarball attachment");
  const json::object* tarball_att = nullptr;
  int sigstore = 0;
  for (const auto& [key, att] : *attachments) {
    if (EndsWith(key, ".sigstore")) {
      ++sigstore;
      continue;
    }
    if (!EndsWith(key, ".tgz") || tarball_att) {
      return absl::InvalidArgumentError("a publish must carry exactly one .tgz attachment");
    }
    // Keys are "<name>-<version>.tgz", scope included (npm and yarn).
    if (key != StrCat(name, "-", version, ".tgz") && key != TarballFileName(name, version)) {
      return absl::InvalidArgumentError(
          StrCat("attachment \"", std::string_view(key), "\" does not match ", name, "@",
                       version));
    }
    if (!att.is_object()) return absl::InvalidArgumentError("attachment must be an object");
    tarball_att = &att.get_object();
  }
  if (!tarball_att) return absl::InvalidArgumentError("the publish has no tarball attachment");
  if (sigstore > 1) return absl::InvalidArgumentError("at most one provenance bundle is allowed");
  auto data = GetString(*tarball_att, "data");
  if (!data) return absl::InvalidArgumentError("the tarball attachment has no data");
  auto tarball = Base64Decode(*data);
  if (!tarball) return absl::InvalidArgumentError("the tarball attachment is not valid base64");
  if (auto length = GetInt(*tarball_att, "length");
      length && *length != static_cast<int64_t>(tarball->size())) {
    return absl::InvalidArgumentError("the tarball's length does not match its data");
  }
  const json::object* dist = GetObject(manifest, "dist");
  if (!dist) return absl::InvalidArgumentError("the version manifest has no dist");
  BULWARK_RETURN_IF_ERROR(CheckIntegrity(*dist, *tarball));

  // --- The tarball's own package.json is the truth (manifest confusion).
  BULWARK_ASSIGN_OR_RETURN(TarballContents contents, ReadTarball(*tarball, limits));
  auto pkg = ParseJson(contents.package_json);
  if (!pkg.ok() || !pkg->is_object()) {
    return absl::InvalidArgumentError("the tarball's package.json is not a JSON object");
  }
  json::object actual = std::move(pkg->get_object());
  NormalizeManifest(actual, contents.files);
  json::object claimed = manifest;
  NormalizeManifest(claimed, contents.files);
  BULWARK_RETURN_IF_ERROR(CheckManifestsAgree(claimed, actual));

  // --- The stored manifest: the tarball's, plus what npm adds that is not in package.json.
  json::object stored = std::move(actual);
  for (std::string_view k : {"gitHead", "_nodeVersion", "_npmVersion", "readmeFilename"}) {
    if (auto v = GetString(manifest, k)) stored[k] = *v;
  }
  stored.erase("readme");
  stored["_id"] = StrCat(name, "@", version);
  stored["_hasShrinkwrap"] = contents.has_shrinkwrap;
  stored["dist"] = json::object{{"fileCount", contents.files.size()},
                                {"unpackedSize", contents.unpacked_size}};
  std::string readme;
  if (auto r = GetString(manifest, "readme")) {
    readme = std::string(r->substr(0, max_readme_bytes));
  }
  std::string readme_filename(GetString(manifest, "readmeFilename").value_or(""));
  doc.version = version;
  doc.tags = std::move(tags);
  doc.restricted = restricted;
  doc.tarball = std::move(*tarball);
  doc.manifest = std::move(stored);
  doc.readme = std::move(readme);
  doc.readme_filename = std::move(readme_filename);
  doc.contents = std::move(contents);
  return doc;
}

}  // namespace bulwark
