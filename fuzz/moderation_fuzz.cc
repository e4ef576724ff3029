// Fuzzes the moderation inputs that come from outside: tarball text searched for leaked
// registry tokens, the partner's key list and signed token-leak bodies, and the stored report,
// diff and held-publish documents read back (which a corrupt database could hold).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "accounts/tokens.h"
#include "base/json.h"
#include "security/partner_signature.h"
#include "security/scan_gate.h"
#include "security/token_leaks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  for (const auto& hit : bulwark::FindRegistryTokens(text, "f.js")) {
    // Every hit is a checksummed token that occurs in the text on the line reported.
    if (!bulwark::IsWellFormedToken(hit.token) || hit.line < 1 || hit.line > lines ||
        text.find(hit.token) == std::string_view::npos) {
      __builtin_trap();
    }
  }
  if (auto keys = bulwark::ParsePartnerKeys(text); keys.ok()) {
    for (const auto& k : *keys) {
      (void)bulwark::VerifyPartnerSignature(*keys, k.id, "MEUCIQ==", text);
    }
  }
  size_t cut = size / 2;
  std::vector<bulwark::PartnerKey> fixed = {{"k", std::string(text.substr(0, cut))}};
  (void)bulwark::VerifyPartnerSignature(fixed, "k", text.substr(cut), text);
  if (auto v = bulwark::ParseJson(text); v.ok() && v->is_object()) {
    (void)bulwark::ReportFromJson(v->get_object());
  }
  (void)bulwark::HeldFromJson(text);
  return 0;
}
