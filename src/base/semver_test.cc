#include "base/semver.h"

#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace bulwark::semver {
namespace {

constexpr Options kStrict;
constexpr Options kLoose{.loose = true};
constexpr Options kPre{.include_prerelease = true};
constexpr Options kLoosePre{.loose = true, .include_prerelease = true};

// Expected values are what the npm `semver` package (7.8.6) answers.

struct ValidCase {
  std::string text;
  std::optional<std::string> strict, loose;
};

TEST(SemverTest, Valid) {
  const ValidCase cases[] = {
      {"1.2.3", "1.2.3", "1.2.3"},
      {" 1.2.3 ", "1.2.3", "1.2.3"},
      {"v1.2.3", "1.2.3", "1.2.3"},
      {"=1.2.3", std::nullopt, "1.2.3"},
      {"v 1.2.3", std::nullopt, "1.2.3"},
      {"=v1.2.3", std::nullopt, "1.2.3"},
      {"1.2.3-beta.1+build.5", "1.2.3-beta.1", "1.2.3-beta.1"},
      {"1.2.3-0", "1.2.3-0", "1.2.3-0"},
      {"1.2.3-0a", "1.2.3-0a", "1.2.3-0a"},
      {"1.2.3--", "1.2.3--", "1.2.3--"},
      {"1.2", std::nullopt, std::nullopt},
      {"1.2.3.4", std::nullopt, std::nullopt},
      {"x.2.3", std::nullopt, std::nullopt},
      {"", std::nullopt, std::nullopt},
      {"01.2.3", std::nullopt, "1.2.3"},
      {"1.02.3", std::nullopt, "1.2.3"},
      {"1.2.03", std::nullopt, "1.2.3"},
      {"1.2.3-01", std::nullopt, "1.2.3-1"},
      {"1.2.3-00", std::nullopt, "1.2.3-0"},
      {"1.2.3-", std::nullopt, "1.2.3--"},  // Loose: the hyphen is the identifier.
      {"1.2.3-.1", std::nullopt, "1.2.3--.1"},
      {"1.2.3-.", std::nullopt, std::nullopt},
      {"1.2.3+", std::nullopt, std::nullopt},
      {"1.2.3abc", std::nullopt, "1.2.3-abc"},
      // Loose `\d+` backtracks until the rest parses as a prerelease.
      {"1.2.34.5", std::nullopt, "1.2.3-4.5"},
      {"9007199254740991.0.0", "9007199254740991.0.0", "9007199254740991.0.0"},
      {"9007199254740992.0.0", std::nullopt, std::nullopt},
      {"1.2.3-9007199254740991", "1.2.3-9007199254740991", "1.2.3-9007199254740991"},
      // JavaScript trims Unicode whitespace too: U+00A0 and U+FEFF.
      {"\xC2\xA0"
       "1.2.3\xEF\xBB\xBF",
       "1.2.3", "1.2.3"},
      {"1.2.3\xC2\x85", std::nullopt, std::nullopt},  // U+0085 is not whitespace in JavaScript.
  };
  for (const ValidCase& c : cases) {
    EXPECT_EQ(Valid(c.text, kStrict), c.strict) << c.text;
    EXPECT_EQ(Valid(c.text, kLoose), c.loose) << c.text;
  }
}

TEST(SemverTest, ParseFields) {
  absl::StatusOr<Version> v = Parse("v1.2.3-alpha.7.x-y+build.01");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->major, 1u);
  EXPECT_EQ(v->minor, 2u);
  EXPECT_EQ(v->patch, 3u);
  ASSERT_EQ(v->prerelease.size(), 3u);
  EXPECT_EQ(std::get<std::string>(v->prerelease[0]), "alpha");
  EXPECT_EQ(std::get<uint64_t>(v->prerelease[1]), 7u);
  EXPECT_EQ(std::get<std::string>(v->prerelease[2]), "x-y");
  EXPECT_EQ(v->build, (std::vector<std::string>{"build", "01"}));
  EXPECT_EQ(v->ToString(), "1.2.3-alpha.7.x-y");

  // Numeric identifiers from MAX_SAFE_INTEGER up stay strings, as in node-semver.
  v = Parse("1.0.0-9007199254740990.9007199254740991");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(std::get<uint64_t>(v->prerelease[0]), 9007199254740990u);
  EXPECT_EQ(std::get<std::string>(v->prerelease[1]), "9007199254740991");
}

TEST(SemverTest, ParseErrors) {
  absl::StatusOr<Version> v = Parse("1.2");
  EXPECT_EQ(v.status(), absl::InvalidArgumentError("Invalid Version: 1.2"));
  v = Parse("9007199254740992.0.0");
  EXPECT_EQ(v.status(), absl::InvalidArgumentError("Invalid major version"));
  v = Parse("1.99999999999999999999.0");
  EXPECT_EQ(v.status(), absl::InvalidArgumentError("Invalid minor version"));
  v = Parse("1.2.3-" + std::string(250, 'a'));  // 256 characters: fine.
  EXPECT_TRUE(v.ok());
  v = Parse("1.2.3-" + std::string(251, 'a'));
  EXPECT_EQ(v.status(), absl::InvalidArgumentError("version is longer than 256 characters"));
  // The limit counts UTF-16 code units before trimming.
  EXPECT_TRUE(Parse(std::string(251, ' ') + "1.2.3").ok());
  EXPECT_FALSE(Parse(std::string(252, ' ') + "1.2.3").ok());
  std::string emoji;
  for (int i = 0; i < 126; ++i) emoji += "\xF0\x9F\x98\x80";  // 2 units each.
  EXPECT_FALSE(Parse(emoji + "1.2.3", kLoose).ok());
}

int Cmp(std::string_view a, std::string_view b, Options opts = {}) {
  absl::StatusOr<Version> x = Parse(a, opts);
  absl::StatusOr<Version> y = Parse(b, opts);
  EXPECT_TRUE(x.ok() && y.ok()) << a << " " << b;
  return Compare(*x, *y);
}

TEST(SemverTest, CompareOrdersAsSemverSpec) {
  // semver.org §11's example, in ascending order.
  const std::vector<std::string> ordered = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                            "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                            "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                                            "1.1.0",       "2.0.0"};
  for (size_t i = 0; i < ordered.size(); ++i) {
    for (size_t j = 0; j < ordered.size(); ++j) {
      EXPECT_EQ(Cmp(ordered[i], ordered[j]), i < j ? -1 : (i > j ? 1 : 0))
          << ordered[i] << " vs " << ordered[j];
    }
  }
}

TEST(SemverTest, CompareQuirks) {
  EXPECT_EQ(Cmp("1.2.3+a", "1.2.3+b"), 0);   // Build metadata is ignored.
  EXPECT_EQ(Cmp("1.0.0-1", "1.0.0-a"), -1);  // Numeric before alphanumeric.
  EXPECT_EQ(Cmp("1.0.0-a-1", "1.0.0-a"), 1);
  EXPECT_EQ(Cmp("1.0.0-9007199254740991", "1.0.0-5"), 1);
  EXPECT_EQ(Cmp("1.0.0-9007199254740991", "1.0.0-a"), -1);
  // Large all-digit identifiers compare as doubles; node-semver stops at the first identifier
  // even when it compares equal.
  EXPECT_EQ(Cmp("1.0.0-9007199254740993.a", "1.0.0-9007199254740992.b"), 0);
  EXPECT_EQ(Cmp("1.2.3-01", "1.2.3-1", kLoose), 0);
}

struct RangeCase {
  std::string text;
  std::optional<std::string> strict, loose, include_prerelease;
};

TEST(SemverTest, ValidRange) {
  const std::nullopt_t none = std::nullopt;
  const RangeCase cases[] = {
      {"", "*", "*", "*"},
      {"*", "*", "*", "*"},
      {"x", "*", "*", "*"},
      {"1", ">=1.0.0 <2.0.0-0", ">=1.0.0 <2.0.0-0", ">=1.0.0-0 <2.0.0-0"},
      {"1.2", ">=1.2.0 <1.3.0-0", ">=1.2.0 <1.3.0-0", ">=1.2.0-0 <1.3.0-0"},
      {"1.2.3", "1.2.3", "1.2.3", "1.2.3"},
      {"=1.2.3", "1.2.3", "1.2.3", "1.2.3"},
      {"v1.2.3", "1.2.3", "1.2.3", "1.2.3"},
      {">1.2.3", ">1.2.3", ">1.2.3", ">1.2.3"},
      {"<=1.2.3", "<=1.2.3", "<=1.2.3", "<=1.2.3"},
      {"~1.2.3", ">=1.2.3 <1.3.0-0", ">=1.2.3 <1.3.0-0", ">=1.2.3 <1.3.0-0"},
      {"~1.2", ">=1.2.0 <1.3.0-0", ">=1.2.0 <1.3.0-0", ">=1.2.0-0 <1.3.0-0"},
      {"~0.0.1", ">=0.0.1 <0.1.0-0", ">=0.0.1 <0.1.0-0", ">=0.0.1 <0.1.0-0"},
      {"~>1.2.3", ">=1.2.3 <1.3.0-0", ">=1.2.3 <1.3.0-0", ">=1.2.3 <1.3.0-0"},
      {"^1.2.3", ">=1.2.3 <2.0.0-0", ">=1.2.3 <2.0.0-0", ">=1.2.3 <2.0.0-0"},
      {"^0.2.3", ">=0.2.3 <0.3.0-0", ">=0.2.3 <0.3.0-0", ">=0.2.3 <0.3.0-0"},
      {"^0.0.3", ">=0.0.3 <0.0.4-0", ">=0.0.3 <0.0.4-0", ">=0.0.3 <0.0.4-0"},
      {"^0.0", "<0.1.0-0", "<0.1.0-0", "<0.1.0-0"},
      {"^0.x", "<1.0.0-0", "<1.0.0-0", "<1.0.0-0"},
      {"^1.2.3-beta.1", ">=1.2.3-beta.1 <2.0.0-0", ">=1.2.3-beta.1 <2.0.0-0",
       ">=1.2.3-beta.1 <2.0.0-0"},
      {"1.2.3 - 2.3.4", ">=1.2.3 <=2.3.4", ">=1.2.3 <=2.3.4", ">=1.2.3-0 <2.3.5-0"},
      {"1.2 - 2.3", ">=1.2.0 <2.4.0-0", ">=1.2.0 <2.4.0-0", ">=1.2.0-0 <2.4.0-0"},
      {"* - 2", "<3.0.0-0", "<3.0.0-0", "<3.0.0-0"},
      {"1.2.x", ">=1.2.0 <1.3.0-0", ">=1.2.0 <1.3.0-0", ">=1.2.0-0 <1.3.0-0"},
      {">1", ">=2.0.0", ">=2.0.0", ">=2.0.0-0"},
      {">1.2", ">=1.3.0", ">=1.3.0", ">=1.3.0-0"},
      {"<=1.2", "<1.3.0-0", "<1.3.0-0", "<1.3.0-0"},
      {"<1.x", "<1.0.0-0", "<1.0.0-0", "<1.0.0-0"},
      {">*", "<0.0.0-0", "<0.0.0-0", "<0.0.0-0"},
      {">=0.0.0", "*", "*", ">=0.0.0"},
      {"1.2.3 || 2.x", "1.2.3||>=2.0.0 <3.0.0-0", "1.2.3||>=2.0.0 <3.0.0-0",
       "1.2.3||>=2.0.0-0 <3.0.0-0"},
      {"<0.0.0-0 || 1", ">=1.0.0 <2.0.0-0", ">=1.0.0 <2.0.0-0", ">=1.0.0-0 <2.0.0-0"},
      {"1 || *", "*", "*", "*"},
      {"> 1.2.3 < 2", ">1.2.3 <2.0.0-0", ">1.2.3 <2.0.0-0", ">1.2.3 <2.0.0-0"},
      {"~ 1.2", ">=1.2.0 <1.3.0-0", ">=1.2.0 <1.3.0-0", ">=1.2.0-0 <1.3.0-0"},
      {"^ 1.2", ">=1.2.0 <2.0.0-0", ">=1.2.0 <2.0.0-0", ">=1.2.0-0 <2.0.0-0"},
      {"1.2.3+build - 2.0.0+x", ">=1.2.3 <=2.0.0", ">=1.2.3 <=2.0.0", ">=1.2.3-0 <2.0.1-0"},
      {">=1.2.3 >=1.2.3", ">=1.2.3", ">=1.2.3", ">=1.2.3"},
      {"x.1", none, none, none},
      {"1.x.2", none, none, none},
      {"blerg", none, none, none},
      {"~", none, none, none},
      {"1 \xC2\xA0-\xE3\x80\x80 2", ">=1.0.0 <3.0.0-0", ">=1.0.0 <3.0.0-0", ">=1.0.0-0 <3.0.0-0"},
      // Loose mode's surprises.
      {">=1.2.3abc", none, ">=1.2.3-abc", none},
      {"~1.2.34.5", none, ">=1.2.3-4.5 <1.3.0-0", none},
      {"^00.1.2", none, ">=0.1.2 <1.0.0-0", none},    // "00" is not "0" to the caret rule.
      {"= 1.2.3 - 2", none, "1.2.3 <3.0.0-0", none},  // ">==" is dropped as junk.
      // The upper bound is computed as a JavaScript number and printed as "1.23...e+24", which
      // loose mode then reads as patch 2345678901234568, prerelease "e" and build "24.0-0".
      {"1 - 1.1234567890123456789012345", none, ">=1.0.0 <1.1.2345678901234568-e", none},
      {"1 - 1234567890123456789012345", none, ">=1.0.0", none},
  };
  for (const RangeCase& c : cases) {
    EXPECT_EQ(ValidRange(c.text, kStrict), c.strict) << c.text;
    EXPECT_EQ(ValidRange(c.text, kLoose), c.loose) << c.text;
    EXPECT_EQ(ValidRange(c.text, kPre), c.include_prerelease) << c.text;
  }
}

TEST(SemverTest, RangeParse) {
  absl::StatusOr<Range> r = Range::Parse("  ^1.2.3  ||  ~2  ");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->ToString(), ">=1.2.3 <2.0.0-0||>=2.0.0 <3.0.0-0");
  EXPECT_EQ(Range::Parse("*")->ToString(), "");  // validRange() prints this as "*".
  EXPECT_EQ(Range::Parse("blerg").status(),
            absl::InvalidArgumentError("Invalid comparator: blerg"));
  EXPECT_EQ(Range::Parse(">=1.2.3 junk").status(),
            absl::InvalidArgumentError("Invalid comparator: junk"));
  EXPECT_EQ(Range::Parse(">=1.2.3 junk", kLoose)->ToString(), ">=1.2.3");
  EXPECT_EQ(Range::Parse("junk", kLoose).status(),
            absl::InvalidArgumentError("Invalid SemVer Range: junk"));
}

struct SatisfiesCase {
  std::string version, range;
  bool strict, include_prerelease;
};

TEST(SemverTest, Satisfies) {
  const SatisfiesCase cases[] = {
      {"1.2.3", "^1.2.3", true, true},
      {"1.9.9", "^1.2.3", true, true},
      {"2.0.0", "^1.2.3", false, false},
      {"2.0.0-0", "^1.2.3", false, false},  // Excluded by the -0 upper bound.
      {"1.2.2", "^1.2.3", false, false},
      {"0.2.9", "^0.2.3", true, true},
      {"0.3.0", "^0.2.3", false, false},
      {"1.2.3-beta.2", "^1.2.3-beta.1", true, true},
      {"1.2.3-alpha", "^1.2.3-beta.1", false, false},
      // A prerelease needs a comparator with a prerelease on the same [major, minor, patch].
      {"1.2.4-alpha", "^1.2.3-beta.1", false, true},
      {"1.2.4-alpha", ">=1.2.3", false, true},
      {"1.2.3-alpha", "*", false, true},
      {"1.2.3", "1.2.3 - 2.3.4", true, true},
      {"2.3.4", "1.2.3 - 2.3.4", true, true},
      {"2.3.5", "1.2.3 - 2.3.4", false, false},
      {"2.3.5-0", "1.2.3 - 2.3.4", false, false},
      {"1.2.3+build", "1.2.3", true, true},
      {"v1.2.3", "1.2.3", true, true},
      {"=1.2.3", "1.2.3", false, false},  // Not a strict version.
      {"1.2.3", "blerg", false, false},
      {"", "*", false, false},
      {"3.0.0", "1.x || >=2.5.0 || 5.0.0 - 7.2.3", true, true},
      {"1.0.0", "<0.0.0-0", false, false},
  };
  for (const SatisfiesCase& c : cases) {
    EXPECT_EQ(Satisfies(c.version, c.range, kStrict), c.strict) << c.version << " " << c.range;
    EXPECT_EQ(Satisfies(c.version, c.range, kPre), c.include_prerelease)
        << c.version << " " << c.range;
  }
  EXPECT_TRUE(Satisfies("=1.2.3", "1.2.3", kLoose));
  EXPECT_TRUE(Satisfies("1.2.3abc", ">=1.2.3-a <1.2.4", kLoose));
}

TEST(SemverTest, TestThrowsWhereNodeSemverThrows) {
  // A loose comparator version of exactly 256 characters without its hyphen is 257 characters
  // canonically; with includePrerelease node-semver re-parses it and throws. We answer false.
  const std::string range = ">=1.2.3" + std::string(251, 'a');
  EXPECT_TRUE(Satisfies("1.2.4", range, kLoose));
  EXPECT_FALSE(Satisfies("1.2.4", range, kLoosePre));
  EXPECT_EQ(MaxSatisfying({"1.2.4"}, range, kLoose), "1.2.4");
  EXPECT_EQ(MaxSatisfying({"1.2.4"}, range, kLoosePre), std::nullopt);
}

TEST(SemverTest, MaxSatisfying) {
  const std::vector<std::string> versions = {"1.2.3", "1.2.4", "junk", "1.3.0-beta", "2.0.0"};
  EXPECT_EQ(MaxSatisfying(versions, "~1.2"), "1.2.4");
  EXPECT_EQ(MaxSatisfying(versions, "^1"), "1.2.4");
  EXPECT_EQ(MaxSatisfying(versions, "^1", kPre), "1.3.0-beta");
  EXPECT_EQ(MaxSatisfying(versions, "*"), "2.0.0");
  EXPECT_EQ(MaxSatisfying(versions, ">2"), std::nullopt);
  EXPECT_EQ(MaxSatisfying(versions, "blerg"), std::nullopt);
  // Of equal versions the first one given wins, as given.
  EXPECT_EQ(MaxSatisfying({"v1.0.0+a", "1.0.0+b"}, "1"), "v1.0.0+a");
}

}  // namespace
}  // namespace bulwark::semver
