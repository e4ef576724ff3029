// Fuzzes src/base/semver: any input, as a version and as a range, strict and loose, with and
// without includePrerelease. Must not crash, hang or trip a sanitizer; also checks invariants
// that node-semver holds: a canonical version re-parses to an equal one and satisfies itself as a
// range; a strict normalised range parses again (loose ones need not: a loose comparator's
// canonical version can outgrow the 256-character limit).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/semver.h"

namespace {

using bulwark::semver::Options;

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const Options opts : {Options{}, Options{.loose = true}, Options{.include_prerelease = true},
                             Options{.loose = true, .include_prerelease = true}}) {
    absl::StatusOr<bulwark::semver::Version> v = bulwark::semver::Parse(text, opts);
    if (v.ok()) {
      const std::string canonical = v->ToString();
      absl::StatusOr<bulwark::semver::Version> again = bulwark::semver::Parse(canonical, opts);
      // Loose "1.2.3a..." at 256 characters gains a hyphen and is then too long.
      Check(again.ok() || canonical.size() > 256);
      if (again.ok()) Check(bulwark::semver::Compare(*v, *again) == 0);
      Check(bulwark::semver::Compare(*v, *v) == 0);
      Check(bulwark::semver::Satisfies(canonical, canonical, opts) || canonical.size() > 256);
    }
    absl::StatusOr<bulwark::semver::Range> range = bulwark::semver::Range::Parse(text, opts);
    if (range.ok()) {
      const std::string normalised = range->ToString();
      if (v.ok()) range->Test(*v);
      absl::StatusOr<bulwark::semver::Range> reparsed =
          bulwark::semver::Range::Parse(normalised, opts);
      Check(reparsed.ok() || opts.loose);
      bulwark::semver::MaxSatisfying({"1.2.3", "0.0.0-0", std::string(text)}, text, opts);
    }
  }
  return 0;
}
