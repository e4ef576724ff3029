#pragma once
// NameGate seam: the publish gate's say on NEW package names (typosquatting, dependency
// confusion). Packaging defines it and calls it; security/ implements it (security/name_policy.h)
// and server/ wires the two, so packaging does not depend on the detection engines.

#include <string_view>

#include "accounts/account_service.h"
#include "bulwark/base/status.h"

namespace bulwark {

class NameGate {
 public:
  virtual ~NameGate() = default;

  // Called by PackageService::Publish when `name` is not stored yet (never for new versions of
  // an existing package), after the request is decoded and before anything is stored.
  // Returns OK to let the name be created, PermissionDenied with a message meant for the
  // publisher (what the name imitates and how to ask for an exception) to refuse it, or another
  // error when the gate could not decide (the publish then fails with that error: fail closed).
  // Thread-safe.
  virtual absl::Status CheckNewName(const Identity& who, std::string_view name) = 0;
};

}  // namespace bulwark
