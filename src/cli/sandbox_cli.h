#pragma once
// What the sandbox commands share (sandbox_commands.cc, sandbox_store_commands.cc).

#include <CLI/CLI.hpp>
#include <string>

#include "base/json.h"
#include "bulwark/base/status.h"
#include "cli/common.h"

namespace bulwark::cli {

// Runs `tarball` in the sandbox and returns its report (docs/sandbox.md §Reports). With a
// `registry_url`, npm's registry reads inside are forwarded there (dependencies install).
absl::StatusOr<json::object> RunSandboxReport(const std::string& tarball, int timeout_seconds,
                                              int memory_mb = 0,
                                              const std::string& registry_url = "");
absl::StatusOr<std::string> SelfExe();
void AddSandboxStoreCommands(CLI::App& sandbox, CommonFlags& flags, int& exit_code);

}  // namespace bulwark::cli
