#include "cli/cli.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "base/log.h"
#include "bulwark/env/clock.h"
#include "cli/common.h"
#include "packaging/fsck.h"
#include "server/app.h"
#include "server/config.h"
#include "server/proxy_config.h"

namespace bulwark::cli {

void AddCommonFlags(CLI::App* cmd, CommonFlags& flags) {
  cmd->add_option("--config", flags.config, "YAML config file (docs/config.md)");
  cmd->add_option("--data", flags.data, "data directory (default ./data)");
}

absl::StatusOr<Config> BuildConfig(const CommonFlags& f) {
  Config config;
  if (!f.config.empty()) {
    BULWARK_ASSIGN_OR_RETURN(config, LoadConfigFile(f.config));
  }
  if (!f.listen.empty()) BULWARK_RETURN_IF_ERROR(ApplyListen(config, f.listen));
  if (!f.data.empty()) config.data_dir = f.data;
  if (!f.uplink.empty()) BULWARK_RETURN_IF_ERROR(ApplyUplinkFlag(f.uplink, config.proxy));
  if (config.log_level == "debug") SetLogLevel(LogLevel::kDebug);
  else if (config.log_level == "warning") SetLogLevel(LogLevel::kWarning);
  else if (config.log_level == "error") SetLogLevel(LogLevel::kError);
  return config;
}

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "bulwark: %s\n", std::string(s.message()).c_str());
  return 2;
}

namespace {

int Serve(const CommonFlags& flags) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  // Block SIGINT/SIGTERM in every thread; one thread waits for them and stops the server.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto app = App::Open(*config, App::Mode::kServe);
  if (!app.ok()) return Fail(app.status());
  absl::Status s = (*app)->Listen();
  if (!s.ok()) return Fail(s);
  std::string host = config->server.host.find(':') != std::string::npos
                         ? "[" + config->server.host + "]"
                         : config->server.host;
  // Tests read this line to learn the port when listening on port 0.
  std::printf("bulwark listening on http://%s:%u (data in %s)\n", host.c_str(), (*app)->port(),
              config->data_dir.c_str());
  std::fflush(stdout);
  App* raw = app->get();
  std::thread waiter([raw, set] {
    int sig = 0;
    sigwait(&set, &sig);
    LogInfo("received signal %d; shutting down", sig);
    raw->Stop();
  });
  raw->Run();
  // Wake the waiter if Run returned on its own.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return 0;
}

int UserAdd(const CommonFlags& flags, const std::string& name, const std::string& email,
            bool password_stdin, bool admin, bool unverified) {
  if (!password_stdin) {
    std::fprintf(stderr, "bulwark: pass the password on standard input with --password-stdin\n");
    return 2;
  }
  std::string password;
  std::getline(std::cin, password);
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  auto user = (*app)->accounts().CreateUser(name, email, password, admin);
  if (!user.ok()) return Fail(user.status());
  if (!unverified) {
    // The administrator vouches for the address (docs/email.md): it may be used for password
    // reset and satisfies email.require_verified_to_publish.
    UserRecord u = *user;
    u.email_verified = RealClock().Now();
    if (absl::Status s = (*app)->store().UpdateUser(u); !s.ok()) return Fail(s);
  }
  std::printf("created user %s <%s>%s\n", user->name.c_str(), user->email.c_str(),
              admin ? " (admin)" : "");
  return 0;
}

int Fsck(const CommonFlags& flags) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  auto report = CheckRegistry((*app)->store(), (*app)->blobs());
  if (!report.ok()) return Fail(report.status());
  for (const auto& p : report->problems) std::printf("problem: %s\n", p.c_str());
  std::printf("checked %zu packages, %zu versions, %zu tarballs: %zu problems\n",
              report->packages, report->versions, report->blobs_checked, report->problems.size());
  return report->problems.empty() ? 0 : 1;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"Bulwark: an npm registry built for supply-chain security"};
  app.require_subcommand(1);
  CommonFlags flags;
  auto add_common = [&](CLI::App* cmd) { AddCommonFlags(cmd, flags); };

  CLI::App* serve = app.add_subcommand("serve", "run the registry");
  add_common(serve);
  serve->add_option("--listen", flags.listen, "HOST:PORT to listen on (default 127.0.0.1:4873)");
  serve->add_option("--uplink", flags.uplink,
                    "proxy every name that is not local or private to this registry URL "
                    "(docs/proxy.md)");

  CLI::App* user = app.add_subcommand("user", "manage users");
  user->require_subcommand(1);
  CLI::App* user_add = user->add_subcommand("add", "create a user");
  add_common(user_add);
  std::string name, email;
  bool password_stdin = false, admin = false;
  user_add->add_option("NAME", name, "user name")->required();
  user_add->add_option("--email", email, "email address")->required();
  user_add->add_flag("--password-stdin", password_stdin, "read the password from standard input");
  user_add->add_flag("--admin", admin, "make the user an administrator");
  bool unverified = false;
  user_add->add_flag("--unverified", unverified,
                     "do not mark the email address as verified (the user verifies it by link)");

  CLI::App* fsck = app.add_subcommand("fsck", "check that every tarball exists and matches");
  add_common(fsck);

  // Commands in their own files run from CLI11's callbacks and leave their exit code here.
  int exit_code = -1;
  AddTyposquatCommands(app, flags, exit_code);
  AddDoctorCommand(app, flags, exit_code);
  AddAdvisoriesCommands(app, flags, exit_code);
  AddAuditCommand(app, flags, exit_code);
  AddPasswordsCommands(app, flags, exit_code);
  AddSecurityCommands(app, flags, exit_code);
  AddKeysCommands(app, flags, exit_code);
  AddModerationCommands(app, flags, exit_code);
  AddScanCommand(app, flags, exit_code);
  AddDomainsCommands(app, flags, exit_code);
  AddRecoveryCommands(app, flags, exit_code);
  AddProxyCommands(app, flags, exit_code);
  AddSandboxCommands(app, flags, exit_code);

  CLI11_PARSE(app, argc, argv);
  if (exit_code >= 0) return exit_code;
  if (serve->parsed()) return Serve(flags);
  if (user_add->parsed()) return UserAdd(flags, name, email, password_stdin, admin, unverified);
  if (fsck->parsed()) return Fsck(flags);
  return 2;
}

}  // namespace bulwark::cli
