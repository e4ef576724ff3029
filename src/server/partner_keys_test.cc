#include "server/partner_keys.h"

#include <fstream>

#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

TEST(PartnerKeys, FromAFileReadAgainOnRefresh) {
  testing::TempDir dir;
  testing::FakeClock clock;
  ScanningConfig config;
  EXPECT_EQ(NewPartnerKeySource(config, clock), nullptr);  // Neither file nor URL: none.
  config.partner_keys_file = dir.path() + "/keys.json";
  auto source = NewPartnerKeySource(config, clock);
  ASSERT_NE(source, nullptr);
  EXPECT_TRUE(absl::IsUnavailable(source->Keys(false).status()));  // Missing file.
  std::ofstream(config.partner_keys_file)
      << R"({"public_keys":[{"key_identifier":"a","key":"PEM-A","is_current":true}]})";
  auto keys = source->Keys(false);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].id, "a");
  std::ofstream(config.partner_keys_file)
      << R"({"public_keys":[{"key_identifier":"b","key":"PEM-B","is_current":true}]})";
  EXPECT_EQ((*source->Keys(true))[0].id, "a");  // Refreshed less than a minute ago: cached.
  clock.Advance(absl::Minutes(2));
  EXPECT_EQ((*source->Keys(false))[0].id, "a");  // No refresh asked: cached.
  EXPECT_EQ((*source->Keys(true))[0].id, "b");
  std::ofstream(config.partner_keys_file) << "not json";
  clock.Advance(absl::Minutes(2));
  EXPECT_EQ((*source->Keys(true))[0].id, "b");  // A broken update keeps the trusted keys.
  testing::TempDir other;
  config.partner_keys_file = other.path() + "/bad.json";
  std::ofstream(config.partner_keys_file) << "[]";
  EXPECT_TRUE(absl::IsInvalidArgument(NewPartnerKeySource(config, clock)->Keys(false).status()));
}

}  // namespace
}  // namespace bulwark
