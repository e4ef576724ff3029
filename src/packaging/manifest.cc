#include "base/strings.h"
#include "packaging/manifest.h"

#include <algorithm>


namespace bulwark {
namespace {

constexpr std::string_view kDependencyFields[] = {
    "dependencies", "devDependencies", "peerDependencies", "optionalDependencies",
    "bundleDependencies", "peerDependenciesMeta", "acceptDependencies", "overrides"};

// path.join('/', p) minus the leading '/': resolves '.', '..' and duplicate slashes, never
// escaping the package root (what npm's bin normalisation does).
std::string CleanRelativePath(std::string_view p) {
  std::vector<std::string_view> out;
  for (std::string_view part : StrSplit(p, ByAnyChar{"/\\"})) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(part);
  }
  return StrJoin(out, "/");
}

std::string Basename(std::string_view p) {
  std::string clean = CleanRelativePath(p);
  size_t slash = clean.rfind('/');
  return slash == std::string::npos ? clean : clean.substr(slash + 1);
}

bool HasFile(const std::vector<TarballFile>& files, std::string_view path) {
  return std::any_of(files.begin(), files.end(),
                     [&](const TarballFile& f) { return f.path == path; });
}

}  // namespace

void NormalizeManifest(json::object& m, const std::vector<TarballFile>& files) {
  // Fields starting with '_' are the registry's, never the author's.
  std::vector<std::string> underscored;
  for (const auto& [k, v] : m) {
    if (!k.empty() && k[0] == '_') underscored.emplace_back(k);
  }
  for (const auto& k : underscored) m.erase(k);

  if (auto it = m.find("bundledDependencies"); it != m.end()) {
    if (!m.contains("bundleDependencies")) m["bundleDependencies"] = it->value();
    m.erase("bundledDependencies");
  }
  if (auto it = m.find("bundleDependencies"); it != m.end()) {
    if (it->value().is_bool()) {
      if (it->value().get_bool()) {
        json::array names;
        if (const json::object* deps = GetObject(m, "dependencies")) {
          for (const auto& [k, v] : *deps) names.emplace_back(k);
        }
        m["bundleDependencies"] = std::move(names);
      } else {
        m.erase("bundleDependencies");
      }
    }
  }
  if (const json::object* opt = GetObject(m, "optionalDependencies")) {
    if (auto it = m.find("dependencies"); it != m.end() && it->value().is_object()) {
      for (const auto& [k, v] : *opt) it->value().get_object().erase(k);
    }
  }

  if (auto it = m.find("scripts"); it != m.end()) {
    if (!it->value().is_object()) {
      m.erase("scripts");
    } else {
      json::object& scripts = it->value().get_object();
      std::vector<std::string> bad;
      for (const auto& [k, v] : scripts) {
        if (!v.is_string()) bad.emplace_back(k);
      }
      for (const auto& k : bad) scripts.erase(k);
    }
  }
  auto scripts_of = [&]() -> json::object& {
    if (!m.contains("scripts") || !m["scripts"].is_object()) m["scripts"] = json::object();
    return m["scripts"].get_object();
  };
  if (HasFile(files, "binding.gyp")) {
    const json::object* s = GetObject(m, "scripts");
    if (!s || (!s->contains("install") && !s->contains("preinstall")) ) {
      if (!(m.contains("gypfile") && m["gypfile"].is_bool() && !m["gypfile"].get_bool())) {
        scripts_of()["install"] = "node-gyp rebuild";
      }
    }
  }
  if (HasFile(files, "server.js")) {
    const json::object* s = GetObject(m, "scripts");
    if (!s || !s->contains("start")) scripts_of()["start"] = "node server.js";
  }

  // bin: string -> {name: path}; clean every path; expand directories.bin.
  if (auto it = m.find("bin"); it != m.end()) {
    json::object bins;
    if (it->value().is_string()) {
      std::string name(GetString(m, "name").value_or(""));
      if (size_t slash = name.find('/'); slash != std::string::npos) name = name.substr(slash + 1);
      bins[name] = CleanRelativePath(it->value().get_string());
    } else if (it->value().is_object()) {
      for (const auto& [k, v] : it->value().get_object()) {
        if (!v.is_string()) continue;
        std::string key = Basename(k);
        if (key.empty()) continue;
        bins[key] = CleanRelativePath(v.get_string());
      }
    }
    m["bin"] = std::move(bins);
  } else if (const json::object* dirs = GetObject(m, "directories")) {
    if (auto bin_dir = GetString(*dirs, "bin")) {
      std::string dir = CleanRelativePath(*bin_dir);
      json::object bins;
      for (const auto& f : files) {
        if (!dir.empty() && StartsWith(f.path, dir + "/")) {
          std::string base = Basename(f.path);
          if (!base.empty() && base[0] != '.') bins[base] = f.path;
        }
      }
      if (!bins.empty()) m["bin"] = std::move(bins);
    }
  }
}

absl::Status CheckManifestsAgree(const json::object& claimed, const json::object& actual) {
  auto field = [](const json::object& o, std::string_view key) -> json::value {
    auto it = o.find(key);
    if (it == o.end()) return nullptr;
    // An empty object or array means the same as none.
    if (it->value().is_object() && it->value().get_object().empty()) return nullptr;
    if (it->value().is_array() && it->value().get_array().empty()) return nullptr;
    return it->value();
  };
  std::vector<std::string_view> keys = {"name", "version", "scripts", "bin"};
  keys.insert(keys.end(), std::begin(kDependencyFields), std::end(kDependencyFields));
  for (std::string_view key : keys) {
    json::value a = field(claimed, key);
    json::value b = field(actual, key);
    if (a != b) {
      return absl::FailedPreconditionError(
          StrCat("the manifest's \"", key,
                       "\" does not match the package.json inside the tarball (manifest "
                       "confusion); publish with a current npm client"));
    }
  }
  return absl::OkStatus();
}

bool HasInstallScript(const json::object& manifest) {
  const json::object* s = GetObject(manifest, "scripts");
  return s && (s->contains("preinstall") || s->contains("install") || s->contains("postinstall"));
}

}  // namespace bulwark
