// Scores CVSS vectors for tests/differential/cvss4.mjs, which scores the same vectors with the
// ae-cvss-calculator npm package and compares.
//
// Protocol: one vector per line on stdin; one line per vector on stdout: "=" and the score with
// one decimal, or "!" and the error when the vector is refused.

#include <cstdio>
#include <iostream>
#include <string>

#include "security/advisories/cvss.h"

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    auto score = bulwark::advisories::CvssV4Score(line);
    if (score.ok()) {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "=%.1f", *score);
      std::cout << buf << '\n';
    } else {
      std::cout << '!' << score.status().message() << '\n';
    }
  }
  return 0;
}
