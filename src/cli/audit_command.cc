// `bulwark audit LOCKFILE [--json] [--audit-level LEVEL]`: the packages a package-lock.json
// (v1-v3), npm-shrinkwrap.json, pnpm-lock.yaml or yarn.lock installs, checked offline against
// this registry's advisory database (docs/advisories.md). The report reads like `npm audit`'s;
// the exit code is npm's: 1 when something at or above the audit level (default low) is found,
// 0 otherwise; 2 when the lockfile or the database cannot be read.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "base/json.h"
#include "base/strings.h"
#include "cli/common.h"
#include "security/advisories/index.h"
#include "security/advisories/lockfile.h"
#include "security/advisories/records.h"
#include "security/advisories/report.h"
#include "server/app.h"

namespace bulwark::cli {
namespace {

namespace adv = advisories;

absl::StatusOr<std::string> ReadLockfile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(StrCat("cannot read ", path));
  const std::streamoff size = in.tellg();
  if (size < 0) return absl::NotFoundError(StrCat("cannot read ", path));
  if (static_cast<uint64_t>(size) > adv::kMaxLockfileBytes) {
    return absl::InvalidArgumentError(
        StrCat(path, " is larger than ", adv::kMaxLockfileBytes >> 20, " MiB"));
  }
  in.seekg(0);
  std::string data(static_cast<size_t>(size), '\0');
  in.read(data.data(), size);
  if (in.gcount() != size) return absl::NotFoundError(StrCat("cannot read ", path));
  return data;
}

int Audit(const CommonFlags& flags, std::string path, bool as_json, const std::string& level) {
  if (!adv::ValidAuditLevel(level)) {
    return Fail(absl::InvalidArgumentError(
        StrCat("--audit-level must be one of info, low, moderate, high, critical, none (not \"",
               level, "\")")));
  }
  // A project folder: its lockfile, in npm's order of preference.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::string found;
    for (const char* name :
         {"npm-shrinkwrap.json", "package-lock.json", "pnpm-lock.yaml", "yarn.lock"}) {
      if (std::filesystem::exists(std::filesystem::path(path) / name, ec)) {
        found = (std::filesystem::path(path) / name).string();
        break;
      }
    }
    if (found.empty()) {
      return Fail(absl::NotFoundError(StrCat("no lockfile in ", path)));
    }
    path = found;
  }
  auto text = ReadLockfile(path);
  if (!text.ok()) return Fail(text.status());
  auto lockfile = adv::ParseLockfile(*text, std::filesystem::path(path).filename().string());
  if (!lockfile.ok()) {
    return Fail(absl::InvalidArgumentError(StrCat(path, ": ", lockfile.status().message())));
  }
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  std::vector<std::string> names;
  for (const adv::LockedPackage& p : lockfile->packages) {
    if (names.empty() || names.back() != p.name) names.push_back(p.name);
  }
  auto records = (*app)->advisories().ListForPackages(names);
  if (!records.ok()) return Fail(records.status());
  std::vector<adv::Advisory> list;
  for (const AdvisoryRecord& r : *records) {
    auto a = adv::FromRecord(r);
    if (!a.ok()) return Fail(a.status());
    list.push_back(std::move(*a));
  }
  const adv::AdvisoryIndex index(std::move(list));
  const adv::AuditReport report = adv::Audit(*lockfile, index);
  if (as_json) {
    std::printf("%s\n", ToJson(adv::RenderAuditJson(report)).c_str());
  } else {
    std::fputs(adv::RenderAuditText(report).c_str(), stdout);
  }
  return adv::AuditExitCode(report, level);
}

}  // namespace

void AddAuditCommand(CLI::App& app, CommonFlags& flags, int& exit_code) {
  struct State {
    std::string path;
    bool json = false;
    std::string level = "low";
  };
  auto st = std::make_shared<State>();
  CLI::App* audit = app.add_subcommand(
      "audit",
      "check a lockfile (package-lock.json, pnpm-lock.yaml, yarn.lock) offline against "
      "the advisory database");
  AddCommonFlags(audit, flags);
  audit->add_option("LOCKFILE", st->path, "the lockfile, or a project folder holding one")
      ->required();
  audit->add_flag("--json", st->json, "print the report as JSON (npm audit --json's shape)");
  audit->add_option("--audit-level", st->level,
                    "exit 1 only for findings at or above: info, low (default), moderate, high, "
                    "critical, none");
  audit->callback(
      [&flags, &exit_code, st] { exit_code = Audit(flags, st->path, st->json, st->level); });
}

}  // namespace bulwark::cli
