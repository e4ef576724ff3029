// Breached-password filter benchmark (docs/security.md §Breached passwords). Targets: <= 20 bits
// per hash and a false-positive rate <= 0.002% at the full HIBP corpus (~1e9 hashes), lookups
// under 2 us, and an import of 100 million "SHA1HEX:COUNT" lines in under 3 minutes.
//
// Usage: passwords_bench [LINES]   (default 100000000)
// The lines are synthetic (random 40-hex hashes with counts), generated in 1 MiB chunks and fed
// to the same HibpReader `bulwark passwords import` uses; generation time is not counted. The
// file read itself is left out (run.sh times the real command on a file for that).

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "accounts/breached/password_filter.h"

namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  using bulwark::breached::HibpReader;
  using bulwark::breached::PasswordFilter;
  using bulwark::breached::PasswordFilterBuilder;
  const uint64_t lines = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000000;
  std::mt19937_64 rng(20261123);
  static const char kHex[] = "0123456789ABCDEF";

  PasswordFilterBuilder builder;
  builder.Reserve(lines);
  auto reader = HibpReader::Create(builder);
  std::string chunk;
  chunk.reserve((1 << 20) + 64);
  Clock::duration parse{};
  uint64_t bytes_in = 0;
  std::vector<uint64_t> sample_members;  // Every 1000th hash, to check for false negatives.
  for (uint64_t i = 0; i < lines;) {
    chunk.clear();
    while (i < lines && chunk.size() < (1 << 20)) {
      uint64_t a = rng(), b = rng(), c = rng();
      if (i % 1000 == 0) sample_members.push_back(a);
      char line[64];
      for (int k = 0; k < 16; ++k) line[k] = kHex[(a >> (60 - 4 * k)) & 15];
      for (int k = 0; k < 16; ++k) line[16 + k] = kHex[(b >> (60 - 4 * k)) & 15];
      for (int k = 0; k < 8; ++k) line[32 + k] = kHex[(c >> (60 - 4 * k)) & 15];
      int n = 40 + std::snprintf(line + 40, 24, ":%u\r\n", static_cast<unsigned>(c % 100000));
      chunk.append(line, n);
      ++i;
    }
    bytes_in += chunk.size();
    auto t0 = Clock::now();
    if (!reader->Consume(chunk).ok()) return 2;
    parse += Clock::now() - t0;
  }
  auto t1 = Clock::now();
  std::string bytes = builder.Finish();
  double build_s = Seconds(Clock::now() - t1);
  auto filter = PasswordFilter::FromBytes(bytes);
  if (!filter.ok()) return 2;
  const double import_s = Seconds(parse) + build_s;
  std::printf("import: %llu lines (%.1f GB) parsed in %.1f s, built in %.1f s: %.1f s total, "
              "%.2f M lines/s (target: 100M lines < 180 s)\n",
              static_cast<unsigned long long>(lines), bytes_in / 1e9, Seconds(parse), build_s,
              import_s, lines / import_s / 1e6);
  std::printf("size: %llu hashes, %zu bytes, %.2f bits per hash\n",
              static_cast<unsigned long long>(filter->size()), bytes.size(),
              filter->bits_per_hash());
  // At 1e9 hashes q = 30: unary bits (1e9 + 2^30) / 1e9, 16 remainder bits, samples 2^30/512*64.
  const double n9 = 1e9, b9 = double(uint64_t{1} << 30);
  std::printf("extrapolated to 1e9 hashes: %.2f bits per hash, FPR %.2e (target <= 20, <= 2e-5)\n",
              ((n9 + b9) + 16 * n9 + b9 / 512 * 64 + 64 * 8) / n9, n9 / b9 / 65536);

  uint64_t misses = 0;
  for (uint64_t k : sample_members) misses += !filter->ContainsKey(k);
  constexpr uint64_t kProbes = 20000000;
  uint64_t hits = 0;
  for (uint64_t i = 0; i < kProbes; ++i) hits += filter->ContainsKey(rng());
  std::printf("false negatives: %llu of %zu members; false positives: %llu of %llu = %.2e "
              "(expected %.2e)\n",
              static_cast<unsigned long long>(misses), sample_members.size(),
              static_cast<unsigned long long>(hits), static_cast<unsigned long long>(kProbes),
              double(hits) / kProbes, double(filter->size()) /
                  double(uint64_t{1} << (64 - std::countl_zero(filter->size() - 1))) / 65536);

  // Latency of single lookups of random keys (mostly cache misses in a big filter), including
  // the password's SHA-1 as the server computes it.
  constexpr int kLookups = 1000000;
  std::vector<double> ns(kLookups);
  uint64_t found = 0;
  for (int i = 0; i < kLookups; ++i) {
    std::string pw = "password-" + std::to_string(rng());
    auto t0 = Clock::now();
    found += filter->Contains(pw);
    ns[i] = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
  }
  std::sort(ns.begin(), ns.end());
  std::printf("lookup (SHA-1 + filter): median %.3f us, p99 %.3f us, max %.1f us (target < 2 us)"
              " [%llu found]\n",
              ns[kLookups / 2] / 1000, ns[kLookups * 99 / 100] / 1000, ns.back() / 1000,
              static_cast<unsigned long long>(found));
  return misses == 0 ? 0 : 1;
}
