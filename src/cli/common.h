#pragma once
// What the `bulwark` subcommands share: the flags every command takes and how they become a
// Config, and the one way to report an error (exit code 2).

#include <CLI/CLI.hpp>
#include <string>

#include "bulwark/base/status.h"
#include "server/config.h"

namespace bulwark::cli {

struct CommonFlags {
  std::string config;
  std::string listen;
  std::string data;
  std::string uplink;  // `serve --uplink URL` (docs/proxy.md).
};

// Adds --config and --data to `cmd`, stored in `flags`.
void AddCommonFlags(CLI::App* cmd, CommonFlags& flags);
absl::StatusOr<Config> BuildConfig(const CommonFlags& flags);
// Prints "bulwark: <message>" on stderr and returns 2.
int Fail(const absl::Status& s);

// Subcommand families in their own files. Each registers its commands on `app`; when one of
// them runs (from CLI11's parse), it stores its exit code in `exit_code`.
void AddTyposquatCommands(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddDoctorCommand(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddAdvisoriesCommands(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddAuditCommand(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddPasswordsCommands(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddSecurityCommands(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddKeysCommands(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddModerationCommands(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddScanCommand(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddDomainsCommands(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddRecoveryCommands(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddProxyCommands(CLI::App& app, CommonFlags& flags, int& exit_code);
void AddSandboxCommands(CLI::App& app, CommonFlags& flags, int& exit_code);

}  // namespace bulwark::cli
