#pragma once
// Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) with the parameters every
// authenticator app and `oathtool --totp` default to: HMAC-SHA-1, 6 digits, 30-second steps.
// Also base32 (RFC 4648 §6), the encoding of the secret in otpauth:// URLs. Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace bulwark {

inline constexpr int kTotpDigits = 6;
inline constexpr int64_t kTotpStepSeconds = 30;  // RFC 6238 §5.2 recommends 30 s.
// Steps accepted either side of now (RFC 6238 §5.2 "at most one time step"): tolerates clock
// drift and a code typed just as it rolled over, while a phished code dies within ~90 s.
inline constexpr int kTotpSkewSteps = 1;
// RFC 4226 §4 R6 asks for at least 128 bits and recommends 160, the HMAC-SHA-1 block output.
inline constexpr size_t kTotpSecretBytes = 20;

// RFC 4648 §6 base32, upper case, without padding (as otpauth:// URLs carry it).
std::string Base32Encode(std::string_view bytes);
// Accepts upper or lower case, with or without '=' padding; spaces are ignored (apps show the
// secret in groups). nullopt for any other character or an impossible length.
std::optional<std::string> Base32Decode(std::string_view text);

// RFC 4226 §5.3: HOTP value of `counter` with `digits` (6..8) decimal digits, zero-padded.
std::string Hotp(std::string_view key, uint64_t counter, int digits = kTotpDigits);
// RFC 6238 §4.2: the time step containing `t` (T0 = 0).
int64_t TotpStep(absl::Time t);
std::string Totp(std::string_view key, absl::Time t, int digits = kTotpDigits);

// The latest step within now ± kTotpSkewSteps whose code equals `code` and that is after
// `last_used_step` (RFC 6238 §5.2: a code is accepted once), compared in constant time.
// nullopt when no such step.
std::optional<int64_t> MatchTotp(std::string_view key, std::string_view code, absl::Time now,
                                 int64_t last_used_step);
// True when `code` has a TOTP code's shape (kTotpDigits digits); anything else offered as a
// second factor is tried as a recovery code.
bool LooksLikeTotp(std::string_view code);

// otpauth://totp/<issuer>:<account>?secret=<BASE32>&issuer=<issuer>&algorithm=SHA1&digits=6&
// period=30 (the Key Uri Format of Google Authenticator, which npm renders as a QR code).
std::string OtpauthUrl(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace bulwark
