#include "server/key_file.h"

#include <sys/stat.h>

#include "gtest/gtest.h"
#include "testing/fakes.h"

namespace bulwark {
namespace {

TEST(KeyFile, CreatedOnceWithMode0600AndReadBack) {
  testing::TempDir dir;
  testing::SeededRandom random;
  const std::string path = dir.path() + "/keys/totp.key";
  auto key = LoadOrCreateKeyFile(path, 32, random);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->size(), 32u);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir.path() + "/keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // Second start: the same key, not a new one.
  EXPECT_EQ(LoadOrCreateKeyFile(path, 32, random).value(), *key);
}

TEST(KeyFile, RefusesAKeyOthersCanRead) {
  testing::TempDir dir;
  testing::SeededRandom random;
  const std::string path = dir.path() + "/totp.key";
  ASSERT_TRUE(LoadOrCreateKeyFile(path, 32, random).ok());
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  auto key = LoadOrCreateKeyFile(path, 32, random);
  EXPECT_EQ(key.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(key.status().message().find("chmod 600"), absl::string_view::npos);
  ASSERT_EQ(chmod(path.c_str(), 0604), 0);
  EXPECT_EQ(LoadOrCreateKeyFile(path, 32, random).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(LoadOrCreateKeyFile(path, 32, random).ok());
}

TEST(KeyFile, RefusesAKeyOfTheWrongSize) {
  testing::TempDir dir;
  testing::SeededRandom random;
  const std::string path = dir.path() + "/totp.key";
  ASSERT_TRUE(LoadOrCreateKeyFile(path, 16, random).ok());
  EXPECT_EQ(LoadOrCreateKeyFile(path, 32, random).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace bulwark
