#include "base/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/time/clock.h"
#include "base/time_format.h"

namespace bulwark {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

void LogLine(LogLevel level, std::string_view message) {
  static constexpr char kLetters[] = "DIWE";
  // Logging is the one place allowed to read the wall clock directly: it has no logic to test.
  std::string line = FormatIsoTime(absl::Now());
  line += ' ';
  line += kLetters[static_cast<int>(level)];
  line += ' ';
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace bulwark
