#pragma once
// Version manifests: normalising a package.json the way the npm CLI does before it publishes,
// and the "manifest confusion" check between the manifest in a publish request and the
// package.json inside its tarball.

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "bulwark/base/status.h"
#include "packaging/tarball.h"

namespace bulwark {

// Applies the parts of @npmcli/package-json's publish normalisation that change what gets
// installed, so a tarball's package.json and the manifest npm derived from it compare equal:
// `bundledDependencies` renamed `bundleDependencies` (and `true` expanded to the dependency
// names), optional dependencies removed from `dependencies`, non-string scripts dropped,
// `install: node-gyp rebuild` for a binding.gyp, `start: node server.js` for a server.js, `bin`
// as an object of clean relative paths (a string bin named after the unscoped package name;
// `directories.bin` expanded from the file list), and underscore-prefixed fields removed.
// `files` is the tarball's file list (paths relative to the package root).
void NormalizeManifest(json::object& manifest, const std::vector<TarballFile>& files);

// FailedPrecondition naming the first field where `claimed` (from the request) and `actual`
// (from the tarball) differ among those that decide what installing runs and fetches: name,
// version, scripts, every kind of dependency, bin. Both must be normalised first.
absl::Status CheckManifestsAgree(const json::object& claimed, const json::object& actual);

// True when scripts has preinstall, install or postinstall.
bool HasInstallScript(const json::object& manifest);

}  // namespace bulwark
