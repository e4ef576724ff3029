// Fuzzes the decoding of `npm token create` bodies (api/token_options.h): any JSON object either
// decodes to options within the documented shapes or is refused with InvalidArgument.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/token_options.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = bulwark::ParseJson(text);
  if (!v.ok() || !v->is_object()) return 0;
  auto opts = bulwark::ParseTokenOptions(v->get_object());
  if (!opts.ok()) {
    if (!absl::IsInvalidArgument(opts.status())) __builtin_trap();
    return 0;
  }
  // A lifetime, when set, is a positive whole number of days.
  if (opts->lifetime && (*opts->lifetime <= absl::ZeroDuration() ||
                         *opts->lifetime > absl::Hours(24 * 100000))) {
    __builtin_trap();
  }
  for (const auto& p : opts->packages) {
    if (p.find(',') != std::string::npos) __builtin_trap();  // Lists are split on commas.
  }
  return 0;
}
