// Fuzzes the lockfile readers of `bulwark audit` (src/security/advisories/lockfile.cc): npm's
// JSON, pnpm's and yarn berry's YAML (through yaml-cpp) and yarn classic's own format. The first
// byte picks the file name given as a hint, so every reader sees every input. Must not crash,
// hang or trip a sanitizer; every package listed must have a name and a version.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "security/advisories/lockfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kNames[] = {"", "package-lock.json", "pnpm-lock.yaml",
                                                "yarn.lock"};
  const std::string_view name = kNames[data[0] % 4];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto lock = bulwark::advisories::ParseLockfile(text, name);
  if (lock.ok()) {
    for (const auto& p : lock->packages) {
      if (p.name.empty() || p.version.empty()) std::abort();
    }
  }
  return 0;
}
