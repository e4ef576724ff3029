#pragma once
// PublishGate seam: the publish gate's say on every new VERSION (scan, leaked tokens, the diff
// against the previous version, the policy). Packaging defines it and calls it; security/
// implements it (security/scan_gate.h) and server/ wires it, like NameGate.

#include <map>
#include <optional>
#include <string>

#include "bulwark/storage/records.h"
#include "packaging/publish_scanner.h"

namespace bulwark {

struct GateDecision {
  // NOTE: the names are persisted (ScanRecord::action); do not rename.
  enum class Action { kPublish, kWarn, kHold, kReject };
  Action action = Action::kPublish;
  std::string message;  // For the publisher: shown as an npm-notice (warn, hold).
  int64_t scan_id = 0;  // The stored ScanRecord.
};

// Everything a held publish needs to be published later as it was sent.
struct HeldPublish {
  std::string name;
  std::string publisher;
  VersionRecord version;  // `published` unset; set when admitted.
  std::map<std::string, std::string> tags;
  std::optional<bool> restricted;
  std::string readme;
  std::string readme_filename;
};

class PublishGate {
 public:
  virtual ~PublishGate() = default;
  // Called by PackageService::Publish after the request is decoded and the publisher's right to
  // publish it checked, before anything is stored. Returns the decision, or an error that
  // refuses the publish: PermissionDenied with a message for the publisher (rejected by policy,
  // the publisher's own token inside the tarball), AlreadyExists (the version is held for
  // review), Unavailable (the scan failed and the gate fails closed). Thread-safe.
  virtual absl::StatusOr<GateDecision> Check(const PublishCandidate& candidate) = 0;
  // Called for a kHold decision once the tarball blob is stored: keeps `held` for review (it is
  // not served). Thread-safe.
  virtual absl::Status Hold(const GateDecision& decision, const HeldPublish& held) = 0;
};

}  // namespace bulwark
