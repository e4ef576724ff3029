#include "security/advisories/advisory.h"

#include <zlib.h>

#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "base/strings.h"
#include "security/advisories/cvss.h"
#include "security/advisories/gunzip.h"

namespace bulwark::advisories {
namespace {

constexpr semver::Options kNpm{.loose = true, .include_prerelease = true};

semver::Version V(std::string_view s) { return *semver::Parse(s, kNpm); }

Advisory FromOsv(std::string_view text) {
  auto a = ParseOsvText(text);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *a : Advisory{};
}

Advisory WithEvents(std::vector<Event> events, std::vector<std::string> versions = {}) {
  Advisory a;
  a.id = "TEST-1";
  Affected aff;
  aff.ecosystem = "npm";
  aff.package = "pkg";
  aff.ranges.push_back({"SEMVER", std::move(events)});
  aff.versions = std::move(versions);
  a.affected.push_back(std::move(aff));
  return a;
}

using K = Event::Kind;

constexpr char kOsv[] = R"json({
  "schema_version": "1.6.0",
  "id": "GHSA-xxxx-yyyy-zzzz",
  "modified": "2024-03-01T12:00:00Z",
  "published": "2024-02-01T00:00:00.5Z",
  "aliases": ["CVE-2024-0001"],
  "summary": "Prototype pollution in pkg",
  "details": "Long text",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
  "affected": [{
    "package": {"ecosystem": "npm", "name": "pkg"},
    "ranges": [{"type": "SEMVER", "events": [
      {"introduced": "2.0.0"}, {"last_affected": "2.1.0"},
      {"introduced": "0"}, {"fixed": "1.2.3"}]}],
    "versions": ["3.0.0-beta.1"]
  }, {
    "package": {"ecosystem": "PyPI", "name": "pkg"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]
  }],
  "references": [{"type": "WEB", "url": "https://example.com/x"}],
  "database_specific": {"cwe_ids": ["CWE-1321"], "severity": "HIGH"}
})json";

TEST(OsvTest, ParsesAndEvaluates) {
  Advisory a = FromOsv(kOsv);
  EXPECT_EQ(a.id, "GHSA-xxxx-yyyy-zzzz");
  EXPECT_EQ(a.aliases, std::vector<std::string>{"CVE-2024-0001"});
  EXPECT_EQ(FormatTimestamp(a.modified), "2024-03-01T12:00:00Z");
  ASSERT_TRUE(a.published);
  EXPECT_EQ(a.CweIds(), std::vector<std::string>{"CWE-1321"});
  ASSERT_EQ(a.affected.size(), 2u);
  EXPECT_EQ(NpmPackages(a), std::vector<std::string>{"pkg"});
  for (auto [v, want] : std::vector<std::pair<const char*, bool>>{
           {"0.0.1", true}, {"1.2.2", true}, {"1.2.3-rc.1", true}, {"1.2.3", false},
           {"1.9.9", false}, {"2.0.0-rc.1", false}, {"2.0.0", true}, {"2.1.0", true},
           {"2.1.1-0", false}, {"2.1.1", false}, {"3.0.0-beta.1", true}, {"3.0.0", false}}) {
    EXPECT_EQ(IsAffected(a, "pkg", V(v)), want) << v;
  }
  EXPECT_FALSE(IsAffected(a, "other", V("1.0.0")));
  EXPECT_EQ(VulnerableRange(a, "pkg"), "<1.2.3 || >=2.0.0 <=2.1.0 || 3.0.0-beta.1");
  EXPECT_EQ(AdvisoryUrl(a), "https://github.com/advisories/GHSA-xxxx-yyyy-zzzz");
  Rating r = Rate(a);
  EXPECT_EQ(r.level, Severity::kHigh);  // database_specific wins over the 9.8 score.
  ASSERT_TRUE(r.score);
  EXPECT_DOUBLE_EQ(*r.score, 9.8);
}

TEST(OsvTest, RoundTripsThroughJson) {
  Advisory a = FromOsv(kOsv);
  Advisory b = FromOsv(ToJson(ToOsvJson(a)));
  EXPECT_EQ(b.id, a.id);
  EXPECT_EQ(b.modified, a.modified);
  EXPECT_EQ(b.published, a.published);
  EXPECT_EQ(VulnerableRange(b, "pkg"), VulnerableRange(a, "pkg"));
  EXPECT_EQ(b.CweIds(), a.CweIds());
  EXPECT_EQ(b.summary, a.summary);
}

TEST(OsvTest, RefusesWhatIsNotOsv) {
  EXPECT_EQ(ParseOsvText("[]").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseOsvText(R"({"modified":"2024-01-01T00:00:00Z"})").status().message(),
            "OSV advisory has no \"id\"");
  EXPECT_EQ(ParseOsvText(R"({"id":"X-1"})").status().message(),
            "OSV advisory has no \"modified\"");
  auto bad = ParseOsvText(R"({"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[
      {"package":{"ecosystem":"npm","name":"p"},
       "ranges":[{"type":"SEMVER","events":[{"introduced":"one"}]}]}]})");
  EXPECT_EQ(bad.status().message(), "X-1: not a semver version: \"one\"");
  auto two_keys = ParseOsvText(R"({"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[
      {"package":{"ecosystem":"npm","name":"p"},
       "ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1.0.0"}]}]}]})");
  EXPECT_EQ(two_keys.status().message(), "X-1: an event must be an object with one key");
}

TEST(OsvTest, WithdrawnAffectsNothing) {
  Advisory a = FromOsv(kOsv);
  a.withdrawn = absl::UnixEpoch();
  EXPECT_FALSE(IsAffected(a, "pkg", V("1.0.0")));
}

TEST(OsvTest, MalwareIsCritical) {
  Advisory a = FromOsv(R"({"id":"MAL-2024-1","modified":"2024-01-01T00:00:00Z","affected":[
      {"package":{"ecosystem":"npm","name":"evil"},"ranges":[{"type":"SEMVER",
      "events":[{"introduced":"0"}]}]}]})");
  EXPECT_TRUE(a.IsMalware());
  EXPECT_EQ(Rate(a).level, Severity::kCritical);
  EXPECT_FALSE(Rate(a).score);
  EXPECT_EQ(VulnerableRange(a, "evil"), "*");
  EXPECT_TRUE(IsAffected(a, "evil", V("0.0.0-0")));
}

TEST(OsvEvaluationTest, EventCases) {
  struct Case {
    std::vector<Event> events;
    std::string range;
    std::vector<std::pair<std::string, bool>> checks;
  };
  std::vector<Case> cases = {
      {{{K::kIntroduced, "0"}}, "*", {{"0.0.0", true}, {"99.0.0", true}}},
      {{{K::kIntroduced, "1.0.0"}}, ">=1.0.0", {{"0.9.0", false}, {"1.0.0", true}}},
      {{{K::kIntroduced, "0"}, {K::kLastAffected, "1.0.0"}},
       "<=1.0.0",
       {{"1.0.0", true}, {"1.0.1-0", false}}},
      // Unsorted input is sorted before evaluation.
      {{{K::kFixed, "2.0.0"}, {K::kIntroduced, "1.0.0"}},
       ">=1.0.0 <2.0.0",
       {{"1.5.0", true}, {"2.0.0", false}, {"0.1.0", false}}},
      // Same version fixed and introduced: nothing for that interval.
      {{{K::kIntroduced, "1.0.0"}, {K::kFixed, "1.0.0"}}, "<0.0.0-0", {{"1.0.0", false}}},
      // fixed and last_affected at one version: the fix wins, in both forms.
      {{{K::kIntroduced, "0"}, {K::kLastAffected, "1.0.0"}, {K::kFixed, "1.0.0"}},
       "<1.0.0",
       {{"1.0.0", false}, {"0.9.0", true}}},
      // A second introduced inside an open interval changes nothing.
      {{{K::kIntroduced, "1.0.0"}, {K::kIntroduced, "1.5.0"}, {K::kFixed, "2.0.0"}},
       ">=1.0.0 <2.0.0",
       {{"1.2.0", true}, {"1.7.0", true}}},
      // At one version a fix outranks an introduction (ties sort introduced, fixed,
      // last_affected), in the loop and in the range alike.
      {{{K::kIntroduced, "0"}, {K::kFixed, "1.0.0"}, {K::kIntroduced, "1.0.0"}},
       "<1.0.0",
       {{"1.0.0", false}, {"2.0.0", false}, {"0.9.9", true}}},
      // Reopened after a fix.
      {{{K::kIntroduced, "0"}, {K::kFixed, "1.0.0"}, {K::kIntroduced, "1.1.0"}},
       "<1.0.0 || >=1.1.0",
       {{"1.0.5", false}, {"1.1.0", true}}},
      {{{K::kIntroduced, "1.0.0-alpha"}, {K::kFixed, "1.0.0"}},
       ">=1.0.0-alpha <1.0.0",
       {{"1.0.0-beta", true}, {"1.0.0-0", false}}},
  };
  for (const Case& c : cases) {
    Advisory a = WithEvents(c.events);
    EXPECT_EQ(VulnerableRange(a, "pkg"), c.range);
    for (const auto& [v, want] : c.checks) {
      EXPECT_EQ(IsAffected(a, "pkg", V(v)), want) << c.range << " " << v;
      EXPECT_EQ(semver::Range::Parse(c.range, kNpm)->Test(V(v)), want) << c.range << " " << v;
    }
  }
}

TEST(RangeToOsvTest, ExclusiveBoundsAndUnions) {
  auto r = RangeToOsv("<1.6.5 || < 2.1.7 > 2.0.0");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  Advisory a = WithEvents({});
  a.affected[0].ranges = *r;
  EXPECT_EQ(VulnerableRange(a, "pkg"), "<1.6.5 || >=2.0.1-0 <2.1.7");
  EXPECT_FALSE(IsAffected(a, "pkg", V("2.0.0")));
  EXPECT_TRUE(IsAffected(a, "pkg", V("2.0.1-alpha")));
  EXPECT_EQ(RangeToOsv("2.0.x || 2.1.x")->size(), 2u);
  EXPECT_EQ(RangeToOsv("<0.0.0-0")->size(), 0u);
  // With prereleases included, "<0.0.0" still holds 0.0.0-0.
  EXPECT_EQ(RangeToOsv("<0.0.0")->size(), 1u);
  EXPECT_EQ(RangeToOsv("not a range ~~").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CvssTest, KnownVectors) {
  struct Case {
    const char* vector;
    double score;
    const char* level;
  };
  for (const Case& c : std::vector<Case>{
           {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"},
           {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium"},
           {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "high"},
           {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N", 5.3, "medium"},
           {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "critical"},
           {"CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8, "low"},
           {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "medium"},
           {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "none"},
           {"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N", 6.5, "medium"},
           {"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:C/C:H/I:H/A:H/E:U/RL:O", 6.8, "medium"},
       }) {
    auto s = CvssV3BaseScore(c.vector);
    ASSERT_TRUE(s.ok()) << c.vector << " " << s.status();
    EXPECT_DOUBLE_EQ(*s, c.score) << c.vector;
    EXPECT_EQ(CvssLevel(*s), c.level) << c.vector;
  }
  EXPECT_EQ(CvssV3BaseScore("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CvssV3BaseScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H").status().message(),
            "missing CVSS metric A");
  EXPECT_EQ(CvssV3BaseScore("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
                .status()
                .message(),
            "repeated CVSS metric: AV");
  EXPECT_EQ(CvssV3BaseScore("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").status().message(),
            "bad CVSS value AV:X");
}

TEST(CvssTest, V4KnownVectors) {
  struct Case {
    const char* vector;
    double score;
    const char* level;
  };
  for (const Case& c : std::vector<Case>{
           // CVSS-B scores as FIRST's calculator and GHSA publish them.
           {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "critical"},
           {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0, "critical"},
           {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N", 8.7, "high"},
           {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N", 8.7, "high"},
           {"CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5, "high"},
           {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0, "none"},
           // Interpolation below the MacroVector's score, threat, environmental (MSI:S makes
           // EQ4 0 even with no impact elsewhere) and supplemental metrics (no effect), as
           // FIRST's calculator scores them.
           {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", 5.3, "medium"},
           {"CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 1.0, "low"},
           {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", 8.1, "high"},
           {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSI:S", 8.9, "high"},
           {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:L/IR:L/AR:L/"
            "S:P/AU:Y/R:I/V:C/RE:H/U:Red",
            8.9, "high"},
           {"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/CR:X/MAV:X/U:X",
            9.3, "critical"},
       }) {
    auto s = CvssV4Score(c.vector);
    ASSERT_TRUE(s.ok()) << c.vector << " " << s.status();
    EXPECT_DOUBLE_EQ(*s, c.score) << c.vector;
    EXPECT_EQ(CvssLevel(*s), c.level) << c.vector;
  }
  auto error = [](std::string_view v) { return std::string(CvssV4Score(v).status().message()); };
  EXPECT_EQ(error("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            "not a CVSS v4.0 vector (expected a CVSS:4.0/ prefix)");
  EXPECT_EQ(error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N"),
            "missing CVSS metric SA");
  EXPECT_EQ(error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/E:A"),
            "missing CVSS metric SA");
  EXPECT_EQ(error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/SA:N"),
            "repeated CVSS metric: SA");
  EXPECT_EQ(error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/XX:N"),
            "unknown CVSS v4.0 metric: XX");
  EXPECT_EQ(error("CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            "CVSS v4.0 metric AV is out of order (after AC)");
  EXPECT_EQ(error("CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            "bad CVSS value AV:X");
  EXPECT_EQ(error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N"),
            "bad CVSS value SI:S");
  EXPECT_EQ(error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/"),
            "malformed CVSS metric: ");
  EXPECT_EQ(error("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:red"),
            "bad CVSS value U:red");
  EXPECT_FALSE(CvssV4Score("").ok());
}

TEST(CvssTest, RatesV4OnlyAdvisoriesAndPrefersV3) {
  constexpr char kV4[] = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N";
  constexpr char kV3[] = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N";
  auto doc = [](std::string severity) {
    return R"({"id":"GHSA-v4","modified":"2024-01-01T00:00:00Z","severity":[)" + severity +
           R"(],"affected":[{"package":{"ecosystem":"npm","name":"p"},)"
           R"("ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]})";
  };
  Advisory v4 = FromOsv(doc(StrCat(R"({"type":"CVSS_V4","score":")", kV4, R"("})")));
  Rating r = Rate(v4);
  ASSERT_TRUE(r.score);
  EXPECT_DOUBLE_EQ(*r.score, 8.7);
  EXPECT_EQ(r.vector, kV4);
  EXPECT_EQ(r.level, Severity::kHigh);

  Advisory both = FromOsv(doc(StrCat(R"({"type":"CVSS_V4","score":")", kV4, R"("},)",
                                     R"({"type":"CVSS_V3","score":")", kV3, R"("})")));
  r = Rate(both);
  ASSERT_TRUE(r.score);
  EXPECT_DOUBLE_EQ(*r.score, 5.3);
  EXPECT_EQ(r.vector, kV3);
  EXPECT_EQ(r.level, Severity::kModerate);

  // An unscorable v4 vector is still shown; the level falls back to npm's default.
  Advisory bad = FromOsv(doc(R"({"type":"CVSS_V4","score":"CVSS:4.0/AV:N"})"));
  r = Rate(bad);
  EXPECT_FALSE(r.score);
  EXPECT_EQ(r.vector, "CVSS:4.0/AV:N");
  EXPECT_EQ(r.level, Severity::kHigh);
}

TEST(NpmFormatTest, ParsesOneLine) {
  auto list = ParseNpmAdvisoryLine(
      R"({"id": 48, "created_at": "2015-10-17", "updated_at": "2018-02-23", "title": "t",
          "module_name": "uglify-js", "cves": ["CVE-2015-8857"],
          "vulnerable_versions": "<2.4.24", "patched_versions": ">=2.4.24",
          "overview": "o", "recommendation": "r", "references": ["https://x/y"],
          "cvss_vector": "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "cvss_score": 7.5,
          "cwe": "CWE-400"})");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  const Advisory& a = (*list)[0];
  EXPECT_EQ(a.id, "NSWG-ECO-48");
  EXPECT_EQ(a.aliases, std::vector<std::string>{"CVE-2015-8857"});
  EXPECT_EQ(a.CweIds(), std::vector<std::string>{"CWE-400"});
  EXPECT_EQ(VulnerableRange(a, "uglify-js"), "<2.4.24");
  EXPECT_EQ(Rate(a).level, Severity::kHigh);
  EXPECT_EQ(AdvisoryUrl(a), "https://github.com/nodejs/security-wg/blob/main/vuln/npm/48.json");
  EXPECT_EQ(GetString(a.affected[0].database_specific, "vulnerable_versions"), "<2.4.24");
  EXPECT_EQ(ParseNpmAdvisoryLine(R"({"x": 1})").status().message(),
            "not an npm advisory (no module_name)");
}

std::string ReadAll(const char* path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Versions around every bound of the range: each comparator's version, its neighbours in the
// patch, minor and major, and prereleases just before and after it.
std::vector<semver::Version> Probes(const std::string& range) {
  std::vector<semver::Version> out = {V("0.0.0"), V("0.0.0-0"), V("999.0.0")};
  auto parsed = semver::Range::Parse(range, kNpm);
  if (!parsed.ok()) return out;
  for (std::string_view c : StrSplit(parsed->ToString(), ByAnyChar{" |"}, SkipEmpty())) {
    while (!c.empty() && (c[0] == '<' || c[0] == '>' || c[0] == '=')) c.remove_prefix(1);
    auto v = semver::Parse(c, kNpm);
    if (!v.ok()) continue;
    out.push_back(*v);
    semver::Version base = *v;
    base.prerelease.clear();
    for (int dm : {-1, 0, 1}) {
      for (int part = 0; part < 3; ++part) {
        semver::Version n = base;
        uint64_t& field = part == 0 ? n.major : part == 1 ? n.minor : n.patch;
        if (dm < 0 && field == 0) continue;
        field += dm;
        out.push_back(n);
        semver::Version pre = n;
        pre.prerelease = {uint64_t{0}};
        out.push_back(pre);
        pre.prerelease = {std::string("beta"), uint64_t{1}};
        out.push_back(pre);
      }
    }
    semver::Version after = *v;
    after.prerelease.push_back(uint64_t{0});
    out.push_back(after);
  }
  return out;
}

// For every advisory of the real Node Security WG set: the events we store, the range we emit
// for npm, and the range as published agree on every probe version.
TEST(NpmFormatTest, SharedSetEventsAndRangesAgree) {
  std::string gz = ReadAll(NSWG_ADVISORIES_FILE);
  ASSERT_FALSE(gz.empty()) << "cannot read " << NSWG_ADVISORIES_FILE;
  auto text = Gunzip(gz, 64 << 20);
  ASSERT_TRUE(text.ok()) << text.status();
  std::set<std::string> ids;
  size_t lines = 0, probes = 0;
  for (std::string_view line : StrSplit(*text, '\n', SkipEmpty())) {
    ++lines;
    auto list = ParseNpmAdvisoryLine(line);
    ASSERT_TRUE(list.ok()) << list.status() << " in " << line.substr(0, 200);
    for (const Advisory& a : *list) {
      ids.insert(a.id);
      const std::string pkg = a.affected[0].package;
      const std::string given(*GetString(a.affected[0].database_specific, "vulnerable_versions"));
      const std::string emitted = VulnerableRange(a, pkg);
      auto given_range = semver::Range::Parse(given, kNpm);
      auto emitted_range = semver::Range::Parse(emitted, kNpm);
      ASSERT_TRUE(given_range.ok()) << a.id << " " << given;
      ASSERT_TRUE(emitted_range.ok()) << a.id << " " << emitted;
      // Round-trip through the stored form, as the database holds it.
      Advisory stored = *ParseOsv(ToOsvJson(a));
      for (const semver::Version& v : Probes(given)) {
        ++probes;
        const bool want = given_range->Test(v);
        ASSERT_EQ(IsAffected(stored, pkg, v), want)
            << a.id << " given " << given << " version " << v.ToString();
        ASSERT_EQ(emitted_range->Test(v), want)
            << a.id << " given " << given << " emitted " << emitted << " version " << v.ToString();
      }
    }
  }
  EXPECT_EQ(lines, 468u);
  EXPECT_EQ(ids.size(), 467u);  // The last line repeats the set as one object.
  EXPECT_GT(probes, 10000u);
}

TEST(GunzipTest, CapsInflatedSize) {
  std::string big(1 << 20, 'a');
  uLongf n = compressBound(big.size()) + 64;
  std::string gz(n, '\0');
  // A gzip stream (windowBits 16+) via deflate.
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(big.data());
  zs.avail_in = big.size();
  zs.next_out = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_out = gz.size();
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  gz.resize(zs.total_out);
  deflateEnd(&zs);
  auto ok = Gunzip(gz, 2 << 20);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, big);
  EXPECT_EQ(Gunzip(gz, 1000).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Gunzip("not gzip", 1000).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Gunzip(gz.substr(0, gz.size() / 2), 2 << 20).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulwark::advisories

#include "security/advisories/bulk.h"
#include "security/advisories/index.h"

namespace bulwark::advisories {
namespace {

TEST(BulkTest, AnswersOnlyAffectedPackages) {
  Advisory a = FromOsv(kOsv);
  Advisory withdrawn = FromOsv(kOsv);
  withdrawn.id = "GHSA-gone";
  withdrawn.withdrawn = absl::UnixEpoch();
  auto req = ParseBulkRequest(R"({"pkg":["1.0.0","9.9.9"],"other":["1.0.0"],"safe":["x"]})");
  ASSERT_TRUE(req.ok()) << req.status();
  json::object res = BulkResponse(*req, {a, withdrawn});
  EXPECT_EQ(ToJson(res),
            R"({"pkg":[{"id":"GHSA-xxxx-yyyy-zzzz","url":"https://github.com/advisories/)"
            R"(GHSA-xxxx-yyyy-zzzz","title":"Prototype pollution in pkg","severity":"high",)"
            R"("vulnerable_versions":"<1.2.3 || >=2.0.0 <=2.1.0 || 3.0.0-beta.1",)"
            R"("cwe":["CWE-1321"],"cvss":{"score":9.8E0,"vectorString":)"
            R"("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}]})");
  EXPECT_EQ(ToJson(BulkResponse(*ParseBulkRequest(R"({"pkg":["1.5.0"]})"), {a})), "{}");
  // The server's text answer is the same document.
  AdvisoryIndex index({a, withdrawn});
  EXPECT_EQ(index.BulkJson(*req), ToJson(res));
  EXPECT_EQ(index.BulkJson(*ParseBulkRequest(R"({"pkg":["1.5.0"],"x\"y":["1.0.0"]})")), "{}");
  EXPECT_EQ(ParseBulkRequest("[]").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseBulkRequest(R"({"a":"1.0.0"})").status().message(),
            "versions of a must be an array");
}

TEST(BulkTest, NoCvssIsScoreZero) {
  Advisory a = WithEvents({{K::kIntroduced, "0"}});
  a.summary = "s";
  json::object e = BulkEntry(a, "pkg");
  EXPECT_EQ(ToJson(e["cvss"]), R"({"score":0E0,"vectorString":null})");
  EXPECT_EQ(e["severity"], "high");
}

}  // namespace
}  // namespace bulwark::advisories

#include "security/advisories/report.h"

namespace bulwark::advisories {
namespace {

TEST(OsvTest, LimitsFollowTheSpecification) {
  // BeforeLimits: the range applies only below the greatest limit; "*" is infinity.
  Advisory a = WithEvents({{K::kIntroduced, "0"}, {K::kLimit, "1.0.0"}, {K::kIntroduced, "1.5.0"}});
  EXPECT_TRUE(IsAffected(a, "pkg", V("0.9.0")));
  EXPECT_FALSE(IsAffected(a, "pkg", V("1.0.0")));
  EXPECT_FALSE(IsAffected(a, "pkg", V("1.6.0")));
  EXPECT_EQ(VulnerableRange(a, "pkg"), "<1.0.0");
  // A single version (introduced and last_affected at it) below a limit stays affected.
  Advisory point = WithEvents({{K::kIntroduced, "1.2.0"}, {K::kLastAffected, "1.2.0"},
                               {K::kLimit, "2.1.0"}});
  EXPECT_TRUE(IsAffected(point, "pkg", V("1.2.0")));
  EXPECT_EQ(VulnerableRange(point, "pkg"), "1.2.0");
  Advisory star = WithEvents({{K::kIntroduced, "1.0.0"}, {K::kLimit, "*"}});
  EXPECT_TRUE(IsAffected(star, "pkg", V("9.0.0")));
  EXPECT_EQ(VulnerableRange(star, "pkg"), ">=1.0.0");
  EXPECT_TRUE(ParseOsvText(R"({"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[
      {"package":{"ecosystem":"npm","name":"p"},
       "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"limit":"*"}]}]}]})")
                  .ok());
}

TEST(OsvTest, PatchedRangeIsTheComplement) {
  Advisory a = FromOsv(kOsv);
  EXPECT_EQ(PatchedRange(a, "pkg"), ">=1.2.3 <2.0.0 || >2.1.0 <3.0.0-beta.1 || >3.0.0-beta.1");
  EXPECT_EQ(PatchedRange(WithEvents({{K::kIntroduced, "0"}}), "pkg"), "<0.0.0");
  EXPECT_EQ(PatchedRange(WithEvents({{K::kIntroduced, "1.0.0"}, {K::kFixed, "1.0.1"},
                                     {K::kIntroduced, "0"}, {K::kFixed, "0.5.0"}}),
                         "pkg"),
            ">=0.5.0 <1.0.0 || >=1.0.1");
  // Overlapping ranges of several affected entries merge.
  Advisory two = WithEvents({{K::kIntroduced, "0"}, {K::kFixed, "2.0.0"}});
  two.affected.push_back(two.affected[0]);
  two.affected[1].ranges[0].events = {{K::kIntroduced, "1.0.0"}, {K::kFixed, "3.0.0"}};
  EXPECT_EQ(PatchedRange(two, "pkg"), ">=3.0.0");
  EXPECT_EQ(VulnerableRange(two, "pkg"), "<2.0.0 || >=1.0.0 <3.0.0");
}

TEST(AuditReportTest, CountsPackagesAndExitsLikeNpm) {
  Advisory high = FromOsv(kOsv);  // pkg, high.
  Advisory low = WithEvents({{K::kIntroduced, "0"}, {K::kFixed, "2.0.0"}});
  low.id = "LOW-1";
  low.summary = "minor";
  low.affected[0].package = "other";
  low.database_specific["severity"] = "low";
  AdvisoryIndex index({high, low});
  EXPECT_EQ(index.advisories(), 2u);
  auto lock = ParseLockfile(R"({"lockfileVersion": 3, "packages": {"": {},
      "node_modules/pkg": {"version": "1.0.0"},
      "node_modules/x/node_modules/pkg": {"version": "2.0.0"},
      "node_modules/other": {"version": "1.9.0"},
      "node_modules/fine": {"version": "1.0.0"}}})");
  ASSERT_TRUE(lock.ok()) << lock.status();
  AuditReport r = Audit(*lock, index);
  EXPECT_EQ(r.dependencies, 4u);
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.findings[0].name, "other");
  EXPECT_EQ(r.findings[1].name, "pkg");
  EXPECT_EQ(r.findings[1].nodes.size(), 2u);
  EXPECT_EQ(r.counts[static_cast<int>(Severity::kHigh)], 1);
  EXPECT_EQ(r.counts[static_cast<int>(Severity::kLow)], 1);
  EXPECT_EQ(AuditExitCode(r, "low"), 1);
  EXPECT_EQ(AuditExitCode(r, "high"), 1);
  EXPECT_EQ(AuditExitCode(r, "critical"), 0);
  EXPECT_EQ(AuditExitCode(r, "none"), 0);
  EXPECT_TRUE(ValidAuditLevel("moderate"));
  EXPECT_FALSE(ValidAuditLevel("severe"));
  const std::string text = RenderAuditText(r);
  EXPECT_TRUE(StrContains(text, "pkg  <1.2.3 || >=2.0.0 <=2.1.0 || 3.0.0-beta.1\nSeverity: high\n"
                                "Prototype pollution in pkg - https://github.com/advisories/"
                                "GHSA-xxxx-yyyy-zzzz\n"))
      << text;
  EXPECT_TRUE(StrContains(text, "node_modules/x/node_modules/pkg  (2.0.0)\n")) << text;
  EXPECT_TRUE(StrContains(text, "2 vulnerabilities (1 low, 1 high)")) << text;
  json::object j = RenderAuditJson(r);
  EXPECT_EQ(ToJson(j["metadata"].as_object()["vulnerabilities"]),
            R"({"info":0,"low":1,"moderate":0,"high":1,"critical":0,"total":2})");
  EXPECT_EQ(j["vulnerabilities"].as_object()["pkg"].as_object()["via"].as_array()[0]
                .as_object()["source"],
            "GHSA-xxxx-yyyy-zzzz");

  auto clean = ParseLockfile(R"({"lockfileVersion": 3, "packages": {
      "node_modules/pkg": {"version": "1.5.0"}}})");
  AuditReport none = Audit(*clean, index);
  EXPECT_EQ(RenderAuditText(none),
            "found 0 vulnerabilities (1 package audited from package-lock.json v2/v3)\n");
  EXPECT_EQ(AuditExitCode(none, "info"), 0);
}

}  // namespace
}  // namespace bulwark::advisories

#include "security/advisories/records.h"

namespace bulwark::advisories {
namespace {

TEST(RecordsTest, AdminWritesAndMalwareAdvisories) {
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  Advisory a = FromOsv(kOsv);
  Advisory stored = a;
  stored.modified = now + absl::Hours(1);  // A node whose clock runs ahead wrote it.
  auto edited = PrepareAdminWrite(a, &stored, now);
  ASSERT_TRUE(edited.ok()) << edited.status();
  EXPECT_GT(edited->modified, stored.modified);
  auto created = PrepareAdminWrite(a, nullptr, now);
  EXPECT_EQ(created->modified, now);
  a.id = "bad id";
  EXPECT_EQ(PrepareAdminWrite(a, nullptr, now).status().code(), absl::StatusCode::kInvalidArgument);
  Advisory none = FromOsv(kOsv);
  none.affected.erase(none.affected.begin());  // Only the PyPI entry left.
  EXPECT_EQ(PrepareAdminWrite(none, nullptr, now).status().message(),
            "the advisory names no npm package (affected[].package with ecosystem \"npm\")");

  Advisory mal = MalwareAdvisory("@evil/pkg", "1.0.0", "", now);
  EXPECT_EQ(mal.id, "MAL-BULWARK-_evil_pkg-1.0.0");
  EXPECT_TRUE(ValidAdvisoryId(mal.id));
  EXPECT_TRUE(IsAffected(mal, "@evil/pkg", V("1.0.0")));
  EXPECT_FALSE(IsAffected(mal, "@evil/pkg", V("1.0.1")));
  EXPECT_EQ(Rate(mal).level, Severity::kCritical);
  EXPECT_TRUE(PrepareAdminWrite(mal, nullptr, now).ok());
  Advisory gone = Withdrawn(mal, now);
  EXPECT_FALSE(IsAffected(gone, "@evil/pkg", V("1.0.0")));
  EXPECT_GT(gone.modified, mal.modified - absl::Seconds(1));
}

}  // namespace
}  // namespace bulwark::advisories

namespace bulwark::advisories {
namespace {

TEST(OsvTest, StoredDocumentKeepsWhatTheModelDoesNotName) {
  constexpr char kDoc[] =
      R"json({"schema_version":"1.4.0","id":"GHSA-keep","modified":"2024-01-01T00:00:00Z",
    "related":["CVE-2024-1"],"credits":[{"name":"Ada","type":"FINDER"}],"summary":"s",
    "affected":[{"package":{"ecosystem":"npm","name":"p","purl":"pkg:npm/p"},
      "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"}],
      "ecosystem_specific":{"affected_functions":["f"]},
      "ranges":[{"type":"SEMVER","repo":"https://example.com/r","events":[{"introduced":"0"}],
                 "database_specific":{"x":1}}]}]})json";
  Advisory a = FromOsv(kDoc);
  const std::string stored = ToJson(ToOsvJson(a));
  for (std::string_view kept :
       {R"("schema_version":"1.4.0")", R"("related":["CVE-2024-1"])",
        R"("credits":[{"name":"Ada","type":"FINDER"}])", R"("purl":"pkg:npm/p")",
        R"("ecosystem_specific":)", R"("repo":"https://example.com/r")",
        R"("database_specific":{"x":1})", R"("severity":[{"type":"CVSS_V3")"}) {
    EXPECT_TRUE(StrContains(stored, kept)) << kept << " lost from " << stored;
  }
  // Stored again unchanged (re-imports compare the text), and rated from the package severity.
  EXPECT_EQ(ToJson(ToOsvJson(FromOsv(stored))), stored);
  EXPECT_EQ(Rate(a).level, Severity::kModerate);
  ASSERT_TRUE(Rate(a).score);
  EXPECT_DOUBLE_EQ(*Rate(a).score, 5.3);
  // What the model clears is cleared in the document.
  a.summary.clear();
  EXPECT_FALSE(StrContains(ToJson(ToOsvJson(a)), R"("summary")"));
}

}  // namespace
}  // namespace bulwark::advisories
