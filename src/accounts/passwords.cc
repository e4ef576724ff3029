#include "base/strings.h"
#include "accounts/passwords.h"

#include <argon2.h>

#include "absl/strings/ascii.h"

namespace bulwark {

absl::StatusOr<std::string> HashPassword(std::string_view password, Random& random,
                                         const Argon2Params& params) {
  if (password.size() > kMaxPasswordLength) {
    return absl::InvalidArgumentError("password is too long");
  }
  constexpr size_t kSaltLen = 16;
  constexpr size_t kHashLen = 32;
  std::string salt = random.Bytes(kSaltLen);
  size_t encoded_len = argon2_encodedlen(params.passes, params.memory_kib, params.lanes, kSaltLen,
                                         kHashLen, Argon2_id);
  std::string encoded(encoded_len, '\0');
  int rc = argon2id_hash_encoded(params.passes, params.memory_kib, params.lanes, password.data(),
                                 password.size(), salt.data(), salt.size(), kHashLen,
                                 encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return absl::InternalError(StrCat("argon2id: ", argon2_error_message(rc)));
  }
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool VerifyPassword(std::string_view password, std::string_view phc) {
  if (password.size() > kMaxPasswordLength || !StartsWith(phc, "$argon2id$")) return false;
  std::string encoded(phc);
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

absl::Status CheckPasswordRules(std::string_view password, std::string_view username) {
  if (password.size() < kMinPasswordLength) {
    return absl::InvalidArgumentError(
        StrCat("password must be at least ", kMinPasswordLength, " characters long"));
  }
  if (password.size() > kMaxPasswordLength) {
    return absl::InvalidArgumentError(
        StrCat("password must be at most ", kMaxPasswordLength, " characters long"));
  }
  if (!username.empty() && StrContains(AsciiStrToLower(password),
                                             AsciiStrToLower(username))) {
    return absl::InvalidArgumentError("password must not contain the user name");
  }
  return absl::OkStatus();
}

absl::Status CheckNotBreached(std::string_view password, const breached::PasswordFilter* filter) {
  if (filter != nullptr && filter->Contains(password)) {
    return absl::InvalidArgumentError(
        "this password appears in a list of breached passwords; choose another");
  }
  return absl::OkStatus();
}

}  // namespace bulwark
