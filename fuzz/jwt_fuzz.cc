// Fuzzes the trusted-publishing token parsers (src/accounts/oidc/jwt.h): the input is a compact
// JWT and a JWKS separated by the first newline; both are parsed and, when both parse, the
// signature is checked. Nothing may crash, leak or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "accounts/oidc/jwt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view token = in.substr(0, nl);
  std::string_view jwks = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  auto jwt = bulwark::oidc::ParseJwt(token);
  auto keys = bulwark::oidc::JwkSet::Parse(jwks);
  if (jwt.ok() && keys.ok()) (void)bulwark::oidc::VerifyJwtSignature(*jwt, *keys);
  (void)bulwark::oidc::Base64UrlDecode(token);
  return 0;
}
