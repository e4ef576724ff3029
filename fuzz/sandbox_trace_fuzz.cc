// The sandbox recorder's parser (src/sandbox/trace.h) and the report built from it: the trace
// holds paths, argv and environment strings the package chose.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sandbox/report.h"
#include "sandbox/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  bulwark::sandbox::ReportInput r;
  r.name = "pkg";
  r.version = "1.0.0";
  r.honey_token = "bwk_000000000000000000000000000000000000";
  r.run.trace = in;
  r.run.sinks = in;
  r.run.left_running = in;
  bulwark::sandbox::BuildReport(r);
  return 0;
}
