// WebAuthn verification against responses built here: keys generated with OpenSSL for each
// algorithm (ES256, EdDSA, RS256), authenticator data, client data and attestation objects
// assembled byte by byte, so each check can be broken on its own.

#include "accounts/webauthn/webauthn.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <map>
#include <variant>

#include "accounts/webauthn/cbor.h"
#include "accounts/webauthn/test_authenticator.h"
#include "base/hash.h"
#include "base/strings.h"

namespace bulwark::webauthn {
namespace {

using namespace test_support;  // NOLINT: test helpers.

class PerAlgorithm : public ::testing::TestWithParam<CoseAlg> {};

TEST_P(PerAlgorithm, RegistersWithAttestationNoneAndPackedSelf) {
  Authenticator a(GetParam());
  std::string cd = ClientData("webauthn.create");
  auto none = VerifyRegistration(Rp(), kChallenge, cd, a.Attestation(cd));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->alg, GetParam());
  EXPECT_EQ(none->id, "credential-1");
  EXPECT_EQ(none->aaguid, kAaguid);
  EXPECT_EQ(none->attestation, kAttestationNone);
  EXPECT_EQ(none->public_key, a.cose());

  auto packed = VerifyRegistration(Rp(), kChallenge, cd, a.Attestation(cd, kUp | kAt, "packed"));
  ASSERT_TRUE(packed.ok()) << packed.status();
  EXPECT_EQ(packed->attestation, kAttestationPackedSelf);
}

TEST_P(PerAlgorithm, VerifiesAssertionsAndRefusesCounterRegression) {
  Authenticator a(GetParam());
  std::string cd = ClientData("webauthn.create");
  auto cred = VerifyRegistration(Rp(), kChallenge, cd, a.Attestation(cd));
  ASSERT_TRUE(cred.ok()) << cred.status();
  CredentialKey stored{cred->public_key, cred->sign_count, false};

  auto r = a.Assert();
  auto ok = VerifyAssertion(Rp(), kChallenge, stored, r.client_data, r.auth_data, r.signature);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->sign_count, 1u);
  stored.sign_count = ok->sign_count;

  // A copy of the key that has signed fewer times than the original.
  a.counter = 0;
  auto cloned = a.Assert();  // Counter 1 again.
  auto refused =
      VerifyAssertion(Rp(), kChallenge, stored, cloned.client_data, cloned.auth_data,
                      cloned.signature);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(IsClonedKey(refused.status()));
  EXPECT_TRUE(StrContains(refused.status().message(), "may have been cloned"));

  // Tampering with the signed bytes (UV flag set after signing) breaks the signature.
  auto t = a.Assert();
  t.auth_data[32] = static_cast<char>(kUp | kUv);
  auto tampered = VerifyAssertion(Rp(), kChallenge, stored, t.client_data, t.auth_data,
                                  t.signature);
  EXPECT_EQ(tampered.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(StrContains(tampered.status().message(), "signature does not verify"));

  // Another key's signature over the same data.
  Authenticator other(GetParam());
  other.counter = 10;
  auto o = other.Assert();
  auto wrong = VerifyAssertion(Rp(), kChallenge, stored, o.client_data, o.auth_data, o.signature);
  EXPECT_TRUE(StrContains(wrong.status().message(), "signature does not verify"))
      << wrong.status();
}

INSTANTIATE_TEST_SUITE_P(Algorithms, PerAlgorithm,
                         ::testing::Values(CoseAlg::kEs256, CoseAlg::kEdDsa, CoseAlg::kRs256),
                         [](const auto& info) { return std::string(CoseAlgName(info.param)); });

TEST(WebAuthn, CounterZeroOnBothSidesIsAllowed) {
  // Authenticators without a counter (some platform ones) always report 0.
  Authenticator a(CoseAlg::kEs256);
  CredentialKey stored{a.cose(), 0, false};
  a.counter = static_cast<uint32_t>(-1);  // Assert() increments to 0.
  auto r = a.Assert();
  EXPECT_TRUE(VerifyAssertion(Rp(), kChallenge, stored, r.client_data, r.auth_data, r.signature)
                  .ok());
  // Equal non-zero counts are a regression.
  stored.sign_count = 5;
  a.counter = 4;
  r = a.Assert();
  EXPECT_TRUE(IsClonedKey(
      VerifyAssertion(Rp(), kChallenge, stored, r.client_data, r.auth_data, r.signature)
          .status()));
}

TEST(WebAuthn, AssertionChecksEachField) {
  Authenticator a(CoseAlg::kEs256);
  CredentialKey stored{a.cose(), 0, false};
  auto check = [&](Authenticator::Response r) {
    return VerifyAssertion(Rp(), kChallenge, stored, r.client_data, r.auth_data, r.signature)
        .status();
  };
  EXPECT_TRUE(check(a.Assert()).ok());
  EXPECT_TRUE(StrContains(check(a.Assert(kUp, Hex("00"))).message(), "challenge"));
  EXPECT_TRUE(StrContains(check(a.Assert(kUp, kChallenge, "http://localhost:4874")).message(),
                          "wrong origin"));
  EXPECT_TRUE(StrContains(check(a.Assert(kUp, kChallenge, "http://evil.example")).message(),
                          "wrong origin"));
  EXPECT_TRUE(StrContains(check(a.Assert(0)).message(), "user presence"));
  EXPECT_TRUE(StrContains(check(a.Assert(kUp | kBs)).message(), "backup state"));
  EXPECT_TRUE(StrContains(check(a.Assert(kUp | kBe)).message(), "backup eligibility changed"));
  a.rp_id = "example.com";
  EXPECT_TRUE(StrContains(check(a.Assert()).message(), "rpIdHash"));
  a.rp_id = kRpId;
  // The type must be webauthn.get: a registration's client data is not an assertion.
  auto r = a.Assert();
  r.client_data = ClientData("webauthn.create");
  r.signature = Sign(a.alg, a.key.get(), StrCat(r.auth_data, Sha256(r.client_data)));
  EXPECT_TRUE(StrContains(check(r).message(), "type is not webauthn.get"));
  // Cross-origin (framed) ceremonies are refused, signed or not.
  r = a.Assert();
  r.client_data = ClientData("webauthn.get", kChallenge, kOrigin, ",\"topOrigin\":\"http://x\"");
  r.signature = Sign(a.alg, a.key.get(), StrCat(r.auth_data, Sha256(r.client_data)));
  EXPECT_TRUE(StrContains(check(r).message(), "cross-origin"));
  // User verification when the policy requires it.
  RelyingParty strict = Rp();
  strict.require_user_verification = true;
  r = a.Assert(kUp);
  EXPECT_TRUE(StrContains(VerifyAssertion(strict, kChallenge, stored, r.client_data, r.auth_data,
                                          r.signature)
                              .status()
                              .message(),
                          "user verification"));
  r = a.Assert(kUp | kUv);
  auto uv = VerifyAssertion(strict, kChallenge, stored, r.client_data, r.auth_data, r.signature);
  ASSERT_TRUE(uv.ok()) << uv.status();
  EXPECT_TRUE(uv->user_verified);
  // Garbage instead of JSON or authenticator data.
  r = a.Assert();
  EXPECT_EQ(VerifyAssertion(Rp(), kChallenge, stored, "not json", r.auth_data, r.signature)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VerifyAssertion(Rp(), kChallenge, stored, r.client_data, "short", r.signature)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WebAuthn, RegistrationChecksEachField) {
  Authenticator a(CoseAlg::kEs256);
  std::string cd = ClientData("webauthn.create");
  auto reg = [&](std::string_view client, std::string_view att, RelyingParty rp = Rp()) {
    return VerifyRegistration(rp, kChallenge, client, att).status();
  };
  EXPECT_TRUE(reg(cd, a.Attestation(cd)).ok());
  EXPECT_TRUE(StrContains(reg(ClientData("webauthn.get"), a.Attestation(cd)).message(), "type"));
  std::string other_challenge = ClientData("webauthn.create", Hex("ff"));
  EXPECT_TRUE(StrContains(reg(other_challenge, a.Attestation(other_challenge)).message(),
                          "challenge"));
  std::string phish = ClientData("webauthn.create", kChallenge, "http://localhost.evil.example");
  EXPECT_TRUE(StrContains(reg(phish, a.Attestation(phish)).message(), "wrong origin"));
  EXPECT_TRUE(StrContains(reg(cd, a.Attestation(cd, kAt)).message(), "user presence"));
  RelyingParty strict = Rp();
  strict.require_user_verification = true;
  EXPECT_TRUE(StrContains(reg(cd, a.Attestation(cd), strict).message(), "user verification"));
  EXPECT_TRUE(reg(cd, a.Attestation(cd, kUp | kUv | kAt), strict).ok());
  a.rp_id = "example.com";
  EXPECT_TRUE(StrContains(reg(cd, a.Attestation(cd)).message(), "rpIdHash"));
  a.rp_id = kRpId;
  // AT clear but attested data present: the bytes do not add up.
  EXPECT_TRUE(StrContains(reg(cd, a.Attestation(cd, kUp)).message(), "trailing"));
  std::string bare = Map({{Text("fmt"), Text("none")}, {Text("attStmt"), Map({})},
                          {Text("authData"), Bytes(a.AuthData(kUp, false))}});
  EXPECT_TRUE(StrContains(reg(cd, bare).message(), "no attested"));
  EXPECT_TRUE(StrContains(reg(cd, a.Attestation(cd, kUp | kAt, "fido-u2f")).message(),
                          "not supported"));
  // "none" with a statement is malformed.
  std::string ad = a.AuthData(kUp | kAt, true);
  std::string none_with_stmt = Map({{Text("fmt"), Text("none")},
                                    {Text("attStmt"), Map({{Text("sig"), Bytes("x")}})},
                                    {Text("authData"), Bytes(ad)}});
  EXPECT_TRUE(StrContains(reg(cd, none_with_stmt).message(), "empty attStmt"));
  // Packed self attestation with another key's signature.
  Authenticator b(CoseAlg::kEs256);
  std::string bad_self = Map({{Text("fmt"), Text("packed")},
                              {Text("attStmt"),
                               Map({{Text("alg"), Int(-7)},
                                    {Text("sig"), Bytes(Sign(b.alg, b.key.get(),
                                                             StrCat(ad, Sha256(cd))))}})},
                              {Text("authData"), Bytes(ad)}});
  EXPECT_TRUE(StrContains(reg(cd, bad_self).message(), "self attestation signature"));
}

TEST(WebAuthn, RefusesUnsupportedAndWeakKeys) {
  // ES384 (-35) is not offered.
  EXPECT_TRUE(StrContains(
      ParseCoseKey(Map({{Int(1), Int(2)}, {Int(3), Int(-35)}})).status().message(),
      "not supported"));
  // A point that is not on P-256.
  std::string bad_point = Map({{Int(1), Int(2)}, {Int(3), Int(-7)}, {Int(-1), Int(1)},
                               {Int(-2), Bytes(std::string(32, '\x01'))},
                               {Int(-3), Bytes(std::string(32, '\x02'))}});
  EXPECT_EQ(ParseCoseKey(bad_point).status().code(), absl::StatusCode::kInvalidArgument);
  // ES256 on the wrong curve label, or with a short coordinate.
  std::string wrong_curve = Map({{Int(1), Int(2)}, {Int(3), Int(-7)}, {Int(-1), Int(2)},
                                 {Int(-2), Bytes(std::string(32, 'a'))},
                                 {Int(-3), Bytes(std::string(32, 'b'))}});
  EXPECT_FALSE(ParseCoseKey(wrong_curve).ok());
  // RSA below 2048 bits.
  Pkey small = Generate(CoseAlg::kRs256, 1024);
  EXPECT_TRUE(StrContains(ParseCoseKey(CoseKeyOf(CoseAlg::kRs256, small.get())).status().message(),
                          "1024 bits"));
  // A valid Ed25519 key under the ES256 label is refused by type.
  Pkey ed = Generate(CoseAlg::kEdDsa);
  EXPECT_FALSE(VerifySignature(CoseAlg::kEs256, ed.get(), "data",
                               Sign(CoseAlg::kEdDsa, ed.get(), "data")));
  EXPECT_TRUE(VerifySignature(CoseAlg::kEdDsa, ed.get(), "data",
                              Sign(CoseAlg::kEdDsa, ed.get(), "data")));
}

// A self-signed attestation certificate, as an authenticator vendor would issue.
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
std::string AttestationCert(EVP_PKEY* key, std::string_view ou, std::string_view aaguid_ext) {
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add = [&](const char* field, std::string_view v) {
    X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(v.data()), v.size(), -1, 0);
  };
  add("C", "SE");
  add("O", "Test Vendor");
  add("OU", ou);
  add("CN", "Test Authenticator");
  X509_set_issuer_name(cert.get(), name);
  if (!aaguid_ext.empty()) {
    std::string der = StrCat("\x04\x10", aaguid_ext);
    ASN1_OCTET_STRING* data = ASN1_OCTET_STRING_new();
    ASN1_OCTET_STRING_set(data, reinterpret_cast<const unsigned char*>(der.data()), der.size());
    ASN1_OBJECT* oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
    X509_EXTENSION* ext = X509_EXTENSION_create_by_OBJ(nullptr, oid, 0, data);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OBJECT_free(oid);
    ASN1_OCTET_STRING_free(data);
  }
  EXPECT_GT(X509_sign(cert.get(), key, EVP_sha256()), 0);
  int len = i2d_X509(cert.get(), nullptr);
  std::string out(len, '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(out.data());
  i2d_X509(cert.get(), &p);
  return out;
}

TEST(WebAuthn, PackedX5cAttestation) {
  Authenticator a(CoseAlg::kEdDsa);  // The credential; the attestation key is separate.
  Pkey att = Generate(CoseAlg::kEs256);
  std::string cd = ClientData("webauthn.create");
  std::string ad = a.AuthData(kUp | kAt, true);
  auto object = [&](std::string cert, EVP_PKEY* signer) {
    return Map({{Text("fmt"), Text("packed")},
                {Text("attStmt"),
                 Map({{Text("alg"), Int(-7)},
                      {Text("sig"), Bytes(Sign(CoseAlg::kEs256, signer, StrCat(ad, Sha256(cd))))},
                      {Text("x5c"), Array({Bytes(cert)})}})},
                {Text("authData"), Bytes(ad)}});
  };
  auto good = VerifyRegistration(Rp(), kChallenge, cd,
                                 object(AttestationCert(att.get(), "Authenticator Attestation",
                                                        kAaguid),
                                        att.get()));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(good->attestation, kAttestationPackedX5c);
  EXPECT_EQ(good->alg, CoseAlg::kEdDsa);
  // Without the optional AAGUID extension.
  EXPECT_TRUE(VerifyRegistration(Rp(), kChallenge, cd,
                                 object(AttestationCert(att.get(), "Authenticator Attestation",
                                                        ""),
                                        att.get()))
                  .ok());
  auto mismatch = VerifyRegistration(
      Rp(), kChallenge, cd,
      object(AttestationCert(att.get(), "Authenticator Attestation", std::string(16, 'z')),
             att.get()));
  EXPECT_TRUE(StrContains(mismatch.status().message(), "AAGUID")) << mismatch.status();
  auto wrong_ou = VerifyRegistration(Rp(), kChallenge, cd,
                                     object(AttestationCert(att.get(), "Marketing", ""), att.get()));
  EXPECT_TRUE(StrContains(wrong_ou.status().message(), "§8.2.1")) << wrong_ou.status();
  Pkey stranger = Generate(CoseAlg::kEs256);
  auto forged = VerifyRegistration(
      Rp(), kChallenge, cd,
      object(AttestationCert(att.get(), "Authenticator Attestation", ""), stranger.get()));
  EXPECT_TRUE(StrContains(forged.status().message(), "packed attestation signature"));
  auto garbage = VerifyRegistration(Rp(), kChallenge, cd, object("not a certificate", att.get()));
  EXPECT_TRUE(StrContains(garbage.status().message(), "does not parse"));
}

TEST(Cbor, DecodesTheSubsetWebAuthnUses) {
  auto v = DecodeCbor(Map({{Int(1), Int(-257)}, {Text("k"), Array({Bytes("ab"), Text("é")})},
                           {Int(2), Hex("f5")}, {Int(3), Hex("f6")}, {Int(4), Int(1ll << 40)}}));
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find(1)->integer, -257);
  EXPECT_EQ(v->Find("k")->items[0].bytes, "ab");
  EXPECT_EQ(v->Find("k")->items[1].bytes, "é");
  EXPECT_TRUE(v->Find(2)->boolean);
  EXPECT_EQ(v->Find(3)->type, Cbor::Type::kNull);
  EXPECT_EQ(v->Find(4)->integer, 1ll << 40);
  EXPECT_EQ(v->Find(5), nullptr);
  EXPECT_EQ(v->Find("1"), nullptr);
}

TEST(Cbor, RefusesWhatItDoesNotAccept) {
  auto refused = [](std::string_view hex, std::string_view why) {
    auto v = DecodeCbor(Hex(hex));
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << hex;
    EXPECT_TRUE(StrContains(v.status().message(), why)) << hex << ": " << v.status();
  };
  refused("", "truncated");
  refused("5f41004100ff", "indefinite");          // Indefinite byte string.
  refused("9fff", "indefinite");
  refused("c249010000000000000000", "tags");     // Bignum tag.
  refused("f97c00", "floats");                   // Half-precision infinity.
  refused("fb3ff0000000000000", "floats");
  refused("f7", "simple");                       // undefined.
  refused("1c", "reserved");
  refused("1b8000000000000000", "out of range");  // 2^63.
  refused("5a7fffffff00", "truncated string");   // Claims 2 GiB: refused before allocating.
  refused("9a7fffffff00", "truncated array");
  refused("bb7fffffffffffffff0000", "truncated map");
  refused("a2010201", "truncated");
  refused("a201020103", "duplicate");
  refused("a1f601", "map keys");
  refused("a14001", "map keys");
  refused("62c328", "UTF-8");                    // Invalid continuation.
  refused("62c0af", "UTF-8");                    // Overlong '/'.
  refused("63eda080", "UTF-8");                  // A surrogate.
  refused("0000", "trailing");
}

TEST(Cbor, BoundsDepthAndItemCount) {
  std::string deep(kMaxCborDepth + 1, '\x81');
  deep.push_back('\x00');
  EXPECT_TRUE(StrContains(DecodeCbor(deep).status().message(), "nested"));
  std::string ok_depth(kMaxCborDepth, '\x81');
  ok_depth.push_back('\x00');
  EXPECT_TRUE(DecodeCbor(ok_depth).ok());
  std::string many = Head(4, kMaxCborItems + 1) + std::string(kMaxCborItems + 1, '\x00');
  EXPECT_TRUE(StrContains(DecodeCbor(many).status().message(), "too many"));
  size_t used = 0;
  auto first = DecodeCbor(Hex("0102"), &used);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(used, 1u);
}

TEST(AuthenticatorData, ParsesStrictly) {
  Authenticator a(CoseAlg::kEs256);
  std::string ad = a.AuthData(kUp | kUv | kAt, true);
  auto parsed = ParseAuthenticatorData(ad);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->user_present);
  EXPECT_TRUE(parsed->user_verified);
  EXPECT_EQ(parsed->credential_id, "credential-1");
  EXPECT_EQ(parsed->credential_public_key, a.cose());
  EXPECT_TRUE(StrContains(ParseAuthenticatorData(ad + "x").status().message(), "trailing"));
  EXPECT_FALSE(ParseAuthenticatorData(ad.substr(0, ad.size() - 1)).ok());
  // Extensions flagged: must be one map.
  std::string with_ext = a.AuthData(kUp | 0x80, false);
  EXPECT_FALSE(ParseAuthenticatorData(with_ext).ok());
  EXPECT_TRUE(ParseAuthenticatorData(with_ext + Map({{Text("credProtect"), Int(1)}})).ok());
  // A zero-length or over-long credential id.
  std::string zero_id = StrCat(a.AuthData(kUp | kAt, false), kAaguid, std::string(2, '\0'));
  EXPECT_TRUE(StrContains(ParseAuthenticatorData(zero_id).status().message(), "length"));
  std::string long_id = StrCat(a.AuthData(kUp | kAt, false), kAaguid, "\x04\x00",
                               std::string(1024, 'i'), a.cose());
  EXPECT_TRUE(StrContains(ParseAuthenticatorData(long_id).status().message(), "length"));
}

TEST(Base64Url, StrictDecoding) {
  EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode("\xfb\xff hello")), "\xfb\xff hello");
  EXPECT_FALSE(Base64UrlDecode("ab=").has_value());
  EXPECT_FALSE(Base64UrlDecode("a+b/").has_value());
  EXPECT_FALSE(Base64UrlDecode("a").has_value());
  EXPECT_FALSE(Base64UrlDecode("AB").has_value());  // Non-zero trailing bits.
  EXPECT_EQ(*Base64UrlDecode("AA"), std::string(1, '\0'));
}

}  // namespace
}  // namespace bulwark::webauthn
