#pragma once
// A compact, read-only set of SHA-1 password hashes (Have I Been Pwned's Pwned Passwords, or a
// list of common passwords), answering "was this password breached?" from a memory-mapped file.
//
// Why not a Bloom filter: at the false-positive rate we want (<= 0.002%) a Bloom filter needs
// ~22.5 bits per hash; the full HIBP corpus is close to a billion hashes. This is a sorted
// "quotient + remainder" set (Elias-Fano coding of the top q+16 bits of each hash): with
// q = ceil(log2(n)) the top q bits pick one of 2^q >= n buckets (<= 1 hash per bucket on average)
// and are stored in unary (one bit per hash plus one per bucket, <= 3 bits per hash), the next
// 16 bits are stored as-is. A lookup checks the <= ~1 remainders of one bucket, so the
// false-positive rate is (n / 2^q) * 2^-16 <= 1.53e-5, at 18-19.3 bits per hash. A sample of
// every 512th bucket boundary makes a lookup touch two or three cache lines.
//
// File layout (little-endian), all sizes checked against the file length on load:
//   0  char[8]  magic "BWPWNED1"
//   8  u32      format version (1)
//   12 u32      quotient bits q
//   16 u32      remainder bits (16)
//   20 u32      sample interval (512)
//   24 u64      hash count n
//   32 u64      bits in the unary vector (n + 2^q)
//   40 u64      sample count (ceil(2^q / 512))
//   48 u64[2]   reserved (0)
//   64 u64[sample count]  bit position of every 512th bucket end (the zero bits)
//      u64[ceil(bits/64)] the unary vector: bucket b's hashes are ones, then a zero
//      u16[n]             remainders, sorted within each bucket

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bulwark/base/status.h"

namespace bulwark::breached {

// The first 64 bits of SHA-1(password), big-endian: all the filter ever looks at.
uint64_t PasswordKey(std::string_view password);
// Same, from 20 raw SHA-1 bytes.
uint64_t KeyFromSha1(std::string_view sha1_bytes);

// A view over filter bytes owned elsewhere (a memory map, or a string in tests). Never reads
// outside the bytes, whatever they contain.
class PasswordFilter {
 public:
  // InvalidArgument (saying what is wrong) unless `bytes` is a complete, consistent filter.
  // `bytes` must outlive the filter and be 8-byte aligned (mmap and heap strings are).
  static absl::StatusOr<PasswordFilter> FromBytes(std::string_view bytes);

  bool ContainsKey(uint64_t key) const;
  bool Contains(std::string_view password) const { return ContainsKey(PasswordKey(password)); }

  uint64_t size() const { return count_; }
  size_t size_bytes() const { return size_bytes_; }
  double bits_per_hash() const {
    return count_ == 0 ? 0.0 : 8.0 * static_cast<double>(size_bytes_) / count_;
  }

 private:
  PasswordFilter() = default;
  // Bit position of bucket `bucket`'s terminating zero, or -1 when the bytes are inconsistent.
  int64_t EndOfBucket(uint64_t bucket) const;

  uint32_t quotient_bits_ = 0;
  uint64_t count_ = 0;
  uint64_t unary_bits_ = 0;
  uint64_t sample_count_ = 0;
  uint64_t unary_words_ = 0;
  const uint64_t* samples_ = nullptr;
  const uint64_t* unary_ = nullptr;
  const uint16_t* remainders_ = nullptr;
  size_t size_bytes_ = 0;
};

// Collects keys (8 bytes each; the full HIBP corpus needs ~8 GB) and writes the filter.
class PasswordFilterBuilder {
 public:
  void Reserve(size_t n) { keys_.reserve(n); }
  void AddKey(uint64_t key) { keys_.push_back(key); }
  void AddPassword(std::string_view password) { AddKey(PasswordKey(password)); }
  size_t added() const { return keys_.size(); }
  // Sorts, drops duplicates and encodes. Leaves the builder empty.
  std::string Finish();

 private:
  std::vector<uint64_t> keys_;
};

// Parses Pwned Passwords lines ("SHA1HEX:COUNT", upper- or lower-case hex, LF or CRLF) fed in
// arbitrary chunks, adding each hash to a builder. Range files from the HIBP API hold only the
// 35-character suffix; give their 5-character prefix (the file's name) as `prefix`. Blank lines
// are skipped; a bare hash without ":COUNT" is accepted.
class HibpReader {
 public:
  // `prefix`: "" or 5 hex characters.
  static absl::StatusOr<HibpReader> Create(PasswordFilterBuilder& builder,
                                           std::string_view prefix = "");
  // InvalidArgument "line N: ..." at the first bad line.
  absl::Status Consume(std::string_view chunk);
  absl::Status Finish();  // The last line may lack its newline.
  uint64_t lines() const { return line_; }

 private:
  explicit HibpReader(PasswordFilterBuilder& builder) : builder_(&builder) {}
  absl::Status ParseLine(std::string_view line);

  PasswordFilterBuilder* builder_;
  uint64_t prefix_bits_ = 0;  // The prefix's 20 bits, when has_prefix_.
  bool has_prefix_ = false;
  uint64_t line_ = 0;
  std::string partial_;  // A line split across chunks.
};

// "ABCDE" from ".../ABCDE.txt" (a range file's name), else "".
std::string RangePrefixFromFileName(std::string_view path);

}  // namespace bulwark::breached
