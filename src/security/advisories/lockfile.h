#pragma once
// Lockfile readers for `bulwark audit`: what a project has installed, as (name, version, where)
// triples, from the lockfiles of npm (package-lock.json / npm-shrinkwrap.json v1, v2, v3),
// pnpm (pnpm-lock.yaml 5.x, 6.x, 9.x) and yarn (classic v1 yarn.lock, berry yarn.lock). Pure:
// the caller reads the file. Input is outside input: every reader returns InvalidArgument with
// a message naming the problem, never crashes, and is fuzzed (fuzz/lockfile_fuzz.cc).
//
// What is listed: every package installed from a registry, by its real name (aliases such as
// `"x": "npm:real@1.0.0"` resolve to `real`), with the version installed. Not listed: the root
// project, workspaces, links, and packages from folders, git or tarball URLs (no registry
// advisory can name their versions).

#include <string>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"

namespace bulwark::advisories {

// Limits against lockfiles built to exhaust memory or stack.
inline constexpr size_t kMaxLockfileBytes = 256u << 20;
inline constexpr size_t kMaxLockfilePackages = 500000;
inline constexpr size_t kMaxLockfileDepth = 64;  // package-lock v1 nesting; YAML nesting.

enum class LockfileFormat {
  kNpmV1,     // package-lock.json lockfileVersion 1 (npm 5, 6): a `dependencies` tree.
  kNpmV2,     // lockfileVersion 2 and 3 (npm 7+): a `packages` map keyed by folder.
  kPnpm,      // pnpm-lock.yaml (5.x keys /name/1.0.0, 6.x /name@1.0.0, 9.x name@1.0.0).
  kYarnV1,    // yarn classic's own format.
  kYarnBerry  // yarn 2+ (YAML, with __metadata).
};
std::string_view LockfileFormatName(LockfileFormat f);

struct LockedPackage {
  std::string name;
  std::string version;
  // Where it is installed: for npm the folder ("node_modules/a/node_modules/b"), for pnpm and
  // yarn (flat lockfiles) the name@version key.
  std::string path;
  bool dev = false;  // Only a development dependency, when the lockfile says so.
};

struct Lockfile {
  LockfileFormat format = LockfileFormat::kNpmV2;
  std::vector<LockedPackage> packages;  // Ordered by name, version, path; no duplicates.
};

// Reads a lockfile of any supported format; `file_name` (the base name, may be empty) helps
// choose between formats, the content decides when it is absent or unknown.
absl::StatusOr<Lockfile> ParseLockfile(std::string_view text, std::string_view file_name = "");

}  // namespace bulwark::advisories
