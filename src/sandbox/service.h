#pragma once
// The sandbox in the registry (docs/sandbox.md §Queue): a queue of versions to run (each
// accepted publish, and admins on demand), a worker that runs them one at a time in a child
// `bulwark sandbox run --json` process, stored reports with the diff against the previous
// version's, and quarantine of a version found malicious: withdrawn (no longer served), a
// moderation case opened (approving it serves the version again; removing it drafts the malware
// advisory), and its maintainers told.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "base/json.h"
#include "bulwark/env/blob_store.h"
#include "bulwark/env/clock.h"
#include "bulwark/storage/metadata_store.h"
#include "bulwark/storage/moderation_store.h"
#include "bulwark/storage/sandbox_store.h"
#include "packaging/package_service.h"

namespace bulwark::sandbox {

// Runs one tarball (a host path) and returns its report (sandbox/report.h).
using Runner = std::function<absl::StatusOr<json::object>(const std::string& tarball)>;

// The production runner: `binary sandbox run --json --timeout T TARBALL` as a child process (the
// sandbox forks and must not do so from a multithreaded server), with `--registry URL` when given.
// `registry_url` (asked at each run: a server's port is known only once it listens) is where
// npm's registry reads inside the sandbox go; none or "": the registry port is a sink.
Runner SubprocessRunner(std::string binary, int timeout_seconds,
                        std::function<std::string()> registry_url = {});

class SandboxService {
 public:
  SandboxService(SandboxStore& reports, MetadataStore& store, BlobStore& blobs,
                 PackageService& packages, ModerationStore& moderation, Clock& clock,
                 Runner runner, std::string temp_dir = "/tmp");
  ~SandboxService();

  // Queues name@version (NotFound when it is not a live version). Returns the job id.
  absl::StatusOr<int64_t> Enqueue(std::string_view name, std::string_view version,
                                  std::string_view reason);
  // Runs the oldest queued job; false when the queue is empty. A failed run stores an "error"
  // report, so a bad tarball cannot jam the queue.
  absl::StatusOr<bool> RunNext();
  // Runs name@version now, stores its report and acts on its verdict. Returns the report.
  absl::StatusOr<json::object> RunVersion(std::string_view name, std::string_view version);

  // The stored report with "new_behaviour" (the diff against the previous version's report).
  absl::StatusOr<json::object> Report(std::string_view name, std::string_view version);
  // The report's verdict, findings and new behaviour as JSON, for the moderation view
  // (ModerationService::SetSandboxLookup); nullopt when there is no report.
  std::optional<std::string> Summary(std::string_view name, std::string_view version);
  absl::StatusOr<json::object> Stats();

  // Called with the hold case a quarantine opened and the findings, to draft the malware
  // advisory for moderation right away (ModerationService::DraftPendingAdvisory). Set before
  // Start.
  using QuarantineHook = std::function<void(int64_t case_id, std::string_view findings)>;
  void SetQuarantineHook(QuarantineHook hook) { on_quarantine_ = std::move(hook); }

  // A worker thread that drains the queue every `interval`. Stop() joins it.
  void Start(absl::Duration interval);
  void Stop();

 private:
  absl::Status Quarantine(std::string_view name, std::string_view version,
                          const json::object& report);

  SandboxStore& reports_;
  MetadataStore& store_;
  BlobStore& blobs_;
  PackageService& packages_;
  ModerationStore& moderation_;
  Clock& clock_;
  Runner runner_;
  QuarantineHook on_quarantine_;
  const std::string temp_dir_;
  absl::Mutex run_mu_;  // One run at a time: the machine's cores are shared with the registry.
  std::unique_ptr<absl::Notification> stop_;
  std::thread worker_;
};

}  // namespace bulwark::sandbox
