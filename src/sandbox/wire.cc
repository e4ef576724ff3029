#include "sandbox/wire.h"

#include "base/strings.h"

namespace bulwark::sandbox {
namespace {

uint16_t U16(std::string_view s, size_t at) {
  return static_cast<uint16_t>((static_cast<unsigned char>(s[at]) << 8) |
                               static_cast<unsigned char>(s[at + 1]));
}

void PutU16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

constexpr size_t kMaxDnsName = 255;    // RFC 1035 §2.3.4.
constexpr size_t kMaxHeaders = 100;

}  // namespace

std::optional<DnsQuery> ParseDnsQuery(std::string_view msg) {
  if (msg.size() < 12) return std::nullopt;
  DnsQuery q;
  q.id = U16(msg, 0);
  const uint16_t flags = U16(msg, 2);
  if (flags & 0x8000) return std::nullopt;  // A response, not a query.
  if (U16(msg, 4) == 0) return std::nullopt;
  size_t at = 12;
  size_t wire_len = 0;
  while (true) {
    if (at >= msg.size()) return std::nullopt;
    const auto len = static_cast<unsigned char>(msg[at]);
    ++at;
    if (len == 0) break;
    if (len > 63) return std::nullopt;  // Compression pointers are not valid in a question.
    if (at + len > msg.size()) return std::nullopt;
    wire_len += len + 1;
    if (wire_len > kMaxDnsName) return std::nullopt;
    if (!q.name.empty()) q.name.push_back('.');
    for (char c : msg.substr(at, len)) {
      const auto u = static_cast<unsigned char>(c);
      if ((u >= 'A' && u <= 'Z')) {
        q.name.push_back(static_cast<char>(u - 'A' + 'a'));
      } else if ((u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' || u == '_') {
        q.name.push_back(c);
      } else {
        static constexpr char kHex[] = "0123456789abcdef";
        q.name += "\\x";
        q.name.push_back(kHex[u >> 4]);
        q.name.push_back(kHex[u & 15]);
      }
    }
    at += len;
  }
  if (at + 4 > msg.size()) return std::nullopt;
  q.type = U16(msg, at);
  q.question_end = at + 4;
  return q;
}

std::string BuildDnsAnswer(std::string_view msg, const DnsQuery& query, uint32_t ipv4) {
  std::string out;
  if (query.question_end > msg.size() || query.question_end < 12) return out;
  const bool answer = query.type == 1;
  PutU16(out, query.id);
  PutU16(out, 0x8180);  // QR, RD, RA; NOERROR.
  PutU16(out, 1);
  PutU16(out, answer ? 1 : 0);
  PutU16(out, 0);
  PutU16(out, 0);
  out.append(msg.substr(12, query.question_end - 12));
  if (answer) {
    PutU16(out, 0xc00c);  // Pointer to the question's name.
    PutU16(out, 1);
    PutU16(out, 1);
    PutU16(out, 0);
    PutU16(out, 5);
    PutU16(out, 4);
    PutU16(out, static_cast<uint16_t>(ipv4 >> 16));
    PutU16(out, static_cast<uint16_t>(ipv4 & 0xffff));
  }
  return out;
}

std::optional<HttpHead> ParseHttpHead(std::string_view data) {
  const size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  HttpHead head;
  head.head_end = end + 4;
  auto lines = StrSplit(data.substr(0, end), '\n');
  if (lines.empty()) return std::nullopt;
  auto strip_cr = [](std::string_view l) {
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    return l;
  };
  auto parts = StrSplit(strip_cr(lines[0]), ' ', SkipEmpty());
  if (parts.size() != 3) return std::nullopt;
  head.method = std::string(parts[0]);
  head.target = std::string(parts[1]);
  head.version = std::string(parts[2]);
  if (!StartsWith(head.version, "HTTP/")) return std::nullopt;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view l = strip_cr(lines[i]);
    const size_t colon = l.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    if (head.headers.size() >= kMaxHeaders) return std::nullopt;
    head.headers.emplace_back(AsciiStrToLower(l.substr(0, colon)),
                              std::string(StripAsciiWhitespace(l.substr(colon + 1))));
  }
  return head;
}

std::string ParseTlsSni(std::string_view d) {
  // TLS record (5) + handshake header (4) + version (2) + random (32).
  if (d.size() < 43 || d[0] != 0x16 || d[5] != 0x01) return "";
  size_t at = 43;
  auto need = [&](size_t n) { return at + n <= d.size(); };
  if (!need(1)) return "";
  at += 1 + static_cast<unsigned char>(d[at]);  // session id
  if (!need(2)) return "";
  at += 2 + U16(d, at);  // cipher suites
  if (!need(1)) return "";
  at += 1 + static_cast<unsigned char>(d[at]);  // compression methods
  if (!need(2)) return "";
  const size_t ext_end = at + 2 + U16(d, at);
  at += 2;
  while (at + 4 <= d.size() && at + 4 <= ext_end) {
    const uint16_t type = U16(d, at);
    const uint16_t len = U16(d, at + 2);
    at += 4;
    if (at + len > d.size()) return "";
    if (type == 0 && len >= 5) {
      // server_name_list: length (2), type (1), name length (2), name.
      const uint16_t name_len = U16(d, at + 3);
      if (5u + name_len > len) return "";
      std::string name(d.substr(at + 5, name_len));
      for (char& c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7e) c = '?';
      }
      return name;
    }
    at += len;
  }
  return "";
}

}  // namespace bulwark::sandbox
