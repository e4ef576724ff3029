// Sandbox endpoints (docs/sandbox.md §API):
//   GET  /-/bulwark/v1/reports/<name>/<version>   the run-time report (maintainers and admins)
//   POST /-/bulwark/v1/sandbox/queue {name, version}   queue a run (admins)
// Reports are not public: they show exactly what the analysis observed, which would teach a
// malware author how to stay below it, and they hold the run's decoy token.

#include "api/registry_api.h"
#include "api/routes.h"
#include "base/strings.h"
#include "sandbox/service.h"

namespace bulwark {

std::optional<http::Response> RegistryApi::SandboxRoute(Ctx& ctx, const std::string& p) {
  static constexpr std::string_view kReports = "/-/bulwark/v1/reports/";
  const std::string& m = ctx.req.method;
  const bool get = m == "GET" || m == "HEAD";
  const bool reports = StartsWith(p, kReports);
  const bool queue = p == "/-/bulwark/v1/sandbox/queue";
  if (!reports && !queue) return std::nullopt;
  if (!sandbox_) {
    return ErrorResponse(absl::UnavailableError("the sandbox is not enabled on this registry"));
  }
  if (queue) {
    if (m != "POST") return ErrorResponse(absl::NotFoundError("Not found"));
    auto who = RequireAdmin(ctx);
    if (!who.ok()) return ErrorResponse(who.status());
    auto body = JsonBody(ctx);
    if (!body.ok()) return ErrorResponse(body.status());
    auto name = GetString(*body, "name");
    auto version = GetString(*body, "version");
    if (!name || !version) {
      return ErrorResponse(absl::InvalidArgumentError("name and version are required"));
    }
    auto id = sandbox_->Enqueue(*name, *version, StrCat("admin:", who->user));
    if (!id.ok()) return ErrorResponse(id.status());
    return NoStore(JsonResponse(202, json::object{{"ok", true}, {"job", *id}}));
  }
  if (!get) return ErrorResponse(absl::NotFoundError("Not found"));
  // <name>/<version>, the name possibly scoped (@scope/name).
  std::string rest = p.substr(kReports.size());
  size_t slash = rest.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) {
    return ErrorResponse(absl::NotFoundError("Not found"));
  }
  const std::string name = rest.substr(0, slash), version = rest.substr(slash + 1);
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  if (!who->admin) {
    // Maintainers only; anyone else gets the same 404 as for a package they cannot read.
    auto pkg = packages_.Read(name, *who);
    bool maintainer = false;
    if (pkg.ok()) {
      for (const auto& u : pkg->maintainers) maintainer = maintainer || u == who->user;
    }
    if (!maintainer) return ErrorResponse(absl::NotFoundError("no sandbox report"));
  }
  auto report = sandbox_->Report(name, version);
  if (!report.ok()) return ErrorResponse(report.status());
  return NoStore(JsonResponse(200, *report));
}

}  // namespace bulwark
