#include "security/version_diff.h"

#include <algorithm>

#include "base/strings.h"

namespace bulwark {
namespace {

// Fields npm or the registry fill in per version: their change says nothing about the code.
bool IgnoredField(std::string_view k) {
  return k == "_id" || k == "_npmUser" || k == "dist" || k == "version" || k == "gitHead" ||
         k == "_nodeVersion" || k == "_npmVersion" || k == "readmeFilename" ||
         k == "_hasShrinkwrap";
}

constexpr std::string_view kInstallHooks[] = {"preinstall", "install", "postinstall"};

std::string HookCommand(const json::object& manifest, std::string_view hook) {
  const json::object* scripts = GetObject(manifest, "scripts");
  if (!scripts) return "";
  auto s = GetString(*scripts, hook);
  return s ? std::string(*s) : "";
}

// Code a person or a runtime reads line by line; a long line in data files means nothing.
bool IsCodeFile(std::string_view path) {
  for (std::string_view ext : {".js", ".cjs", ".mjs", ".jsx", ".ts", ".tsx", ".json", ".sh", ".py",
                               ".cmd", ".bat", ".ps1"}) {
    if (EndsWith(path, ext)) return true;
  }
  return false;
}

size_t LongestLine(std::string_view text) {
  size_t longest = 0, start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    longest = std::max(longest, end - start);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return longest;
}

scan::Finding Make(std::string rule, scan::Severity sev, scan::Verdict suggests, std::string file,
                   std::string evidence, std::string explanation) {
  scan::Finding f;
  f.rule_id = std::move(rule);
  f.severity = sev;
  f.suggests = suggests;
  f.file = std::move(file);
  if (evidence.size() > 200) evidence.resize(200);
  f.evidence = std::move(evidence);
  f.explanation = std::move(explanation);
  return f;
}

std::string DaysText(absl::Duration d) { return StrCat(absl::ToInt64Hours(d) / 24, " days"); }

}  // namespace

VersionDiff DiffVersions(std::string_view previous_version, const TarballContents* prev,
                         const json::object* prev_manifest, const TarballContents& cur,
                         const json::object& cur_manifest) {
  VersionDiff d;
  d.previous = std::string(previous_version);
  std::map<std::string, const TarballFile*> before, after;
  if (prev) {
    for (const auto& f : prev->files) before[f.path] = &f;
  }
  for (const auto& f : cur.files) after[f.path] = &f;
  for (const auto& [path, f] : after) {
    auto it = before.find(path);
    if (it == before.end()) {
      d.added.push_back(path);
    } else if (f->size != it->second->size ||
               (f->content_kept && it->second->content_kept && f->content != it->second->content)) {
      d.changed.push_back(path);
    }
  }
  for (const auto& [path, f] : before) {
    if (!after.count(path)) d.removed.push_back(path);
  }
  std::set<std::string> keys;
  for (const auto& [k, v] : cur_manifest) keys.emplace(k);
  if (prev_manifest) {
    for (const auto& [k, v] : *prev_manifest) keys.emplace(k);
  }
  for (const std::string& k : keys) {
    if (IgnoredField(k)) continue;
    const json::value* a = prev_manifest ? prev_manifest->if_contains(k) : nullptr;
    const json::value* b = cur_manifest.if_contains(k);
    if (a && b && *a == *b) continue;
    if (!prev_manifest) continue;  // A first version: everything is new; no field list.
    d.manifest_changes[k] = json::object{{"before", a ? *a : json::value(nullptr)},
                                         {"after", b ? *b : json::value(nullptr)}};
  }
  return d;
}

json::object DiffToJson(const VersionDiff& d) {
  auto arr = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
  };
  return json::object{{"previous", d.previous},
                      {"added", arr(d.added)},
                      {"removed", arr(d.removed)},
                      {"changed", arr(d.changed)},
                      {"package_json", d.manifest_changes}};
}

std::vector<std::string> AddedDependencies(const json::object* prev, const json::object& cur) {
  std::set<std::string> had, out;
  constexpr std::string_view kKinds[] = {"dependencies", "optionalDependencies", "peerDependencies",
                                         "devDependencies"};
  if (prev) {
    for (auto kind : kKinds) {
      if (const json::object* d = GetObject(*prev, kind)) {
        for (const auto& [k, v] : *d) had.emplace(k);
      }
    }
  }
  for (auto kind : kKinds) {
    if (kind == "devDependencies") continue;  // Not installed by consumers.
    if (const json::object* d = GetObject(cur, kind)) {
      for (const auto& [k, v] : *d) {
        if (!had.count(std::string(k))) out.emplace(k);
      }
    }
  }
  return {out.begin(), out.end()};
}

std::vector<scan::Finding> BetweenVersionFindings(const BetweenVersionsOptions& o,
                                                  const VersionHistory& h,
                                                  const TarballContents& cur,
                                                  const json::object& cur_manifest,
                                                  const std::vector<std::string>& capabilities) {
  using scan::Severity;
  using scan::Verdict;
  std::vector<scan::Finding> out;
  if (h.first_version) {
    // Only the dependency age applies to a first version.
    for (const auto& [dep, created] : h.dependency_created) {
      if (h.now - created < o.young_dependency) {
        out.push_back(Make("diff-young-dependency", Severity::kMedium, Verdict::kWarn,
                           "package.json", dep,
                           StrCat("Depends on ", dep, ", a package created ",
                                  DaysText(h.now - created), " ago.")));
      }
    }
    return out;
  }
  bool hook_added = false;
  for (std::string_view hook : kInstallHooks) {
    std::string now_cmd = HookCommand(cur_manifest, hook);
    if (now_cmd.empty()) continue;
    std::string before = h.prev_manifest ? HookCommand(*h.prev_manifest, hook) : "";
    if (before == now_cmd) continue;
    hook_added = hook_added || before.empty();
    out.push_back(Make(before.empty() ? "diff-install-script-added" : "diff-install-script-changed",
                       Severity::kHigh, Verdict::kWarn, "package.json",
                       StrCat("\"", hook, "\": \"", now_cmd, "\""),
                       StrCat("The ", hook, " script ", before.empty() ? "is new" : "changed",
                              " in this version: it runs on every install.")));
  }
  std::vector<std::string> new_caps;
  if (h.prev_capabilities) {
    for (const std::string& c : capabilities) {
      if (std::find(h.prev_capabilities->begin(), h.prev_capabilities->end(), c) ==
          h.prev_capabilities->end()) {
        new_caps.push_back(c);
      }
    }
    for (const std::string& c : new_caps) {
      out.push_back(Make(
          "diff-new-capability", Severity::kMedium, Verdict::kWarn, "", c,
          StrCat("The code gained the \"", c, "\" capability, absent from the previous version.")));
    }
  }
  std::map<std::string, const TarballFile*> before;
  if (h.prev_contents) {
    for (const auto& f : h.prev_contents->files) before[f.path] = &f;
  }
  for (const TarballFile& f : cur.files) {
    auto it = before.find(f.path);
    const TarballFile* old = it == before.end() ? nullptr : it->second;
    if (f.size > o.large_file_bytes && (!old || old->size <= o.large_file_bytes)) {
      out.push_back(Make("diff-large-file", Severity::kMedium, Verdict::kWarn, f.path,
                         StrCat(f.size, " bytes"),
                         StrCat("A file over ", o.large_file_bytes,
                                " bytes appeared: large payloads hide code.")));
    }
    if (f.content_kept && f.size > o.long_line_bytes && IsCodeFile(f.path)) {
      size_t longest = LongestLine(f.content);
      size_t old_longest = old && old->content_kept ? LongestLine(old->content) : 0;
      if (longest > o.long_line_bytes && old_longest <= o.long_line_bytes) {
        out.push_back(Make("diff-long-line", Severity::kMedium, Verdict::kWarn, f.path,
                           StrCat("a line of ", longest, " bytes"),
                           StrCat("A line over ", o.long_line_bytes,
                                  " bytes appeared (minified or hidden code).")));
      }
    }
  }
  for (const auto& [dep, created] : h.dependency_created) {
    if (h.now - created < o.young_dependency) {
      out.push_back(Make("diff-young-dependency", Severity::kMedium, Verdict::kWarn, "package.json",
                         dep,
                         StrCat("New dependency ", dep, " is a package created ",
                                DaysText(h.now - created), " ago.")));
    }
  }
  bool new_publisher = !h.previous_publishers.empty() && !h.previous_publishers.count(h.publisher);
  if (new_publisher) {
    out.push_back(Make("diff-new-publisher", Severity::kLow, Verdict::kWarn, "", h.publisher,
                       StrCat(h.publisher, " never published this package before.")));
  }
  bool tfa_dropped = h.earlier_had_2fa && !h.publisher_2fa;
  if (tfa_dropped) {
    out.push_back(Make("diff-2fa-dropped", Severity::kHigh, Verdict::kWarn, "", h.publisher,
                       "Earlier versions came from accounts with two-factor authentication; "
                       "this one from an account without."));
  }
  bool dormant = h.prev_published != absl::InfinitePast() && h.now - h.prev_published > o.dormant;
  if (dormant) {
    out.push_back(Make("diff-dormant-republish", Severity::kMedium, Verdict::kWarn, "",
                       DaysText(h.now - h.prev_published),
                       StrCat("The package was idle for ", DaysText(h.now - h.prev_published),
                              " before this version.")));
  }
  bool risky_caps = std::any_of(new_caps.begin(), new_caps.end(), [](const std::string& c) {
    return c == "network" || c == "shell" || c == "eval";
  });
  if (hook_added && (new_publisher || tfa_dropped || dormant || risky_caps)) {
    out.push_back(Make("diff-risky-update", Severity::kCritical, Verdict::kHold, "package.json",
                       "install script added with a takeover sign",
                       "An install hook appeared together with a sign of account takeover (new "
                       "publisher, 2FA dropped, long idle, or new network/shell/eval code): the "
                       "pattern of ua-parser-js, coa/rc and the 2025 worm."));
  }
  return out;
}

}  // namespace bulwark
