#include "accounts/breached/password_filter.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "base/hash.h"
#include "base/strings.h"

namespace bulwark::breached {
namespace {

constexpr char kMagic[8] = {'B', 'W', 'P', 'W', 'N', 'E', 'D', '1'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kRemainderBits = 16;
constexpr uint32_t kSampleEvery = 512;
constexpr size_t kHeaderSize = 64;
// 2^40 buckets is a trillion hashes: far past any corpus, and keeps the arithmetic in range.
constexpr uint32_t kMaxQuotientBits = 40;

uint32_t QuotientBitsFor(uint64_t n) {
  uint32_t q = 1;
  while (q < kMaxQuotientBits && (uint64_t{1} << q) < n) ++q;
  return q;
}

uint64_t ReadU64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint32_t ReadU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void PutU64(std::string& out, size_t at, uint64_t v) { std::memcpy(out.data() + at, &v, 8); }
void PutU32(std::string& out, size_t at, uint32_t v) { std::memcpy(out.data() + at, &v, 4); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Parses the first `digits` (<= 16) hex characters of `s`; false on a non-hex character.
bool ParseHex64(std::string_view s, size_t digits, uint64_t* out) {
  uint64_t v = 0;
  for (size_t i = 0; i < digits; ++i) {
    int d = HexValue(s[i]);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

bool AllHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return HexValue(c) >= 0; });
}

}  // namespace

uint64_t KeyFromSha1(std::string_view sha1_bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < sha1_bytes.size(); ++i) {
    v = (v << 8) | static_cast<uint8_t>(sha1_bytes[i]);
  }
  return v;
}

uint64_t PasswordKey(std::string_view password) { return KeyFromSha1(Sha1(password)); }

// --- Building -------------------------------------------------------------------------------

std::string PasswordFilterBuilder::Finish() {
  std::vector<uint64_t> keys = std::move(keys_);
  keys_ = {};
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  const uint64_t n = keys.size();
  const uint32_t q = QuotientBitsFor(n);
  const uint64_t buckets = uint64_t{1} << q;
  const uint64_t unary_bits = n + buckets;
  const uint64_t unary_words = (unary_bits + 63) / 64;
  const uint64_t sample_count = (buckets + kSampleEvery - 1) / kSampleEvery;

  const size_t samples_at = kHeaderSize;
  const size_t unary_at = samples_at + sample_count * 8;
  const size_t remainders_at = unary_at + unary_words * 8;
  std::string out(remainders_at + n * 2, '\0');
  std::memcpy(out.data(), kMagic, 8);
  PutU32(out, 8, kVersion);
  PutU32(out, 12, q);
  PutU32(out, 16, kRemainderBits);
  PutU32(out, 20, kSampleEvery);
  PutU64(out, 24, n);
  PutU64(out, 32, unary_bits);
  PutU64(out, 40, sample_count);

  auto* unary = reinterpret_cast<uint64_t*>(out.data() + unary_at);
  auto* remainders = reinterpret_cast<uint16_t*>(out.data() + remainders_at);
  // Walk buckets in order: the ones of bucket b's hashes, then its zero.
  uint64_t i = 0;
  uint64_t pos = 0;
  for (uint64_t b = 0; b < buckets; ++b) {
    while (i < n && (keys[i] >> (64 - q)) == b) {
      unary[pos / 64] |= uint64_t{1} << (pos % 64);
      remainders[i] = static_cast<uint16_t>(keys[i] >> (64 - q - kRemainderBits));
      ++i;
      ++pos;
    }
    if (b % kSampleEvery == 0) PutU64(out, samples_at + (b / kSampleEvery) * 8, pos);
    ++pos;  // The bucket's terminating zero.
  }
  return out;
}

// --- Loading and lookup ---------------------------------------------------------------------

absl::StatusOr<PasswordFilter> PasswordFilter::FromBytes(std::string_view bytes) {
  auto bad = [](std::string why) {
    return absl::InvalidArgumentError(StrCat("breached-password filter: ", why));
  };
  if (bytes.size() < kHeaderSize) return bad("file is truncated (no header)");
  const char* p = bytes.data();
  if (std::memcmp(p, kMagic, 8) != 0) return bad("not a filter file (bad magic)");
  if (reinterpret_cast<uintptr_t>(p) % 8 != 0) return bad("bytes are not 8-byte aligned");
  if (ReadU32(p + 8) != kVersion) return bad(StrCat("unsupported version ", ReadU32(p + 8)));
  PasswordFilter f;
  f.quotient_bits_ = ReadU32(p + 12);
  if (f.quotient_bits_ < 1 || f.quotient_bits_ > kMaxQuotientBits) {
    return bad("bad quotient bits");
  }
  if (ReadU32(p + 16) != kRemainderBits || ReadU32(p + 20) != kSampleEvery) {
    return bad("unsupported parameters");
  }
  f.count_ = ReadU64(p + 24);
  f.unary_bits_ = ReadU64(p + 32);
  f.sample_count_ = ReadU64(p + 40);
  const uint64_t buckets = uint64_t{1} << f.quotient_bits_;
  // Every size is bounded by the byte count before it is multiplied, so nothing overflows.
  if (f.count_ > bytes.size() || f.quotient_bits_ != QuotientBitsFor(f.count_) ||
      f.unary_bits_ != f.count_ + buckets ||
      f.sample_count_ != (buckets + kSampleEvery - 1) / kSampleEvery) {
    return bad("inconsistent header");
  }
  f.unary_words_ = (f.unary_bits_ + 63) / 64;
  const uint64_t need = kHeaderSize + f.sample_count_ * 8 + f.unary_words_ * 8 + f.count_ * 2;
  if (bytes.size() < need) {
    return bad(StrCat("file is truncated (", bytes.size(), " of ", need, " bytes)"));
  }
  if (bytes.size() > need) return bad("file has trailing bytes");
  f.samples_ = reinterpret_cast<const uint64_t*>(p + kHeaderSize);
  f.unary_ = f.samples_ + f.sample_count_;
  f.remainders_ = reinterpret_cast<const uint16_t*>(f.unary_ + f.unary_words_);
  for (uint64_t s = 0; s < f.sample_count_; ++s) {
    if (f.samples_[s] >= f.unary_bits_) return bad("corrupt sample index");
  }
  f.size_bytes_ = bytes.size();
  return f;
}

int64_t PasswordFilter::EndOfBucket(uint64_t bucket) const {
  // Start at the sampled start of bucket (bucket / 512) * 512, then count zeros word by word.
  uint64_t s = bucket / kSampleEvery;
  uint64_t pos = samples_[s];  // First bit of the sampled bucket.
  uint64_t need = bucket - s * kSampleEvery + 1;  // Zeros to pass, this bucket's included.
  uint64_t w = pos / 64;
  if (w >= unary_words_) return -1;
  uint64_t zeros = ~unary_[w] & (~uint64_t{0} << (pos % 64));
  while (true) {
    uint64_t c = static_cast<uint64_t>(std::popcount(zeros));
    if (c >= need) {
      for (uint64_t k = 1; k < need; ++k) zeros &= zeros - 1;
      uint64_t at = w * 64 + static_cast<uint64_t>(std::countr_zero(zeros));
      return at < unary_bits_ ? static_cast<int64_t>(at) : -1;
    }
    need -= c;
    if (++w >= unary_words_) return -1;
    zeros = ~unary_[w];
  }
}

bool PasswordFilter::ContainsKey(uint64_t key) const {
  if (count_ == 0) return false;
  const uint64_t bucket = key >> (64 - quotient_bits_);
  const auto remainder = static_cast<uint16_t>(key >> (64 - quotient_bits_ - kRemainderBits));
  uint64_t start = 0;
  if (bucket > 0) {
    int64_t end = EndOfBucket(bucket - 1);
    if (end < 0) return false;
    start = static_cast<uint64_t>(end) + 1;
  }
  // Hashes before this bucket = bits before it minus the zeros of the buckets before it.
  if (start < bucket) return false;
  for (uint64_t pos = start, i = start - bucket; pos < unary_bits_ && i < count_; ++pos, ++i) {
    if (((unary_[pos / 64] >> (pos % 64)) & 1) == 0) return false;  // End of the bucket.
    if (remainders_[i] == remainder) return true;
    if (remainders_[i] > remainder) return false;
  }
  return false;
}

// --- HIBP lines -----------------------------------------------------------------------------

absl::StatusOr<HibpReader> HibpReader::Create(PasswordFilterBuilder& builder,
                                              std::string_view prefix) {
  HibpReader r(builder);
  if (!prefix.empty()) {
    if (prefix.size() != 5 || !AllHex(prefix)) {
      return absl::InvalidArgumentError(
          StrCat("range prefix must be 5 hex characters, got \"", prefix, "\""));
    }
    ParseHex64(prefix, 5, &r.prefix_bits_);
    r.has_prefix_ = true;
  }
  return r;
}

absl::Status HibpReader::ParseLine(std::string_view line) {
  ++line_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return absl::OkStatus();
  size_t colon = line.find(':');
  std::string_view hex = line.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view count = line.substr(colon + 1);
    if (count.empty() ||
        !std::all_of(count.begin(), count.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return absl::InvalidArgumentError(
          StrCat("line ", line_, ": expected SHA1HEX:COUNT, the count is not a number"));
    }
  }
  uint64_t key = 0;
  if (hex.size() == 40 && AllHex(hex)) {
    ParseHex64(hex, 16, &key);
  } else if (hex.size() == 35 && has_prefix_ && AllHex(hex)) {
    uint64_t rest = 0;
    ParseHex64(hex, 11, &rest);  // 5 prefix + 11 suffix characters = the top 64 bits.
    key = (prefix_bits_ << 44) | rest;
  } else if (hex.size() == 35 && AllHex(hex)) {
    return absl::InvalidArgumentError(
        StrCat("line ", line_, ": a 35-character range-file suffix, but no 5-character prefix "
                               "(name the file ABCDE.txt or pass --prefix)"));
  } else {
    return absl::InvalidArgumentError(
        StrCat("line ", line_, ": expected SHA1HEX:COUNT (40 hex characters)"));
  }
  builder_->AddKey(key);
  return absl::OkStatus();
}

absl::Status HibpReader::Consume(std::string_view chunk) {
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      if (partial_.size() + chunk.size() > 4096) {
        return absl::InvalidArgumentError(StrCat("line ", line_ + 1, ": line is too long"));
      }
      partial_.append(chunk);
      return absl::OkStatus();
    }
    if (partial_.empty()) {
      BULWARK_RETURN_IF_ERROR(ParseLine(chunk.substr(0, nl)));
    } else {
      partial_.append(chunk.substr(0, nl));
      std::string line = std::move(partial_);
      partial_.clear();
      BULWARK_RETURN_IF_ERROR(ParseLine(line));
    }
    chunk.remove_prefix(nl + 1);
  }
  return absl::OkStatus();
}

absl::Status HibpReader::Finish() {
  if (partial_.empty()) return absl::OkStatus();
  std::string line = std::move(partial_);
  partial_.clear();
  return ParseLine(line);
}

std::string RangePrefixFromFileName(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (EndsWith(base, ".txt")) base.remove_suffix(4);
  if (base.size() == 5 && AllHex(base)) return std::string(base);
  return "";
}

}  // namespace bulwark::breached
