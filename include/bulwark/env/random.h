#pragma once
// Random seam: cryptographically secure bytes for tokens, salts and session ids. Tests inject a
// seeded deterministic implementation.

#include <cstddef>
#include <string>

namespace bulwark {

class Random {
 public:
  virtual ~Random() = default;
  // Returns `n` random bytes. Thread-safe. The real implementation aborts the process if the
  // kernel CSPRNG fails, since continuing with weak randomness would mint guessable tokens.
  virtual std::string Bytes(size_t n) = 0;
};

// OpenSSL RAND_bytes. Never null; lives for the whole program.
Random& SystemRandom();

}  // namespace bulwark
