// `bulwark scan TARBALL|FOLDER|package-lock.json... [--json] [--rules DIR]...`: runs the
// publish-time scanner (docs/scanning.md) on packages before they reach a registry.
//
// A target is a package tarball (.tgz), a package folder (one with package.json; node_modules
// and .git are skipped), a folder of tarballs, or a package-lock.json: every locked package is
// scanned from the node_modules folder beside it when installed there, otherwise from npm's
// cache (~/.npm/_cacache, or --npm-cache) by its integrity.
//
// Exit codes: 0 nothing to hold (clean or warnings), 1 something would be held or rejected,
// 2 an error (a target that cannot be read; the others are still scanned and reported).

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "base/hash.h"
#include "base/json.h"
#include "base/strings.h"
#include "cli/common.h"
#include "security/scan/scanner.h"

namespace bulwark::cli {
namespace {

namespace fs = std::filesystem;

struct ScanFlags {
  std::vector<std::string> targets;
  std::vector<std::string> rules;
  std::string npm_cache;
  bool json = false;
};

absl::StatusOr<std::string> ReadWhole(const fs::path& path, std::uint64_t limit) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(StrCat("cannot read ", path.string(), ": ", ec.message()));
  if (size > limit) {
    return absl::ResourceExhaustedError(StrCat(path.string(), " is larger than ", limit, " bytes"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot read ", path.string()));
  std::string out(size, '\0');
  in.read(out.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uint64_t>(in.gcount()) != size) {
    return absl::DataLossError(StrCat("short read of ", path.string()));
  }
  return out;
}

// One thing to scan and where its report goes.
struct Item {
  explicit Item(std::string l) : label(std::move(l)) {}
  std::string label;  // what the user named (file, folder, lock entry)
  absl::StatusOr<scan::ScanReport> report = absl::UnknownError("not scanned");
  std::string name, version;
  double millis = 0;
};

void NameFromManifest(std::string_view package_json, Item& item) {
  auto v = ParseJson(package_json);
  if (!v.ok() || !v->is_object()) return;
  if (auto n = GetString(v->as_object(), "name")) item.name = std::string(*n);
  if (auto n = GetString(v->as_object(), "version")) item.version = std::string(*n);
}

void ScanTarballFile(const scan::Scanner& scanner, const fs::path& path, Item& item) {
  auto bytes = ReadWhole(path, 1ull << 30);
  if (!bytes.ok()) { item.report = bytes.status(); return; }
  auto t0 = std::chrono::steady_clock::now();
  auto contents = ReadTarball(*bytes, scan::ScanTarballLimits());
  if (!contents.ok()) {
    item.report = absl::Status(contents.status().code(),
                               StrCat(path.string(), ": ", contents.status().message()));
    return;
  }
  NameFromManifest(contents->package_json, item);
  item.report = scanner.Scan(scan::FilesOf(*contents));
  item.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

void ScanFolder(const scan::Scanner& scanner, const fs::path& dir, Item& item) {
  const scan::ScannerOptions limits;
  std::vector<std::pair<std::string, std::string>> files;  // path, content
  std::uint64_t total = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) { item.report = absl::NotFoundError(StrCat("cannot read ", dir.string())); return; }
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    if (it->is_directory() && (name == "node_modules" || name == ".git")) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || it->is_symlink()) continue;
    auto content = ReadWhole(p, 64ull << 20);
    if (!content.ok()) { item.report = content.status(); return; }
    total += content->size();
    if (total > (512ull << 20) || files.size() > 20000) {
      item.report = absl::ResourceExhaustedError(StrCat(dir.string(), " is too large to scan"));
      return;
    }
    files.emplace_back(fs::relative(p, dir).generic_string(), std::move(*content));
  }
  auto t0 = std::chrono::steady_clock::now();
  scan::PackageFiles pf;
  for (const auto& [path, content] : files) {
    if (path == "package.json") pf.package_json = content;
    pf.files.push_back(scan::ScanFile{path, content, content.size(), 0644, true});
  }
  if (pf.package_json.empty()) {
    item.report = absl::InvalidArgumentError(StrCat(dir.string(), " has no package.json"));
    return;
  }
  NameFromManifest(pf.package_json, item);
  item.report = scanner.Scan(pf);
  item.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string DefaultNpmCache() {
  if (const char* c = std::getenv("npm_config_cache"); c && *c) return StrCat(c, "/_cacache");
  if (const char* h = std::getenv("HOME"); h && *h) return StrCat(h, "/.npm/_cacache");
  return ".npm/_cacache";
}

// npm's cacache keeps content under content-v2/<algorithm>/<hex[0:2]>/<hex[2:4]>/<hex[4:]>.
std::optional<fs::path> CachedTarball(const std::string& cache, std::string_view integrity) {
  for (std::string_view sri : StrSplit(integrity, ' ', SkipEmpty())) {
    std::size_t dash = sri.find('-');
    if (dash == std::string_view::npos) continue;
    std::string algo(sri.substr(0, dash));
    auto raw = Base64Decode(sri.substr(dash + 1));
    if (!raw || (algo != "sha512" && algo != "sha1" && algo != "sha256")) continue;
    std::string hex = HexEncode(*raw);
    fs::path p = fs::path(cache) / "content-v2" / algo / hex.substr(0, 2) / hex.substr(2, 2) /
                 hex.substr(4);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  return std::nullopt;
}

void ExpandLock(const scan::Scanner& scanner, const fs::path& lock, const ScanFlags& flags,
                std::vector<Item>& items) {
  auto text = ReadWhole(lock, 256ull << 20);
  Item head(lock.string());
  if (!text.ok()) { head.report = text.status(); items.push_back(std::move(head)); return; }
  auto v = ParseJson(*text, 256);
  if (!v.ok() || !v->is_object()) {
    head.report = absl::InvalidArgumentError(StrCat(lock.string(), ": not a package-lock.json"));
    items.push_back(std::move(head));
    return;
  }
  const json::object* packages = GetObject(v->as_object(), "packages");
  if (!packages) {
    head.report = absl::InvalidArgumentError(
        StrCat(lock.string(), ": no \"packages\" map (lockfileVersion 2 or 3 needed)"));
    items.push_back(std::move(head));
    return;
  }
  std::string cache = flags.npm_cache.empty() ? DefaultNpmCache() : flags.npm_cache;
  fs::path root = lock.parent_path();
  for (const auto& [key, value] : *packages) {
    if (key.empty() || !value.is_object()) continue;  // "" is the project itself
    const json::object& entry = value.as_object();
    if (GetBool(entry, "link").value_or(false)) continue;
    Item item(StrCat(lock.filename().string(), ":", std::string_view(key)));
    fs::path installed = root / std::string_view(key);
    std::error_code ec;
    if (fs::is_regular_file(installed / "package.json", ec)) {
      ScanFolder(scanner, installed, item);
    } else if (auto integrity = GetString(entry, "integrity")) {
      if (auto cached = CachedTarball(cache, *integrity)) {
        ScanTarballFile(scanner, *cached, item);
      } else {
        item.report = absl::NotFoundError(
            StrCat(std::string_view(key), " is neither installed beside the lock nor in the npm "
                   "cache ", cache, " (run npm ci or npm cache add first)"));
      }
    } else {
      continue;
    }
    items.push_back(std::move(item));
  }
}

json::object ReportJson(const Item& item) {
  json::object o{{"target", item.label}};
  if (!item.name.empty()) o["name"] = item.name;
  if (!item.version.empty()) o["version"] = item.version;
  if (!item.report.ok()) {
    o["error"] = std::string(item.report.status().message());
    return o;
  }
  const scan::ScanReport& r = *item.report;
  o["verdict"] = std::string(scan::VerdictName(r.verdict));
  json::array caps;
  for (const auto& c : r.capabilities) caps.emplace_back(c);
  o["capabilities"] = std::move(caps);
  o["files_scanned"] = r.files_scanned;
  o["bytes_scanned"] = r.bytes_scanned;
  o["millis"] = item.millis;
  json::array findings;
  for (const auto& f : r.findings) {
    findings.push_back(json::object{{"rule_id", f.rule_id},
                                    {"severity", std::string(scan::SeverityName(f.severity))},
                                    {"suggests", std::string(scan::VerdictName(f.suggests))},
                                    {"file", f.file},
                                    {"line", f.line},
                                    {"evidence", f.evidence},
                                    {"explanation", f.explanation}});
  }
  o["findings"] = std::move(findings);
  return o;
}

void PrintText(const Item& item) {
  std::string who = item.name.empty() ? item.label
                                      : StrCat(item.name, "@", item.version, " (", item.label, ")");
  if (!item.report.ok()) {
    std::printf("%s: error: %s\n", who.c_str(), std::string(item.report.status().message()).c_str());
    return;
  }
  const scan::ScanReport& r = *item.report;
  std::printf("%s: %s — %zu findings, %u files, %llu bytes; capabilities: %s\n", who.c_str(),
              std::string(scan::VerdictName(r.verdict)).c_str(), r.findings.size(),
              r.files_scanned, static_cast<unsigned long long>(r.bytes_scanned),
              r.capabilities.empty() ? "none" : StrJoin(r.capabilities, ", ").c_str());
  for (const auto& f : r.findings) {
    std::string where = f.file.empty() ? "package" : f.file;
    if (f.line) where = StrCat(where, ":", f.line);
    std::printf("  %-6s %-8s %-28s %s\n", std::string(scan::VerdictName(f.suggests)).c_str(),
                std::string(scan::SeverityName(f.severity)).c_str(), f.rule_id.c_str(),
                where.c_str());
    if (!f.evidence.empty()) std::printf("         | %s\n", f.evidence.c_str());
    std::printf("         %s\n", f.explanation.c_str());
  }
}

int RunScan(const ScanFlags& flags) {
  scan::ScannerOptions options;
  options.rule_dirs = flags.rules;
  auto scanner = scan::Scanner::Create(options);
  if (!scanner.ok()) return Fail(scanner.status());
  std::vector<Item> items;
  for (const std::string& target : flags.targets) {
    fs::path p(target);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      if (fs::is_regular_file(p / "package.json", ec)) {
        Item item(target);
        ScanFolder(**scanner, p, item);
        items.push_back(std::move(item));
        continue;
      }
      std::vector<fs::path> tarballs;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        std::string n = e.path().filename().string();
        if (e.is_regular_file() && (EndsWith(n, ".tgz") || EndsWith(n, ".tar.gz"))) {
          tarballs.push_back(e.path());
        }
      }
      std::sort(tarballs.begin(), tarballs.end());
      if (tarballs.empty()) {
        Item item(target);
        item.report = absl::InvalidArgumentError(
            StrCat(target, ": neither a package folder (no package.json) nor a folder of .tgz files"));
        items.push_back(std::move(item));
      }
      for (const auto& t : tarballs) {
        Item item(t.string());
        ScanTarballFile(**scanner, t, item);
        items.push_back(std::move(item));
      }
    } else if (p.filename() == "package-lock.json" || p.filename() == "npm-shrinkwrap.json") {
      ExpandLock(**scanner, p, flags, items);
    } else {
      Item item(target);
      ScanTarballFile(**scanner, p, item);
      items.push_back(std::move(item));
    }
  }
  bool held = false, failed = false;
  json::array out;
  for (const Item& item : items) {
    if (!item.report.ok()) failed = true;
    else if (item.report->verdict >= scan::Verdict::kHold) held = true;
    if (flags.json) out.push_back(ReportJson(item));
    else PrintText(item);
  }
  if (flags.json) std::printf("%s\n", ToJson(out).c_str());
  for (const Item& item : items) {
    if (!item.report.ok() && flags.json) {
      std::fprintf(stderr, "bulwark: %s\n", std::string(item.report.status().message()).c_str());
    }
  }
  return failed ? 2 : held ? 1 : 0;
}

}  // namespace

void AddScanCommand(CLI::App& app, CommonFlags& /*flags*/, int& exit_code) {
  auto flags = std::make_shared<ScanFlags>();
  CLI::App* cmd = app.add_subcommand(
      "scan", "Scan package tarballs, folders or a package-lock's packages for malware and secrets");
  cmd->add_option("targets", flags->targets, "TARBALL, package FOLDER, folder of tarballs, or package-lock.json")
      ->required();
  cmd->add_flag("--json", flags->json, "Print one JSON array of reports");
  cmd->add_option("--rules", flags->rules, "Extra rule-pack folder (*.yar, *.sha256); repeatable");
  cmd->add_option("--npm-cache", flags->npm_cache, "npm's cacache folder for package-lock targets");
  cmd->callback([&exit_code, flags] { exit_code = RunScan(*flags); });
}

}  // namespace bulwark::cli
