// Lockfile readers. Sources for the formats: npm's package-lock.json documentation
// (docs/content/configuring-npm/package-lock-json.md), pnpm's lockfile types
// (@pnpm/lockfile.types; key syntax per lockfileVersion in @pnpm/dependency-path), yarn
// classic's lockfile writer (src/lockfile/stringify.js) and yarn berry's Project.generateLockfile.

#include "security/advisories/lockfile.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "base/json.h"
#include "base/semver.h"
#include "base/strings.h"

namespace bulwark::advisories {
namespace {

constexpr semver::Options kLoose{.loose = true, .include_prerelease = true};

bool IsVersion(std::string_view v) { return !v.empty() && semver::Parse(v, kLoose).ok(); }

// "name@range" -> {name, range}; scoped names keep their leading '@'. No '@': the whole is the
// name and the range is empty.
std::pair<std::string_view, std::string_view> SplitSpec(std::string_view spec) {
  size_t at = spec.find('@', 1);
  if (at == std::string_view::npos) return {spec, {}};
  return {spec.substr(0, at), spec.substr(at + 1)};
}

// Specifiers of packages that do not come from a registry.
bool NotFromRegistry(std::string_view range) {
  for (std::string_view p : {"file:", "link:", "portal:", "workspace:", "git:", "git+", "github:",
                             "gitlab:", "bitbucket:", "http:", "https:", "patch:", "exec:"}) {
    if (StartsWith(range, p)) return true;
  }
  return false;
}

class Collector {
 public:
  absl::Status Add(std::string_view name, std::string_view version, std::string path, bool dev) {
    if (name.empty() || !IsVersion(version)) return absl::OkStatus();
    if (seen_.size() >= kMaxLockfilePackages) {
      return absl::InvalidArgumentError(
          StrCat("the lockfile lists more than ", kMaxLockfilePackages, " packages"));
    }
    if (seen_.emplace(std::string(name), std::string(version), path).second) {
      out_.push_back({std::string(name), std::string(version), std::move(path), dev});
    }
    return absl::OkStatus();
  }

  Lockfile Finish(LockfileFormat format) {
    std::sort(out_.begin(), out_.end(), [](const LockedPackage& a, const LockedPackage& b) {
      return std::tie(a.name, a.version, a.path) < std::tie(b.name, b.version, b.path);
    });
    return Lockfile{format, std::move(out_)};
  }

 private:
  std::set<std::tuple<std::string, std::string, std::string>> seen_;
  std::vector<LockedPackage> out_;
};

// ---- npm (package-lock.json, npm-shrinkwrap.json).

// A v1 version is a semver version, "npm:real@1.0.0" for an alias, or a URL/path for packages
// from elsewhere (skipped by Collector::Add, which wants a version).
absl::Status WalkNpmV1(const json::object& deps, const std::string& prefix, size_t depth,
                       Collector& out) {
  if (depth > kMaxLockfileDepth) {
    return absl::InvalidArgumentError("package-lock.json dependencies nest too deep");
  }
  for (const auto& [key, value] : deps) {
    if (!value.is_object()) {
      return absl::InvalidArgumentError(
          StrCat("package-lock.json: dependency \"", std::string_view(key), "\" is not an object"));
    }
    const json::object& o = value.get_object();
    const std::string path = StrCat(prefix, "node_modules/", std::string_view(key));
    std::string_view name = key;
    std::string_view version = GetString(o, "version").value_or("");
    if (ConsumePrefix(&version, "npm:")) std::tie(name, version) = SplitSpec(version);
    BULWARK_RETURN_IF_ERROR(out.Add(name, version, path, GetBool(o, "dev").value_or(false)));
    if (const json::object* sub = GetObject(o, "dependencies")) {
      BULWARK_RETURN_IF_ERROR(WalkNpmV1(*sub, path + "/", depth + 1, out));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Lockfile> ParseNpm(std::string_view text) {
  // v1 trees nest two JSON levels per dependency level.
  BULWARK_ASSIGN_OR_RETURN(json::value v, ParseJson(text, 2 * kMaxLockfileDepth + 8));
  if (!v.is_object()) return absl::InvalidArgumentError("package-lock.json is not a JSON object");
  const json::object& root = v.get_object();
  Collector out;
  const json::object* packages = GetObject(root, "packages");
  const int64_t version = GetInt(root, "lockfileVersion").value_or(packages ? 2 : 1);
  if (version < 1 || version > 3) {
    return absl::InvalidArgumentError(
        StrCat("package-lock.json lockfileVersion ", version, " is not supported (1 to 3 are)"));
  }
  if (packages == nullptr) {
    // v1: a tree of dependencies under the root.
    if (const json::object* deps = GetObject(root, "dependencies")) {
      BULWARK_RETURN_IF_ERROR(WalkNpmV1(*deps, "", 0, out));
    }
    return out.Finish(LockfileFormat::kNpmV1);
  }
  for (const auto& [key_raw, value] : *packages) {
    const std::string_view key = key_raw;
    if (key.empty()) continue;  // The root project.
    if (!value.is_object()) {
      return absl::InvalidArgumentError(
          StrCat("package-lock.json: packages[\"", key, "\"] is not an object"));
    }
    const json::object& o = value.get_object();
    if (GetBool(o, "link").value_or(false)) continue;  // A symlink to a workspace or folder.
    const size_t nm = key.rfind("node_modules/");
    if (nm == std::string_view::npos) continue;  // A workspace's own folder.
    std::string_view resolved = GetString(o, "resolved").value_or("");
    if (StartsWith(resolved, "file:") || StartsWith(resolved, "git")) continue;
    // The folder is the name it is installed under; `name` is there when that is an alias.
    std::string_view name = GetString(o, "name").value_or(key.substr(nm + 13));
    BULWARK_RETURN_IF_ERROR(out.Add(name, GetString(o, "version").value_or(""), std::string(key),
                                    GetBool(o, "dev").value_or(false)));
  }
  return out.Finish(LockfileFormat::kNpmV2);
}

// ---- YAML (pnpm, yarn berry).

// yaml-cpp recurses per level of nesting; a few kilobytes of "[[[[" or "- - - -" would
// exhaust the stack (CVE-2017-5950, CVE-2018-20573). Lockfiles nest a handful of levels, so
// anything deeper is refused before parsing.
absl::Status CheckYamlNesting(std::string_view text) {
  constexpr size_t kMaxIndent = 256;
  constexpr int kMaxFlowDepth = 16;
  constexpr int kMaxCompact = 4;  // "- - x" or "? ..." opening several levels on one line.
  int flow = 0;
  for (std::string_view line : StrSplit(text, '\n')) {
    size_t indent = 0;
    while (indent < line.size() && (line[indent] == ' ' || line[indent] == '\t')) ++indent;
    if (indent > kMaxIndent) return absl::InvalidArgumentError("the YAML is indented too deep");
    std::string_view rest = line.substr(indent);
    int compact = 0;
    while (rest.size() >= 2 && (rest[0] == '-' || rest[0] == '?' || rest[0] == ':') &&
           (rest[1] == ' ' || rest[1] == '\t')) {
      ++compact;
      rest.remove_prefix(2);
      while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t')) rest.remove_prefix(1);
    }
    if (compact > kMaxCompact) return absl::InvalidArgumentError("the YAML nests too deep");
    char quote = 0;
    for (char c : rest) {
      if (quote) {
        if (c == quote) quote = 0;
        continue;
      }
      if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '#') {
        break;
      } else if (c == '[' || c == '{') {
        if (++flow > kMaxFlowDepth) return absl::InvalidArgumentError("the YAML nests too deep");
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<YAML::Node> LoadYaml(std::string_view text, std::string_view what) {
  BULWARK_RETURN_IF_ERROR(CheckYamlNesting(text));
  try {
    YAML::Node doc = YAML::Load(std::string(text));
    if (!doc.IsMap()) return absl::InvalidArgumentError(StrCat(what, " is not a YAML mapping"));
    return doc;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        StrCat(what, " is not valid YAML: line ", e.mark.line + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(StrCat(what, " could not be read: ", e.what()));
  }
}

std::string Scalar(const YAML::Node& n) {
  return n.IsDefined() && n.IsScalar() ? n.Scalar() : std::string();
}

absl::StatusOr<Lockfile> ParsePnpmDoc(const YAML::Node& doc) {
  const std::string lv = Scalar(doc["lockfileVersion"]);
  int major = 0;
  SimpleAtoi(std::string_view(lv).substr(0, lv.find('.')), &major);
  if (major < 5 || major > 9) {
    return absl::InvalidArgumentError(
        StrCat("pnpm-lock.yaml lockfileVersion \"", lv, "\" is not supported (5 to 9 are)"));
  }
  Collector out;
  const YAML::Node packages = doc["packages"];
  if (!packages.IsDefined() || packages.IsNull()) return out.Finish(LockfileFormat::kPnpm);
  if (!packages.IsMap()) return absl::InvalidArgumentError("pnpm-lock.yaml: packages is not a map");
  for (const auto& entry : packages) {
    const std::string key_text = Scalar(entry.first);
    const YAML::Node& value = entry.second;
    std::string_view key = key_text;
    // Packages from git, tarball URLs and folders carry their resolution's kind.
    if (value.IsMap()) {
      const YAML::Node resolution = value["resolution"];
      if (resolution.IsMap() &&
          (resolution["tarball"].IsDefined() || resolution["type"].IsDefined() ||
           resolution["directory"].IsDefined())) {
        continue;
      }
    }
    ConsumePrefix(&key, "/");
    key = key.substr(0, key.find('('));  // 6.x and 9.x: peer suffix "(react@18.2.0)".
    std::string_view name, version;
    if (major == 5) {
      // 5.x: "/name/1.0.0_peer@1.0.0"; scoped "/@scope/name/1.0.0".
      const size_t slash = key.rfind('/');
      if (slash == std::string_view::npos) continue;
      name = key.substr(0, slash);
      version = key.substr(slash + 1);
      version = version.substr(0, version.find('_'));
    } else {
      std::tie(name, version) = SplitSpec(key);
    }
    if (NotFromRegistry(version)) continue;
    const bool dev = value.IsMap() && Scalar(value["dev"]) == "true";
    BULWARK_RETURN_IF_ERROR(out.Add(name, version, StrCat(name, "@", version), dev));
  }
  return out.Finish(LockfileFormat::kPnpm);
}

absl::StatusOr<Lockfile> ParseYarnBerryDoc(const YAML::Node& doc) {
  Collector out;
  for (const auto& entry : doc) {
    const std::string key = Scalar(entry.first);
    if (key == "__metadata") continue;
    const YAML::Node& value = entry.second;
    if (!value.IsMap()) {
      return absl::InvalidArgumentError(StrCat("yarn.lock: entry \"", key, "\" is not a map"));
    }
    // The resolution names what was installed: "real@npm:1.0.0" (also for aliases);
    // workspace:, link:, portal:, file:, patch: and git resolutions are not registry packages.
    const std::string resolution = Scalar(value["resolution"]);
    auto [name, rest] = SplitSpec(resolution);
    if (!ConsumePrefix(&rest, "npm:")) continue;
    std::string version = Scalar(value["version"]);
    if (version.empty()) version = std::string(rest);
    BULWARK_RETURN_IF_ERROR(out.Add(name, version, resolution, false));
  }
  return out.Finish(LockfileFormat::kYarnBerry);
}

// ---- yarn classic (v1): its own format.
//
//   "@babel/core@^7.0.0", "@babel/core@^7.1.0":
//     version "7.1.2"
//     resolved "https://..."

// A possibly double-quoted token; yarn quotes with JSON rules.
std::string Unquote(std::string_view s) {
  s = StripAsciiWhitespace(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    auto v = ParseJson(s, 1);
    if (v.ok() && v->is_string()) return std::string(v->get_string());
    return std::string(s.substr(1, s.size() - 2));
  }
  return std::string(s);
}

// The comma-separated specifiers of a key line (without the trailing ':').
std::vector<std::string> KeySpecs(std::string_view line) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '\\' && i + 1 < line.size()) {
      current += c;
      current += line[++i];
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      out.push_back(Unquote(current));
      current.clear();
      continue;
    }
    current += c;
  }
  if (!StripAsciiWhitespace(current).empty()) out.push_back(Unquote(current));
  return out;
}

absl::StatusOr<Lockfile> ParseYarnV1(std::string_view text) {
  Collector out;
  std::vector<std::string> names;  // Of the entry being read; empty when skipped.
  std::string entry_key;
  size_t line_no = 0;
  for (std::string_view line : StrSplit(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (StripAsciiWhitespace(line).empty() || line[0] == '#') continue;
    if (line[0] != ' ') {
      if (line.back() != ':') {
        return absl::InvalidArgumentError(
            StrCat("yarn.lock line ", line_no, ": expected \"name@range:\""));
      }
      names.clear();
      entry_key = std::string(line.substr(0, line.size() - 1));
      for (const std::string& spec : KeySpecs(entry_key)) {
        auto [name, range] = SplitSpec(spec);
        // An alias "x@npm:real@^1.0.0" installs `real`.
        if (ConsumePrefix(&range, "npm:") && range.size() > 1 &&
            StrContains(range.substr(1), "@")) {
          std::tie(name, range) = SplitSpec(range);
        }
        if (NotFromRegistry(range)) continue;
        if (std::find(names.begin(), names.end(), name) == names.end()) {
          names.emplace_back(name);
        }
      }
      continue;
    }
    std::string_view body = line;
    size_t indent = 0;
    while (indent < body.size() && body[indent] == ' ') ++indent;
    body.remove_prefix(indent);
    if (indent != 2 || !ConsumePrefix(&body, "version ")) continue;
    const std::string version = Unquote(body);
    for (const std::string& name : names) {
      BULWARK_RETURN_IF_ERROR(out.Add(name, version, StrCat(name, "@", version), false));
    }
  }
  return out.Finish(LockfileFormat::kYarnV1);
}

// yaml-cpp also throws while a parsed document is walked (an "invalid node" where a mapping was
// expected, a scalar that is not one): every walk runs under this.
template <typename F>
absl::StatusOr<Lockfile> Guarded(std::string_view what, F walk) {
  try {
    return walk();
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat(what, " has an unexpected shape: ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(StrCat(what, " could not be read: ", e.what()));
  }
}

bool HasTopLevelKey(std::string_view text, std::string_view key) {
  for (std::string_view line : StrSplit(text, '\n')) {
    if (StartsWith(line, key) && line.size() > key.size() && line[key.size()] == ':') return true;
  }
  return false;
}

}  // namespace

std::string_view LockfileFormatName(LockfileFormat f) {
  switch (f) {
    case LockfileFormat::kNpmV1:
      return "package-lock.json v1";
    case LockfileFormat::kNpmV2:
      return "package-lock.json v2/v3";
    case LockfileFormat::kPnpm:
      return "pnpm-lock.yaml";
    case LockfileFormat::kYarnV1:
      return "yarn.lock v1";
    case LockfileFormat::kYarnBerry:
      return "yarn.lock (berry)";
  }
  return "lockfile";
}

absl::StatusOr<Lockfile> ParseLockfile(std::string_view text, std::string_view file_name) {
  if (text.size() > kMaxLockfileBytes) {
    return absl::InvalidArgumentError(
        StrCat("the lockfile is larger than ", kMaxLockfileBytes >> 20, " MiB"));
  }
  ConsumePrefix(&text, "\xEF\xBB\xBF");  // A byte-order mark.
  const std::string_view trimmed = StripAsciiWhitespace(text);
  if (StartsWith(trimmed, "{") || EndsWith(file_name, ".json")) return ParseNpm(text);
  if (StartsWith(file_name, "pnpm-lock") || HasTopLevelKey(text, "lockfileVersion")) {
    BULWARK_ASSIGN_OR_RETURN(YAML::Node doc, LoadYaml(text, "pnpm-lock.yaml"));
    return Guarded("pnpm-lock.yaml", [&] { return ParsePnpmDoc(doc); });
  }
  if (HasTopLevelKey(text, "__metadata")) {
    BULWARK_ASSIGN_OR_RETURN(YAML::Node doc, LoadYaml(text, "yarn.lock"));
    return Guarded("yarn.lock", [&] { return ParseYarnBerryDoc(doc); });
  }
  if (file_name == "yarn.lock" || StrContains(text.substr(0, 512), "# yarn lockfile v1")) {
    return ParseYarnV1(text);
  }
  return absl::InvalidArgumentError(
      "not a lockfile bulwark can read (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml "
      "or yarn.lock)");
}

}  // namespace bulwark::advisories
