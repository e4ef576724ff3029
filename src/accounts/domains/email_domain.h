#pragma once
// The domain of an email address and its registrable domain under the Public Suffix List
// (Debian's libpsl with its newest list: the built-in one or /usr/share/publicsuffix).

#include <optional>
#include <string>
#include <string_view>

namespace bulwark::domains {

// The lower-cased host after the last '@', without a trailing dot; nullopt when it is not a
// plausible DNS name (LDH labels of 1-63 bytes, 253 bytes in all, at least two labels). IDNs are
// expected in their punycode form: anything outside ASCII is refused.
std::optional<std::string> EmailDomain(std::string_view email);

// The registrable domain ("eTLD+1") of `host`: "example.co.uk" for "mail.example.co.uk";
// nullopt when `host` is itself a public suffix. A name under a suffix the list does not know
// (".test") falls under the list's default rule "*": "name.test".
std::optional<std::string> RegistrableDomain(std::string_view host);

}  // namespace bulwark::domains
