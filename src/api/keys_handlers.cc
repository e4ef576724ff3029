// Registry signing keys: GET /-/npm/v1/keys (npm-registry-api.md §7.3, docs/signatures.md).

#include "api/registry_api.h"
#include "base/hash.h"
#include "base/time_format.h"

namespace bulwark {

http::Response RegistryApi::GetSigningKeys(Ctx& ctx) {
  VersionSigner* signer = packages_.signer();
  // npm reads a 404 as "this registry does not sign" and skips its packages.
  if (signer == nullptr) return ErrorResponse(absl::NotFoundError("this registry does not sign"));
  auto keys = signer->PublicKeys();
  if (!keys.ok()) return ErrorResponse(keys.status());
  json::array out;
  for (const PublicSigningKey& k : *keys) {
    json::object o;
    // npm fails a signature whose version was published at or after `expires`; retired keys
    // stay listed so that older versions keep verifying.
    o["expires"] = k.expires ? json::value(FormatIsoTime(*k.expires)) : json::value(nullptr);
    o["keyid"] = k.keyid;
    o["keytype"] = "ecdsa-sha2-nistp256";
    o["scheme"] = "ecdsa-sha2-nistp256";
    o["key"] = Base64Encode(k.public_der);  // npm wraps it in PEM "PUBLIC KEY" lines.
    out.push_back(std::move(o));
  }
  // Not cached by clients: after a rotation they must see the new key at once.
  return NoStore(JsonResponse(200, json::object{{"keys", std::move(out)}}));
}

}  // namespace bulwark
