// Fuzzes the RDAP parsers of the expired-domain monitor (src/accounts/domains/rdap.cc): the
// same bytes as an RFC 9083 domain answer and as an RFC 9224 bootstrap file. Must not crash,
// hang or trip a sanitizer; a parsed bootstrap's answers end in '/', and an accepted domain's
// status values hold no line breaks (the store keeps them one a line).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "accounts/domains/rdap.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto domain = bulwark::domains::ParseRdapDomain(text);
  if (domain.ok()) {
    for (const auto& s : domain->statuses) {
      if (s.empty() || s.find('\n') != std::string::npos) std::abort();
    }
  }
  auto bootstrap = bulwark::domains::RdapBootstrap::Parse(text);
  if (bootstrap.ok()) {
    for (std::string_view name : {"example.com", "a.b.co.uk", "test", ""}) {
      auto base = bootstrap->BaseFor(name);
      if (base && (base->empty() || base->back() != '/')) std::abort();
    }
  }
  return 0;
}
