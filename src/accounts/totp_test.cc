#include "accounts/totp.h"

#include "gtest/gtest.h"

namespace bulwark {
namespace {

TEST(Base32, Rfc4648Section10Vectors) {
  const std::pair<std::string, std::string> cases[] = {{"", ""},
                                                       {"f", "MY"},
                                                       {"fo", "MZXQ"},
                                                       {"foo", "MZXW6"},
                                                       {"foob", "MZXW6YQ"},
                                                       {"fooba", "MZXW6YTB"},
                                                       {"foobar", "MZXW6YTBOI"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base32Encode(plain), encoded);
    EXPECT_EQ(Base32Decode(encoded), plain);
  }
  // Padding, lower case and the spaces apps group secrets with are accepted.
  EXPECT_EQ(Base32Decode("MZXW6YQ="), "foob");
  EXPECT_EQ(Base32Decode("mzxw 6ytb oi"), "foobar");
  EXPECT_EQ(Base32Decode("MZXW6YTBOI======"), "foobar");
  // Characters outside the alphabet (0, 1, 8, 9) and impossible lengths are refused.
  EXPECT_EQ(Base32Decode("MZXW0"), std::nullopt);
  EXPECT_EQ(Base32Decode("MZX"), std::nullopt);
  EXPECT_EQ(Base32Decode("M=ZXQ"), std::nullopt);
}

TEST(Hotp, Rfc4226AppendixD) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(Hotp("12345678901234567890", i), expected[i]) << i;
  }
}

TEST(Totp, Rfc6238AppendixBSha1Vectors) {
  const std::pair<int64_t, const char*> cases[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const auto& [t, code] : cases) {
    EXPECT_EQ(Totp("12345678901234567890", absl::FromUnixSeconds(t), 8), code) << t;
  }
  // The 6-digit codes apps show are the last six digits.
  EXPECT_EQ(Totp("12345678901234567890", absl::FromUnixSeconds(59)), "287082");
}

TEST(Totp, AcceptsOneStepOfSkewAndNoMore) {
  const std::string key = "12345678901234567890";
  const absl::Time now = absl::FromUnixSeconds(1111111111);
  const int64_t step = TotpStep(now);
  EXPECT_EQ(MatchTotp(key, Totp(key, now), now, 0), step);
  EXPECT_EQ(MatchTotp(key, Totp(key, now - absl::Seconds(30)), now, 0), step - 1);
  EXPECT_EQ(MatchTotp(key, Totp(key, now + absl::Seconds(30)), now, 0), step + 1);
  EXPECT_EQ(MatchTotp(key, Totp(key, now - absl::Seconds(60)), now, 0), std::nullopt);
  EXPECT_EQ(MatchTotp(key, Totp(key, now + absl::Seconds(60)), now, 0), std::nullopt);
  EXPECT_EQ(MatchTotp(key, "12345", now, 0), std::nullopt);
  EXPECT_EQ(MatchTotp(key, "abcdef", now, 0), std::nullopt);
}

TEST(Totp, ACodeOfAUsedStepIsAReplay) {
  const std::string key = "12345678901234567890";
  const absl::Time now = absl::FromUnixSeconds(1111111111);
  const int64_t step = TotpStep(now);
  EXPECT_EQ(MatchTotp(key, Totp(key, now), now, step), std::nullopt);
  // Once a later step was used, an earlier (still in-window) code is refused too.
  EXPECT_EQ(MatchTotp(key, Totp(key, now - absl::Seconds(30)), now, step), std::nullopt);
  EXPECT_EQ(MatchTotp(key, Totp(key, now + absl::Seconds(30)), now, step), step + 1);
}

TEST(Totp, OtpauthUrl) {
  EXPECT_EQ(OtpauthUrl("Bulwark", "alice", "foobar"),
            "otpauth://totp/Bulwark:alice?secret=MZXW6YTBOI&issuer=Bulwark&algorithm=SHA1&"
            "digits=6&period=30");
}

}  // namespace
}  // namespace bulwark
