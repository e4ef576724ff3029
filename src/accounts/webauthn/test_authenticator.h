#pragma once
// Test support (not part of the library): a minimal CBOR encoder and a software authenticator
// whose keys OpenSSL generates, to build WebAuthn responses byte by byte in unit tests.

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <vector>

#include "accounts/webauthn/webauthn.h"
#include "base/hash.h"
#include "base/strings.h"

namespace bulwark::webauthn::test_support {

// Status messages are Abseil's own string_view on Debian (docs/design.md §Strings).
using bulwark::StrContains;
inline bool StrContains(absl::string_view s, std::string_view needle) {
  return std::string_view(s.data(), s.size()).find(needle) != std::string_view::npos;
}

// A minimal CBOR encoder for the tests (canonical enough for what they send).
inline std::string Head(int major, uint64_t n) {
  std::string out;
  auto put = [&](int info, int bytes) {
    out.push_back(static_cast<char>((major << 5) | info));
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  };
  if (n < 24) {
    out.push_back(static_cast<char>((major << 5) | n));
  } else if (n < 0x100) {
    put(24, 1);
  } else if (n < 0x10000) {
    put(25, 2);
  } else if (n < 0x100000000ull) {
    put(26, 4);
  } else {
    put(27, 8);
  }
  return out;
}
inline std::string Int(int64_t v) { return v >= 0 ? Head(0, v) : Head(1, -1 - v); }
inline std::string Bytes(std::string_view b) { return StrCat(Head(2, b.size()), b); }
inline std::string Text(std::string_view t) { return StrCat(Head(3, t.size()), t); }
inline std::string Map(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string out = Head(5, kv.size());
  for (const auto& [k, v] : kv) StrAppend(&out, k, v);
  return out;
}
inline std::string Array(const std::vector<std::string>& items) {
  std::string out = Head(4, items.size());
  for (const auto& i : items) out += i;
  return out;
}

inline std::string Hex(std::string_view h) { return *HexDecode(h); }

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline Pkey Generate(CoseAlg alg, int rsa_bits = 2048) {
  switch (alg) {
    case CoseAlg::kEs256: return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    case CoseAlg::kEdDsa: return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    case CoseAlg::kRs256:
      return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits)));
  }
  return nullptr;
}

inline std::string Sign(CoseAlg alg, EVP_PKEY* key, std::string_view data) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EXPECT_EQ(EVP_DigestSignInit(md, nullptr, alg == CoseAlg::kEdDsa ? nullptr : EVP_sha256(),
                               nullptr, key),
            1);
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  EXPECT_EQ(EVP_DigestSign(md, nullptr, &len, in, data.size()), 1);
  std::string sig(len, '\0');
  EXPECT_EQ(EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                           data.size()),
            1);
  sig.resize(len);
  EVP_MD_CTX_free(md);
  return sig;
}

inline std::string BnBytes(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  std::string out(BN_num_bytes(bn), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

inline std::string CoseKeyOf(CoseAlg alg, EVP_PKEY* key) {
  switch (alg) {
    case CoseAlg::kEs256: {
      unsigned char pub[65];
      size_t len = 0;
      EXPECT_EQ(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub),
                                                &len),
                1);
      EXPECT_EQ(len, 65u);
      std::string p(reinterpret_cast<char*>(pub), len);
      return Map({{Int(1), Int(2)}, {Int(3), Int(-7)}, {Int(-1), Int(1)},
                  {Int(-2), Bytes(p.substr(1, 32))}, {Int(-3), Bytes(p.substr(33, 32))}});
    }
    case CoseAlg::kEdDsa: {
      unsigned char pub[32];
      size_t len = sizeof(pub);
      EXPECT_EQ(EVP_PKEY_get_raw_public_key(key, pub, &len), 1);
      return Map({{Int(1), Int(1)}, {Int(3), Int(-8)}, {Int(-1), Int(6)},
                  {Int(-2), Bytes(std::string(reinterpret_cast<char*>(pub), len))}});
    }
    case CoseAlg::kRs256:
      return Map({{Int(1), Int(3)}, {Int(3), Int(-257)}, {Int(-1), Bytes(BnBytes(key, "n"))},
                  {Int(-2), Bytes(BnBytes(key, "e"))}});
  }
  return "";
}

inline constexpr char kOrigin[] = "http://localhost:4873";
inline constexpr char kRpId[] = "localhost";
inline const std::string kChallenge = Hex("00112233445566778899aabbccddeeff0123456789abcdef");
inline const std::string kAaguid = Hex("0102030405060708090a0b0c0d0e0f10");

inline RelyingParty Rp() { return RelyingParty{kRpId, kOrigin, false}; }

inline std::string ClientData(std::string_view type, std::string_view challenge = kChallenge,
                       std::string_view origin = kOrigin, std::string_view extra = "") {
  return StrCat("{\"type\":\"", type, "\",\"challenge\":\"", Base64UrlEncode(challenge),
                "\",\"origin\":\"", origin, "\",\"crossOrigin\":false", extra, "}");
}

inline constexpr uint8_t kUp = 0x01, kUv = 0x04, kBe = 0x08, kBs = 0x10, kAt = 0x40;

inline std::string Counter(uint32_t c) {
  return std::string{static_cast<char>(c >> 24), static_cast<char>(c >> 16),
                     static_cast<char>(c >> 8), static_cast<char>(c)};
}

// A software authenticator holding one credential.
struct Authenticator {
  explicit Authenticator(CoseAlg a, std::string id = "credential-1")
      : alg(a), key(Generate(a)), credential_id(std::move(id)) {}
  CoseAlg alg;
  Pkey key;
  std::string credential_id;
  uint32_t counter = 0;
  std::string rp_id = kRpId;

  std::string cose() const { return CoseKeyOf(alg, key.get()); }

  std::string AuthData(uint8_t flags, bool attested) const {
    std::string ad = StrCat(Sha256(rp_id), std::string(1, static_cast<char>(flags)),
                            Counter(counter));
    if (attested) {
      StrAppend(&ad, kAaguid, std::string{static_cast<char>(credential_id.size() >> 8),
                                          static_cast<char>(credential_id.size() & 0xFF)},
                credential_id, cose());
    }
    return ad;
  }

  // attestationObject with format `fmt`; `stmt` built by the caller or "none".
  std::string Attestation(std::string_view client_data, uint8_t flags = kUp | kAt,
                          std::string_view fmt = "none") const {
    std::string ad = AuthData(flags, true);
    std::string stmt = Map({});
    if (fmt == "packed") {
      stmt = Map({{Text("alg"), Int(static_cast<int>(alg))},
                  {Text("sig"), Bytes(Sign(alg, key.get(), StrCat(ad, Sha256(client_data))))}});
    }
    return Map({{Text("fmt"), Text(fmt)}, {Text("attStmt"), stmt}, {Text("authData"), Bytes(ad)}});
  }

  struct Response {
    std::string client_data, auth_data, signature;
  };
  Response Assert(uint8_t flags = kUp, std::string_view challenge = kChallenge,
                  std::string_view origin = kOrigin) {
    ++counter;
    Response r;
    r.client_data = ClientData("webauthn.get", challenge, origin);
    r.auth_data = AuthData(flags, false);
    r.signature = Sign(alg, key.get(), StrCat(r.auth_data, Sha256(r.client_data)));
    return r;
  }
};

}  // namespace bulwark::webauthn::test_support
