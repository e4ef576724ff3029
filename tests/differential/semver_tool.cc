// Answers semver queries for tests/differential/semver.mjs, which asks the npm `semver` package
// the same questions and compares.
//
// Protocol: one query per line on stdin, one answer per line on stdout. Fields are separated by
// tabs; in every field '\\', tab, newline and carriage return are escaped as \\, \t, \n, \r.
// The first field is the operation, the second the options ("-", or "l" for loose and/or "p"
// for includePrerelease):
//   V  opts text              semver.valid         "=" + result, or "!" for null
//   C  opts a b               semver.compare       -1, 0 or 1 ("!" if either is invalid)
//   R  opts text              semver.validRange    "=" + result, or "!" for null
//   S  opts version range     semver.satisfies     1 or 0
//   M  opts range v1 v2 ...   semver.maxSatisfying "=" + result, or "!" for null

#include <iostream>
#include <string>
#include <vector>

#include "base/semver.h"

namespace {

using bulwark::semver::Options;

std::vector<std::string> SplitFields(const std::string& line) {
  std::vector<std::string> fields(1);
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\t') {
      fields.emplace_back();
    } else if (c == '\\' && i + 1 < line.size()) {
      const char e = line[++i];
      fields.back() += e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e;
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Optional(const std::optional<std::string>& s) { return s ? "=" + Escape(*s) : "!"; }

std::string Answer(const std::vector<std::string>& f) {
  if (f.size() < 3) return "?bad query";
  Options opts;
  opts.loose = f[1].find('l') != std::string::npos;
  opts.include_prerelease = f[1].find('p') != std::string::npos;
  const std::string& op = f[0];
  if (op == "V") return Optional(bulwark::semver::Valid(f[2], opts));
  if (op == "R") return Optional(bulwark::semver::ValidRange(f[2], opts));
  if (op == "C" && f.size() == 4) {
    auto a = bulwark::semver::Parse(f[2], opts);
    auto b = bulwark::semver::Parse(f[3], opts);
    if (!a.ok() || !b.ok()) return "!";
    return std::to_string(bulwark::semver::Compare(*a, *b));
  }
  if (op == "S" && f.size() == 4) return bulwark::semver::Satisfies(f[2], f[3], opts) ? "1" : "0";
  if (op == "M") {
    const std::vector<std::string> versions(f.begin() + 3, f.end());
    return Optional(bulwark::semver::MaxSatisfying(versions, f[2], opts));
  }
  return "?bad query";
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  std::string out;
  while (std::getline(std::cin, line)) {
    out += Answer(SplitFields(line));
    out += '\n';
    if (out.size() > (1 << 16)) {
      std::cout << out;
      out.clear();
    }
  }
  std::cout << out << std::flush;
  return 0;
}
