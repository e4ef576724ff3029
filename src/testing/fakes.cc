#include "testing/fakes.h"

#include <stdlib.h>

#include <filesystem>

namespace bulwark::testing {

std::string SeededRandom::Bytes(size_t n) {
  absl::MutexLock l(&mu_);
  std::string out(n, '\0');
  for (auto& c : out) {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    c = static_cast<char>((state_ * 2685821657736338717ull) >> 56);
  }
  return out;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "bulwark-unit-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  path_ = p ? p : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace bulwark::testing
