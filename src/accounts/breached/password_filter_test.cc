#include "accounts/breached/password_filter.h"

#include <gtest/gtest.h>

#include <random>

#include "base/hash.h"
#include "base/strings.h"

namespace bulwark::breached {
namespace {

std::string BuildFromKeys(const std::vector<uint64_t>& keys) {
  PasswordFilterBuilder b;
  for (uint64_t k : keys) b.AddKey(k);
  return b.Finish();
}

TEST(PasswordFilterTest, NoFalseNegativesAndLowFalsePositiveRate) {
  std::mt19937_64 rng(42);
  std::vector<uint64_t> keys(200000);
  for (auto& k : keys) k = rng();
  std::string bytes = BuildFromKeys(keys);
  auto f = PasswordFilter::FromBytes(bytes);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->size(), keys.size());
  for (uint64_t k : keys) ASSERT_TRUE(f->ContainsKey(k)) << k;
  uint64_t hits = 0;
  constexpr uint64_t kProbes = 2000000;
  for (uint64_t i = 0; i < kProbes; ++i) hits += f->ContainsKey(rng());
  double fpr = static_cast<double>(hits) / kProbes;
  EXPECT_LT(fpr, 2e-5 * 1.5) << hits;  // Expected ~1.2e-5 at this fill (200k / 2^18).
  EXPECT_LT(f->bits_per_hash(), 20.0);
}

TEST(PasswordFilterTest, PasswordsAndEdgeKeys) {
  PasswordFilterBuilder b;
  b.AddPassword("password123");
  b.AddPassword("password123");  // Duplicates collapse.
  b.AddKey(0);
  b.AddKey(~uint64_t{0});
  std::string bytes = b.Finish();
  auto f = PasswordFilter::FromBytes(bytes);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->size(), 3u);
  EXPECT_TRUE(f->Contains("password123"));
  EXPECT_FALSE(f->Contains("correct horse battery"));
  EXPECT_TRUE(f->ContainsKey(0));
  EXPECT_TRUE(f->ContainsKey(~uint64_t{0}));
}

TEST(PasswordFilterTest, EmptyFilter) {
  std::string bytes = PasswordFilterBuilder().Finish();
  auto f = PasswordFilter::FromBytes(bytes);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->Contains("password123"));
}

TEST(PasswordFilterTest, CorruptOrTruncatedBytesAreErrorsNotCrashes) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> keys(5000);
  for (auto& k : keys) k = rng();
  const std::string good = BuildFromKeys(keys);
  for (size_t len : {size_t{0}, size_t{10}, size_t{63}, size_t{64}, good.size() / 2,
                     good.size() - 1}) {
    std::string cut = good.substr(0, len);
    auto f = PasswordFilter::FromBytes(cut);
    EXPECT_FALSE(f.ok()) << len;
  }
  std::string longer = good + "xx";
  EXPECT_FALSE(PasswordFilter::FromBytes(longer).ok());
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_NE(PasswordFilter::FromBytes(bad_magic).status().message().find("magic"),
            std::string::npos);
  // Flip every byte of the header and a spread of body bytes: each is an error or a filter that
  // answers without reading out of bounds (ASan builds check the latter).
  for (size_t at = 0; at < good.size(); at += (at < 128 ? 1 : 97)) {
    std::string mutated = good;
    mutated[at] = static_cast<char>(mutated[at] ^ 0xff);
    auto f = PasswordFilter::FromBytes(mutated);
    if (!f.ok()) continue;
    for (int i = 0; i < 200; ++i) f->ContainsKey(rng());
  }
}

TEST(HibpReaderTest, ParsesFullHashLinesInChunks) {
  const std::string h1 = HexEncode(Sha1("password123"));
  const std::string h2 = HexEncode(Sha1("hunter2hunter2"));
  std::string upper = h1;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string text = StrCat(upper, ":123\r\n", "\r\n", h2, "\n", upper, ":1");
  PasswordFilterBuilder b;
  auto r = HibpReader::Create(b);
  ASSERT_TRUE(r.ok());
  for (size_t i = 0; i < text.size(); i += 7) {
    ASSERT_TRUE(r->Consume(std::string_view(text).substr(i, 7)).ok());
  }
  ASSERT_TRUE(r->Finish().ok());
  EXPECT_EQ(r->lines(), 4u);
  std::string bytes = b.Finish();
  auto f = PasswordFilter::FromBytes(bytes);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size(), 2u);
  EXPECT_TRUE(f->Contains("password123"));
  EXPECT_TRUE(f->Contains("hunter2hunter2"));
}

TEST(HibpReaderTest, RangeFilesNeedTheirPrefix) {
  const std::string h = HexEncode(Sha1("password123"));
  std::string line = StrCat(h.substr(5), ":42\n");
  {
    PasswordFilterBuilder b;
    auto r = HibpReader::Create(b);
    absl::Status s = r->Consume(line);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("prefix"), std::string::npos) << s;
  }
  PasswordFilterBuilder b;
  auto r = HibpReader::Create(b, h.substr(0, 5));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->Consume(line).ok());
  std::string bytes = b.Finish();
  auto f = PasswordFilter::FromBytes(bytes);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->Contains("password123"));
  EXPECT_FALSE(HibpReader::Create(b, "XYZ").ok());
  EXPECT_EQ(RangePrefixFromFileName("/x/y/0A1B2.txt"), "0A1B2");
  EXPECT_EQ(RangePrefixFromFileName("/x/y/pwned.txt"), "");
}

TEST(HibpReaderTest, BadLinesAreReportedWithTheirNumber) {
  const std::string h = HexEncode(Sha1("x"));
  for (const std::string& bad : {std::string("not a hash"), StrCat(h, ":12x"),
                                 StrCat(h.substr(1), "g:1"), StrCat(h, ":")}) {
    PasswordFilterBuilder b;
    auto r = HibpReader::Create(b);
    absl::Status s = r->Consume(StrCat(h, ":1\n", bad, "\n"));
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_TRUE(StartsWith(std::string(s.message()), "line 2:")) << s;
  }
}

}  // namespace
}  // namespace bulwark::breached
