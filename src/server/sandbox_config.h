#pragma once
// Config `sandbox:` (docs/sandbox.md §Configuration): whether each accepted publish is run in the
// sandbox, its time limit, and how often the queue is drained.

#include <string>

#include <yaml-cpp/yaml.h>

#include "bulwark/base/status.h"

namespace bulwark {

struct SandboxConfig {
  bool enabled = false;      // Off by default: it needs namespaces (root or unprivileged userns).
  int timeout_seconds = 90;  // Wall clock per run.
  int poll_ms = 2000;        // How often the worker looks at the queue.
  std::string binary;        // The bulwark binary the runs use; empty: this one.
};

absl::Status ParseSandboxConfig(const YAML::Node& node, SandboxConfig& out);

}  // namespace bulwark
