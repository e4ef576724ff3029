#include "sandbox/wire.h"

#include <gtest/gtest.h>

namespace bulwark::sandbox {
namespace {

std::string Query(std::string_view name, uint16_t type) {
  std::string m = {'\x12', '\x34', '\x01', '\x00', '\x00', '\x01', 0, 0, 0, 0, 0, 0};
  for (std::string_view rest = name; !rest.empty();) {
    size_t dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    m.push_back(static_cast<char>(label.size()));
    m.append(label);
    rest = dot == std::string_view::npos ? "" : rest.substr(dot + 1);
  }
  m.push_back(0);
  m.push_back(static_cast<char>(type >> 8));
  m.push_back(static_cast<char>(type & 0xff));
  m.append("\x00\x01", 2);
  return m;
}

TEST(Dns, ParsesAndAnswersA) {
  std::string q = Query("Stats.Exfil.test", 1);
  auto parsed = ParseDnsQuery(q);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->name, "stats.exfil.test");
  EXPECT_EQ(parsed->type, 1);
  EXPECT_EQ(parsed->id, 0x1234);
  std::string a = BuildDnsAnswer(q, *parsed, 0x7f000002);
  ASSERT_EQ(a.size(), q.size() + 16);
  EXPECT_EQ(a.substr(a.size() - 4), std::string("\x7f\x00\x00\x02", 4));
  EXPECT_FALSE(ParseDnsQuery(a).has_value());  // A response is not a query.
}

TEST(Dns, RefusesMalformed) {
  std::string q = Query("a.test", 28);
  EXPECT_FALSE(ParseDnsQuery(q.substr(0, q.size() - 3)).has_value());  // Truncated.
  EXPECT_FALSE(ParseDnsQuery("short").has_value());
  std::string ptr = q;
  ptr[12] = '\xc0';  // Compression pointer in the question.
  EXPECT_FALSE(ParseDnsQuery(ptr).has_value());
  std::string aaaa = BuildDnsAnswer(q, *ParseDnsQuery(q), 1);
  EXPECT_EQ(aaaa.size(), q.size());  // No answer for AAAA.
  // Binary label bytes are escaped, never copied raw.
  std::string odd = Query("a\x01" "b.test", 1);
  EXPECT_EQ(ParseDnsQuery(odd)->name, "a\\x01b.test");
}

TEST(Http, ParsesHead) {
  auto h = ParseHttpHead("PUT /victim HTTP/1.1\r\nHost: registry\r\nAuthorization: Bearer x\r\n\r\nbody");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->method, "PUT");
  EXPECT_EQ(h->target, "/victim");
  ASSERT_EQ(h->headers.size(), 2u);
  EXPECT_EQ(h->headers[1].first, "authorization");
  EXPECT_EQ(h->headers[1].second, "Bearer x");
  EXPECT_EQ(h->head_end, 65u);
  EXPECT_FALSE(ParseHttpHead("GET / HTTP/1.1\r\nHost: x\r\n").has_value());  // Incomplete.
  EXPECT_FALSE(ParseHttpHead("GET /\r\n\r\n").has_value());
  EXPECT_FALSE(ParseHttpHead("GET / HTTP/1.1\r\nno colon\r\n\r\n").has_value());
}

TEST(Tls, ReadsServerName) {
  // A minimal ClientHello with only the server_name extension.
  std::string name = "downloads.example.test";
  std::string sni;
  auto u16 = [](std::string& s, size_t v) { s.push_back(static_cast<char>(v >> 8)); s.push_back(static_cast<char>(v & 0xff)); };
  std::string ext;
  u16(ext, 0);
  u16(ext, name.size() + 5);
  u16(ext, name.size() + 3);
  ext.push_back(0);
  u16(ext, name.size());
  ext += name;
  std::string body = "\x03\x03" + std::string(32, 'r');
  body.push_back(0);       // session id
  u16(body, 2);
  body += "\x13\x01";      // one cipher suite
  body += std::string("\x01\x00", 2);  // compression
  u16(body, ext.size());
  body += ext;
  std::string hs = "\x01";
  hs += std::string("\x00", 1);
  u16(hs, body.size());
  hs += body;
  std::string rec = "\x16\x03\x01";
  u16(rec, hs.size());
  rec += hs;
  EXPECT_EQ(ParseTlsSni(rec), name);
  EXPECT_EQ(ParseTlsSni(rec.substr(0, 60)), "");
}

}  // namespace
}  // namespace bulwark::sandbox
