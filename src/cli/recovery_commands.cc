// `bulwark recovery list [--all] [--json] | approve ID [--by NAME] [--url URL] | reject ID`:
// admin review of account recovery requests (docs/email.md §Account recovery). Approving prints
// a one-time password-setting link for the administrator to deliver out of band, after checking
// the requester's identity. Exit 0 on success, 2 on error.

#include <cstdio>
#include <memory>
#include <string>

#include "base/json.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "cli/common.h"
#include "server/app.h"

namespace bulwark::cli {
namespace {

struct RecoveryFlags {
  bool all = false;
  bool json = false;
  int64_t id = 0;
  std::string by = "cli";
  std::string url;
};

const char* StateName(RecoveryState s) {
  switch (s) {
    case RecoveryState::kOpen: return "open";
    case RecoveryState::kApproved: return "approved";
    case RecoveryState::kRejected: return "rejected";
    case RecoveryState::kCompleted: return "completed";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<App>> OpenWithEmail(const CommonFlags& flags) {
  BULWARK_ASSIGN_OR_RETURN(Config config, BuildConfig(flags));
  BULWARK_ASSIGN_OR_RETURN(std::unique_ptr<App> app, App::Open(config));
  if (!app->email_security()) {
    return absl::FailedPreconditionError(
        "mail is not configured (email.transport: none): there are no recovery requests");
  }
  return app;
}

int List(const CommonFlags& flags, const RecoveryFlags& f) {
  auto app = OpenWithEmail(flags);
  if (!app.ok()) return Fail(app.status());
  auto list = (*app)->email_security()->ListRecovery(!f.all);
  if (!list.ok()) return Fail(list.status());
  if (f.json) {
    json::array out;
    for (const auto& r : *list) {
      out.push_back(json::object{{"id", r.id},
                                 {"user", r.user},
                                 {"contact", r.contact},
                                 {"message", r.message},
                                 {"address", r.address},
                                 {"state", StateName(r.state)},
                                 {"created", FormatIsoTime(r.created)},
                                 {"decided_by", r.decided_by}});
    }
    std::printf("%s\n", ToJson(out).c_str());
    return 0;
  }
  for (const auto& r : *list) {
    auto user = (*app)->store().GetUser(r.user);
    std::printf("#%lld  %s  %-9s user %s%s  from %s\n    contact: %s\n    message: %s\n",
                static_cast<long long>(r.id), FormatIsoTime(r.created).c_str(), StateName(r.state),
                r.user.c_str(), user.ok() ? "" : " (no such account)",
                r.address.empty() ? "-" : r.address.c_str(), r.contact.c_str(), r.message.c_str());
  }
  if (list->empty()) std::printf("no %srecovery requests\n", f.all ? "" : "open ");
  return 0;
}

int Decide(const CommonFlags& flags, const RecoveryFlags& f, bool approve) {
  auto app = OpenWithEmail(flags);
  if (!app.ok()) return Fail(app.status());
  if (!approve) {
    absl::Status s = (*app)->email_security()->RejectRecovery(f.id, f.by);
    if (!s.ok()) return Fail(s);
    std::printf("rejected recovery request %lld\n", static_cast<long long>(f.id));
    return 0;
  }
  std::string base = f.url.empty() ? (*app)->config().api.public_url : f.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.empty()) {
    return Fail(absl::InvalidArgumentError(
        "the link needs the registry's address: set public_url in the config or pass --url"));
  }
  auto link = (*app)->email_security()->ApproveRecovery(f.id, f.by, base);
  if (!link.ok()) return Fail(link.status());
  std::printf("approved recovery request %lld. Deliver this one-time link to the requester "
              "through the channel you verified (it expires in %lld hours):\n%s\n",
              static_cast<long long>(f.id),
              static_cast<long long>(absl::ToInt64Hours(
                  (*app)->config().email.security.recovery_link_lifetime)),
              link->c_str());
  return 0;
}

}  // namespace

void AddRecoveryCommands(CLI::App& app, CommonFlags& flags, int& exit_code) {
  auto f = std::make_shared<RecoveryFlags>();
  CLI::App* rec = app.add_subcommand("recovery", "review account recovery requests");
  rec->require_subcommand(1);
  CLI::App* list = rec->add_subcommand("list", "list open recovery requests");
  AddCommonFlags(list, flags);
  list->add_flag("--all", f->all, "include decided requests");
  list->add_flag("--json", f->json, "print JSON");
  list->callback([&flags, f, &exit_code] { exit_code = List(flags, *f); });
  CLI::App* approve = rec->add_subcommand("approve", "approve a request: prints a one-time link");
  AddCommonFlags(approve, flags);
  approve->add_option("ID", f->id, "request id")->required();
  approve->add_option("--by", f->by, "administrator's name, for the event log");
  approve->add_option("--url", f->url, "registry base URL for the link (default: public_url)");
  approve->callback([&flags, f, &exit_code] { exit_code = Decide(flags, *f, true); });
  CLI::App* reject = rec->add_subcommand("reject", "reject a request");
  AddCommonFlags(reject, flags);
  reject->add_option("ID", f->id, "request id")->required();
  reject->add_option("--by", f->by, "administrator's name, for the event log");
  reject->callback([&flags, f, &exit_code] { exit_code = Decide(flags, *f, false); });
}

}  // namespace bulwark::cli
