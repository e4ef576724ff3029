// Fuzzes the publish path's parsing of outside input: the JSON body and everything
// DecodePublishDocument does with it (base64, integrity, tarball, manifest comparison).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/json.h"
#include "packaging/publish_document.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = bulwark::ParseJson(text);
  if (!v.ok() || !v->is_object()) return 0;
  bulwark::TarballLimits limits;
  limits.max_unpacked_bytes = 1 << 20;
  limits.max_entries = 64;
  limits.max_file_bytes = 1 << 20;
  auto name = bulwark::GetString(v->get_object(), "name");
  (void)bulwark::DecodePublishDocument(name ? *name : "x", v->get_object(), limits, 4096);
  return 0;
}
