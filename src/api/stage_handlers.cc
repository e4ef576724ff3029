// Staged publishing over the npm protocol (docs/staging.md, npm-registry-api.md §9.4):
// `npm stage publish|list|view|download|approve|reject`. A staged version is stored, not
// served; an owner with 2FA approves it with a one-time password, which then runs the normal
// publish of exactly the stored document (tarball digest re-checked).

#include <algorithm>

#include "accounts/tokens.h"
#include "api/registry_api.h"
#include "api/routes.h"
#include "base/hash.h"
#include "base/package_name.h"
#include "base/strings.h"
#include "base/time_format.h"
#include "bulwark/storage/stage_store.h"

namespace bulwark {
namespace {

constexpr int64_t kMaxPerPage = 100;
// Staging by one credential with gaps shorter than this is one release (one monorepo run).
constexpr absl::Duration kReleaseGap = absl::Minutes(10);

json::object ItemJson(const StagedVersion& v) {
  return json::object{{"id", v.id},
                      {"packageName", v.package},
                      {"version", v.version},
                      {"tag", v.tag},
                      {"createdAt", FormatIsoTime(v.created)},
                      {"actor", v.actor},
                      {"actorType", v.actor_type},
                      {"shasum", v.shasum},
                      {"integrity", v.integrity},
                      {"size", v.size},
                      {"releaseId", v.release_id}};
}

// What an owner approves when approving a release: SHA-256 over the sorted lines
// "<package>@<version> <integrity>" of its members. The approval must name this digest, so it
// covers exactly the versions the owner reviewed (a member staged later changes it).
std::string ReleaseDigest(std::vector<StagedVersion> members) {
  std::vector<std::string> lines;
  for (const auto& v : members) lines.push_back(StrCat(v.package, "@", v.version, " ", v.integrity));
  std::sort(lines.begin(), lines.end());
  return HexEncode(Sha256(StrJoin(lines, "\n")));
}

std::string NewStageId(Random& random) {
  std::string b = random.Bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string h = HexEncode(b);
  return StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-", h.substr(16, 4),
                "-", h.substr(20));
}

// The tarball of a publish document (§3.1): the one attachment, base64.
absl::StatusOr<std::string> Tarball(const json::object& body) {
  const json::object* att = GetObject(body, "_attachments");
  if (att == nullptr || att->size() != 1 || !att->begin()->value().is_object()) {
    return absl::InvalidArgumentError("a staged publish carries exactly one tarball");
  }
  auto data = GetString(att->begin()->value().get_object(), "data");
  auto bytes = data ? Base64Decode(*data) : std::nullopt;
  if (!bytes) return absl::InvalidArgumentError("the tarball is not base64");
  return *bytes;
}

}  // namespace

absl::StatusOr<bool> RegistryApi::MaySeeStaged(const Identity& who, const StagedVersion& v) {
  auto pkg = packages_.Read(v.package, who);
  if (!pkg.ok()) {
    if (!absl::IsNotFound(pkg.status())) return pkg.status();
    return v.actor == who.user;  // A new package: only whoever staged it.
  }
  return std::find(pkg->maintainers.begin(), pkg->maintainers.end(), who.user) !=
         pkg->maintainers.end();
}

absl::StatusOr<StagedVersion> RegistryApi::StageDocument(const Ctx& ctx, const Identity& who,
                                                         const std::string& name,
                                                         const json::object& body) {
  if (!SplitPackageName(name)) return absl::InvalidArgumentError("invalid package name");
  BULWARK_RETURN_IF_ERROR(CheckTokenAllows(who, name));
  StagedVersion v;
  const json::object* versions = GetObject(body, "versions");
  if (versions == nullptr || versions->size() != 1) {
    return absl::InvalidArgumentError("a staged publish carries one version");
  }
  auto tarball = Tarball(body);
  if (!tarball.ok()) return tarball.status();
  v.version = std::string(versions->begin()->key());
  const json::object* dist = versions->begin()->value().is_object()
                                 ? GetObject(versions->begin()->value().get_object(), "dist")
                                 : nullptr;
  v.integrity = Sha512Integrity(*tarball);
  if (dist == nullptr || GetString(*dist, "integrity") != v.integrity) {
    return absl::InvalidArgumentError("dist.integrity does not match the tarball");
  }
  // The version must be one the package could take: not published already.
  auto existing = packages_.Read(name, who);
  if (existing.ok()) {
    if (std::find(existing->maintainers.begin(), existing->maintainers.end(), who.user) ==
        existing->maintainers.end()) {
      return absl::PermissionDeniedError(
          StrCat("only owners of ", name, " may stage versions of it"));
    }
    if (existing->versions.count(v.version) > 0) {
      return absl::AlreadyExistsError(
          StrCat("cannot stage ", name, "@", v.version, ": that version exists"));
    }
  }
  const json::object* tags = GetObject(body, "dist-tags");
  v.tag = tags && !tags->empty() ? std::string(tags->begin()->key()) : "latest";
  v.id = NewStageId(SystemRandom());
  v.package = name;
  v.actor = who.user;
  v.actor_type = who.token_key.empty() || who.login_session ? "user" : "token";
  v.shasum = HexEncode(Sha1(*tarball));
  v.size = static_cast<int64_t>(tarball->size());
  v.body = std::string(ctx.req.body);
  v.created = clock_.Now();
  // A release: the versions one credential stages in one run (`npm stage publish
  // --workspaces` stages them back to back; npm 11 sends no per-run id). A version joins the
  // credential's latest release when that was staged within kReleaseGap, else starts one.
  const std::string cred =
      HexEncode(Sha256(StrCat(who.user, "\n", who.token_key))).substr(0, 8);
  auto earlier = stages_->ListStaged();
  if (!earlier.ok()) return earlier.status();
  for (auto it = earlier->rbegin(); it != earlier->rend(); ++it) {
    if (it->actor == who.user && StartsWith(it->release_id, StrCat("rel-", cred)) &&
        v.created - it->created <= kReleaseGap) {
      v.release_id = it->release_id;
      break;
    }
  }
  if (v.release_id.empty()) {
    v.release_id = StrCat("rel-", cred, HexEncode(SystemRandom().Bytes(8)));
  }
  BULWARK_RETURN_IF_ERROR(stages_->AddStaged(v));
  accounts_.RecordEvent("stage.published", who.user, ctx.req.remote_ip,
                        StrCat(name, "@", v.version, " ", v.integrity, " stage ", v.id), name);
  return v;
}

std::optional<http::Response> RegistryApi::MaybeStage(Ctx& ctx, const Identity& who,
                                                      const std::string& name,
                                                      const json::object& body) {
  // Automation credentials only: a person at a terminal (an npm login session, a password)
  // publishes directly; any other token - granular, automation, trusted publishing - is what
  // the 2025 worms stole.
  if (stages_ == nullptr || who.token_key.empty() || who.login_session) return std::nullopt;
  auto require = stages_->RequiresStaging(name);
  if (!require.ok()) return ErrorResponse(require.status());
  if (!*require) return std::nullopt;
  auto v = StageDocument(ctx, who, name, body);
  if (!v.ok()) return ErrorResponse(v.status());
  http::Response r = JsonResponse(201, json::object{{"ok", true}, {"id", name}, {"success", true},
                                                    {"stageId", v->id}});
  r.Set("npm-notice", StrCat(name, "@", v->version, " was staged, not published: ", name,
                             " requires publishes from tokens to be approved by an owner "
                             "(npm stage approve ", v->id, ")"));
  return r;
}

// GET /-/package/<pkg>/staging -> {"require": bool}; PUT {"require": bool} (owners, 2FA).
http::Response RegistryApi::StagingPolicy(Ctx& ctx, const std::string& name) {
  if (stages_ == nullptr) {
    return ErrorResponse(absl::UnimplementedError("staged publishing is not enabled"));
  }
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  auto pkg = packages_.Read(name, ctx.who());
  if (!pkg.ok()) return ErrorResponse(pkg.status());
  if (std::find(pkg->maintainers.begin(), pkg->maintainers.end(), who->user) ==
      pkg->maintainers.end()) {
    return ErrorResponse(absl::PermissionDeniedError(StrCat("only owners of ", name,
                                                            " may change its staging policy")));
  }
  const std::string& m = ctx.req.method;
  if (m == "PUT" || m == "POST") {
    absl::Status s = CheckTokenAllows(*who, "");
    if (s.ok()) s = SecondFactor(ctx, who->user, TfaAction::kAccountChange);
    if (!s.ok()) return ErrorResponse(s);
    auto body = JsonBody(ctx);
    if (!body.ok()) return ErrorResponse(body.status());
    auto require = GetBool(*body, "require");
    if (!require) return ErrorResponse(absl::InvalidArgumentError("expected {\"require\": bool}"));
    s = stages_->SetRequireStaging(name, *require);
    if (!s.ok()) return ErrorResponse(s);
    accounts_.RecordEvent("stage.policy", who->user, ctx.req.remote_ip,
                          *require ? "publishes from tokens must be staged" : "staging optional",
                          name);
  }
  auto require = stages_->RequiresStaging(name);
  if (!require.ok()) return ErrorResponse(require.status());
  return NoStore(JsonResponse(200, json::object{{"require", *require}}));
}

http::Response RegistryApi::StageRoute(Ctx& ctx, const std::string& p) {
  if (stages_ == nullptr) {
    return ErrorResponse(absl::UnimplementedError("staged publishing is not enabled"));
  }
  auto who = RequireUser(ctx);
  if (!who.ok()) return ErrorResponse(who.status());
  const std::string& m = ctx.req.method;
  const bool get = m == "GET" || m == "HEAD";
  std::vector<std::string> segs = SplitSegments(p, 3);  // ["-", "stage", ...]
  if (segs.size() == 4 && segs[2] == "package" && m == "POST") {
    auto body = JsonBody(ctx);
    if (!body.ok()) return ErrorResponse(body.status());
    auto v = StageDocument(ctx, *who, segs[3], *body);
    if (!v.ok()) return ErrorResponse(v.status());
    json::object out = ItemJson(*v);
    out["stageId"] = v->id;
    return NoStore(JsonResponse(201, out));
  }
  if (segs.size() == 2 && get) {
    int64_t page = 0, per_page = kMaxPerPage;
    if (auto q = QueryParam(ctx.req.query, "page")) SimpleAtoi(*q, &page);
    if (auto q = QueryParam(ctx.req.query, "perPage")) SimpleAtoi(*q, &per_page);
    page = std::max<int64_t>(page, 0);
    per_page = std::clamp<int64_t>(per_page, 1, kMaxPerPage);
    auto package = QueryParam(ctx.req.query, "package");
    auto all = stages_->ListStaged();
    if (!all.ok()) return ErrorResponse(all.status());
    std::vector<StagedVersion> visible;
    for (const auto& v : *all) {
      if (package && v.package != *package) continue;
      auto may = MaySeeStaged(*who, v);
      if (!may.ok()) return ErrorResponse(may.status());
      if (*may) visible.push_back(v);
    }
    json::array items;
    for (int64_t i = page * per_page; i < static_cast<int64_t>(visible.size()) &&
                                      i < (page + 1) * per_page; ++i) {
      items.push_back(ItemJson(visible[i]));
    }
    return NoStore(JsonResponse(200, json::object{{"items", std::move(items)},
                                                  {"total", static_cast<int64_t>(visible.size())},
                                                  {"page", page},
                                                  {"perPage", per_page}}));
  }
  if (segs.size() >= 4 && segs[2] == "release") return StageRelease(ctx, *who, segs);
  if (segs.size() < 3) return ErrorResponse(absl::NotFoundError("Not found"));
  auto staged = stages_->GetStaged(segs[2]);
  if (!staged.ok()) return ErrorResponse(staged.status());
  auto may = MaySeeStaged(*who, *staged);
  if (!may.ok()) return ErrorResponse(may.status());
  if (!*may) return ErrorResponse(absl::NotFoundError(StrCat("no staged version ", segs[2])));
  if (segs.size() == 3 && get) return NoStore(JsonResponse(200, ItemJson(*staged)));
  auto body = ParseJson(staged->body);
  if (!body.ok() || !body->is_object()) return ErrorResponse(absl::InternalError("corrupt staged document"));
  if (segs.size() == 4 && segs[3] == "tarball" && get) {
    auto tarball = Tarball(body->get_object());
    if (!tarball.ok()) return ErrorResponse(tarball.status());
    http::Response r;
    r.body = std::move(*tarball);
    r.Set("content-type", "application/octet-stream");
    return NoStore(std::move(r));
  }
  const bool approve = segs.size() == 4 && segs[3] == "approve" && m == "POST";
  const bool reject = segs.size() == 3 && m == "DELETE";
  if (!approve && !reject) return ErrorResponse(absl::NotFoundError("Not found"));
  absl::Status s = CheckTokenAllows(*who, staged->package);
  if (s.ok() && approve) {
    // An approval is a person's decision: it needs a second factor, whatever the token, and
    // an account without 2FA cannot give one.
    auto mode = accounts_.EffectiveTfaMode(who->user);
    if (!mode.ok()) return ErrorResponse(mode.status());
    if (!*mode) {
      s = absl::PermissionDeniedError(
          "approving a staged version needs two-factor authentication; enable it with npm "
          "profile enable-2fa");
    }
  }
  if (s.ok()) s = SecondFactor(ctx, who->user, TfaAction::kAccountChange);
  if (!s.ok()) return ErrorResponse(s);
  if (reject) {
    s = stages_->RemoveStaged(staged->id);
    if (!s.ok()) return ErrorResponse(s);
    accounts_.RecordEvent("stage.rejected", who->user, ctx.req.remote_ip,
                          StrCat(staged->package, "@", staged->version, " stage ", staged->id),
                          staged->package);
    return NoStore(JsonResponse(200, json::object{{"ok", true}}));
  }
  // The approval authorises exactly this {package, version, sha512}: the stored tarball must
  // still be the one the item showed.
  auto tarball = Tarball(body->get_object());
  if (!tarball.ok() || Sha512Integrity(*tarball) != staged->integrity) {
    return ErrorResponse(absl::InternalError("staged tarball does not match its digest"));
  }
  // Removing first makes the approval single-use: a concurrent second approval finds nothing.
  s = stages_->RemoveStaged(staged->id);
  if (!s.ok()) return ErrorResponse(s);
  Identity approver = *who;
  auto result = packages_.Publish(approver, staged->package, body->get_object());
  if (!result.ok()) {
    // Put it back so the owner can retry or reject.
    stages_->AddStaged(*staged).IgnoreError();
    return ErrorResponse(result.status());
  }
  accounts_.RecordEvent("stage.approved", who->user, ctx.req.remote_ip,
                        StrCat(staged->package, "@", staged->version, " ", staged->integrity,
                               " stage ", staged->id, " staged by ", staged->actor),
                        staged->package);
  json::object out{{"message", StrCat(staged->package, "@", staged->version, " published")}};
  if (!result->notice.empty()) out["notice"] = result->notice;
  return NoStore(JsonResponse(200, out));
}

// GET /-/stage/release/<id>: {releaseId, digest, items}; POST /-/stage/release/<id>/approve
// {"digest": ...} with a one-time password: publishes every member with one confirmation.
http::Response RegistryApi::StageRelease(Ctx& ctx, const Identity& who,
                                         const std::vector<std::string>& segs) {
  const std::string& release = segs[3];
  auto all = stages_->ListStaged();
  if (!all.ok()) return ErrorResponse(all.status());
  std::vector<StagedVersion> members;
  for (const auto& v : *all) {
    if (v.release_id != release || release.empty()) continue;
    auto may = MaySeeStaged(who, v);
    if (!may.ok()) return ErrorResponse(may.status());
    // Approving a release needs the right to approve every member.
    if (!*may) return ErrorResponse(absl::NotFoundError(StrCat("no staged release ", release)));
    members.push_back(v);
  }
  if (members.empty()) return ErrorResponse(absl::NotFoundError(StrCat("no staged release ", release)));
  const std::string digest = ReleaseDigest(members);
  const std::string& m = ctx.req.method;
  if (segs.size() == 4 && (m == "GET" || m == "HEAD")) {
    json::array items;
    for (const auto& v : members) items.push_back(ItemJson(v));
    return NoStore(JsonResponse(200, json::object{{"releaseId", release},
                                                  {"digest", digest},
                                                  {"items", std::move(items)}}));
  }
  if (!(segs.size() == 5 && segs[4] == "approve" && m == "POST")) {
    return ErrorResponse(absl::NotFoundError("Not found"));
  }
  auto body = JsonBody(ctx);
  if (!body.ok()) return ErrorResponse(body.status());
  if (GetString(*body, "digest") != digest) {
    return ErrorResponse(absl::FailedPreconditionError(
        StrCat("the release changed or the digest is wrong: it is now ", members.size(),
               " versions with digest ", digest, "; review it again")));
  }
  absl::Status s = absl::OkStatus();
  for (const auto& v : members) {
    s = CheckTokenAllows(who, v.package);
    if (!s.ok()) return ErrorResponse(s);
  }
  auto mode = accounts_.EffectiveTfaMode(who.user);
  if (!mode.ok()) return ErrorResponse(mode.status());
  if (!*mode) {
    return ErrorResponse(absl::PermissionDeniedError(
        "approving a staged version needs two-factor authentication; enable it with npm "
        "profile enable-2fa"));
  }
  s = SecondFactor(ctx, who.user, TfaAction::kAccountChange);
  if (!s.ok()) return ErrorResponse(s);
  json::array published;
  for (const auto& member : members) {
    auto staged = stages_->GetStaged(member.id);
    if (!staged.ok()) return ErrorResponse(staged.status());
    auto doc = ParseJson(staged->body);
    if (!doc.ok() || !doc->is_object()) return ErrorResponse(absl::InternalError("corrupt staged document"));
    auto tarball = Tarball(doc->get_object());
    if (!tarball.ok() || Sha512Integrity(*tarball) != staged->integrity) {
      return ErrorResponse(absl::InternalError("staged tarball does not match its digest"));
    }
    s = stages_->RemoveStaged(staged->id);
    if (!s.ok()) return ErrorResponse(s);
    auto result = packages_.Publish(who, staged->package, doc->get_object());
    if (!result.ok()) {
      stages_->AddStaged(*staged).IgnoreError();
      return ErrorResponse(result.status());
    }
    published.emplace_back(StrCat(staged->package, "@", staged->version));
  }
  accounts_.RecordEvent("stage.approved", who.user, ctx.req.remote_ip,
                        StrCat("release ", release, " (", members.size(), " versions, digest ",
                               digest, ")"));
  return NoStore(JsonResponse(200, json::object{
      {"message", StrCat(members.size(), " staged versions published")},
      {"published", std::move(published)}}));
}

}  // namespace bulwark
