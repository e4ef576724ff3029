#include "base/strings.h"
#include "api/routes.h"


namespace bulwark {

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\0') return std::nullopt;  // NUL never belongs in a name or path.
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string PercentEncodeComponent(std::string_view text) {
  return PercentEncode(text, "-_.!~*'()");
}

std::optional<std::string> QueryParam(std::string_view query, std::string_view key) {
  for (std::string_view pair : StrSplit(query, '&')) {
    size_t eq = pair.find('=');
    std::string_view k = pair.substr(0, eq);
    if (k != key) continue;
    std::string v(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    for (char& c : v) {
      if (c == '+') c = ' ';
    }
    return PercentDecode(v);
  }
  return std::nullopt;
}

std::vector<std::string> SplitSegments(std::string_view path, int name_at) {
  std::vector<std::string> segs;
  for (std::string_view s : StrSplit(path, '/')) segs.emplace_back(s);
  if (!segs.empty() && segs.front().empty()) segs.erase(segs.begin());
  if (name_at >= 0 && static_cast<size_t>(name_at) + 1 < segs.size() &&
      StartsWith(segs[name_at], "@")) {
    segs[name_at] += "/" + segs[name_at + 1];
    segs.erase(segs.begin() + name_at + 1);
  }
  return segs;
}

std::optional<PackageRoute> ParsePackageRoute(std::string_view raw_path) {
  auto decoded = PercentDecode(raw_path);
  if (!decoded || decoded->size() < 2 || (*decoded)[0] != '/') return std::nullopt;
  std::vector<std::string> segs = SplitSegments(*decoded, 0);
  if (segs.empty() || segs[0].empty() || segs[0] == "-") return std::nullopt;
  for (const auto& s : segs) {
    if (s.empty()) return std::nullopt;
  }
  PackageRoute r;
  r.name = segs[0];
  if (segs.size() == 1) {
    r.kind = PackageRoute::Kind::kPackument;
  } else if (segs.size() == 2 && segs[1] != "-" && segs[1] != "-rev") {
    r.kind = PackageRoute::Kind::kVersion;
    r.arg = segs[1];
  } else if (segs.size() == 3 && segs[1] == "-rev") {
    r.kind = PackageRoute::Kind::kPackageRev;
    r.arg = segs[2];
  } else if (segs.size() == 3 && segs[1] == "-") {
    r.kind = PackageRoute::Kind::kTarball;
    r.arg = segs[2];
  } else if (segs.size() == 5 && segs[1] == "-" && segs[3] == "-rev") {
    r.kind = PackageRoute::Kind::kTarballRev;
    r.arg = segs[2];
  } else {
    return std::nullopt;
  }
  return r;
}

}  // namespace bulwark
