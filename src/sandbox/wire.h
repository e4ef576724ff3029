#pragma once
// Parsers for what a sandboxed package sends to the sinks on the namespace's loopback
// (docs/sandbox.md §Sinks). The input is hostile: every length is checked, nothing is
// asserted, and each parser has a fuzz target (fuzz/sandbox_wire_fuzz.cc).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::sandbox {

struct DnsQuery {
  uint16_t id = 0;
  std::string name;  // Lower-case, dot-separated, no trailing dot; labels escaped if not LDH.
  uint16_t type = 0;
  size_t question_end = 0;  // Offset just past the first question (for the answer).
};

// The first question of a DNS query message (RFC 1035 §4.1). nullopt when the message is not a
// query, has no question, uses compression in the question, or is truncated.
std::optional<DnsQuery> ParseDnsQuery(std::string_view msg);

// The answer to `query` (the original message `msg`): one A record for `ipv4` when the type is A
// (1), else no answers; always NOERROR, TTL 5 s.
std::string BuildDnsAnswer(std::string_view msg, const DnsQuery& query, uint32_t ipv4);

struct HttpHead {
  std::string method, target, version;
  std::vector<std::pair<std::string, std::string>> headers;  // Names lower-cased.
  size_t head_end = 0;  // Offset of the body.
};

// The request line and headers of an HTTP/1.x request once "\r\n\r\n" has arrived. nullopt when
// incomplete or malformed (a line without ':' , a request line without three parts, > 100
// headers).
std::optional<HttpHead> ParseHttpHead(std::string_view data);

// TLS ClientHello's server_name (RFC 6066 §3), or empty: so HTTPS contacts show the host.
std::string ParseTlsSni(std::string_view data);

}  // namespace bulwark::sandbox
