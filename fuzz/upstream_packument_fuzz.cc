// Fuzzes src/proxy/upstream_doc: a packument as an upstream registry might send it (hostile or
// broken), parsed and reshaped with and without a cooldown. Must not crash, hang or trip a
// sanitizer; checks that what Bulwark serves is JSON again, that every kept version's tarball
// URL points at our base URL, and that dist-tags only name kept versions.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/json.h"
#include "proxy/upstream_doc.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bulwark;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = proxy::ParseUpstreamPackument(text, "pkg");
  if (!doc.ok()) return 0;
  for (bool cooldown : {false, true}) {
    proxy::ShapeOptions o;
    o.base_url = "http://me";
    o.now = absl::FromUnixSeconds(1'700'000'000);
    if (cooldown) o.cooldown = absl::Hours(72);
    proxy::ShapedPackument s = proxy::ShapePackument(*doc, "pkg", o);
    auto full = ParseJson(s.full);
    auto corgi = ParseJson(s.corgi);
    Check(full.ok() && full->is_object() && corgi.ok() && corgi->is_object());
    const json::object& f = full->get_object();
    const json::object* versions = GetObject(f, "versions");
    Check(versions != nullptr);
    for (const auto& kv : *versions) {
      const json::object* dist = GetObject(kv.value().get_object(), "dist");
      Check(dist != nullptr);
      auto url = GetString(*dist, "tarball");
      Check(url && url->substr(0, 14) == "http://me/pkg/");
    }
    if (const json::object* tags = GetObject(f, "dist-tags")) {
      for (const auto& kv : *tags) {
        Check(kv.value().is_string() && versions->contains(kv.value().get_string()));
      }
    }
    Check(s.tarballs.size() == versions->size());
  }
  (void)proxy::UpstreamVersions(*doc);
  return 0;
}
