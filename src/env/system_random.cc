#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "bulwark/env/random.h"

namespace bulwark {
namespace {

class OpenSslRandom final : public Random {
 public:
  std::string Bytes(size_t n) override {
    std::string out(n, '\0');
    if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
      // Minting a token from weak randomness is worse than stopping.
      std::fputs("bulwark: RAND_bytes failed; refusing to continue\n", stderr);
      std::abort();
    }
    return out;
  }
};

}  // namespace

Random& SystemRandom() {
  static OpenSslRandom* random = new OpenSslRandom();
  return *random;
}

}  // namespace bulwark
