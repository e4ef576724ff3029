#include "accounts/totp.h"

#include "base/hash.h"
#include "base/strings.h"

namespace bulwark {
namespace {

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string Escape(std::string_view text) { return PercentEncode(text, "-._~"); }

}  // namespace

std::string Base32Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32[(buffer << (5 - bits)) & 31]);
  return out;
}

std::optional<std::string> Base32Decode(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  size_t chars = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    int v = Base32Value(c);
    if (v < 0 || padding) return std::nullopt;
    ++chars;
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  // RFC 4648 §6: a final quantum has 2, 4, 5 or 7 characters; 1, 3 or 6 cannot occur.
  size_t rem = chars % 8;
  if (rem == 1 || rem == 3 || rem == 6) return std::nullopt;
  return out;
}

std::string Hotp(std::string_view key, uint64_t counter, int digits) {
  // RFC 4226 §5.3: HMAC-SHA-1 over the 8-byte big-endian counter, dynamic truncation.
  char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<char>(counter & 0xff);
    counter >>= 8;
  }
  std::string mac = HmacSha1(key, std::string_view(msg, 8));
  int offset = static_cast<unsigned char>(mac[19]) & 0x0f;
  uint32_t bin = (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset]) & 0x7f) << 24) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 1])) << 16) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 2])) << 8) |
                 static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 3]));
  uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string out = std::to_string(bin % mod);
  return std::string(static_cast<size_t>(digits) - out.size(), '0') + out;
}

int64_t TotpStep(absl::Time t) {
  int64_t s = absl::ToUnixSeconds(t);
  // Floor division, so times before 1970 (never in practice) still map to distinct steps.
  return s >= 0 ? s / kTotpStepSeconds : -((-s + kTotpStepSeconds - 1) / kTotpStepSeconds);
}

std::string Totp(std::string_view key, absl::Time t, int digits) {
  return Hotp(key, static_cast<uint64_t>(TotpStep(t)), digits);
}

bool LooksLikeTotp(std::string_view code) {
  if (code.size() != static_cast<size_t>(kTotpDigits)) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<int64_t> MatchTotp(std::string_view key, std::string_view code, absl::Time now,
                                 int64_t last_used_step) {
  if (!LooksLikeTotp(code)) return std::nullopt;
  const int64_t current = TotpStep(now);
  std::optional<int64_t> match;
  // Every candidate is computed and compared, so timing does not say which step matched.
  for (int64_t step = current - kTotpSkewSteps; step <= current + kTotpSkewSteps; ++step) {
    if (step < 0) continue;
    bool equal = ConstantTimeEquals(Hotp(key, static_cast<uint64_t>(step)), code);
    if (equal && step > last_used_step) match = step;
  }
  return match;
}

std::string OtpauthUrl(std::string_view issuer, std::string_view account, std::string_view secret) {
  std::string label = StrCat(Escape(issuer), ":", Escape(account));
  return StrCat("otpauth://totp/", label, "?secret=", Base32Encode(secret),
                "&issuer=", Escape(issuer), "&algorithm=SHA1&digits=", kTotpDigits,
                "&period=", kTotpStepSeconds);
}

}  // namespace bulwark
