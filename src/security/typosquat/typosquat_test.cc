#include "security/typosquat/typosquat.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "base/strings.h"
#include "gtest/gtest.h"
#include "security/typosquat/name_forms.h"

namespace bulwark::typosquat {
namespace {

namespace in = internal;

// A small world: popular names with realistic monthly downloads.
std::vector<PopularName> World() {
  return {
      {"lodash", 450000000},        {"react", 350000000},        {"react-dom", 320000000},
      {"cross-env", 60000000},      {"mongoose", 17000000},      {"express", 300000000},
      {"babel-cli", 1900000},       {"jquery", 79000000},        {"moment", 120000000},
      {"webpack", 200000000},       {"dotenv", 400000000},       {"@types/node", 1000000000},
      {"@typescript-eslint/eslint-plugin", 325000000},           {"socket.io", 45000000},
      {"ws", 660000000},            {"preact", 51000000},        {"vue", 38000000},
      {"typescript", 530000000},    {"electron", 10000000},      {"nodemailer", 42000000},
      {"node-sass", 4300000},       {"sass", 100000000},         {"d3", 31000000},
      {"small-lib", 2000},          {"acme-internal", 0, true},  {"JSONStream", 30000000},
  };
}

std::unique_ptr<Index> WorldIndex(Options options = {}) {
  auto index = BuildIndex(World(), options);
  EXPECT_TRUE(index.ok()) << index.status();
  return std::move(index).value();
}

// The match for `target`, or nullptr.
const Match* Find(const Result& r, std::string_view target) {
  for (const Match& m : r.matches) {
    if (m.target == target) return &m;
  }
  return nullptr;
}

bool HasCheck(const Result& r, std::string_view target, std::string_view check) {
  const Match* m = Find(r, target);
  return m && std::find(m->checks.begin(), m->checks.end(), check) != m->checks.end();
}

TEST(TyposquatTest, VerdictNames) {
  EXPECT_EQ(VerdictName(Verdict::kClean), "clean");
  EXPECT_EQ(VerdictName(Verdict::kWarn), "warn");
  EXPECT_EQ(VerdictName(Verdict::kHold), "hold");
  EXPECT_EQ(VerdictName(Verdict::kBlock), "block");
}

TEST(TyposquatTest, PunctuationCollisionBlocks) {
  auto index = WorldIndex();
  for (const char* name : {"crossenv", "cross_env", "cross.env", "c-r-o-s-s-env", "babelcli",
                           "socketio", "react_dom"}) {
    Result r = index->Check(name);
    EXPECT_EQ(r.verdict, Verdict::kBlock) << name;
    ASSERT_FALSE(r.matches.empty()) << name;
    EXPECT_EQ(r.matches[0].checks[0], "punctuation") << name;
  }
  EXPECT_TRUE(HasCheck(index->Check("crossenv"), "cross-env", "separator"));
}

TEST(TyposquatTest, SingleEdits) {
  auto index = WorldIndex();
  EXPECT_TRUE(HasCheck(index->Check("mongose"), "mongoose", "omitted-character"));
  EXPECT_TRUE(HasCheck(index->Check("mongose"), "mongoose", "edit-distance-1"));
  EXPECT_TRUE(HasCheck(index->Check("expresss"), "express", "repeated-character"));
  EXPECT_TRUE(HasCheck(index->Check("lodahs"), "lodash", "transposition"));
  EXPECT_TRUE(HasCheck(index->Check("electorn"), "electron", "transposition"));
  EXPECT_TRUE(HasCheck(index->Check("exprews"), "express", "keyboard-adjacent"));
  EXPECT_TRUE(HasCheck(index->Check("webpacj"), "webpack", "keyboard-adjacent"));
  EXPECT_TRUE(HasCheck(index->Check("lodasx"), "lodash", "edit-distance-1"));
  EXPECT_FALSE(HasCheck(index->Check("lodasx"), "lodash", "keyboard-adjacent"));
  EXPECT_NE(index->Check("mongose").verdict, Verdict::kClean);
}

TEST(TyposquatTest, TwoEditsOnlyForLongNames) {
  auto index = WorldIndex();
  EXPECT_TRUE(HasCheck(index->Check("typescirpts"), "typescript", "edit-distance-2"));
  EXPECT_EQ(Find(index->Check("lodxsx"), "lodash"), nullptr);  // Two edits in six letters.
}

TEST(TyposquatTest, Confusables) {
  auto index = WorldIndex();
  for (const char* name : {"l0dash", "1odash", "iodash", "rnoment", "vvebpack", "clotenv"}) {
    Result r = index->Check(name);
    bool any = false;
    for (const Match& m : r.matches) {
      any = any || std::find(m.checks.begin(), m.checks.end(), "confusable") != m.checks.end();
    }
    EXPECT_TRUE(any) << name;
    EXPECT_NE(r.verdict, Verdict::kClean) << name;
  }
  EXPECT_EQ(index->Check("JSONStream").verdict, Verdict::kClean);
}

TEST(TyposquatTest, Affixes) {
  auto index = WorldIndex();
  for (const char* name : {"jquery.js", "jqueryjs", "jquery-js", "node-mongoose", "mongoosejs",
                           "express-cli", "express-api", "nodemailer-npm", "mongooses"}) {
    Result r = index->Check(name);
    EXPECT_NE(r.verdict, Verdict::kClean) << name;
    EXPECT_FALSE(r.matches.empty()) << name;
  }
  EXPECT_TRUE(HasCheck(index->Check("d3.js"), "d3", "affix"));
  EXPECT_TRUE(HasCheck(index->Check("babel"), "babel-cli", "affix"));  // Dropped affix.
  EXPECT_TRUE(HasCheck(index->Check("electronjs"), "electron", "affix"));
}

TEST(TyposquatTest, WordOrderAndVersionSuffix) {
  auto index = WorldIndex();
  EXPECT_TRUE(HasCheck(index->Check("dom-react"), "react-dom", "word-order"));
  EXPECT_TRUE(HasCheck(index->Check("env-cross"), "cross-env", "word-order"));
  EXPECT_TRUE(HasCheck(index->Check("lodash4"), "lodash", "version-suffix"));
  EXPECT_TRUE(HasCheck(index->Check("react-2"), "react", "version-suffix"));
  EXPECT_TRUE(HasCheck(index->Check("express-v5"), "express", "version-suffix"));
}

TEST(TyposquatTest, ScopeConfusion) {
  auto index = WorldIndex();
  EXPECT_TRUE(HasCheck(index->Check("types-node"), "@types/node", "scope-confusion"));
  EXPECT_TRUE(HasCheck(index->Check("typesnode"), "@types/node", "scope-confusion"));
  EXPECT_TRUE(HasCheck(index->Check("@cross/env"), "cross-env", "scope-confusion"));
  EXPECT_TRUE(HasCheck(index->Check("@evil/lodash"), "lodash", "scope-confusion"));
  Result r = index->Check("@typescript_eslinter/eslint");
  EXPECT_TRUE(HasCheck(r, "@typescript-eslint/eslint-plugin", "scope-confusion"));
  EXPECT_NE(r.verdict, Verdict::kClean);
  r = index->Check("@typescript_eslint/eslint-plugin");  // npm's rule, within a scope too.
  EXPECT_EQ(r.verdict, Verdict::kBlock);
  // Established scopes belong to their members: @types/lodash mirrors lodash by design.
  EXPECT_EQ(index->Check("@types/lodash").verdict, Verdict::kClean);
  EXPECT_EQ(index->Check("@types/nodee").verdict, Verdict::kClean);
}

TEST(TyposquatTest, ShortNamesAreNotFlaggedForEdits) {
  auto index = WorldIndex();
  for (const char* name : {"wd", "wx", "vux", "vue3x", "d4"}) {
    EXPECT_EQ(index->Check(name).verdict, Verdict::kClean) << name;
  }
}

TEST(TyposquatTest, PopularCandidatesAreNotFlagged) {
  auto index = WorldIndex();
  EXPECT_EQ(index->Check("preact").verdict, Verdict::kClean);  // Known and popular.
  EXPECT_EQ(index->Check("sass").verdict, Verdict::kClean);
  // The caller's own download count counts too.
  Context ctx;
  ctx.candidate_downloads = 5000000;
  EXPECT_EQ(index->Check("reactt", ctx).verdict, Verdict::kClean);
  EXPECT_NE(index->Check("reactt").verdict, Verdict::kClean);
  // A little following lowers the score without hiding the match.
  ctx.candidate_downloads = 3000;
  Result with_following = index->Check("mongose", ctx), without = index->Check("mongose");
  const Match* low = Find(with_following, "mongoose");
  const Match* none = Find(without, "mongoose");
  ASSERT_NE(low, nullptr);
  ASSERT_NE(none, nullptr);
  EXPECT_LT(low->score, none->score);
}

TEST(TyposquatTest, OwnerVariantIsNotASquat) {
  auto index = WorldIndex();
  Context ctx;
  ctx.owner_packages = {"mongoose"};
  EXPECT_EQ(Find(index->Check("mongoose-cli", ctx), "mongoose"), nullptr);
  EXPECT_NE(Find(index->Check("mongoose-cli"), "mongoose"), nullptr);
}

TEST(TyposquatTest, PopularityWeighsTheScore) {
  auto index = WorldIndex();
  Result big = index->Check("nodemailerr");   // 42M a month.
  Result small = index->Check("babel-clii");  // 1.9M a month.
  ASSERT_NE(Find(big, "nodemailer"), nullptr);
  ASSERT_NE(Find(small, "babel-cli"), nullptr);
  EXPECT_GT(Find(big, "nodemailer")->score, Find(small, "babel-cli")->score);
  // Below min_target_downloads a name is not protected at all.
  EXPECT_EQ(index->Check("small-libb").verdict, Verdict::kClean);
}

TEST(TyposquatTest, AdminProtectedNames) {
  auto index = WorldIndex();
  Result r = index->Check("acme-internals");
  EXPECT_TRUE(HasCheck(r, "acme-internal", "repeated-character") ||
              HasCheck(r, "acme-internal", "affix"));
  EXPECT_NE(r.verdict, Verdict::kClean);
  EXPECT_EQ(index->Check("acmeinternal").verdict, Verdict::kBlock);
  EXPECT_EQ(index->Check("acme-internal").verdict, Verdict::kClean);
}

TEST(TyposquatTest, TopNLimitsProtection) {
  Options options;
  options.top_n = 2;  // Only @types/node and ws (the largest) among the popular ones.
  auto index = WorldIndex(options);
  EXPECT_EQ(index->size(), 3u);  // Plus the admin's name.
  EXPECT_EQ(index->Check("mongose").verdict, Verdict::kClean);
  EXPECT_GT(index->MemoryBytes(), 0u);
}

TEST(TyposquatTest, RejectsBadNamesAndIgnoresEmptyCandidates) {
  EXPECT_EQ(BuildIndex({{"", 5}}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildIndex({{"@scope", 5}}).status().code(), absl::StatusCode::kInvalidArgument);
  auto index = WorldIndex();
  EXPECT_EQ(index->Check("").verdict, Verdict::kClean);
  EXPECT_EQ(index->Check("@").verdict, Verdict::kClean);
  EXPECT_EQ(index->Check(std::string(300, 'a')).verdict, Verdict::kClean);
}

TEST(NameFormsTest, Forms) {
  EXPECT_EQ(in::StripPunctuation("cross-env.js_x"), "crossenvjsx");
  EXPECT_EQ(in::FoldConfusables("rnvvcl10i"), "mwdlol");
  EXPECT_EQ(in::Squeeze("expresss"), "expres");
  EXPECT_EQ(in::SortedWords("react-dom"), "dom-react");
  EXPECT_EQ(in::SortedWords("react"), "");
  EXPECT_EQ(in::StripVersionSuffix("react-2"), "react");
  EXPECT_EQ(in::StripVersionSuffix("vue-v3"), "vue");
  EXPECT_EQ(in::StripVersionSuffix("lodash"), "");
  auto cores = in::AffixCores("node-sqlite.js");
  EXPECT_NE(std::find(cores.begin(), cores.end(), "sqlite"), cores.end());
  cores = in::AffixCores("nodemon");
  EXPECT_EQ(std::find(cores.begin(), cores.end(), "mon"), cores.end());
  EXPECT_TRUE(in::KeyboardAdjacent('s', 'd'));
  EXPECT_TRUE(in::KeyboardAdjacent('w', 's'));
  EXPECT_FALSE(in::KeyboardAdjacent('a', 'p'));
  EXPECT_EQ(in::BoundedOsaDistance("lodash", "lodahs", 2), 1);
  EXPECT_EQ(in::BoundedOsaDistance("kitten", "sitting", 2), 3);
}

TEST(PopularityTsvTest, PlainWithHeader) {
  auto names = ParsePopularityTsv("name\tdownloads_a_month\nlodash\t10\r\n\nreact\t5\n");
  ASSERT_TRUE(names.ok()) << names.status();
  ASSERT_EQ(names->size(), 2u);
  EXPECT_EQ((*names)[0].name, "lodash");
  EXPECT_EQ((*names)[1].downloads, 5u);
}

TEST(PopularityTsvTest, MalformedLineIsNamed) {
  auto names = ParsePopularityTsv("lodash\t10\nreact\tlots\n");
  EXPECT_EQ(names.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(names.status().message().find("line 2"), std::string_view::npos);
  EXPECT_FALSE(ParsePopularityTsv("lodash 10\n").ok());
}

std::string Gzip(std::string_view plain) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(plain.size() + 128, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(PopularityTsvTest, Gzip) {
  std::string gz = Gzip("lodash\t10\nreact\t5\n");
  auto names = ParsePopularityTsv(gz);
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(names->size(), 2u);
  auto truncated = ParsePopularityTsv(std::string_view(gz).substr(0, gz.size() / 2));
  EXPECT_EQ(truncated.status().code(), absl::StatusCode::kInvalidArgument);
}

// --- The labelled corpus against the real popularity list -------------------------------------

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Pair {
  std::string name, other, source;
};

std::vector<Pair> ReadPairs(const std::string& path) {
  std::vector<Pair> out;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = StrSplit(line, '\t');
    if (f.size() < 3) continue;
    out.push_back({std::string(f[0]), std::string(f[1]), std::string(f[2])});
  }
  return out;
}

TEST(TyposquatCorpusTest, RecallAndFalsePositives) {
  std::string pop = ReadFile(TYPOSQUAT_POPULARITY_FILE);
  ASSERT_FALSE(pop.empty()) << "cannot read " << TYPOSQUAT_POPULARITY_FILE
                            << " (shared/ must sit beside the checkout)";
  auto names = ParsePopularityTsv(pop);
  ASSERT_TRUE(names.ok()) << names.status();
  std::vector<Pair> squats = ReadPairs(StrCat(TYPOSQUAT_CORPUS_DIR, "/squats.tsv"));
  std::vector<Pair> legit = ReadPairs(StrCat(TYPOSQUAT_CORPUS_DIR, "/legit.tsv"));
  ASSERT_GE(squats.size(), 60u);
  ASSERT_GE(legit.size(), 150u);

  // Squats are checked as first publishes: their own entries (some still sit in the list with
  // a few thousand downloads) are removed, as they would not exist yet.
  std::set<std::string> squat_names;
  for (const Pair& p : squats) squat_names.insert(p.name);
  std::vector<PopularName> world;
  absl::flat_hash_map<std::string, uint64_t> downloads;
  for (PopularName& n : *names) {
    downloads[n.name] = n.downloads;
    if (!squat_names.contains(n.name)) world.push_back(std::move(n));
  }
  auto index = BuildIndex(std::move(world));
  ASSERT_TRUE(index.ok()) << index.status();

  // Recall: a squat counts as caught when the verdict is warn, hold or block AND a match names
  // the package it imitates.
  int caught = 0, incidents = 0, incidents_caught = 0;
  for (const Pair& p : squats) {
    Result r = (*index)->Check(p.name);
    // For a scoped target, a match anywhere in its scope counts: the scope is what is imitated
    // ("@typescript_eslinter/eslint" is reported against the scope's most used package).
    bool named = Find(r, p.other) != nullptr;
    if (!named && p.other[0] == '@') {
      std::string scope = p.other.substr(0, p.other.find('/') + 1);
      for (const Match& m : r.matches) named = named || StartsWith(m.target, scope);
    }
    bool ok = r.verdict != Verdict::kClean && named;
    caught += ok;
    bool synthetic = StartsWith(p.source, "synthetic");
    incidents += !synthetic;
    incidents_caught += ok && !synthetic;
    if (!ok) {
      std::printf("  missed squat %s -> %s (verdict %s, %zu matches)\n", p.name.c_str(),
                  p.other.c_str(), std::string(VerdictName(r.verdict)).c_str(), r.matches.size());
    }
  }
  // False positives: a legitimate name (checked with its real downloads) with ANY verdict
  // other than clean; hold/block alone are reported too.
  std::set<std::string> legit_names;
  for (const Pair& p : legit) {
    legit_names.insert(p.name);
    if (StartsWith(p.source, "mined")) legit_names.insert(p.other);
  }
  int checked = 0, flagged = 0, held = 0;
  for (const std::string& name : legit_names) {
    auto it = downloads.find(name);
    if (it == downloads.end()) continue;
    Context ctx;
    ctx.candidate_downloads = it->second;
    Result r = (*index)->Check(name, ctx);
    ++checked;
    flagged += r.verdict != Verdict::kClean;
    held += r.verdict >= Verdict::kHold;
    if (r.verdict != Verdict::kClean) std::printf("  flagged legit %s\n", name.c_str());
  }
  double recall = static_cast<double>(caught) / squats.size();
  double fpr = static_cast<double>(flagged) / checked;
  std::printf("squats: %d/%zu caught, recall %.1f%% (incidents %d/%d)\n", caught, squats.size(),
              100 * recall, incidents_caught, incidents);
  std::printf("legit: %d names, %d flagged (FPR %.2f%%), %d held or blocked\n", checked, flagged,
              100 * fpr, held);
  EXPECT_GE(recall, 0.95);
  EXPECT_LE(fpr, 0.01);
}

}  // namespace
}  // namespace bulwark::typosquat
