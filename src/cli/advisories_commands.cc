// `bulwark advisories import PATH...`, `bulwark advisories list [--package NAME]`,
// `bulwark advisories add` and `bulwark advisories withdraw ID` (docs/advisories.md).
//
// import reads OSV JSON files, folders of them (recursively), zip archives of them (the form
// OSV and GitHub publish their databases in) and the npm / Node Security WG export
// (.jsonl, gzip'd or not). Exit codes: 0 when everything was imported or skipped for a stated
// reason, 1 when some input could not be read or parsed, 2 on error.

#include <archive.h>
#include <archive_entry.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "base/json.h"
#include "base/strings.h"
#include "bulwark/env/clock.h"
#include "bulwark/env/random.h"
#include "cli/common.h"
#include "security/advisories/advisory.h"
#include "security/advisories/gunzip.h"
#include "security/advisories/records.h"
#include "server/app.h"

namespace bulwark::cli {
namespace {

namespace fs = std::filesystem;
using advisories::Advisory;

// One OSV document is a few KB; the npm export is ~1 MB. The caps stop a hostile archive or
// gzip stream (a bomb) from exhausting memory.
constexpr size_t kMaxFileBytes = 64u << 20;
constexpr size_t kMaxInflatedBytes = 512u << 20;
constexpr size_t kBatch = 1000;  // Advisories per transaction.

class Importer {
 public:
  explicit Importer(AdvisoryStore& store) : store_(store) {}

  void ImportPath(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (auto it = fs::recursive_directory_iterator(path, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file(ec)) files.push_back(it->path().string());
      }
      if (ec) Problem(path, StrCat("cannot list: ", ec.message()));
      std::sort(files.begin(), files.end());
      for (const std::string& f : files) {
        if (EndsWith(f, ".json") || EndsWith(f, ".zip") || EndsWith(f, ".jsonl") ||
            EndsWith(f, ".jsonl.gz")) {
          ImportFile(f);
        }
      }
      return;
    }
    ImportFile(path);
  }

  absl::Status Flush() {
    if (pending_.empty()) return absl::OkStatus();
    std::vector<AdvisoryRecord> records;
    records.reserve(pending_.size());
    for (const Advisory& a : pending_) records.push_back(advisories::ToRecord(a));
    BULWARK_ASSIGN_OR_RETURN(std::vector<AdvisoryStore::UpsertResult> results,
                             store_.UpsertBatch(records));
    for (size_t i = 0; i < results.size(); ++i) {
      using R = AdvisoryStore::UpsertResult;
      switch (results[i]) {
        case R::kCreated:
        case R::kUpdated:
          ++(results[i] == R::kCreated ? created_ : updated_);
          if (records[i].withdrawn) ++withdrawn_;
          break;
        case R::kUnchanged:
          ++unchanged_;
          break;
        case R::kStale:
          ++stale_;
          break;
      }
    }
    pending_.clear();
    return absl::OkStatus();
  }

  absl::Status status() const { return status_; }
  bool had_problems() const { return problems_ > 0; }

  void Report(bool as_json) const {
    if (as_json) {
      json::object skipped;
      for (const auto& [reason, n] : skipped_) skipped[reason] = n;
      std::printf("%s\n", ToJson(json::object{{"new", created_},
                                              {"updated", updated_},
                                              {"unchanged", unchanged_},
                                              {"older", stale_},
                                              {"withdrawn", withdrawn_},
                                              {"skipped", std::move(skipped)},
                                              {"errors", problems_}})
                              .c_str());
      return;
    }
    std::printf("%lld new, %lld updated, %lld unchanged, %lld older than stored (kept), "
                "%lld withdrawn\n",
                static_cast<long long>(created_), static_cast<long long>(updated_),
                static_cast<long long>(unchanged_), static_cast<long long>(stale_),
                static_cast<long long>(withdrawn_));
    for (const auto& [reason, n] : skipped_) {
      std::printf("skipped %lld: %s\n", static_cast<long long>(n), reason.c_str());
    }
  }

 private:
  void Problem(std::string_view where, std::string_view what) {
    ++problems_;
    ++skipped_["unreadable or not an advisory (see errors above)"];
    std::fprintf(stderr, "bulwark: %.*s: %.*s\n", static_cast<int>(where.size()), where.data(),
                 static_cast<int>(what.size()), what.data());
  }

  void Add(Advisory a) {
    if (!status_.ok()) return;
    if (advisories::NpmPackages(a).empty()) {
      ++skipped_["no npm package affected"];
      return;
    }
    pending_.push_back(std::move(a));
    if (pending_.size() >= kBatch) {
      absl::Status s = Flush();
      if (!s.ok()) status_ = s;
    }
  }

  void ImportOsvText(std::string_view where, std::string_view text) {
    auto doc = ParseJson(text);
    if (!doc.ok()) return Problem(where, std::string(doc.status().message()));
    // Some dumps put several documents in one array.
    if (doc->is_array()) {
      for (const auto& v : doc->get_array()) ImportOsvValue(where, v);
      return;
    }
    ImportOsvValue(where, *doc);
  }

  void ImportOsvValue(std::string_view where, const json::value& v) {
    auto a = advisories::ParseOsv(v);
    if (!a.ok()) return Problem(where, std::string(a.status().message()));
    Add(std::move(*a));
  }

  void ImportNpmLines(std::string_view where, std::string_view text) {
    size_t line_no = 0;
    for (std::string_view line : StrSplit(text, '\n')) {
      ++line_no;
      if (StripAsciiWhitespace(line).empty()) continue;
      auto list = advisories::ParseNpmAdvisoryLine(line);
      if (!list.ok()) {
        Problem(StrCat(where, ":", line_no), std::string(list.status().message()));
        continue;
      }
      for (Advisory& a : *list) Add(std::move(a));
    }
  }

  void ImportFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return Problem(path, "cannot read");
    // Sized from the file, not from the cap: 50,000 small files must not each zero 64 MiB.
    const std::streamoff size = in.tellg();
    if (size < 0) return Problem(path, "cannot read");
    if (static_cast<uint64_t>(size) > kMaxFileBytes) return Problem(path, "file too large");
    in.seekg(0);
    std::string data(static_cast<size_t>(size), '\0');
    in.read(data.data(), size);
    if (in.gcount() != size) return Problem(path, "cannot read");
    if (EndsWith(path, ".zip") || StartsWith(data, "PK\x03\x04")) return ImportZip(path);
    const bool gz = data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
                    static_cast<unsigned char>(data[1]) == 0x8b;
    if (gz) {
      auto inflated = advisories::Gunzip(data, kMaxInflatedBytes);
      if (!inflated.ok()) return Problem(path, std::string(inflated.status().message()));
      data = std::move(*inflated);
    }
    if (EndsWith(path, ".jsonl") || EndsWith(path, ".jsonl.gz") || LooksLikeNpmExport(data)) {
      return ImportNpmLines(path, data);
    }
    ImportOsvText(path, data);
  }

  // The npm export is one advisory object per line with module_name.
  static bool LooksLikeNpmExport(std::string_view data) {
    std::string_view first = data.substr(0, data.find('\n'));
    return first.size() < data.size() && StrContains(first, "\"module_name\"");
  }

  void ImportZip(const std::string& path) {
    std::unique_ptr<archive, decltype(&archive_read_free)> ar(archive_read_new(),
                                                              &archive_read_free);
    archive_read_support_format_zip(ar.get());
    if (archive_read_open_filename(ar.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
      return Problem(path, archive_error_string(ar.get()) ? archive_error_string(ar.get())
                                                          : "not a zip archive");
    }
    archive_entry* entry = nullptr;
    while (true) {
      int rc = archive_read_next_header(ar.get(), &entry);
      if (rc == ARCHIVE_EOF) break;
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        return Problem(path, archive_error_string(ar.get()) ? archive_error_string(ar.get())
                                                            : "corrupt zip archive");
      }
      const char* name_c = archive_entry_pathname(entry);
      std::string name = name_c ? name_c : "";
      if (archive_entry_filetype(entry) != AE_IFREG || !EndsWith(name, ".json")) continue;
      const std::string where = StrCat(path, "!", name);
      std::string data;
      char buf[1 << 16];
      bool too_big = false;
      while (true) {
        la_ssize_t n = archive_read_data(ar.get(), buf, sizeof(buf));
        if (n < 0) return Problem(where, "corrupt zip entry");
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (data.size() > kMaxFileBytes) {
          too_big = true;
          break;
        }
      }
      if (too_big) {
        Problem(where, "entry too large");
        continue;
      }
      ImportOsvText(where, data);
    }
  }

  AdvisoryStore& store_;
  std::vector<Advisory> pending_;
  absl::Status status_;
  int64_t created_ = 0, updated_ = 0, unchanged_ = 0, stale_ = 0, withdrawn_ = 0, problems_ = 0;
  std::map<std::string, int64_t> skipped_;
};

int Import(const CommonFlags& flags, const std::vector<std::string>& paths, bool as_json) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  Importer importer((*app)->advisories());
  for (const std::string& p : paths) {
    importer.ImportPath(p);
    if (!importer.status().ok()) return Fail(importer.status());
  }
  if (absl::Status s = importer.Flush(); !s.ok()) return Fail(s);
  importer.Report(as_json);
  return importer.had_problems() ? 1 : 0;
}

int List(const CommonFlags& flags, const std::string& package, bool as_json) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  AdvisoryStore& store = (*app)->advisories();
  auto records = package.empty() ? store.ListAll() : store.ListForPackages({package});
  if (!records.ok()) return Fail(records.status());
  json::array out;
  for (const AdvisoryRecord& r : *records) {
    auto a = advisories::FromRecord(r);
    if (!a.ok()) return Fail(a.status());
    std::vector<std::string> ranges;
    for (const std::string& p : advisories::NpmPackages(*a)) {
      if (!package.empty() && p != package) continue;
      ranges.push_back(StrCat(p, " ", advisories::VulnerableRange(*a, p)));
    }
    if (as_json) {
      json::array affected;
      for (const auto& s : ranges) affected.emplace_back(s);
      out.push_back(json::object{{"id", a->id},
                                 {"severity", r.severity},
                                 {"summary", a->summary},
                                 {"withdrawn", a->withdrawn.has_value()},
                                 {"affected", std::move(affected)}});
      continue;
    }
    std::printf("%s  %s%s  %s\n", a->id.c_str(), r.severity.c_str(),
                a->withdrawn ? " (withdrawn)" : "", a->summary.c_str());
    for (const auto& s : ranges) std::printf("    %s\n", s.c_str());
  }
  if (as_json) std::printf("%s\n", ToJson(out).c_str());
  return 0;
}

// Withdrawal keeps the document (for the record and for re-imports, which it outranks by its
// newer `modified`) and stops it matching.
int Withdraw(const CommonFlags& flags, const std::string& id) {
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  AdvisoryStore& store = (*app)->advisories();
  auto record = store.Get(id);
  if (!record.ok()) return Fail(record.status());
  auto a = advisories::FromRecord(*record);
  if (!a.ok()) return Fail(a.status());
  if (a->withdrawn) {
    std::printf("%s was already withdrawn on %s\n", id.c_str(),
                advisories::FormatTimestamp(*a->withdrawn).c_str());
    return 0;
  }
  auto result = store.Upsert(advisories::ToRecord(advisories::Withdrawn(*a, RealClock().Now())));
  if (!result.ok()) return Fail(result.status());
  std::printf("withdrew %s\n", id.c_str());
  return 0;
}

struct AddFlags {
  std::string file, id, package, range, summary, details, severity, cvss, url;
  std::vector<std::string> cwes, aliases;
  bool malware = false;
};

// The advisory `bulwark advisories add` describes: an OSV document from --file, or one built
// from the flags (the range is a node-semver range, turned into OSV events).
absl::StatusOr<Advisory> AdvisoryFromFlags(const AddFlags& f, absl::Time now) {
  if (!f.file.empty()) {
    std::ifstream in(f.file, std::ios::binary);
    if (!in) return absl::NotFoundError(StrCat("cannot read ", f.file));
    std::stringstream text;
    text << in.rdbuf();
    BULWARK_ASSIGN_OR_RETURN(json::value doc, ParseJson(text.str()));
    if (doc.is_object()) {
      json::object& o = doc.get_object();
      if (!f.id.empty()) o["id"] = f.id;
      if (!o.contains("modified")) o["modified"] = advisories::FormatTimestamp(now);
    }
    auto a = advisories::ParseOsv(doc);
    if (!a.ok()) return absl::InvalidArgumentError(StrCat(f.file, ": ", a.status().message()));
    return a;
  }
  if (f.package.empty()) {
    return absl::InvalidArgumentError("give --file FILE (an OSV document) or --package NAME");
  }
  Advisory a;
  a.id = f.id;
  if (a.id.empty()) {
    // BULWARK-2026-1a2b3c4d (MAL-BULWARK-... for malware, which npm shows as critical).
    const std::string bytes = SystemRandom().Bytes(4);
    std::string hex;
    for (unsigned char c : bytes)
      hex += StrCat("0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]);
    a.id = StrCat(f.malware ? "MAL-" : "", "BULWARK-",
                  absl::FormatTime("%Y", now, absl::UTCTimeZone()), "-", hex);
  } else if (f.malware && !StartsWith(a.id, "MAL-")) {
    return absl::InvalidArgumentError("a malware advisory's id starts with MAL-");
  }
  a.summary = f.summary;
  if (a.summary.empty() && f.malware) a.summary = StrCat("Malicious code in ", f.package);
  a.details = f.details;
  a.aliases = f.aliases;
  advisories::Affected aff;
  aff.ecosystem = "npm";
  aff.package = f.package;
  const std::string range = f.range.empty() ? "*" : f.range;
  BULWARK_ASSIGN_OR_RETURN(aff.ranges, advisories::RangeToOsv(range));
  a.affected.push_back(std::move(aff));
  if (!f.cvss.empty()) {
    a.severity.push_back({StartsWith(f.cvss, "CVSS:4") ? "CVSS_V4" : "CVSS_V3", f.cvss});
  }
  if (!f.severity.empty()) {
    auto level = advisories::ParseSeverity(f.severity);
    if (!level) {
      return absl::InvalidArgumentError(
          StrCat("--severity must be low, moderate, high or critical (not \"", f.severity, "\")"));
    }
    a.database_specific["severity"] = std::string(advisories::SeverityName(*level));
  }
  if (!f.cwes.empty()) {
    json::array cwes;
    for (const std::string& c : f.cwes) cwes.emplace_back(c);
    a.database_specific["cwe_ids"] = std::move(cwes);
  }
  if (!f.url.empty()) a.references.push_back({"ADVISORY", f.url});
  return a;
}

int Add(const CommonFlags& flags, const AddFlags& f) {
  const absl::Time now = RealClock().Now();
  auto a = AdvisoryFromFlags(f, now);
  if (!a.ok()) return Fail(a.status());
  auto config = BuildConfig(flags);
  if (!config.ok()) return Fail(config.status());
  auto app = App::Open(*config);
  if (!app.ok()) return Fail(app.status());
  AdvisoryStore& store = (*app)->advisories();
  std::optional<Advisory> stored;
  if (auto r = store.Get(a->id); r.ok()) {
    auto parsed = advisories::FromRecord(*r);
    if (!parsed.ok()) return Fail(parsed.status());
    stored = std::move(*parsed);
  } else if (!absl::IsNotFound(r.status())) {
    return Fail(r.status());
  }
  auto prepared = advisories::PrepareAdminWrite(std::move(*a), stored ? &*stored : nullptr, now);
  if (!prepared.ok()) return Fail(prepared.status());
  auto result = store.Upsert(advisories::ToRecord(*prepared));
  if (!result.ok()) return Fail(result.status());
  std::printf("%s %s\n", stored ? "updated" : "added", prepared->id.c_str());
  for (const std::string& p : advisories::NpmPackages(*prepared)) {
    std::printf("    %s %s\n", p.c_str(), advisories::VulnerableRange(*prepared, p).c_str());
  }
  return 0;
}

}  // namespace

void AddAdvisoriesCommands(CLI::App& app, CommonFlags& flags, int& exit_code) {
  CLI::App* adv = app.add_subcommand("advisories", "the advisory database behind npm audit");
  adv->require_subcommand(1);
  struct State {
    std::vector<std::string> paths;
    std::string package;
    bool json = false;
  };
  auto st = std::make_shared<State>();

  CLI::App* import = adv->add_subcommand(
      "import", "import OSV files, folders and zip archives, and npm-format .jsonl(.gz) exports");
  AddCommonFlags(import, flags);
  import->add_option("PATH", st->paths, "files, folders or archives")->required();
  import->add_flag("--json", st->json, "print the counts as JSON");
  import->callback([&flags, &exit_code, st] { exit_code = Import(flags, st->paths, st->json); });

  CLI::App* list = adv->add_subcommand("list", "list advisories with their vulnerable ranges");
  AddCommonFlags(list, flags);
  list->add_option("--package", st->package, "only those affecting this npm package");
  list->add_flag("--json", st->json, "print JSON");
  list->callback([&flags, &exit_code, st] { exit_code = List(flags, st->package, st->json); });

  auto add_flags = std::make_shared<AddFlags>();
  CLI::App* add = adv->add_subcommand(
      "add", "create or edit an advisory: --file OSV.json, or --package NAME --range RANGE ...");
  AddCommonFlags(add, flags);
  add->add_option("--file", add_flags->file, "an OSV JSON document");
  add->add_option("--id", add_flags->id, "the advisory id (default: a new BULWARK-YYYY-... id)");
  add->add_option("--package", add_flags->package, "the affected npm package");
  add->add_option("--range", add_flags->range,
                  "the vulnerable versions, a node-semver range (default *)");
  add->add_option("--summary", add_flags->summary, "one line, shown by npm audit as the title");
  add->add_option("--details", add_flags->details, "longer description");
  add->add_option("--severity", add_flags->severity, "low, moderate, high or critical");
  add->add_option("--cvss", add_flags->cvss, "a CVSS v3.x or v4 vector");
  add->add_option("--cwe", add_flags->cwes, "a CWE id such as CWE-79 (repeatable)");
  add->add_option("--alias", add_flags->aliases, "a CVE or GHSA id (repeatable)");
  add->add_option("--url", add_flags->url, "the advisory's web page");
  add->add_flag("--malware", add_flags->malware, "a malicious-package report (MAL- id, critical)");
  add->callback([&flags, &exit_code, add_flags] { exit_code = Add(flags, *add_flags); });

  CLI::App* withdraw = adv->add_subcommand("withdraw", "stop an advisory matching (kept on file)");
  AddCommonFlags(withdraw, flags);
  withdraw->add_option("ID", st->package, "advisory id")->required();
  withdraw->callback([&flags, &exit_code, st] { exit_code = Withdraw(flags, st->package); });
}

}  // namespace bulwark::cli
