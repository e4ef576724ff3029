#include "sandbox/service.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "base/log.h"
#include "base/strings.h"
#include "sandbox/report.h"

extern char** environ;

namespace bulwark::sandbox {
namespace {

constexpr size_t kMaxReportBytes = 16 << 20;  // What the child may print.

std::string Findings(const json::object& report) {
  std::vector<std::string> out;
  if (auto* f = GetArray(report, "findings")) {
    for (auto& v : *f) {
      if (!v.is_object()) continue;
      const json::object& o = v.as_object();
      if (GetString(o, "severity").value_or("") == "critical" ||
          GetString(o, "severity").value_or("") == "high") {
        out.push_back(StrCat(GetString(o, "rule").value_or(""), ": ",
                             GetString(o, "summary").value_or("")));
      }
    }
  }
  return StrJoin(out, "; ");
}

}  // namespace

Runner SubprocessRunner(std::string binary, int timeout_seconds,
                        std::function<std::string()> registry_url) {
  return [binary, timeout_seconds, registry_url](const std::string& tarball) -> absl::StatusOr<json::object> {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return absl::InternalError("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::string timeout = StrCat(timeout_seconds);
    std::vector<std::string> args = {binary, "sandbox", "run", "--json", "--timeout", timeout,
                                     tarball};
    if (std::string url = registry_url ? registry_url() : ""; !url.empty()) {
      args.push_back("--registry");
      args.push_back(std::move(url));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, binary.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (rc != 0) {
      close(out[0]);
      return absl::InternalError(StrCat("cannot start ", binary));
    }
    std::string text;
    char buf[65536];
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
      if (n > 0 && text.size() < kMaxReportBytes) text.append(buf, static_cast<size_t>(n));
    }
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    auto v = ParseJson(text);
    if (!v.ok() || !v->is_object()) {
      return absl::InternalError(StrCat("sandbox run failed (exit status ", status, ")"));
    }
    return v->as_object();
  };
}

SandboxService::SandboxService(SandboxStore& reports, MetadataStore& store, BlobStore& blobs,
                               PackageService& packages, ModerationStore& moderation,
                               Clock& clock, Runner runner, std::string temp_dir)
    : reports_(reports),
      store_(store),
      blobs_(blobs),
      packages_(packages),
      moderation_(moderation),
      clock_(clock),
      runner_(std::move(runner)),
      temp_dir_(std::move(temp_dir)) {}

SandboxService::~SandboxService() { Stop(); }

absl::StatusOr<int64_t> SandboxService::Enqueue(std::string_view name, std::string_view version,
                                                std::string_view reason) {
  BULWARK_ASSIGN_OR_RETURN(PackageRecord p, store_.GetPackage(name));
  auto it = p.versions.find(std::string(version));
  if (it == p.versions.end() || it->second.unpublished) {
    return absl::NotFoundError(StrCat("version ", version, " of ", name, " not found"));
  }
  SandboxJob job;
  job.name = std::string(name);
  job.version = std::string(version);
  job.reason = std::string(reason);
  job.enqueued = clock_.Now();
  return reports_.Enqueue(job);
}

absl::StatusOr<bool> SandboxService::RunNext() {
  BULWARK_ASSIGN_OR_RETURN(std::optional<SandboxJob> job, reports_.Dequeue());
  if (!job) return false;
  auto r = RunVersion(job->name, job->version);
  if (!r.ok()) {
    LogWarning("sandbox: %s@%s: %s", job->name, job->version, r.status().ToString());
    SandboxReportRecord rec;
    rec.name = job->name;
    rec.version = job->version;
    rec.created = clock_.Now();
    rec.verdict = "error";
    rec.report = ToJson(json::object{{"name", job->name}, {"version", job->version},
                                     {"verdict", "error"},
                                     {"error", std::string(r.status().message())}});
    BULWARK_RETURN_IF_ERROR(reports_.PutReport(rec));
  }
  return true;
}

absl::StatusOr<json::object> SandboxService::RunVersion(std::string_view name,
                                                        std::string_view version) {
  absl::MutexLock run(&run_mu_);
  BULWARK_ASSIGN_OR_RETURN(PackageRecord p, store_.GetPackage(name));
  auto it = p.versions.find(std::string(version));
  if (it == p.versions.end()) {
    return absl::NotFoundError(StrCat("version ", version, " of ", name, " not found"));
  }
  BULWARK_ASSIGN_OR_RETURN(std::string tarball, blobs_.Get(it->second.blob_key));
  std::string path = temp_dir_ + "/bulwark-sandbox-job-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) return absl::InternalError("cannot create a temp file for the sandbox");
  bool written = write(fd, tarball.data(), tarball.size()) == static_cast<ssize_t>(tarball.size());
  close(fd);
  struct Unlink {
    std::string p;
    ~Unlink() { unlink(p.c_str()); }
  } unlink_later{path};
  if (!written) return absl::InternalError("cannot write the sandbox's tarball");
  BULWARK_ASSIGN_OR_RETURN(json::object report, runner_(path));
  SandboxReportRecord rec;
  rec.name = std::string(name);
  rec.version = std::string(version);
  rec.created = clock_.Now();
  rec.verdict = std::string(GetString(report, "verdict").value_or("error"));
  rec.report = ToJson(report);
  BULWARK_RETURN_IF_ERROR(reports_.PutReport(rec));
  LogInfo("sandbox: %s@%s: %s", std::string(name), std::string(version), rec.verdict);
  if (rec.verdict == kVerdictMalicious && !it->second.unpublished) {
    BULWARK_RETURN_IF_ERROR(Quarantine(name, version, report));
  }
  return report;
}

absl::Status SandboxService::Quarantine(std::string_view name, std::string_view version,
                                        const json::object& report) {
  BULWARK_ASSIGN_OR_RETURN(PackageRecord p, store_.GetPackage(name));
  BULWARK_ASSIGN_OR_RETURN(auto withdrawn,
                           packages_.WithdrawVersions(name, {std::string(version)}));
  if (withdrawn.versions.empty()) return absl::OkStatus();  // Already held or gone.
  json::object tags;
  for (const auto& [t, v] : withdrawn.tags) tags[t] = v;
  const std::string findings = Findings(report);
  // The same case the worm check opens: approving serves the version again, removing it
  // drafts the malware advisory (docs/moderation.md).
  ModerationCase mc;
  mc.kind = "hold";
  mc.package = std::string(name);
  mc.version = std::string(version);
  mc.reason = StrCat("sandbox: malicious behaviour after publish: ", findings).substr(0, 3900);
  mc.reporter = "bulwark-sandbox";
  mc.held_json = ToJson(json::object{{"restore", true}, {"tags", std::move(tags)}});
  mc.created = clock_.Now();
  BULWARK_ASSIGN_OR_RETURN(int64_t case_id, moderation_.CreateCase(mc));
  if (on_quarantine_) on_quarantine_(case_id, findings);
  for (const std::string& owner : p.maintainers) {
    BULWARK_RETURN_IF_ERROR(moderation_.RecordNotice(UserNotice{
        0, owner, "sandbox-quarantine",
        StrCat(name, "@", version, " was withdrawn for review: the sandbox saw ", findings),
        clock_.Now()}));
  }
  BULWARK_RETURN_IF_ERROR(reports_.MarkQuarantined(name, version));
  LogWarning("sandbox: %s@%s quarantined: %s", std::string(name), std::string(version), findings);
  return absl::OkStatus();
}

absl::StatusOr<json::object> SandboxService::Report(std::string_view name,
                                                    std::string_view version) {
  BULWARK_ASSIGN_OR_RETURN(SandboxReportRecord rec, reports_.GetReport(name, version));
  auto v = ParseJson(rec.report, 128);
  if (!v.ok() || !v->is_object()) return absl::InternalError("corrupt sandbox report");
  json::object report = v->as_object();
  BULWARK_ASSIGN_OR_RETURN(auto prev, reports_.PreviousReport(name, version));
  if (prev) {
    auto pv = ParseJson(prev->report, 128);
    if (pv.ok() && pv->is_object()) {
      report["previous_version"] = prev->version;
      report["new_behaviour"] = DiffReports(pv->as_object(), report);
    }
  }
  return report;
}

std::optional<std::string> SandboxService::Summary(std::string_view name,
                                                   std::string_view version) {
  auto r = Report(name, version);
  if (!r.ok()) return std::nullopt;
  // The part a moderator decides on; the whole report is at the API and `sandbox show`.
  json::object s;
  for (const char* k : {"verdict", "findings", "previous_version", "new_behaviour", "seconds",
                        "timed_out", "left_running"}) {
    if (auto it = r->find(k); it != r->end()) s[k] = it->value();
  }
  return ToJson(s);
}

absl::StatusOr<json::object> SandboxService::Stats() {
  BULWARK_ASSIGN_OR_RETURN(SandboxCounts c, reports_.Counts());
  return json::object{{"reports", c.reports},         {"flagged", c.flagged},
                      {"suspicious", c.suspicious},   {"quarantined", c.quarantined},
                      {"queued", c.queued}};
}

void SandboxService::Start(absl::Duration interval) {
  if (worker_.joinable()) return;
  stop_ = std::make_unique<absl::Notification>();
  worker_ = std::thread([this, interval] {
    while (!stop_->WaitForNotificationWithTimeout(interval)) {
      while (!stop_->HasBeenNotified()) {
        auto ran = RunNext();
        if (!ran.ok()) LogWarning("sandbox queue: %s", ran.status().ToString());
        if (!ran.ok() || !*ran) break;
      }
    }
  });
}

void SandboxService::Stop() {
  if (!worker_.joinable()) return;
  stop_->Notify();
  worker_.join();
}

}  // namespace bulwark::sandbox
