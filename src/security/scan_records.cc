// How a ScanReport and a held publish are stored (ModerationStore's JSON columns) and read back.

#include "base/strings.h"
#include "security/scan_gate.h"

namespace bulwark {

using scan::Finding;
using scan::Severity;
using scan::Verdict;

json::object ReportToJson(const scan::ScanReport& r) {
  json::array findings;
  for (const auto& f : r.findings) {
    findings.emplace_back(json::object{{"rule", f.rule_id},
                                       {"severity", scan::SeverityName(f.severity)},
                                       {"suggests", scan::VerdictName(f.suggests)},
                                       {"file", f.file},
                                       {"line", f.line},
                                       {"evidence", f.evidence},
                                       {"explanation", f.explanation}});
  }
  json::array caps;
  for (const auto& c : r.capabilities) caps.emplace_back(c);
  return json::object{{"verdict", scan::VerdictName(r.verdict)},
                      {"findings", std::move(findings)},
                      {"capabilities", std::move(caps)},
                      {"bytes_scanned", r.bytes_scanned},
                      {"files_scanned", r.files_scanned}};
}

scan::ScanReport ReportFromJson(const json::object& o) {
  auto verdict = [](std::string_view s) {
    for (int i = 0; i < 4; ++i) {
      if (scan::VerdictName(static_cast<Verdict>(i)) == s) return static_cast<Verdict>(i);
    }
    return Verdict::kClean;
  };
  scan::ScanReport r;
  r.verdict = verdict(GetString(o, "verdict").value_or(""));
  if (const json::array* fs = GetArray(o, "findings")) {
    for (const auto& v : *fs) {
      if (!v.is_object()) continue;
      const json::object& f = v.get_object();
      Finding out;
      out.rule_id = GetString(f, "rule").value_or("");
      std::string_view sev = GetString(f, "severity").value_or("info");
      for (int i = 0; i < 5; ++i) {
        if (scan::SeverityName(static_cast<Severity>(i)) == sev) {
          out.severity = static_cast<Severity>(i);
        }
      }
      out.suggests = verdict(GetString(f, "suggests").value_or(""));
      out.file = GetString(f, "file").value_or("");
      out.line = static_cast<uint32_t>(GetInt(f, "line").value_or(0));
      out.evidence = GetString(f, "evidence").value_or("");
      out.explanation = GetString(f, "explanation").value_or("");
      r.findings.push_back(std::move(out));
    }
  }
  if (const json::array* cs = GetArray(o, "capabilities")) {
    for (const auto& c : *cs) {
      if (c.is_string()) r.capabilities.emplace_back(c.get_string());
    }
  }
  r.bytes_scanned = static_cast<uint64_t>(GetInt(o, "bytes_scanned").value_or(0));
  r.files_scanned = static_cast<uint32_t>(GetInt(o, "files_scanned").value_or(0));
  return r;
}

std::string HeldToJson(const HeldPublish& h) {
  json::object tags;
  for (const auto& [t, v] : h.tags) tags[t] = v;
  const VersionRecord& v = h.version;
  json::object o{{"name", h.name},
                 {"publisher", h.publisher},
                 {"version", v.version},
                 {"manifest", v.manifest_json},
                 {"integrity", v.integrity},
                 {"shasum", v.shasum},
                 {"blob_key", v.blob_key},
                 {"size", v.size},
                 {"tags", std::move(tags)},
                 {"readme", h.readme},
                 {"readme_filename", h.readme_filename}};
  if (h.restricted) o["restricted"] = *h.restricted;
  return ToJson(o);
}

absl::StatusOr<HeldPublish> HeldFromJson(std::string_view text) {
  auto parsed = ParseJson(text);
  if (!parsed.ok() || !parsed->is_object()) {
    return absl::InvalidArgumentError("the held publish record is corrupt");
  }
  const json::object& o = parsed->get_object();
  HeldPublish h;
  h.name = GetString(o, "name").value_or("");
  h.publisher = GetString(o, "publisher").value_or("");
  h.version.version = GetString(o, "version").value_or("");
  h.version.manifest_json = GetString(o, "manifest").value_or("");
  h.version.integrity = GetString(o, "integrity").value_or("");
  h.version.shasum = GetString(o, "shasum").value_or("");
  h.version.blob_key = GetString(o, "blob_key").value_or("");
  h.version.size = static_cast<uint64_t>(GetInt(o, "size").value_or(0));
  if (const json::object* t = GetObject(o, "tags")) {
    for (const auto& [k, v] : *t) {
      if (v.is_string()) h.tags[std::string(k)] = std::string(v.get_string());
    }
  }
  h.restricted = GetBool(o, "restricted");
  h.readme = GetString(o, "readme").value_or("");
  h.readme_filename = GetString(o, "readme_filename").value_or("");
  if (h.name.empty() || h.version.version.empty() || h.version.blob_key.empty()) {
    return absl::InvalidArgumentError("the held publish record is incomplete");
  }
  return h;
}

}  // namespace bulwark
