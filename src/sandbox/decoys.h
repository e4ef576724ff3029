#pragma once
// The decoy home (docs/sandbox.md §Decoys): files a credential stealer looks for, with fake
// secrets whose values are markers, so a read shows in the trace and a send in the sinks.
// Pure: the contents are built here; contain.cc writes them.

#include <string>
#include <string_view>
#include <vector>

namespace bulwark::sandbox {

inline constexpr std::string_view kHome = "/home/user";
inline constexpr std::string_view kProject = "/home/user/project";
// The host name the decoy token is scoped to in ~/.npmrc (never resolvable outside).
inline constexpr std::string_view kDecoyRegistryHost = "registry.bulwark.internal";

struct Decoy {
  std::string path;  // Absolute inside the sandbox.
  std::string content;
  std::string kind;  // "npm-token", "ssh-key", "cloud-credentials", "browser", "wallet", "shell"
  bool secret = true;  // Reading it is a finding (shell rc files are only write targets).
};

// The decoy files for a run whose honey token is `token` (a well-formed bwk_ token).
std::vector<Decoy> Decoys(std::string_view token);

// The marker values a send is checked for: the token, the fake AWS key id and secret, the SSH
// key's body line.
std::vector<std::string> DecoyMarkers(std::string_view token);

// The fake AWS key id written into ~/.aws/credentials and the environment.
std::string DecoyAwsKeyId(std::string_view token);

}  // namespace bulwark::sandbox
