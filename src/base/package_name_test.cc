#include "base/package_name.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace bulwark {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// The sentences of validate-npm-package-name 8.0.0, which clients show to users verbatim.
constexpr char kEmpty[] = "name length must be greater than zero";
constexpr char kPeriod[] = "name cannot start with a period";
constexpr char kHyphen[] = "name cannot start with a hyphen";
constexpr char kUnderscore[] = "name cannot start with an underscore";
constexpr char kSpaces[] = "name cannot contain leading or trailing spaces";
constexpr char kUrl[] = "name can only contain URL-friendly characters";
constexpr char kTooLong[] = "name can no longer contain more than 214 characters";
constexpr char kCapitals[] = "name can no longer contain capital letters";
constexpr char kSpecial[] = "name can no longer contain special characters (\"~'!()*\")";

void ExpectValidForNew(std::string_view name) {
  const NameValidation v = ValidatePackageName(name);
  EXPECT_TRUE(v.valid_for_new_packages) << name;
  EXPECT_TRUE(v.valid_for_old_packages) << name;
  EXPECT_THAT(v.errors, IsEmpty()) << name;
  EXPECT_THAT(v.warnings, IsEmpty()) << name;
}

TEST(ValidatePackageNameTest, AcceptsOrdinaryNames) {
  for (std::string_view name : {"some-package", "example.com", "under_score", "period.js",
                                "123numeric", "@npm/thingy", "@a/b", "a", "a.-_b", "@scope/x.y"}) {
    ExpectValidForNew(name);
  }
}

TEST(ValidatePackageNameTest, EmptyName) {
  const NameValidation v = ValidatePackageName("");
  EXPECT_FALSE(v.valid_for_new_packages);
  EXPECT_FALSE(v.valid_for_old_packages);
  EXPECT_THAT(v.errors, ElementsAre(kEmpty));
  EXPECT_THAT(v.warnings, IsEmpty());
}

TEST(ValidatePackageNameTest, LeadingCharacters) {
  EXPECT_THAT(ValidatePackageName(".start-with-period").errors, ElementsAre(kPeriod));
  EXPECT_THAT(ValidatePackageName("-start-with-hyphen").errors, ElementsAre(kHyphen));
  EXPECT_THAT(ValidatePackageName("_start-with-underscore").errors, ElementsAre(kUnderscore));
  // Only the unscoped part of a scoped name is checked for a period; "_" and "-" pass there.
  EXPECT_THAT(ValidatePackageName("@scope/.name").errors, ElementsAre(kPeriod));
  ExpectValidForNew("@scope/_name");
  ExpectValidForNew("@scope/-name");
  ExpectValidForNew("@.scope/name");
}

TEST(ValidatePackageNameTest, UnscopedUrlUnsafeNameWithPeriodReportsThePeriodTwice) {
  // lib/index.js checks name.startsWith('.') and then, for a URL-unsafe name matching the
  // scoped pattern without a scope, the same string again as `pkg`.
  EXPECT_THAT(ValidatePackageName(".a b").errors, ElementsAre(kPeriod, kPeriod, kUrl));
}

TEST(ValidatePackageNameTest, LeadingAndTrailingSpaces) {
  EXPECT_THAT(ValidatePackageName(" leading-space").errors, ElementsAre(kSpaces, kUrl));
  EXPECT_THAT(ValidatePackageName("trailing-space ").errors, ElementsAre(kSpaces, kUrl));
  // String.prototype.trim strips more than ASCII space: tabs, newlines, NBSP, BOM, U+3000.
  EXPECT_THAT(ValidatePackageName("\tx").errors, ElementsAre(kSpaces, kUrl));
  EXPECT_THAT(ValidatePackageName("x\n").errors, ElementsAre(kSpaces, kUrl));
  EXPECT_THAT(ValidatePackageName("\xC2\xA0x").errors, ElementsAre(kSpaces, kUrl));
  EXPECT_THAT(ValidatePackageName("x\xEF\xBB\xBF").errors, ElementsAre(kSpaces, kUrl));
  EXPECT_THAT(ValidatePackageName("\xE3\x80\x80").errors, ElementsAre(kSpaces, kUrl));
  // A space inside is only URL-unsafe; U+200B ZERO WIDTH SPACE is not whitespace to JS.
  EXPECT_THAT(ValidatePackageName("a b").errors, ElementsAre(kUrl));
  EXPECT_THAT(ValidatePackageName("\xE2\x80\x8Bx").errors, ElementsAre(kUrl));
}

TEST(ValidatePackageNameTest, ExcludedNamesIgnoreCase) {
  EXPECT_THAT(ValidatePackageName("node_modules").errors,
              ElementsAre("node_modules is not a valid package name"));
  const NameValidation v = ValidatePackageName("FAVICON.ico");
  EXPECT_THAT(v.errors, ElementsAre("favicon.ico is not a valid package name"));
  EXPECT_THAT(v.warnings, ElementsAre(kCapitals));
  EXPECT_FALSE(v.valid_for_old_packages);
}

TEST(ValidatePackageNameTest, CoreModuleNamesAreValidOnlyForOldPackages) {
  NameValidation v = ValidatePackageName("http");
  EXPECT_FALSE(v.valid_for_new_packages);
  EXPECT_TRUE(v.valid_for_old_packages);
  EXPECT_THAT(v.errors, IsEmpty());
  EXPECT_THAT(v.warnings, ElementsAre("http is a core module name"));

  // The warning quotes the name as given; the lookup is on its lower case.
  v = ValidatePackageName("Process");
  EXPECT_THAT(v.warnings, ElementsAre("Process is a core module name", kCapitals));
  // Entries with "/" or ":" are in the list, and also fail URL-safety.
  v = ValidatePackageName("fs/promises");
  EXPECT_THAT(v.warnings, ElementsAre("fs/promises is a core module name"));
  EXPECT_THAT(v.errors, ElementsAre(kUrl));
  v = ValidatePackageName("node:test");
  EXPECT_THAT(v.warnings, ElementsAre("node:test is a core module name"));
  EXPECT_THAT(v.errors, ElementsAre(kUrl));
  // Names the package's fixture lacks are not core modules even if Node has them.
  ExpectValidForNew("node");
  ExpectValidForNew("test");
}

TEST(ValidatePackageNameTest, KelvinSignLowerCasesToK) {
  // U+212A KELVIN SIGN is the one non-ASCII code point whose lower case is ASCII ("k").
  const NameValidation v = ValidatePackageName("wor\u212Aer_threads");
  EXPECT_THAT(v.warnings, ElementsAre("wor\u212Aer_threads is a core module name", kCapitals));
  EXPECT_THAT(v.errors, ElementsAre(kUrl));
  // U+0130 lower-cases to "i\u0307", not "i", so this is no "inspector".
  EXPECT_THAT(ValidatePackageName("\xC4\xB0nspector").warnings, ElementsAre(kCapitals));
}

TEST(ValidatePackageNameTest, LengthCountsUtf16CodeUnits) {
  EXPECT_THAT(ValidatePackageName(std::string(214, 'a')).warnings, IsEmpty());
  const NameValidation v = ValidatePackageName(std::string(215, 'a'));
  EXPECT_THAT(v.warnings, ElementsAre(kTooLong));
  EXPECT_TRUE(v.valid_for_old_packages);
  EXPECT_FALSE(v.valid_for_new_packages);
  // The scope counts too.
  EXPECT_THAT(ValidatePackageName("@a/" + std::string(212, 'b')).warnings, ElementsAre(kTooLong));
  // U+00E9 is 2 bytes, 1 unit: 200 of them are 400 bytes but 200 units.
  std::string e_acute;
  for (int i = 0; i < 200; ++i) e_acute += "\xC3\xA9";
  EXPECT_THAT(ValidatePackageName(e_acute).warnings, IsEmpty());
  // U+1F600 is 4 bytes, 2 units (a surrogate pair): 107 are 214 units, 108 are 216.
  std::string smiles;
  for (int i = 0; i < 107; ++i) smiles += "\xF0\x9F\x98\x80";
  EXPECT_THAT(ValidatePackageName(smiles).warnings, IsEmpty());
  EXPECT_THAT(ValidatePackageName(smiles + "\xF0\x9F\x98\x80").warnings, ElementsAre(kTooLong));
}

TEST(ValidatePackageNameTest, CapitalLettersIncludeNonAscii) {
  EXPECT_THAT(ValidatePackageName("CAPITAL-LETTERS").warnings, ElementsAre(kCapitals));
  EXPECT_THAT(ValidatePackageName("@Scope/name").warnings, ElementsAre(kCapitals));
  EXPECT_THAT(ValidatePackageName("\xC3\x89t\xC3\xA9").warnings, ElementsAre(kCapitals));  // Été
  EXPECT_THAT(ValidatePackageName("\xCE\xA3").warnings, ElementsAre(kCapitals));           // Σ
  EXPECT_THAT(ValidatePackageName("\xF0\x9E\xA4\x80").warnings, ElementsAre(kCapitals));   // 𞤀
  // Lower-case and uncased letters do not count.
  EXPECT_THAT(ValidatePackageName("\xC3\xA9t\xC3\xA9").warnings, IsEmpty());  // été
  EXPECT_THAT(ValidatePackageName("\xE6\x97\xA5").warnings, IsEmpty());       // 日
}

TEST(ValidatePackageNameTest, SpecialCharactersOnlyInTheLastPart) {
  NameValidation v = ValidatePackageName("crazy!");
  EXPECT_TRUE(v.valid_for_old_packages);
  EXPECT_FALSE(v.valid_for_new_packages);
  EXPECT_THAT(v.warnings, ElementsAre(kSpecial));
  EXPECT_THAT(ValidatePackageName("@npm-zors/money!time.js").warnings, ElementsAre(kSpecial));
  for (std::string_view name : {"a~", "a'", "a(", "a)", "a*"}) {
    EXPECT_THAT(ValidatePackageName(name).warnings, ElementsAre(kSpecial)) << name;
  }
  // name.split('/').slice(-1)[0]: a special character in the scope goes unnoticed.
  v = ValidatePackageName("@npm!/thing");
  EXPECT_TRUE(v.valid_for_new_packages);
}

TEST(ValidatePackageNameTest, UrlSafety) {
  EXPECT_THAT(ValidatePackageName("contain:colons").errors, ElementsAre(kUrl));
  EXPECT_THAT(ValidatePackageName("s/l/a/s/h/e/s").errors, ElementsAre(kUrl));
  EXPECT_THAT(ValidatePackageName("a/b").errors, ElementsAre(kUrl));
  EXPECT_THAT(ValidatePackageName("@a/b/c").errors, ElementsAre(kUrl));
  EXPECT_THAT(ValidatePackageName("@/b").errors, ElementsAre(kUrl));
  EXPECT_THAT(ValidatePackageName("@a/").errors, ElementsAre(kUrl));
  EXPECT_THAT(ValidatePackageName("@a").errors, ElementsAre(kUrl));
  EXPECT_THAT(ValidatePackageName("@a b/c").errors, ElementsAre(kUrl));
  EXPECT_THAT(ValidatePackageName("a%20b").errors, ElementsAre(kUrl));
  EXPECT_THAT(ValidatePackageName(std::string("a\0b", 3)).errors, ElementsAre(kUrl));
  EXPECT_THAT(ValidatePackageName("caf\xC3\xA9").errors, ElementsAre(kUrl));
}

TEST(ValidatePackageNameTest, InvalidUtf8IsReadAsReplacementCharacters) {
  // Each maximal invalid subsequence becomes U+FFFD, which is neither a space nor a capital,
  // counts one unit, and is not URL-safe.
  for (std::string_view name :
       {"\xFF", "a\x80", "\xC3", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC0\xAF", "@s/\xE2\x80"}) {
    const NameValidation v = ValidatePackageName(name);
    EXPECT_THAT(v.errors, ElementsAre(kUrl));
    EXPECT_THAT(v.warnings, IsEmpty());
  }
  // 215 invalid bytes are 215 U+FFFD, so 215 units; "\xE2\x80" is one unit, not two.
  EXPECT_THAT(ValidatePackageName(std::string(215, '\xFF')).warnings, ElementsAre(kTooLong));
  std::string truncated;
  for (int i = 0; i < 200; ++i) truncated += "\xE2\x80";
  EXPECT_THAT(ValidatePackageName(truncated).warnings, IsEmpty());
}

TEST(ValidatePackageNameTest, ErrorsAndWarningsAccumulateInOrder) {
  const NameValidation v = ValidatePackageName("_Node_Modules ");
  EXPECT_THAT(v.errors, ElementsAre(kUnderscore, kSpaces, kUrl));
  EXPECT_THAT(v.warnings, ElementsAre(kCapitals));
}

TEST(SplitPackageNameTest, ScopedAndUnscoped) {
  std::optional<PackageName> p = SplitPackageName("@scope/name");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->scope, "@scope");
  EXPECT_EQ(p->unscoped, "name");
  EXPECT_EQ(p->full(), "@scope/name");

  p = SplitPackageName("name");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->scope, "");
  EXPECT_EQ(p->unscoped, "name");
  EXPECT_EQ(p->full(), "name");
}

TEST(SplitPackageNameTest, RejectsWrongShapes) {
  for (std::string_view name :
       {"", "@scope", "@", "@/", "@/x", "@s/", "a/b", "/a", "a/", "@a/b/c", "@a//b"}) {
    EXPECT_FALSE(SplitPackageName(name).has_value()) << name;
  }
}

TEST(SplitPackageNameTest, EveryNameValidForOldPackagesSplits) {
  for (std::string_view name : {"a", "@a/b", "@npm/thingy", "http", "Crazy!", "@a/B~"}) {
    ASSERT_TRUE(ValidatePackageName(name).valid_for_old_packages) << name;
    const std::optional<PackageName> p = SplitPackageName(name);
    ASSERT_TRUE(p.has_value()) << name;
    EXPECT_EQ(p->full(), name);
  }
}

}  // namespace
}  // namespace bulwark
