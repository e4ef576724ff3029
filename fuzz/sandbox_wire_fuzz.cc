// The sandbox sinks' parsers (src/sandbox/wire.h): DNS queries, HTTP request heads and TLS
// ClientHellos come from the package under analysis; so do the request targets the registry
// forwarder checks (src/sandbox/registry_forward.h) and the packuments it rewrites.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sandbox/registry_forward.h"
#include "sandbox/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto q = bulwark::sandbox::ParseDnsQuery(in)) {
    std::string answer = bulwark::sandbox::BuildDnsAnswer(in, *q, 0x7f000002);
    if (!answer.empty() && !bulwark::sandbox::ParseDnsQuery(answer)) {
      // An answer is a response (QR set), which ParseDnsQuery refuses: fine either way.
    }
  }
  bulwark::sandbox::ParseHttpHead(in);
  bulwark::sandbox::ParseTlsSni(in);
  bulwark::sandbox::IsRegistryReadPath(in);
  bulwark::sandbox::RewriteRegistryUrls(in, "http://127.0.0.1:5555");
  return 0;
}
