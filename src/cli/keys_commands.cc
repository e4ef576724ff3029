// `bulwark keys list`, `bulwark keys rotate [--grace-seconds N]` and `bulwark keys verify`: the
// registry's signing keys (docs/signatures.md).

#include <cstdio>
#include <memory>

#include "base/strings.h"
#include "base/time_format.h"
#include "cli/common.h"
#include "packaging/signatures.h"
#include "server/app.h"

namespace bulwark::cli {
namespace {

absl::StatusOr<std::unique_ptr<App>> OpenApp(const CommonFlags& flags) {
  BULWARK_ASSIGN_OR_RETURN(Config config, BuildConfig(flags));
  return App::Open(config);
}

std::string Expiry(const SigningKeyInfo& k) {
  if (k.active) return "active";
  return k.expires ? StrCat("expires ", FormatIsoTime(*k.expires)) : "retired";
}

int List(const CommonFlags& flags) {
  auto app = OpenApp(flags);
  if (!app.ok()) return Fail(app.status());
  auto keys = (*app)->signing_keys().List();
  if (!keys.ok()) return Fail(keys.status());
  for (const auto& k : *keys) {
    std::printf("%s  created %s  %s  %s\n", k.keyid.c_str(), FormatIsoTime(k.created).c_str(),
                Expiry(k).c_str(), k.file.c_str());
  }
  return 0;
}

int Rotate(const CommonFlags& flags, int64_t grace_seconds) {
  if (grace_seconds < 0) return Fail(absl::InvalidArgumentError("--grace-seconds must be >= 0"));
  auto app = OpenApp(flags);
  if (!app.ok()) return Fail(app.status());
  SigningKeys& keys = (*app)->signing_keys();
  auto before = keys.List();
  if (!before.ok()) return Fail(before.status());
  auto fresh = keys.Rotate(absl::Seconds(grace_seconds));
  if (!fresh.ok()) return Fail(fresh.status());
  auto after = keys.List();
  if (!after.ok()) return Fail(after.status());
  for (const auto& old : *before) {
    if (!old.active) continue;
    for (const auto& k : *after) {
      if (k.keyid == old.keyid) {
        std::printf("retired %s (%s; its signatures stay valid)\n", k.keyid.c_str(),
                    Expiry(k).c_str());
      }
    }
  }
  std::printf("new active key %s (%s)\n", fresh->keyid.c_str(), fresh->file.c_str());
  std::printf("running servers sign with it from their next publish\n");
  return 0;
}

// Checks every live version's signatures as `npm audit signatures` would.
int Verify(const CommonFlags& flags) {
  auto app = OpenApp(flags);
  if (!app.ok()) return Fail(app.status());
  auto keys = (*app)->signing_keys().PublicKeys();
  if (!keys.ok()) return Fail(keys.status());
  auto all = (*app)->store().ListPackages();
  if (!all.ok()) return Fail(all.status());
  size_t versions = 0, problems = 0;
  for (const auto& summary : *all) {
    auto p = (*app)->store().GetPackage(summary.name);
    if (!p.ok()) return Fail(p.status());
    for (const auto& [ver, v] : p->versions) {
      if (v.unpublished) continue;
      ++versions;
      SignatureCheck c = CheckVersionSignatures(p->name, v, *keys);
      if (c == SignatureCheck::kValid) continue;
      ++problems;
      std::printf("%s@%s: %s\n", p->name.c_str(), ver.c_str(),
                  std::string(SignatureCheckName(c)).c_str());
    }
  }
  std::printf("checked %zu versions of %zu packages: %zu problems\n", versions, all->size(),
              problems);
  return problems == 0 ? 0 : 1;
}

}  // namespace

void AddKeysCommands(CLI::App& app, CommonFlags& flags, int& exit_code) {
  CLI::App* keys = app.add_subcommand("keys", "Registry signing keys (npm audit signatures)");
  keys->require_subcommand(1);

  CLI::App* list = keys->add_subcommand("list", "List the signing keys, oldest first");
  AddCommonFlags(list, flags);
  list->callback([&flags, &exit_code] { exit_code = List(flags); });

  auto grace = std::make_shared<int64_t>(absl::ToInt64Seconds(kRotationGrace));
  CLI::App* rotate = keys->add_subcommand(
      "rotate",
      "Make a new active key; the old one expires after a grace period but stays "
      "published, so its signatures keep verifying");
  AddCommonFlags(rotate, flags);
  rotate->add_option("--grace-seconds", *grace,
                     "Seconds until the old key expires (default 60): covers publishes signed "
                     "just before the rotation");
  rotate->callback([&flags, &exit_code, grace] { exit_code = Rotate(flags, *grace); });

  CLI::App* verify = keys->add_subcommand(
      "verify", "Check every version's registry signatures; exit 1 when any is missing or bad");
  AddCommonFlags(verify, flags);
  verify->callback([&flags, &exit_code] { exit_code = Verify(flags); });
}

}  // namespace bulwark::cli
