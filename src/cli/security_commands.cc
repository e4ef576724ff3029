// `bulwark events [--user U] [--kind PREFIX] [--limit N] [--json]`: the security event log,
// for administrators (users see their own at GET /-/bulwark/v1/events); `bulwark stats
// [--json]`: the registry's statistics, by section (docs/security.md).

#include <cstdio>
#include <memory>

#include "base/json.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "cli/common.h"
#include "server/app.h"

namespace bulwark::cli {
namespace {

struct EventsFlags {
  std::string user;
  std::string kind;
  size_t limit = 100;
  bool json = false;
};

int Events(const CommonFlags& flags, const EventsFlags& f) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  EventQuery q;
  q.user = f.user;
  q.kind_prefix = f.kind;
  q.limit = f.limit;
  auto events = (*app)->security().ListEvents(q);
  if (!events.ok()) return Fail(events.status());
  if (f.json) {
    json::array list;
    for (const auto& e : *events) {
      list.push_back(json::object{{"id", e.id},           {"time", FormatIsoTime(e.time)},
                                  {"kind", e.kind},       {"user", e.user},
                                  {"address", e.address}, {"package", e.package},
                                  {"detail", e.detail}});
    }
    std::printf("%s\n", ToJson(list).c_str());
    return 0;
  }
  for (const auto& e : *events) {
    std::printf("%s  %-24s %-16s %-15s %s%s%s\n", FormatIsoTime(e.time).c_str(), e.kind.c_str(),
                e.user.empty() ? "-" : e.user.c_str(), e.address.empty() ? "-" : e.address.c_str(),
                e.package.c_str(), e.package.empty() ? "" : "  ", e.detail.c_str());
  }
  if (events->empty()) std::printf("no events\n");
  return 0;
}

void PrintSection(const std::string& prefix, const json::object& o) {
  for (const auto& [k, v] : o) {
    std::string key = StrCat(prefix, std::string_view(k));
    if (v.is_object()) {
      PrintSection(key + ".", v.get_object());
    } else if (v.is_double()) {
      std::printf("  %-58s %.4g\n", key.c_str(), v.get_double());  // Not Boost's "5E-1".
    } else {
      std::printf("  %-58s %s\n", key.c_str(), ToJson(v).c_str());
    }
  }
}

int Stats(const CommonFlags& flags, bool as_json) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  json::object report = (*app)->stats().Collect();
  if (as_json) {
    std::printf("%s\n", ToJson(report).c_str());
    return 0;
  }
  for (const auto& [name, section] : report) {
    std::printf("%s\n", std::string(name).c_str());
    if (section.is_object()) PrintSection("", section.get_object());
  }
  return 0;
}

}  // namespace

void AddSecurityCommands(CLI::App& app, CommonFlags& flags, int& exit_code) {
  auto ef = std::make_shared<EventsFlags>();
  CLI::App* events = app.add_subcommand("events", "Show the security event log (newest first)");
  AddCommonFlags(events, flags);
  events->add_option("--user", ef->user, "only this user's events");
  events->add_option("--kind", ef->kind, "only kinds starting with this (login., token., ...)");
  events->add_option("--limit", ef->limit, "at most this many (default 100)")
      ->check(CLI::Range(1, 100000));
  events->add_flag("--json", ef->json, "print JSON");
  events->callback([&flags, ef, &exit_code] { exit_code = Events(flags, *ef); });

  auto stats_json = std::make_shared<bool>(false);
  CLI::App* stats = app.add_subcommand("stats", "Show registry statistics by section");
  AddCommonFlags(stats, flags);
  stats->add_flag("--json", *stats_json, "print JSON");
  stats->callback([&flags, stats_json, &exit_code] { exit_code = Stats(flags, *stats_json); });
}

}  // namespace bulwark::cli
