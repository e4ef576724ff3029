#include "accounts/secret_box.h"

#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

TEST(SecretBox, RoundTripAndTamperDetection) {
  testing::SeededRandom random;
  auto box = SecretBox::Create(std::string(32, 'k'));
  ASSERT_TRUE(box.ok());
  auto sealed = box->Seal("totp secret bytes", "alice", random);
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), 1 + 12 + 17 + 16u);
  EXPECT_EQ(sealed->find("totp secret"), std::string::npos);
  EXPECT_EQ(box->Open(*sealed, "alice").value(), "totp secret bytes");
  // Fresh nonce each time: the same secret never seals to the same bytes.
  EXPECT_NE(*box->Seal("totp secret bytes", "alice", random), *sealed);

  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string bad = *sealed;
    bad[i] ^= 1;
    EXPECT_EQ(box->Open(bad, "alice").status().code(), absl::StatusCode::kDataLoss) << i;
  }
  // Another user's row, another key, a truncated value: none opens.
  EXPECT_EQ(box->Open(*sealed, "bob").status().code(), absl::StatusCode::kDataLoss);
  auto other = SecretBox::Create(std::string(32, 'o'));
  EXPECT_EQ(other->Open(*sealed, "alice").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(box->Open(sealed->substr(0, 20), "alice").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(SecretBox::Create("short").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulwark
