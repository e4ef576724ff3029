#include "accounts/domains/email_domain.h"

#include <libpsl.h>

#include "base/strings.h"

namespace bulwark::domains {
namespace {

// RFC 1035 §2.3.4 limits.
constexpr size_t kMaxName = 253;
constexpr size_t kMaxLabel = 63;

const psl_ctx_t* Psl() {
  // psl_latest picks the newer of the compiled-in list and the distribution's file; loaded once
  // and never freed (lookups are read-only and thread-safe).
  static const psl_ctx_t* ctx = [] {
    const psl_ctx_t* latest = psl_latest(nullptr);
    return latest ? latest : psl_builtin();
  }();
  return ctx;
}

}  // namespace

std::optional<std::string> EmailDomain(std::string_view email) {
  size_t at = email.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  std::string host = AsciiStrToLower(email.substr(at + 1));
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (host.empty() || host.size() > kMaxName) return std::nullopt;
  size_t labels = 0;
  for (std::string_view label : StrSplit(host, '.')) {
    if (label.empty() || label.size() > kMaxLabel) return std::nullopt;
    if (label.front() == '-' || label.back() == '-') return std::nullopt;
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return std::nullopt;
    }
    ++labels;
  }
  if (labels < 2) return std::nullopt;
  return host;
}

std::optional<std::string> RegistrableDomain(std::string_view host) {
  std::string h(host);
  const char* reg = psl_registrable_domain(Psl(), h.c_str());
  if (reg == nullptr) return std::nullopt;
  return std::string(reg);
}

}  // namespace bulwark::domains
