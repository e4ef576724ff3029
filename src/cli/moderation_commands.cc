// `bulwark moderation list|show|approve|remove|stats` (docs/moderation.md): the moderation queue
// from the command line, on the data directory (a running server sees the result at once).
// Exit 0 on success, 2 on error.

#include <cstdio>
#include <memory>
#include <string>

#include "base/strings.h"
#include "cli/common.h"
#include "server/app.h"

namespace bulwark::cli {
namespace {

struct ModerationFlags {
  bool all = false;
  bool json = false;
  int64_t id = 0;
  std::string note;
  std::string by = "cli";
  bool whole_package = false;
};

void PrintFindings(const json::object& report) {
  const json::array* findings = GetArray(report, "findings");
  if (!findings || findings->empty()) {
    std::printf("findings: none\n");
    return;
  }
  std::printf("findings:\n");
  for (const auto& v : *findings) {
    if (!v.is_object()) continue;
    const json::object& f = v.get_object();
    std::string where(GetString(f, "file").value_or(""));
    if (auto line = GetInt(f, "line"); line && *line > 0) where += StrCat(":", *line);
    std::printf("  [%s -> %s] %s%s%s: %s\n",
                std::string(GetString(f, "severity").value_or("")).c_str(),
                std::string(GetString(f, "suggests").value_or("")).c_str(),
                std::string(GetString(f, "rule").value_or("")).c_str(), where.empty() ? "" : " at ",
                where.c_str(), std::string(GetString(f, "explanation").value_or("")).c_str());
    if (auto e = GetString(f, "evidence"); e && !e->empty()) {
      std::printf("      evidence: %s\n", std::string(*e).c_str());
    }
  }
}

void PrintDiff(const json::object& diff) {
  std::string prev(GetString(diff, "previous").value_or(""));
  std::printf("diff against %s:\n", prev.empty() ? "nothing (first version)" : prev.c_str());
  for (std::string_view kind : {"added", "removed", "changed"}) {
    const json::array* files = GetArray(diff, kind);
    if (!files) continue;
    for (const auto& f : *files) {
      if (f.is_string()) {
        std::printf("  %s %s\n",
                    kind == "added"     ? "+"
                    : kind == "removed" ? "-"
                                        : "~",
                    std::string(f.get_string()).c_str());
      }
    }
  }
  if (const json::object* pj = GetObject(diff, "package_json"); pj && !pj->empty()) {
    std::printf("package.json changes:\n");
    for (const auto& [k, v] : *pj) {
      std::printf("  %s: %s\n", std::string(k).c_str(), ToJson(v).c_str());
    }
  }
}

int Run(const CommonFlags& flags, const ModerationFlags& mf, std::string_view what) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  ModerationService& mod = (*app)->moderation();
  if (what == "list") {
    auto cases = mod.List(mf.all);
    if (!cases.ok()) return Fail(cases.status());
    if (mf.json) {
      json::array out;
      for (const auto& c : *cases) out.emplace_back(ModerationService::CaseJson(c));
      std::printf("%s\n", ToJson(out).c_str());
      return 0;
    }
    for (const auto& c : *cases) {
      std::printf("#%lld %-6s %-8s %s%s  %s\n", static_cast<long long>(c.id), c.kind.c_str(),
                  c.state.c_str(), c.package.c_str(),
                  c.version.empty() ? "" : StrCat("@", c.version).c_str(),
                  c.reason.substr(0, 120).c_str());
    }
    std::printf("%zu %scase%s\n", cases->size(), mf.all ? "" : "open ",
                cases->size() == 1 ? "" : "s");
    return 0;
  }
  if (what == "show") {
    auto shown = mod.Show(mf.id);
    if (!shown.ok()) return Fail(shown.status());
    if (mf.json) {
      std::printf("%s\n", ToJson(*shown).c_str());
      return 0;
    }
    const json::object& o = *shown;
    std::string version(GetString(o, "version").value_or(""));
    std::printf("case #%lld: %s %s%s (%s)\n", static_cast<long long>(mf.id),
                std::string(GetString(o, "kind").value_or("")).c_str(),
                std::string(GetString(o, "package").value_or("")).c_str(),
                version.empty() ? "" : StrCat("@", version).c_str(),
                std::string(GetString(o, "state").value_or("")).c_str());
    std::printf("reason: %s\nby: %s\n", std::string(GetString(o, "reason").value_or("")).c_str(),
                std::string(GetString(o, "reporter").value_or("")).c_str());
    if (const json::object* scan = GetObject(o, "scan")) {
      std::printf("scan: verdict %s, action %s, publisher %s (%s)\n",
                  std::string(GetString(*scan, "verdict").value_or("")).c_str(),
                  std::string(GetString(*scan, "action").value_or("")).c_str(),
                  std::string(GetString(*scan, "publisher").value_or("")).c_str(),
                  GetBool(*scan, "publisher_2fa").value_or(false) ? "2FA" : "no 2FA");
      if (const json::object* report = GetObject(*scan, "report")) PrintFindings(*report);
      if (const json::object* diff = GetObject(*scan, "diff")) PrintDiff(*diff);
    } else {
      std::printf("scan: none on record\n");
    }
    const json::value* sandbox = o.if_contains("sandbox");
    std::printf("sandbox report: %s\n",
                sandbox && !sandbox->is_null() ? ToJson(*sandbox).c_str() : "none");
    return 0;
  }
  if (what == "approve") {
    absl::Status s = mod.Approve(mf.id, mf.by, mf.note);
    if (!s.ok()) return Fail(s);
    std::printf("case #%lld approved\n", static_cast<long long>(mf.id));
    return 0;
  }
  if (what == "remove") {
    auto removed = mod.Remove(mf.id, mf.by, mf.whole_package, mf.note);
    if (!removed.ok()) return Fail(removed.status());
    std::printf("case #%lld: removed %s as malicious%s; drafted advisory %s\n",
                static_cast<long long>(mf.id), StrJoin(removed->versions, ", ").c_str(),
                removed->placeholder ? ", replaced by the 0.0.1-security placeholder" : "",
                removed->advisory_id.c_str());
    return 0;
  }
  if (what == "stats") {
    auto stats = mod.Stats();
    if (!stats.ok()) return Fail(stats.status());
    if (mf.json) {
      std::printf("%s\n", ToJson(*stats).c_str());
      return 0;
    }
    for (const auto& [k, v] : *stats) {
      std::printf("%s: %s\n", std::string(k).c_str(), ToJson(v).c_str());
    }
    return 0;
  }
  return 2;
}

}  // namespace

void AddModerationCommands(CLI::App& app, CommonFlags& flags, int& exit_code) {
  static ModerationFlags mf;
  CLI::App* mod = app.add_subcommand("moderation", "the moderation queue: held versions, reports");
  mod->require_subcommand(1);
  auto add = [&](const char* name, const char* help) {
    CLI::App* c = mod->add_subcommand(name, help);
    AddCommonFlags(c, flags);
    std::string what = name;
    c->callback([&flags, &exit_code, what] { exit_code = Run(flags, mf, what); });
    return c;
  };
  CLI::App* list = add("list", "open cases, oldest first");
  list->add_flag("--all", mf.all, "include decided cases");
  list->add_flag("--json", mf.json, "print JSON");
  CLI::App* show = add("show", "a case with its findings, diff and sandbox report");
  show->add_option("ID", mf.id, "case number")->required();
  show->add_flag("--json", mf.json, "print JSON");
  CLI::App* approve = add("approve", "publish a held version, or dismiss a report");
  approve->add_option("ID", mf.id, "case number")->required();
  approve->add_option("--note", mf.note, "why");
  approve->add_option("--by", mf.by, "moderator name recorded (default cli)");
  CLI::App* remove = add("remove", "remove as malicious and draft a malware advisory");
  remove->add_option("ID", mf.id, "case number")->required();
  remove->add_flag("--whole-package", mf.whole_package,
                   "remove every version and publish the 0.0.1-security placeholder");
  remove->add_option("--note", mf.note, "why (goes into the advisory)");
  remove->add_option("--by", mf.by, "moderator name recorded (default cli)");
  CLI::App* stats = add("stats", "versions scanned, held, rejected, removed; tokens revoked");
  stats->add_flag("--json", mf.json, "print JSON");
}

}  // namespace bulwark::cli
