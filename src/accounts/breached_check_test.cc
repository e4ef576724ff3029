// Sign-up refuses passwords in the breached-password filter, and counts the refusals.

#include <memory>

#include "accounts/account_service.h"
#include "accounts/breached/password_filter.h"
#include "bulwark/storage/metadata_store.h"
#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

TEST(BreachedPasswordCheckTest, SignUpRefusesBreachedPasswordsAndCounts) {
  testing::TempDir dir;
  testing::FakeClock clock;
  testing::SeededRandom random;
  auto store = std::move(*NewSqliteMetadataStore(dir.path() + "/m.sqlite3"));
  AccountOptions options;
  options.argon2.memory_kib = 64;
  options.argon2.passes = 1;
  AccountService accounts(*store, clock, random, options);

  breached::PasswordFilterBuilder builder;
  builder.AddPassword("password123");
  std::string bytes = builder.Finish();
  auto filter = breached::PasswordFilter::FromBytes(bytes);
  ASSERT_TRUE(filter.ok());

  // Without a filter, nothing is refused as breached.
  EXPECT_TRUE(accounts.CreateUser("bob", "bob@example.com", "password123", false).ok());
  accounts.SetBreachedPasswords(&*filter);
  auto refused = accounts.CreateUser("carol", "carol@example.com", "password123", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(refused.status().message()),
            "this password appears in a list of breached passwords; choose another");
  EXPECT_EQ(accounts.breached_refusals(), 1u);
  // Other rule failures are not counted as breached.
  EXPECT_FALSE(accounts.CreateUser("dave", "dave@example.com", "short", false).ok());
  EXPECT_EQ(accounts.breached_refusals(), 1u);
  EXPECT_TRUE(accounts.CreateUser("erin", "erin@example.com", "a long passphrase", false).ok());
}

}  // namespace
}  // namespace bulwark
