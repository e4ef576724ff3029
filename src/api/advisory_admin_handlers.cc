// The advisory admin API (docs/advisories.md): administrators create, edit and withdraw
// advisories over HTTP as `bulwark advisories add/withdraw` do on the server.
//
//   GET    /-/bulwark/v1/advisories[?package=NAME]  list (any logged-in user)
//   GET    /-/bulwark/v1/advisories/ID              the OSV document (any logged-in user)
//   PUT    /-/bulwark/v1/advisories/ID              create or replace, body: an OSV document
//   DELETE /-/bulwark/v1/advisories/ID              withdraw (kept on file, stops matching)
//
// Writes need an administrator's token that is not read-only, and the second factor as every
// other write does (npm-otp header).

#include "api/registry_api.h"
#include "api/routes.h"
#include "base/log.h"
#include "base/strings.h"
#include "security/advisories/records.h"

namespace bulwark {
namespace {

json::object Summary(const advisories::Advisory& a, const AdvisoryRecord& r) {
  json::object affected;
  for (const std::string& p : advisories::NpmPackages(a)) {
    affected[p] = advisories::VulnerableRange(a, p);
  }
  json::object o{{"id", a.id},
                 {"summary", a.summary},
                 {"severity", r.severity},
                 {"modified", advisories::FormatTimestamp(a.modified)},
                 {"affected", std::move(affected)}};
  if (a.withdrawn) o["withdrawn"] = advisories::FormatTimestamp(*a.withdrawn);
  return o;
}

}  // namespace

http::Response RegistryApi::AdvisoryAdmin(Ctx& ctx, const std::string& id) {
  if (advisories_ == nullptr) {
    return ErrorResponse(absl::UnavailableError("this registry has no advisory database"));
  }
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  const std::string& m = ctx.req.method;
  const bool get = m == "GET" || m == "HEAD";

  if (get && id.empty()) {
    auto package = QueryParam(ctx.req.query, "package");
    auto records = package ? advisories_->ListForPackages({*package}) : advisories_->ListAll();
    if (!records.ok()) return ErrorResponse(records.status());
    json::array out;
    for (const AdvisoryRecord& r : *records) {
      auto a = advisories::FromRecord(r);
      if (!a.ok()) return ErrorResponse(a.status());
      out.push_back(Summary(*a, r));
    }
    return NoStore(JsonResponse(200, json::object{{"advisories", std::move(out)}}));
  }
  if (id.empty() || !advisories::ValidAdvisoryId(id)) {
    return ErrorResponse(absl::NotFoundError("Not found"));
  }
  if (get) {
    auto r = advisories_->Get(id);
    if (!r.ok()) return ErrorResponse(r.status());
    auto a = advisories::FromRecord(*r);
    if (!a.ok()) return ErrorResponse(a.status());
    return NoStore(JsonResponse(200, advisories::ToOsvJson(*a)));
  }
  if (m != "PUT" && m != "DELETE") {
    return ErrorResponse(absl::NotFoundError("Not found"));
  }

  if (!who->admin) {
    return ErrorResponse(
        absl::PermissionDeniedError("only registry administrators can change advisories"));
  }
  if (who->readonly) return ErrorResponse(absl::PermissionDeniedError("this token is read-only"));
  if (absl::Status s = SecondFactor(ctx, who->user, TfaAction::kWrite); !s.ok()) {
    return ErrorResponse(s);
  }
  auto stored_record = advisories_->Get(id);
  if (!stored_record.ok() && !absl::IsNotFound(stored_record.status())) {
    return ErrorResponse(stored_record.status());
  }
  std::optional<advisories::Advisory> stored;
  if (stored_record.ok()) {
    auto a = advisories::FromRecord(*stored_record);
    if (!a.ok()) return ErrorResponse(a.status());
    stored = std::move(*a);
  }

  advisories::Advisory next;
  if (m == "DELETE") {
    if (!stored) return ErrorResponse(absl::NotFoundError("advisory not found"));
    if (stored->withdrawn) {
      return JsonResponse(
          200, json::object{{"ok", true}, {"advisory", Summary(*stored, *stored_record)}});
    }
    next = advisories::Withdrawn(*stored, clock_.Now());
  } else {
    auto doc = ParseJson(ctx.req.body);
    if (!doc.ok()) return ErrorResponse(doc.status());
    // The id comes from the URL; a body that names another is a mistake, not a rename.
    if (doc->is_object()) {
      json::object& o = doc->get_object();
      if (auto body_id = GetString(o, "id"); body_id && *body_id != id) {
        return ErrorResponse(absl::InvalidArgumentError(
            StrCat("the document's id \"", *body_id, "\" is not the URL's \"", id, "\"")));
      }
      o["id"] = id;
      // The server sets `modified`; the document need not carry one.
      if (!o.contains("modified")) o["modified"] = advisories::FormatTimestamp(clock_.Now());
    }
    auto parsed = advisories::ParseOsv(*doc);
    if (!parsed.ok()) return ErrorResponse(parsed.status());
    auto prepared = advisories::PrepareAdminWrite(std::move(*parsed), stored ? &*stored : nullptr,
                                                  clock_.Now());
    if (!prepared.ok()) return ErrorResponse(prepared.status());
    next = std::move(*prepared);
  }
  const AdvisoryRecord record = advisories::ToRecord(next);
  auto result = advisories_->Upsert(record);
  if (!result.ok()) return ErrorResponse(result.status());
  if (*result == AdvisoryStore::UpsertResult::kStale) {
    return ErrorResponse(absl::AbortedError("the advisory changed meanwhile; try again"));
  }
  LogInfo("advisory %s %s by %s", id,
          m == "DELETE" ? "withdrawn"
          : stored      ? "edited"
                        : "created",
          who->user);
  return NoStore(JsonResponse(stored || m == "DELETE" ? 200 : 201,
                              json::object{{"ok", true}, {"advisory", Summary(next, record)}}));
}

}  // namespace bulwark
