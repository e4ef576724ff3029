// `bulwark sandbox run TARBALL [--json] [--timeout S]`: installs and loads a package inside the
// sandbox (docs/sandbox.md) and prints its run-time report. Exit codes: 0 clean or suspicious,
// 1 malicious, 2 an error.
//
// `bulwark sandbox _exec` is internal: the helper strace starts inside the namespace.

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "accounts/tokens.h"
#include "base/json.h"
#include "base/strings.h"
#include "bulwark/env/http_client.h"
#include "bulwark/env/random.h"
#include "cli/common.h"
#include "cli/sandbox_cli.h"
#include "packaging/tarball.h"
#include "sandbox/contain.h"
#include "sandbox/report.h"

namespace bulwark::cli {
namespace {

struct RunFlags {
  std::string tarball;
  bool json = false;
  int timeout = 0;
  int memory_mb = 0;
  std::string registry;
};

struct ExecFlags {
  int done_fd = -1;
  std::string limits;
  std::vector<std::string> argv;
};

int Run(const RunFlags& f) {
  auto report = RunSandboxReport(f.tarball, f.timeout, f.memory_mb, f.registry);
  if (!report.ok()) return Fail(report.status());
  if (f.json) {
    std::printf("%s\n", ToJson(*report).c_str());
  } else {
    std::printf("%s", sandbox::FormatReport(*report).c_str());
  }
  return GetString(*report, "verdict").value_or("") == sandbox::kVerdictMalicious ? 1 : 0;
}

int Exec(const ExecFlags& f) {
  sandbox::Limits l;
  auto parts = StrSplit(f.limits, ',');
  if (parts.size() == 5) {
    SimpleAtoi(parts[0], &l.cpu_seconds);
    SimpleAtoi(parts[1], &l.address_space);
    SimpleAtoi(parts[2], &l.processes);
    SimpleAtoi(parts[3], &l.open_files);
    SimpleAtoi(parts[4], &l.file_size);
  }
  return sandbox::ExecHelper(f.done_fd, f.argv, l);
}

}  // namespace

absl::StatusOr<std::string> SelfExe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return absl::InternalError("cannot find the bulwark binary");
  return std::string(buf, static_cast<size_t>(n));
}

absl::StatusOr<json::object> RunSandboxReport(const std::string& tarball, int timeout,
                                              int memory_mb, const std::string& registry_url) {
  std::ifstream in(tarball, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot read ", tarball));
  std::stringstream bytes;
  bytes << in.rdbuf();
  TarballLimits limits;
  auto manifest = ExtractPackageJson(bytes.str(), limits);
  if (!manifest.ok()) return manifest.status();
  auto parsed = ParseJson(*manifest);
  sandbox::ReportInput input;
  if (parsed.ok() && parsed->is_object()) {
    input.name = std::string(GetString(parsed->as_object(), "name").value_or(""));
    input.version = std::string(GetString(parsed->as_object(), "version").value_or(""));
  }
  sandbox::ContainOptions o;
  o.tarball = tarball;
  BULWARK_ASSIGN_OR_RETURN(o.self_exe, SelfExe());
  if (timeout > 0) o.limits.timeout_seconds = timeout;
  if (memory_mb > 0) o.limits.address_space = static_cast<uint64_t>(memory_mb) << 20;
  o.honey_token = NewTokenSecret(SystemRandom());
  input.honey_token = o.honey_token;
  std::unique_ptr<HttpClient> http;
  if (!registry_url.empty()) {
    BULWARK_ASSIGN_OR_RETURN(http, NewCurlHttpClient());
    o.registry_url = registry_url;
    o.http = http.get();
  }
  BULWARK_ASSIGN_OR_RETURN(input.run, sandbox::RunContained(o));
  return sandbox::BuildReport(input);
}

void AddSandboxCommands(CLI::App& app, CommonFlags& flags, int& exit_code) {
  CLI::App* sandbox = app.add_subcommand("sandbox", "behavioural analysis in a sandbox");
  sandbox->require_subcommand(1);
  auto run_flags = std::make_shared<RunFlags>();
  CLI::App* run = sandbox->add_subcommand("run", "install and load a tarball in the sandbox");
  run->add_option("TARBALL", run_flags->tarball, "package tarball (.tgz)")->required();
  run->add_flag("--json", run_flags->json, "print the report as JSON");
  run->add_option("--timeout", run_flags->timeout, "wall-clock limit in seconds (default 90)");
  run->add_option("--memory", run_flags->memory_mb,
                  "address-space limit per process in MiB (default 4096)");
  run->add_option("--registry", run_flags->registry,
                  "the Bulwark URL npm's registry reads inside are forwarded to (read-only, no "
                  "credentials); default: none, dependencies do not install");
  run->callback([run_flags, &exit_code] { exit_code = Run(*run_flags); });

  auto exec_flags = std::make_shared<ExecFlags>();
  CLI::App* exec = sandbox->add_subcommand("_exec", "");  // Internal: no help line.
  exec->group("");
  exec->add_option("--done-fd", exec_flags->done_fd)->required();
  exec->add_option("--limits", exec_flags->limits);
  exec->add_option("argv", exec_flags->argv)->required();
  exec->callback([exec_flags, &exit_code] { exit_code = Exec(*exec_flags); });
  AddSandboxStoreCommands(*sandbox, flags, exit_code);
}

}  // namespace bulwark::cli
