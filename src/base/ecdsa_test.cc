#include "base/ecdsa.h"

#include <string>

#include "base/hash.h"
#include "gtest/gtest.h"

namespace bulwark {
namespace {

std::string B64(std::string_view text) { return *Base64Decode(text); }

// A P-256 public key, and a signature of "left-pad@1.3.0:sha512-abc" by its private key, both
// made with the openssl CLI (`openssl pkey -pubout -outform DER`, `openssl dgst -sha256 -sign`);
// the key id is `openssl dgst -sha256 -binary | base64` of the DER, without padding.
constexpr char kOpensslPublicKey[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYVRQjbqtbJS9vT8KcJyj6x0BnX563fHd4enz1SSA4SROiwbP3OfSRxN6"
    "k5cTJ2jvOZXRZpGDkh9H8q41eDl3Ow==";
constexpr char kOpensslSignature[] =
    "MEQCIADNmBGWSMR9FF1sVH0T12VJn6XKlDJwBS81Y7AwEg4/AiAqEgcWQpCNZAYfDAgvJ9xsgnh9+Jdhy1kjLdkOLoh/"
    "gg==";
constexpr char kOpensslKeyId[] = "SHA256:ueuqEdKQ1f+q9dYf7TSBTo+zlhiL7uBCxC1FtCOhqcA";

TEST(Ecdsa, KeyIdIsUnpaddedBase64OfSha256OfTheDer) {
  EXPECT_EQ(NpmKeyId(B64(kOpensslPublicKey)), kOpensslKeyId);
}

TEST(Ecdsa, VerifiesWhatOpensslSigned) {
  std::string der = B64(kOpensslPublicKey);
  std::string sig = B64(kOpensslSignature);
  EXPECT_TRUE(VerifyEcdsaP256(der, "left-pad@1.3.0:sha512-abc", sig));
  EXPECT_FALSE(VerifyEcdsaP256(der, "left-pad@1.3.1:sha512-abc", sig));
  EXPECT_FALSE(VerifyEcdsaP256(der, "left-pad@1.3.0:sha512-abd", sig));
  std::string flipped = sig;
  flipped[10] ^= 1;
  EXPECT_FALSE(VerifyEcdsaP256(der, "left-pad@1.3.0:sha512-abc", flipped));
}

TEST(Ecdsa, SignVerifyAndPemRoundTrip) {
  auto key = EcdsaP256Key::Generate();
  ASSERT_TRUE(key.ok()) << key.status();
  std::string der = key->PublicDer();
  ASSERT_EQ(der.size(), 91u);  // SPKI of an uncompressed P-256 point.
  auto sig = key->Sign("a@1.0.0:sha512-xyz");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(VerifyEcdsaP256(der, "a@1.0.0:sha512-xyz", *sig));
  EXPECT_FALSE(VerifyEcdsaP256(der, "a@1.0.0:sha512-xyZ", *sig));
  // Another key's public half does not verify it.
  auto other = EcdsaP256Key::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(VerifyEcdsaP256(other->PublicDer(), "a@1.0.0:sha512-xyz", *sig));
  EXPECT_NE(NpmKeyId(der), NpmKeyId(other->PublicDer()));

  std::string pem = key->PrivatePem();
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);
  auto back = EcdsaP256Key::FromPem(pem);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->PublicDer(), der);
  auto sig2 = back->Sign("b");
  ASSERT_TRUE(sig2.ok());
  EXPECT_TRUE(VerifyEcdsaP256(der, "b", *sig2));
}

TEST(Ecdsa, RejectsMalformedInput) {
  EXPECT_FALSE(EcdsaP256Key::FromPem("").ok());
  EXPECT_FALSE(
      EcdsaP256Key::FromPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").ok());
  std::string der = B64(kOpensslPublicKey);
  std::string sig = B64(kOpensslSignature);
  const std::string msg = "left-pad@1.3.0:sha512-abc";
  EXPECT_FALSE(VerifyEcdsaP256("", msg, sig));
  EXPECT_FALSE(VerifyEcdsaP256(der.substr(0, 40), msg, sig));
  EXPECT_FALSE(VerifyEcdsaP256(der + "x", msg, sig));  // Trailing bytes.
  EXPECT_FALSE(VerifyEcdsaP256(der, msg, ""));
  EXPECT_FALSE(VerifyEcdsaP256(der, msg, sig.substr(0, sig.size() - 1)));
  EXPECT_FALSE(VerifyEcdsaP256(der, msg, std::string(64, '\x01')));
}

TEST(Ecdsa, RefusesKeysOnOtherCurves) {
  // A P-384 public key and its valid ECDSA-SHA256 signature of "m" (openssl CLI; `openssl dgst
  // -verify` accepts it): npm verifies P-256 only, so other curves are refused.
  constexpr char kP384Public[] =
      "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEqgmNzIBDSmKXo7F7lgs8ht/GhmMABBqXgsnoTENuLiANxBLqwshT83h26+DV"
      "zxXqLjL6+KlkKh4nloubnnLzy0vAWocjK+s+lS1l9UcT+xK2I9wUlgHP0KctL7nbVq1P";
  constexpr char kP384Signature[] =
      "MGUCMQCenXggp7j3xak+G7/hISBig1ps3iS+fZHzD1MMO0PouwLXS3dIF9Ghnhexjp/i4WwCME6FtBYCNftXTxgjSqFr"
      "3aEMZqEyefCdm14e4mHfRRL8RpDgn4HyU3J2byU1z0L0AA==";
  EXPECT_FALSE(VerifyEcdsaP256(B64(kP384Public), "m", B64(kP384Signature)));
}

}  // namespace
}  // namespace bulwark
