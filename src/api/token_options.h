#pragma once
// Decoding the body of `npm token create` (npm-registry-api.md §6.2): the legacy
// {readonly, cidr_whitelist} and npm 11's granular keys. Pure (JSON in, options out), so it is
// fuzzed on its own (fuzz/token_options_fuzz.cc).

#include "accounts/account_service.h"
#include "base/json.h"

namespace bulwark {

// InvalidArgument naming the key for anything malformed or unsupported (orgs, no-access).
// Package names and scopes are validated later, by AccountService::CreateToken.
absl::StatusOr<TokenOptions> ParseTokenOptions(const json::object& body);

}  // namespace bulwark
