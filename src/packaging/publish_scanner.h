#pragma once
// PublishScanner seam: the publish gate's static scan of one tarball (issue 4). Packaging
// defines what a publish candidate is; the engine (security/scan/, `scan::ScanReport` in
// include/bulwark/scan/findings.h) implements the scan and server/ wires it, so neither the
// publish path nor the policy depends on the engine.

#include <string>
#include <string_view>

#include "accounts/account_service.h"
#include "base/json.h"
#include "bulwark/base/status.h"
#include "bulwark/scan/findings.h"
#include "packaging/tarball.h"

namespace bulwark {

// A version on its way in: decoded, integrity- and manifest-checked, not stored yet.
struct PublishCandidate {
  const Identity& who;
  std::string_view name;
  std::string_view version;
  const json::object& manifest;      // The stored manifest (derived from the tarball).
  std::string_view tarball;          // The gzip'd bytes.
  const TarballContents& contents;   // Its files (content kept up to the tarball limits).
  bool new_package = false;          // No version of `name` is stored yet.
  bool restricted = false;           // The package is (or will be) readable by maintainers only.
};

class PublishScanner {
 public:
  virtual ~PublishScanner() = default;
  // The findings, capabilities and verdict for `candidate`. A Status (never a finding) when the
  // engine could not decide: the gate's fail-open/fail-closed setting then applies. May be
  // called from several threads at once; may take long (the gate enforces its time budget).
  virtual absl::StatusOr<scan::ScanReport> Scan(const PublishCandidate& candidate) = 0;
};

}  // namespace bulwark
