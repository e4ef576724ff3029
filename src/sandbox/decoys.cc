#include "sandbox/decoys.h"

#include "base/hash.h"
#include "base/strings.h"

namespace bulwark::sandbox {
namespace {

// Deterministic per token, so markers can be recomputed from the stored report.
std::string Derived(std::string_view token, std::string_view what, size_t n, bool upper) {
  std::string hex = HexEncode(Sha256(StrCat(what, ":", token)));
  std::string out;
  for (size_t i = 0; out.size() < n; ++i) {
    char c = hex[i % hex.size()];
    out.push_back(upper ? static_cast<char>(c >= 'a' ? c - 'a' + 'A' : c) : c);
  }
  return out;
}

std::string SshBody(std::string_view token) {
  return StrCat("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", Derived(token, "ssh", 24, false));
}

}  // namespace

std::string DecoyAwsKeyId(std::string_view token) {
  return StrCat("AKIA", Derived(token, "aws-id", 16, true));
}

std::vector<std::string> DecoyMarkers(std::string_view token) {
  return {std::string(token), DecoyAwsKeyId(token), Derived(token, "aws-secret", 40, false),
          SshBody(token)};
}

std::vector<Decoy> Decoys(std::string_view token) {
  const std::string h(kHome);
  std::vector<Decoy> d;
  d.push_back({h + "/.npmrc",
               StrCat("//", kDecoyRegistryHost, "/:_authToken=", token, "\n"), "npm-token"});
  d.push_back({h + "/.ssh/id_rsa",
               StrCat("-----BEGIN OPENSSH PRIVATE KEY-----\n", SshBody(token),
                      "\n-----END OPENSSH PRIVATE KEY-----\n"),
               "ssh-key"});
  d.push_back({h + "/.ssh/known_hosts", "git.internal ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\n",
               "ssh-key"});
  d.push_back({h + "/.aws/credentials",
               StrCat("[default]\naws_access_key_id = ", DecoyAwsKeyId(token),
                      "\naws_secret_access_key = ", Derived(token, "aws-secret", 40, false), "\n"),
               "cloud-credentials"});
  d.push_back({h + "/.config/gcloud/application_default_credentials.json",
               "{\"type\":\"authorized_user\",\"client_id\":\"decoy\"}\n", "cloud-credentials"});
  d.push_back({h + "/.config/google-chrome/Default/Login Data", "SQLite format 3\n", "browser"});
  d.push_back({h + "/.config/google-chrome/Default/Cookies", "SQLite format 3\n", "browser"});
  d.push_back({h + "/.mozilla/firefox/decoy.default/logins.json", "{\"logins\":[]}\n",
               "browser"});
  d.push_back({h + "/.config/Exodus/exodus.wallet/seed.seco", "decoy\n", "wallet"});
  d.push_back({h + "/.electrum/wallets/default_wallet", "{}\n", "wallet"});
  d.push_back({h + "/.ethereum/keystore/UTC--2024-01-01T00-00-00Z--decoy", "{}\n", "wallet"});
  d.push_back({h + "/.gitconfig", "[user]\n\tname = user\n", "git", false});
  d.push_back({h + "/.bashrc", "# ~/.bashrc\n", "shell", false});
  d.push_back({h + "/.profile", "# ~/.profile\n", "shell", false});
  return d;
}

}  // namespace bulwark::sandbox
