#pragma once
// Password hashing with argon2id (RFC 9106) and the password rules applied at sign-up and
// password change.

#include <string>
#include <string_view>

#include "accounts/breached/password_filter.h"
#include "bulwark/base/status.h"
#include "bulwark/env/random.h"

namespace bulwark {

// Cost parameters: OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane), about 20-40 ms
// here; an attacker with the database pays that per guess.
struct Argon2Params {
  uint32_t memory_kib = 19 * 1024;
  uint32_t passes = 2;
  uint32_t lanes = 1;
};

// PHC string "$argon2id$v=19$m=...,t=...,p=...$salt$hash".
absl::StatusOr<std::string> HashPassword(std::string_view password, Random& random,
                                         const Argon2Params& params = {});
// False for a wrong password or a malformed hash.
bool VerifyPassword(std::string_view password, std::string_view phc);

// Longest password accepted: hashing cost grows with length, and nobody types 1 KiB.
inline constexpr size_t kMaxPasswordLength = 1024;
inline constexpr size_t kMinPasswordLength = 10;

// InvalidArgument with a sentence for the user when `password` breaks the rules.
absl::Status CheckPasswordRules(std::string_view password, std::string_view username);

// InvalidArgument when `password` is in the breached-password filter (null: no check). Applies
// to every new password: sign-up today; password change and reset when they exist.
absl::Status CheckNotBreached(std::string_view password, const breached::PasswordFilter* filter);

}  // namespace bulwark
