// `bulwark typosquat check|audit|allow|disallow|protect|unprotect` and
// `bulwark popularity import`.
//
// Exit codes: check and audit exit 0 when nothing is suspicious, 1 when a name would be warned,
// held or blocked at publish (check) or a suspicious pair was found (audit), 2 on error.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "absl/strings/str_format.h"
#include "base/json.h"
#include "base/strings.h"
#include "cli/common.h"
#include "server/app.h"

namespace bulwark::cli {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::unique_ptr<App>> OpenWithPolicy(const CommonFlags& flags) {
  BULWARK_ASSIGN_OR_RETURN(Config config, BuildConfig(flags));
  BULWARK_ASSIGN_OR_RETURN(std::unique_ptr<App> app, App::Open(config));
  BULWARK_RETURN_IF_ERROR(app->LoadNamePolicy());
  return app;
}

json::object MatchJson(const typosquat::Match& m) {
  json::array checks;
  for (const auto& c : m.checks) checks.emplace_back(c);
  return json::object{{"target", m.target},
                      {"target_downloads", m.target_downloads},
                      {"checks", std::move(checks)},
                      {"score", m.score},
                      {"verdict", std::string(typosquat::VerdictName(m.verdict))}};
}

json::array MatchesJson(const typosquat::Result& r) {
  json::array out;
  for (const auto& m : r.matches) out.push_back(MatchJson(m));
  return out;
}

void PrintMatches(const typosquat::Result& r) {
  for (const auto& m : r.matches) {
    std::printf("  %-5s %s (%llu downloads/month) score %.2f: %s\n",
                std::string(typosquat::VerdictName(m.verdict)).c_str(), m.target.c_str(),
                static_cast<unsigned long long>(m.target_downloads), m.score,
                StrJoin(m.checks, ", ").c_str());
  }
}

int Check(const CommonFlags& flags, const std::vector<std::string>& names, bool as_json) {
  auto app = OpenWithPolicy(flags);
  if (!app.ok()) return Fail(app.status());
  NamePolicy& policy = *(*app)->name_policy();
  json::array results;
  bool suspicious = false;
  for (const auto& name : names) {
    // Anonymous: what a publisher who owns nothing here would meet.
    auto d = policy.Decide(std::nullopt, name);
    if (!d.ok()) return Fail(d.status());
    suspicious |= d->action != NameDecision::Action::kAllow;
    if (as_json) {
      results.push_back(json::object{{"name", name},
                                     {"verdict", std::string(typosquat::VerdictName(d->verdict))},
                                     {"rule", d->rule},
                                     {"allow_listed", d->allow_listed},
                                     {"message", d->message},
                                     {"matches", MatchesJson(d->result)}});
      continue;
    }
    std::printf("%s: %s%s\n", name.c_str(), std::string(typosquat::VerdictName(d->verdict)).c_str(),
                d->allow_listed ? " (allow-listed: publishes anyway)" : "");
    if (d->rule == "private-scope" || d->rule == "reserved-name") {
      std::printf("  %s\n", d->message.c_str());
    }
    PrintMatches(d->result);
  }
  if (as_json) std::printf("%s\n", ToJson(results).c_str());
  return suspicious ? 1 : 0;
}

// A progress bar on stderr, drawn only when stderr is a terminal (not in logs or CI output).
class Progress {
 public:
  explicit Progress(size_t total) : total_(total), tty_(isatty(STDERR_FILENO) == 1) {}
  void Update(size_t done) {
    if (!tty_ || total_ == 0) return;
    size_t step = std::max<size_t>(1, total_ / 200);
    if (done % step != 0 && done != total_) return;
    constexpr int kWidth = 40;
    int filled = static_cast<int>(kWidth * done / total_);
    std::fprintf(stderr, "\r[%s%s] %zu/%zu names", std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), done, total_);
    if (done == total_) std::fprintf(stderr, "\n");
  }

 private:
  size_t total_;
  bool tty_;
};

int Audit(const CommonFlags& flags, const std::string& names_file, bool as_json) {
  auto app = OpenWithPolicy(flags);
  if (!app.ok()) return Fail(app.status());
  NamePolicy& policy = *(*app)->name_policy();
  auto packages = (*app)->store().ListPackages();
  if (!packages.ok()) return Fail(packages.status());
  if (absl::Status s = policy.RefreshPrivateNames(*packages); !s.ok()) return Fail(s);

  // Each name is checked with the packages its own maintainers hold, so a family of packages
  // by one owner (`foo`, `foo-cli`) is not reported as squatting on itself.
  std::map<std::string, std::vector<std::string>> by_user;
  std::map<std::string, const PackageSummary*> by_name;
  for (const auto& p : *packages) {
    by_name[p.name] = &p;
    for (const auto& u : p.maintainers) by_user[u].push_back(p.name);
  }
  std::vector<std::string> names;
  if (!names_file.empty()) {
    auto text = ReadFile(names_file);
    if (!text.ok()) return Fail(text.status());
    for (std::string_view line : StrSplit(*text, '\n', SkipEmpty())) {
      line = StripAsciiWhitespace(line);
      if (!line.empty() && line[0] != '#') names.emplace_back(line);
    }
  } else {
    for (const auto& p : *packages) names.push_back(p.name);
  }

  Progress progress(names.size());
  std::vector<typosquat::Result> found;
  for (size_t i = 0; i < names.size(); ++i) {
    typosquat::Context context;
    if (auto it = by_name.find(names[i]); it != by_name.end()) {
      std::set<std::string> own;
      for (const auto& u : it->second->maintainers)
        own.insert(by_user[u].begin(), by_user[u].end());
      context.owner_packages.assign(own.begin(), own.end());
    }
    typosquat::Result r = policy.Match(names[i], context);
    if (r.verdict != typosquat::Verdict::kClean) found.push_back(std::move(r));
    progress.Update(i + 1);
  }

  if (as_json) {
    json::array suspicious;
    for (const auto& r : found) {
      suspicious.push_back(json::object{{"name", r.name},
                                        {"verdict", std::string(typosquat::VerdictName(r.verdict))},
                                        {"matches", MatchesJson(r)}});
    }
    std::printf("%s\n", ToJson(json::object{{"scanned", names.size()},
                                            {"suspicious", std::move(suspicious)}})
                            .c_str());
  } else {
    for (const auto& r : found) {
      std::printf("%s: %s\n", r.name.c_str(),
                  std::string(typosquat::VerdictName(r.verdict)).c_str());
      PrintMatches(r);
    }
    std::printf("scanned %zu names: %zu suspicious\n", names.size(), found.size());
  }
  return found.empty() ? 0 : 1;
}

int Allow(const CommonFlags& flags, const std::string& name, bool allow) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  MetadataStore& store = (*app)->store();
  if (allow) {
    absl::Status s = store.AddAllowedName({name, "cli", RealClock().Now()});
    if (!s.ok()) return Fail(s);
    // The gate reads the allow-list on every new name, so a running server applies it at once.
    std::printf("allowed %s: it skips the typosquat checks at publish\n", name.c_str());
  } else {
    absl::Status s = store.RemoveAllowedName(name);
    if (!s.ok()) return Fail(s);
    std::printf("removed %s from the allow-list\n", name.c_str());
  }
  return 0;
}

int Protect(const CommonFlags& flags, const std::string& name, bool protect) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  MetadataStore& store = (*app)->store();
  absl::Status s = protect ? store.AddProtectedName({name, "cli", RealClock().Now()})
                           : store.RemoveProtectedName(name);
  if (!s.ok()) return Fail(s);
  std::printf(protect ? "protected %s: names resembling it are checked like a popular package's; "
                        "a running server uses it after a restart\n"
                      : "%s is no longer protected (after a restart)\n",
              name.c_str());
  return 0;
}

int ImportPopularity(const CommonFlags& flags, const std::string& file) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto bytes = ReadFile(file);
  if (!bytes.ok()) return Fail(bytes.status());
  auto parsed = typosquat::ParsePopularityTsv(*bytes);
  if (!parsed.ok()) return Fail(parsed.status());
  std::vector<PopularityEntry> entries;
  entries.reserve(parsed->size());
  for (auto& n : *parsed) entries.push_back({std::move(n.name), n.downloads});
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  if (absl::Status s = (*app)->store().SetPopularity(entries); !s.ok()) return Fail(s);
  std::printf(
      "imported popularity of %zu names (replacing the previous import); a running "
      "server uses them after a restart\n",
      entries.size());
  return 0;
}

}  // namespace

void AddTyposquatCommands(CLI::App& app, CommonFlags& flags, int& exit_code) {
  CLI::App* typo = app.add_subcommand("typosquat", "look-alike package names");
  typo->require_subcommand(1);

  struct State {
    std::vector<std::string> names;
    std::string name, names_file, file;
    bool json = false;
  };
  auto st = std::make_shared<State>();

  CLI::App* check = typo->add_subcommand(
      "check", "verdict (clean, warn, hold, block) of names, with what they resemble");
  AddCommonFlags(check, flags);
  check->add_option("NAME", st->names, "package names")->required();
  check->add_flag("--json", st->json, "print JSON");
  check->callback([&flags, &exit_code, st] { exit_code = Check(flags, st->names, st->json); });

  CLI::App* audit = typo->add_subcommand("audit", "list suspicious names among the registry's");
  AddCommonFlags(audit, flags);
  audit->add_option("--names", st->names_file, "check the names in FILE (one a line) instead");
  audit->add_flag("--json", st->json, "print JSON");
  audit->callback([&flags, &exit_code, st] { exit_code = Audit(flags, st->names_file, st->json); });

  CLI::App* allow = typo->add_subcommand("allow", "let NAME be published whatever it resembles");
  AddCommonFlags(allow, flags);
  allow->add_option("NAME", st->name, "package name")->required();
  allow->callback([&flags, &exit_code, st] { exit_code = Allow(flags, st->name, true); });

  CLI::App* disallow = typo->add_subcommand("disallow", "remove NAME from the allow-list");
  AddCommonFlags(disallow, flags);
  disallow->add_option("NAME", st->name, "package name")->required();
  disallow->callback([&flags, &exit_code, st] { exit_code = Allow(flags, st->name, false); });

  CLI::App* protect = typo->add_subcommand(
      "protect", "protect NAME (a brand, an internal name) as if it were popular");
  AddCommonFlags(protect, flags);
  protect->add_option("NAME", st->name, "package name")->required();
  protect->callback([&flags, &exit_code, st] { exit_code = Protect(flags, st->name, true); });

  CLI::App* unprotect = typo->add_subcommand("unprotect", "stop protecting NAME");
  AddCommonFlags(unprotect, flags);
  unprotect->add_option("NAME", st->name, "package name")->required();
  unprotect->callback([&flags, &exit_code, st] { exit_code = Protect(flags, st->name, false); });

  CLI::App* popularity = app.add_subcommand("popularity",
                                            "download counts behind typosquat "
                                            "protection");
  popularity->require_subcommand(1);
  CLI::App* import = popularity->add_subcommand(
      "import", "replace the imported popularity with FILE (TSV name<TAB>downloads, gzip or not)");
  AddCommonFlags(import, flags);
  import->add_option("FILE", st->file, "TSV file")->required();
  import->callback([&flags, &exit_code, st] { exit_code = ImportPopularity(flags, st->file);
});
}  // namespace bulwark::cli

}  // namespace bulwark::cli
