// Reads package names from stdin, one per line as the hex of its bytes (so newlines, NULs and
// invalid UTF-8 survive the trip), and prints one JSON line per name with what
// ValidatePackageName says, in the shape of validate-npm-package-name's result (errors and
// warnings always present). Driven by names.mjs.

#include <boost/json/array.hpp>
#include <iostream>
#include <string>

#include "base/json.h"
#include "base/package_name.h"

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool DecodeHex(const std::string& hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

bulwark::json::array ToArray(const std::vector<std::string>& v) {
  bulwark::json::array a;
  for (const std::string& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  std::string name;
  size_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!DecodeHex(line, &name)) {
      std::cerr << "line " << line_number << ": not hex\n";
      return 2;
    }
    const bulwark::NameValidation v = bulwark::ValidatePackageName(name);
    bulwark::json::object o;
    o["validForNewPackages"] = v.valid_for_new_packages;
    o["validForOldPackages"] = v.valid_for_old_packages;
    o["errors"] = ToArray(v.errors);
    o["warnings"] = ToArray(v.warnings);
    std::cout << bulwark::ToJson(o) << '\n';
  }
  return 0;
}
