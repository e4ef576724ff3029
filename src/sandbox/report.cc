#include "sandbox/report.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "base/hash.h"
#include "base/strings.h"
#include "sandbox/decoys.h"

namespace bulwark::sandbox {
namespace {

constexpr size_t kMaxRegistryRecords = 500;  // Forwarded registry reads kept per report.
constexpr size_t kMaxEvents = 2000;      // Per report; the rest are counted, not kept.
constexpr int64_t kLongSleepSeconds = 30;  // Longer sleeps wait out analysis sandboxes.
constexpr size_t kExfilLabel = 32;       // DNS labels this long carry data, not names.
constexpr int kForkBombFailures = 20;    // Failed forks before it counts as resource abuse.

bool Under(std::string_view path, std::string_view dir) {
  return path.size() > dir.size() && StartsWith(path, dir) && path[dir.size()] == '/';
}

bool IsInstallPhase(std::string_view phase) {
  return phase == "preinstall" || phase == "install" || phase == "postinstall" ||
         phase == "prepare" || phase == "preprepare" || phase == "postprepare";
}

std::string Base(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool IsShell(std::string_view exe) {
  std::string b = Base(exe);
  return b == "sh" || b == "bash" || b == "dash" || b == "zsh" || b == "ash" || b == "ksh";
}

bool IsDownloader(std::string_view exe) {
  static const std::set<std::string> kTools = {"curl", "wget", "nc", "ncat", "netcat", "socat",
                                               "telnet", "ftp", "tftp", "aria2c", "scp", "sftp",
                                               "rsync", "powershell", "pwsh"};
  return kTools.count(Base(exe)) > 0;
}

// Paths a package writes to persist or spread (GuardDog / package-analysis write-ups).
std::string PersistenceTarget(std::string_view path, std::string_view package_dir) {
  static constexpr std::string_view kRc[] = {"/.bashrc", "/.bash_profile", "/.profile", "/.zshrc",
                                             "/.zprofile", "/.bash_login", "/.npmrc",
                                             "/.ssh/authorized_keys", "/.gitconfig"};
  for (auto rc : kRc) {
    if (path == StrCat(kHome, rc)) return "shell or credential file";
  }
  if (StrContains(path, "/.git/hooks/")) return "git hook";
  if (StrContains(path, "/.github/workflows/")) return "CI workflow";
  if (StartsWith(path, "/etc/cron") || StartsWith(path, "/var/spool/cron")) return "cron";
  if (StartsWith(path, StrCat(kHome, "/.config/autostart")) ||
      StartsWith(path, StrCat(kHome, "/.config/systemd"))) {
    return "autostart";
  }
  const std::string modules = StrCat(kProject, "/node_modules/");
  if (StartsWith(path, modules) && !(path == package_dir || Under(path, package_dir)) &&
      !StartsWith(path, modules + ".bin/") && !StartsWith(path, modules + ".package-lock") &&
      !StartsWith(path, modules + ".")) {
    return "another package in node_modules";
  }
  return "";
}

// Where a downloaded second stage lands: temp folders and the home outside the project.
bool InDropFolder(std::string_view path) {
  if (StrContains(path, "/node_modules/.bin/")) return false;  // npm's PATH entries.
  return StartsWith(path, "/tmp/") || StartsWith(path, "/var/tmp/") ||
         StartsWith(path, "/dev/shm/") || (Under(path, kHome) && !Under(path, kProject));
}

bool IsInterpreter(std::string_view exe) {
  std::string b = Base(exe);
  return IsShell(exe) || b == "node" || b == "perl" || StartsWith(b, "python") || b == "ruby";
}

bool KeepEvent(const Event& e, std::string_view package_dir) {
  if (e.phase == "npm") return false;
  // npm run by a script: its file and network work is the package manager's, but what it runs
  // (and that it was run, `npm publish` included) is the package's doing.
  if (e.exe == "npm" && e.kind != "exec") return false;
  if (e.kind == "exec" || e.kind == "ptrace" || e.kind == "kill" || e.kind == "sleep" ||
      e.kind == "clone-failed") {
    return true;
  }
  if (e.kind == "connect" || e.kind == "send") return !StartsWith(e.address, "unix:");
  const std::string& p = e.path;
  if (p == package_dir || Under(p, package_dir)) {
    return e.kind == "delete" || e.kind == "rename";  // Self-deletion is anti-analysis.
  }
  if (StartsWith(p, "/dev/") || StartsWith(p, "/proc/self/") || StartsWith(p, "/proc/thread-self")) {
    return false;
  }
  if (e.kind == "read") {
    if (Under(p, kHome)) return !Under(p, kProject);
    return p == "/.dockerenv" || StartsWith(p, "/proc/1/") || p == "/etc/shadow" ||
           StartsWith(p, "/sys/class/dmi/") || (StartsWith(p, "/proc/") && EndsWith(p, "/environ"));
  }
  return true;
}

json::object EventJson(const Event& e) {
  json::object o;
  o["t"] = e.t;
  o["pid"] = e.pid;
  o["phase"] = e.phase;
  o["kind"] = e.kind;
  if (!e.path.empty()) o["path"] = e.path;
  if (!e.path2.empty()) o["path2"] = e.path2;
  if (!e.argv.empty()) {
    json::array a;
    for (auto& s : e.argv) a.emplace_back(s.substr(0, 1024));
    o["argv"] = std::move(a);
  }
  if (!e.address.empty()) {
    o["address"] = e.address;
    o["port"] = e.port;
  }
  if (e.number != 0) o["number"] = e.number;
  if (!e.ok) o["error"] = e.error.empty() ? "failed" : e.error;
  if (!e.exe.empty()) o["exe"] = e.exe;
  if (!e.parent_exe.empty()) o["parent_exe"] = e.parent_exe;
  return o;
}

std::string S(const json::object& o, std::string_view k) {
  auto v = GetString(o, k);
  return v ? std::string(*v) : "";
}

// Encodings a stealer uses before sending a secret.
std::vector<std::string> Encodings(std::string_view marker) {
  std::string b64;
  {
    static constexpr char kB64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // Base64 of the first 30 bytes (a multiple of 3, so a prefix of any longer encoding).
    std::string_view m = marker.substr(0, marker.size() - marker.size() % 3);
    for (size_t i = 0; i + 2 < m.size(); i += 3) {
      unsigned v = (static_cast<unsigned char>(m[i]) << 16) |
                   (static_cast<unsigned char>(m[i + 1]) << 8) | static_cast<unsigned char>(m[i + 2]);
      b64 += kB64[(v >> 18) & 63];
      b64 += kB64[(v >> 12) & 63];
      b64 += kB64[(v >> 6) & 63];
      b64 += kB64[v & 63];
    }
  }
  return {std::string(marker), HexEncode(marker), AsciiStrToLower(marker), b64};
}

}  // namespace

std::string_view Verdict(const std::vector<Finding>& findings) {
  std::string_view v = kVerdictClean;
  for (const Finding& f : findings) {
    if (f.severity == "critical" || f.severity == "high") return kVerdictMalicious;
    if (f.severity == "medium") v = kVerdictSuspicious;
  }
  return v;
}

std::vector<Finding> ApplyRules(const std::vector<Event>& events, const json::array& sinks,
                                const json::array& left, bool timed_out,
                                std::string_view token, std::string_view package_dir) {
  std::vector<Finding> out;
  std::set<std::string> seen;
  auto add = [&](std::string rule, std::string severity, std::string phase, std::string summary) {
    if (!seen.insert(rule + "|" + summary).second) return;
    out.push_back({std::move(rule), std::move(severity), std::move(phase), std::move(summary)});
  };
  std::set<std::string> secret_paths;
  for (const Decoy& d : Decoys(token)) {
    if (d.secret) secret_paths.insert(d.path);
  }
  int failed_forks = 0;
  std::set<std::string> shell_downloader_phases;
  for (const Event& e : events) {
    const bool install = IsInstallPhase(e.phase);
    if (e.kind == "read" && e.ok && secret_paths.count(e.path)) {
      add("decoy-secret-read", "high", e.phase, StrCat("read ", e.path));
    } else if (e.kind == "exec") {
      const std::string cmd = StrJoin(e.argv, " ");
      // A script publishing: the worm pattern (Shai-Hulud republishes with a found token).
      if (install && (StrContains(cmd, "npm publish") || StrContains(cmd, "npm-cli.js publish") ||
                      StrContains(cmd, "/npm publish"))) {
        add("npm-publish-from-script", "high", e.phase, cmd.substr(0, 200));
      }
      if (IsDownloader(e.path)) {
        add("downloader-spawned", "high", e.phase, StrCat("ran ", Base(e.path), ": ", cmd.substr(0, 200)));
      } else if (IsShell(e.path) &&
                 (StrContains(cmd, "curl ") || StrContains(cmd, "wget ") ||
                  StrContains(cmd, "/dev/tcp/") || StrContains(cmd, "base64 -d") ||
                  StrContains(cmd, "| sh") || StrContains(cmd, "|sh") || StrContains(cmd, "| bash"))) {
        // npm's own `sh -c <script>` and the script's shells carry the same text: once a phase.
        if (shell_downloader_phases.insert(e.phase).second) {
          add("downloader-spawned", "high", e.phase, StrCat("shell downloader: ", cmd.substr(0, 200)));
        }
      } else if (install && IsShell(e.path) && !e.parent_exe.empty() &&
                 !IsShell(e.parent_exe) && Base(e.parent_exe) != "npm" &&
                 (StrContains(cmd, " -i") || e.argv.size() <= 1)) {
        add("shell-spawned", "high", e.phase, StrCat("interactive shell from ", Base(e.parent_exe)));
      }
      // A failed exec counts (a second stage in the wrong format is still an attempt), except
      // ENOENT: PATH lookups try folders where nothing was dropped.
      if (InDropFolder(e.path) && e.error != "ENOENT") {
        add("dropped-executable", "high", e.phase, StrCat("ran ", e.path));
      } else if (IsInterpreter(e.path) && e.argv.size() >= 2 && InDropFolder(e.argv[1])) {
        add("dropped-executable", "high", e.phase, StrCat("ran ", e.argv[1], " with ", Base(e.path)));
      }
    } else if (e.kind == "chmod" && e.ok && InDropFolder(e.path) && !e.argv.empty() &&
               (std::strtoul(e.argv[0].c_str(), nullptr, 8) & 0111) != 0) {
      add("dropped-executable", "high", e.phase, StrCat("made executable: ", e.path));
    } else if ((e.kind == "write" || e.kind == "rename" || e.kind == "link" || e.kind == "chmod" ||
                e.kind == "delete") && e.ok) {
      // A rename or link lands on its second path; a delete inside the package is the package
      // removing its own traces.
      const std::string& target = e.kind == "rename" || e.kind == "link" ? e.path2 : e.path;
      const std::string what = PersistenceTarget(target, package_dir);
      if (e.kind == "delete" && Under(e.path, package_dir)) {
        if (IsInstallPhase(e.phase)) {
          add("anti-analysis", "medium", e.phase, StrCat("self-deletion: ", e.path));
        }
      } else if (!what.empty()) {
        add("write-outside-package", "high", e.phase, StrCat(e.kind, " ", target, " (", what, ")"));
      } else if (Under(target, kHome) && !Under(target, kProject)) {
        add("write-outside-package", "medium", e.phase, StrCat(e.kind, " ", target));
      }
    } else if ((e.kind == "connect" || e.kind == "send") && install && e.port != 53) {
      add("network-during-install", "medium", e.phase,
          StrCat(e.kind, " ", e.address, ":", e.port));
    } else if (e.kind == "ptrace") {
      add("tracer-tamper", "high", e.phase, StrCat("ptrace ", e.argv.empty() ? "" : e.argv[0],
                                                   " of pid ", e.number));
    } else if (e.kind == "kill" && (e.number == 1 || e.number == -1 || (!e.ok && e.error == "EPERM"))) {
      add("tracer-tamper", "high", e.phase, StrCat("kill of pid ", e.number, " (",
                                                   e.ok ? "allowed" : e.error, ")"));
    } else if (e.kind == "sleep" && e.number >= kLongSleepSeconds) {
      add("anti-analysis", "medium", e.phase, StrCat("sleep of ", e.number, " s"));
    } else if (e.kind == "read" && (e.path == "/.dockerenv" || StartsWith(e.path, "/proc/1/") ||
                                    StartsWith(e.path, "/sys/class/dmi/"))) {
      add("anti-analysis", "medium", e.phase, StrCat("sandbox check: read ", e.path));
    } else if (e.kind == "clone-failed") {
      ++failed_forks;
    }
  }
  if (failed_forks >= kForkBombFailures) {
    add("resource-abuse", "high", "", StrCat(failed_forks, " forks refused by the process limit"));
  }
  if (timed_out) add("anti-analysis", "medium", "", "still running at the time limit");
  for (const auto& l : left) {
    if (!l.is_object()) continue;
    add("left-running", "high", "", StrCat("process left running: ", S(l.as_object(), "cmdline")));
  }
  std::vector<std::pair<std::string, std::string>> markers;
  for (const std::string& m : DecoyMarkers(token)) {
    for (std::string& enc : Encodings(m)) markers.emplace_back(m, std::move(enc));
  }
  for (const auto& s : sinks) {
    if (!s.is_object()) continue;
    const json::object& r = s.as_object();
    const std::string text = ToJson(r);
    const std::string kind = S(r, "kind");
    bool sent = false;
    for (const auto& [m, enc] : markers) {
      if (enc.size() >= 16 && StrContains(text, enc)) {
        add("credential-sent", "critical", S(r, "phase"),
            StrCat("a decoy secret (", m.substr(0, 8), "...) was sent over ", kind,
                   kind == "dns" ? StrCat(" to ", S(r, "name")) : StrCat(" port ", GetInt(r, "port").value_or(0))));
        sent = true;
        break;
      }
    }
    if (sent) continue;
    if (kind == "dns") {
      const std::string name = S(r, "name");
      for (std::string_view label : StrSplit(name, '.')) {
        if (label.size() >= kExfilLabel) {
          add("dns-exfiltration", "high", S(r, "phase"), StrCat("data-like DNS name ", name.substr(0, 120)));
          break;
        }
      }
    }
  }
  return out;
}

json::object BuildReport(const ReportInput& in) {
  const std::string package_dir =
      in.name.empty() ? StrCat(kProject, "/node_modules") : StrCat(kProject, "/node_modules/", in.name);
  std::vector<Event> all = BuildEvents(ParseTrace(in.run.trace));
  // Files the package's scripts created themselves: deleting those is cleaning up, not hiding.
  std::set<std::string> created;
  for (const Event& e : all) {
    if (e.kind == "write" && e.ok && e.phase != "npm") created.insert(e.path);
    if (e.kind == "rename" && e.ok && e.phase != "npm") created.insert(e.path2);
  }
  std::vector<Event> kept;
  size_t dropped = 0;
  for (Event& e : all) {
    if (!KeepEvent(e, package_dir)) continue;
    if (e.kind == "delete" && Under(e.path, package_dir) && created.count(e.path)) continue;
    if (kept.size() >= kMaxEvents) {
      ++dropped;
      continue;
    }
    kept.push_back(std::move(e));
  }
  // Phases for sink records: the phase of the last contact of the same port before them.
  json::array sinks;
  for (std::string_view line : StrSplit(in.run.sinks, '\n', SkipEmpty())) {
    auto v = ParseJson(line);
    if (!v.ok() || !v->is_object()) continue;
    json::object r = v->as_object();
    const double t = r.contains("t") && r.at("t").is_double() ? r.at("t").as_double() : 0;
    const int64_t port = S(r, "kind") == "dns" ? 53 : GetInt(r, "port").value_or(0);
    std::string phase = "npm";
    for (const Event& e : kept) {
      if ((e.kind == "connect" || e.kind == "send") && e.port == port && e.t <= t + 0.05) {
        phase = e.phase;
      }
    }
    r["phase"] = phase;
    if (phase != "npm") sinks.push_back(std::move(r));
  }
  // Registry reads forwarded to Bulwark (dependencies): listed, not network findings; those a
  // script made (not npm) also go through the rules over sinks (a decoy in a path).
  json::array registry;
  for (std::string_view line : StrSplit(in.run.registry, '\n', SkipEmpty())) {
    auto v = ParseJson(line);
    if (!v.ok() || !v->is_object()) continue;
    json::object r = v->as_object();
    const double t = r.contains("t") && r.at("t").is_double() ? r.at("t").as_double() : 0;
    std::string phase = "npm";
    for (const Event& e : kept) {
      if ((e.kind == "connect" || e.kind == "send") && e.port == GetInt(r, "port").value_or(0) &&
          e.t <= t + 0.05) {
        phase = e.phase;
      }
    }
    r["phase"] = phase;
    if (phase != "npm") sinks.push_back(r);
    if (registry.size() < kMaxRegistryRecords) registry.push_back(std::move(r));
  }
  json::array left;
  for (std::string_view line : StrSplit(in.run.left_running, '\n', SkipEmpty())) {
    size_t tab = line.find('\t');
    json::object l;
    int64_t pid = 0;
    SimpleAtoi(line.substr(0, tab), &pid);
    l["pid"] = pid;
    l["cmdline"] = tab == std::string_view::npos ? "" : std::string(line.substr(tab + 1, 512));
    left.push_back(std::move(l));
  }
  std::vector<Finding> findings =
      ApplyRules(kept, sinks, left, in.run.timed_out, in.honey_token, package_dir);
  json::object report;
  report["schema"] = 1;
  report["name"] = in.name;
  report["version"] = in.version;
  report["verdict"] = std::string(Verdict(findings));
  report["seconds"] = in.run.seconds;
  report["timed_out"] = in.run.timed_out;
  report["exit_code"] = in.run.exit_code;
  json::array fj;
  for (const Finding& f : findings) {
    json::object o;
    o["rule"] = f.rule;
    o["severity"] = f.severity;
    o["phase"] = f.phase;
    o["summary"] = f.summary;
    fj.push_back(std::move(o));
  }
  report["findings"] = std::move(fj);
  json::array ej;
  std::set<std::string> phases;
  for (const Event& e : kept) {
    ej.push_back(EventJson(e));
    phases.insert(e.phase);
  }
  report["events"] = std::move(ej);
  report["events_dropped"] = static_cast<int64_t>(dropped);
  json::array pj;
  for (auto& p : phases) pj.emplace_back(p);
  report["phases"] = std::move(pj);
  report["sinks"] = std::move(sinks);
  report["registry"] = std::move(registry);
  report["left_running"] = std::move(left);
  std::string output = in.run.output.substr(0, 4096);
  report["output"] = output;
  return report;
}

json::array DiffReports(const json::object& previous, const json::object& current) {
  auto keys = [](const json::object& r) {
    std::set<std::string> k;
    if (auto* f = GetArray(r, "findings")) {
      for (auto& v : *f) {
        if (v.is_object()) k.insert(StrCat("finding: ", S(v.as_object(), "rule"), " ", S(v.as_object(), "summary")));
      }
    }
    if (auto* ev = GetArray(r, "events")) {
      for (auto& v : *ev) {
        if (!v.is_object()) continue;
        const json::object& e = v.as_object();
        const std::string kind = S(e, "kind");
        if (kind == "exec") k.insert(StrCat("exec: ", Base(S(e, "path")), " (", S(e, "phase"), ")"));
        if (kind == "connect" || kind == "send") {
          k.insert(StrCat("network: ", S(e, "address"), ":", GetInt(e, "port").value_or(0), " (", S(e, "phase"), ")"));
        }
        if (kind == "write" || kind == "rename" || kind == "delete") {
          k.insert(StrCat(kind, ": ", S(e, "path")));
        }
        if (kind == "read") k.insert(StrCat("read: ", S(e, "path")));
      }
    }
    if (auto* s = GetArray(r, "sinks")) {
      for (auto& v : *s) {
        if (v.is_object() && S(v.as_object(), "kind") == "dns") k.insert(StrCat("dns: ", S(v.as_object(), "name")));
      }
    }
    return k;
  };
  auto before = keys(previous);
  json::array out;
  for (const std::string& k : keys(current)) {
    if (!before.count(k)) out.emplace_back(k);
  }
  return out;
}

std::string FormatReport(const json::object& r) {
  std::string out = StrCat(S(r, "name"), "@", S(r, "version"), ": ", S(r, "verdict"));
  if (r.contains("seconds") && r.at("seconds").is_double()) {
    StrAppend(&out, " (", static_cast<int64_t>(r.at("seconds").as_double() * 1000), " ms");
    if (GetBool(r, "timed_out").value_or(false)) out += ", timed out";
    out += ")";
  }
  out += "\n";
  if (auto* f = GetArray(r, "findings")) {
    for (auto& v : *f) {
      if (!v.is_object()) continue;
      const json::object& o = v.as_object();
      StrAppend(&out, "  [", S(o, "severity"), "] ", S(o, "rule"), " (", S(o, "phase").empty() ? "-" : S(o, "phase"),
                "): ", S(o, "summary"), "\n");
    }
  }
  if (auto* ev = GetArray(r, "events")) {
    StrAppend(&out, "  ", ev->size(), " events recorded outside npm's own work\n");
    size_t shown = 0;
    for (auto& v : *ev) {
      if (!v.is_object() || shown >= 40) continue;
      const json::object& e = v.as_object();
      const std::string kind = S(e, "kind");
      std::string detail = kind == "exec" ? S(e, "path") : kind == "connect" || kind == "send"
                               ? StrCat(S(e, "address"), ":", GetInt(e, "port").value_or(0))
                               : S(e, "path");
      if (kind == "exec" && e.contains("argv") && e.at("argv").is_array()) {
        std::vector<std::string> args;
        for (auto& a : e.at("argv").as_array()) {
          if (a.is_string()) args.emplace_back(a.as_string().c_str());
        }
        detail = StrJoin(args, " ").substr(0, 160);
      }
      StrAppend(&out, "    ", S(e, "phase"), " ", kind, " ", detail,
                e.contains("error") ? StrCat(" (", S(e, "error"), ")") : "", "\n");
      ++shown;
    }
  }
  if (auto* s = GetArray(r, "sinks")) {
    for (auto& v : *s) {
      if (!v.is_object()) continue;
      const json::object& o = v.as_object();
      const std::string kind = S(o, "kind");
      StrAppend(&out, "    sink ", kind, " ",
                kind == "dns" ? S(o, "name")
                              : kind == "http" ? StrCat(S(o, "method"), " ", S(o, "target").substr(0, 120))
                                               : StrCat("port ", GetInt(o, "port").value_or(0)),
                "\n");
    }
  }
  if (auto* l = GetArray(r, "left_running")) {
    for (auto& v : *l) {
      if (v.is_object()) StrAppend(&out, "    left running: ", S(v.as_object(), "cmdline"), "\n");
    }
  }
  if (auto* d = GetArray(r, "new_behaviour")) {
    if (!d->empty()) out += "  new since the previous version:\n";
    for (auto& v : *d) {
      if (v.is_string()) StrAppend(&out, "    + ", std::string(v.as_string().c_str()), "\n");
    }
  }
  return out;
}

}  // namespace bulwark::sandbox
