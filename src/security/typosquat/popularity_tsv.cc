// ParsePopularityTsv: "name<TAB>downloads" lines, plain or gzip-compressed, from memory.

#include <zlib.h>

#include "base/strings.h"
#include "security/typosquat/typosquat.h"

namespace bulwark::typosquat {
namespace {

// The shipped snapshot inflates to ~6 MB and a full npm list to ~100 MB; a "popularity file"
// that inflates past this is a zip bomb, not data.
constexpr size_t kMaxInflatedBytes = size_t{1} << 30;

absl::StatusOr<std::string> Gunzip(std::string_view bytes) {
  z_stream zs{};
  // 16 + MAX_WBITS: gzip framing (RFC 1952), which is what `gzip` and the shared data produce.
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("typosquat: zlib inflateInit2 failed");
  }
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  char chunk[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof(chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError(StrCat("popularity file: corrupt gzip data (zlib ", rc,
                                               zs.msg ? StrCat(": ", zs.msg) : "", ")"));
    }
    out.append(chunk, sizeof(chunk) - zs.avail_out);
    if (out.size() > kMaxInflatedBytes) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError("popularity file: inflates past 1 GiB");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return absl::InvalidArgumentError("popularity file: truncated gzip data");
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<PopularName>> ParsePopularityTsv(std::string_view bytes) {
  std::string inflated;
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
      static_cast<unsigned char>(bytes[1]) == 0x8b) {
    BULWARK_ASSIGN_OR_RETURN(inflated, Gunzip(bytes));
    bytes = inflated;
  }
  std::vector<PopularName> names;
  size_t line_no = 0, pos = 0;
  while (pos < bytes.size()) {
    size_t end = bytes.find('\n', pos);
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view line = bytes.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (StripAsciiWhitespace(line).empty()) continue;
    size_t tab = line.find('\t');
    std::string_view name = tab == std::string_view::npos ? line : line.substr(0, tab);
    std::string_view count = tab == std::string_view::npos ? "" : line.substr(tab + 1);
    uint64_t downloads = 0;
    bool ok = tab != std::string_view::npos && count.find('\t') == std::string_view::npos &&
              SimpleAtoi(count, &downloads) && !StripAsciiWhitespace(name).empty();
    if (!ok) {
      // The first line may be a header ("name<TAB>downloads_a_month").
      if (names.empty() && line_no == 1 && tab != std::string_view::npos) continue;
      return absl::InvalidArgumentError(
          StrCat("popularity file line ", line_no,
                 ": expected \"name<TAB>downloads\", got \"", line.substr(0, 80), "\""));
    }
    names.push_back({std::string(StripAsciiWhitespace(name)), downloads, false});
  }
  return names;
}

}  // namespace bulwark::typosquat
