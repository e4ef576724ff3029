#include "security/advisories/cvss.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/strings.h"

namespace bulwark::advisories {
namespace {

// Roundup as defined in CVSS v3.1 Appendix A: on integers, so that 4.000000000001 is not
// rounded up to 4.1 by floating-point noise. v3.0 defined it as ceil(x * 10) / 10.
double Roundup31(double x) {
  int64_t i = static_cast<int64_t>(std::llround(x * 100000));
  if (i % 10000 == 0) return static_cast<double>(i) / 100000.0;
  return static_cast<double>(i / 10000 + 1) / 10.0;
}
double Roundup30(double x) { return std::ceil(x * 10) / 10; }

}  // namespace

absl::StatusOr<double> CvssV3BaseScore(std::string_view vector) {
  bool v31;
  if (ConsumePrefix(&vector, "CVSS:3.1/")) {
    v31 = true;
  } else if (ConsumePrefix(&vector, "CVSS:3.0/")) {
    v31 = false;
  } else {
    return absl::InvalidArgumentError("not a CVSS v3 vector (expected a CVSS:3.x/ prefix)");
  }
  std::map<std::string, std::string, std::less<>> m;
  for (std::string_view part : StrSplit(vector, '/')) {
    size_t colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == part.size()) {
      return absl::InvalidArgumentError(StrCat("malformed CVSS metric: ", part));
    }
    if (!m.emplace(std::string(part.substr(0, colon)), std::string(part.substr(colon + 1)))
             .second) {
      return absl::InvalidArgumentError(StrCat("repeated CVSS metric: ", part.substr(0, colon)));
    }
  }
  auto value = [&](std::string_view metric,
                   std::initializer_list<std::pair<std::string_view, double>> table)
      -> absl::StatusOr<double> {
    auto it = m.find(metric);
    if (it == m.end()) return absl::InvalidArgumentError(StrCat("missing CVSS metric ", metric));
    for (const auto& [k, v] : table) {
      if (it->second == k) return v;
    }
    return absl::InvalidArgumentError(StrCat("bad CVSS value ", metric, ":", it->second));
  };
  BULWARK_ASSIGN_OR_RETURN(double scope_changed, value("S", {{"U", 0}, {"C", 1}}));
  const bool changed = scope_changed != 0;
  BULWARK_ASSIGN_OR_RETURN(double av, value("AV", {{"N", 0.85}, {"A", 0.62}, {"L", 0.55},
                                                   {"P", 0.2}}));
  BULWARK_ASSIGN_OR_RETURN(double ac, value("AC", {{"L", 0.77}, {"H", 0.44}}));
  // Privileges weigh more when the scope changes (§7.4).
  BULWARK_ASSIGN_OR_RETURN(double pr, value("PR", {{"N", 0.85}, {"L", changed ? 0.68 : 0.62},
                                                   {"H", changed ? 0.5 : 0.27}}));
  BULWARK_ASSIGN_OR_RETURN(double ui, value("UI", {{"N", 0.85}, {"R", 0.62}}));
  BULWARK_ASSIGN_OR_RETURN(double c, value("C", {{"H", 0.56}, {"L", 0.22}, {"N", 0}}));
  BULWARK_ASSIGN_OR_RETURN(double i, value("I", {{"H", 0.56}, {"L", 0.22}, {"N", 0}}));
  BULWARK_ASSIGN_OR_RETURN(double a, value("A", {{"H", 0.56}, {"L", 0.22}, {"N", 0}}));

  const double iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const double impact =
      changed ? 7.52 * (iss - 0.029) - 3.25 * std::pow(iss - 0.02, 15) : 6.42 * iss;
  const double exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0.0;
  const double raw = changed ? std::min(1.08 * (impact + exploitability), 10.0)
                             : std::min(impact + exploitability, 10.0);
  return v31 ? Roundup31(raw) : Roundup30(raw);
}

namespace {
// ---- CVSS v4.0 (https://www.first.org/cvss/v4.0/specification-document).

// The metrics in the order §7 (Table 23) requires, with the values each may take. The first 11
// are the mandatory base metrics; the rest default to X ("Not Defined").
enum V4Metric {
  // clang-format off
  kAV, kAC, kAT, kPR, kUI, kVC, kVI, kVA, kSC, kSI, kSA,                            // Base.
  kE,                                                                               // Threat.
  kCR, kIR, kAR, kMAV, kMAC, kMAT, kMPR, kMUI, kMVC, kMVI, kMVA, kMSC, kMSI, kMSA,  // Env.
  kS, kAU, kR, kV, kRE, kU,                                                         // Suppl.
  // clang-format on
  kV4MetricCount
};
constexpr int kV4BaseCount = kSA + 1;
constexpr int kV4ModifiedOffset = kMAV - kAV;  // M<metric> = <metric> + this, for AV..SA.

struct V4MetricDef {
  std::string_view name;
  std::array<std::string_view, 5> values;  // Unused slots are empty.
};
constexpr std::array<V4MetricDef, kV4MetricCount> kV4Metrics = {{
    {"AV", {"N", "A", "L", "P"}},
    {"AC", {"L", "H"}},
    {"AT", {"N", "P"}},
    {"PR", {"N", "L", "H"}},
    {"UI", {"N", "P", "A"}},
    {"VC", {"H", "L", "N"}},
    {"VI", {"H", "L", "N"}},
    {"VA", {"H", "L", "N"}},
    {"SC", {"H", "L", "N"}},
    {"SI", {"H", "L", "N"}},
    {"SA", {"H", "L", "N"}},
    {"E", {"X", "A", "P", "U"}},
    {"CR", {"X", "H", "M", "L"}},
    {"IR", {"X", "H", "M", "L"}},
    {"AR", {"X", "H", "M", "L"}},
    {"MAV", {"X", "N", "A", "L", "P"}},
    {"MAC", {"X", "L", "H"}},
    {"MAT", {"X", "N", "P"}},
    {"MPR", {"X", "N", "L", "H"}},
    {"MUI", {"X", "N", "P", "A"}},
    {"MVC", {"X", "H", "L", "N"}},
    {"MVI", {"X", "H", "L", "N"}},
    {"MVA", {"X", "H", "L", "N"}},
    {"MSC", {"X", "H", "L", "N"}},
    {"MSI", {"X", "S", "H", "L", "N"}},
    {"MSA", {"X", "S", "H", "L", "N"}},
    {"S", {"X", "N", "P"}},
    {"AU", {"X", "N", "Y"}},
    {"R", {"X", "A", "U", "I"}},
    {"V", {"X", "D", "C"}},
    {"RE", {"X", "L", "M", "H"}},
    {"U", {"X", "Clear", "Green", "Amber", "Red"}},
}};

// The score of each MacroVector, keyed by its EQ1..EQ6 levels, sorted. Numeric data of the
// standard, transcribed from FIRST's reference calculator (cvss-v4-calculator, cvss_lookup.js
// and cvss40.js; the same table is in the ae-cvss-calculator npm package, which the
// differential test uses). 3*2*3*3*3*2 combinations less the 54 with EQ3=2, EQ6=0,
// which cannot occur.
struct MacroScore {
  std::string_view code;
  double score;
};
constexpr MacroScore kV4MacroScores[] = {
    {"000000", 10.0}, {"000001", 9.9}, {"000010", 9.8}, {"000011", 9.5}, {"000020", 9.5},
    {"000021", 9.2}, {"000100", 10.0}, {"000101", 9.6}, {"000110", 9.3}, {"000111", 8.7},
    {"000120", 9.1}, {"000121", 8.1}, {"000200", 9.3}, {"000201", 9.0}, {"000210", 8.9},
    {"000211", 8.0}, {"000220", 8.1}, {"000221", 6.8}, {"001000", 9.8}, {"001001", 9.5},
    {"001010", 9.5}, {"001011", 9.2}, {"001020", 9.0}, {"001021", 8.4}, {"001100", 9.3},
    {"001101", 9.2}, {"001110", 8.9}, {"001111", 8.1}, {"001120", 8.1}, {"001121", 6.5},
    {"001200", 8.8}, {"001201", 8.0}, {"001210", 7.8}, {"001211", 7.0}, {"001220", 6.9},
    {"001221", 4.8}, {"002001", 9.2}, {"002011", 8.2}, {"002021", 7.2}, {"002101", 7.9},
    {"002111", 6.9}, {"002121", 5.0}, {"002201", 6.9}, {"002211", 5.5}, {"002221", 2.7},
    {"010000", 9.9}, {"010001", 9.7}, {"010010", 9.5}, {"010011", 9.2}, {"010020", 9.2},
    {"010021", 8.5}, {"010100", 9.5}, {"010101", 9.1}, {"010110", 9.0}, {"010111", 8.3},
    {"010120", 8.4}, {"010121", 7.1}, {"010200", 9.2}, {"010201", 8.1}, {"010210", 8.2},
    {"010211", 7.1}, {"010220", 7.2}, {"010221", 5.3}, {"011000", 9.5}, {"011001", 9.3},
    {"011010", 9.2}, {"011011", 8.5}, {"011020", 8.5}, {"011021", 7.3}, {"011100", 9.2},
    {"011101", 8.2}, {"011110", 8.0}, {"011111", 7.2}, {"011120", 7.0}, {"011121", 5.9},
    {"011200", 8.4}, {"011201", 7.0}, {"011210", 7.1}, {"011211", 5.2}, {"011220", 5.0},
    {"011221", 3.0}, {"012001", 8.6}, {"012011", 7.5}, {"012021", 5.2}, {"012101", 7.1},
    {"012111", 5.2}, {"012121", 2.9}, {"012201", 6.3}, {"012211", 2.9}, {"012221", 1.7},
    {"100000", 9.8}, {"100001", 9.5}, {"100010", 9.4}, {"100011", 8.7}, {"100020", 9.1},
    {"100021", 8.1}, {"100100", 9.4}, {"100101", 8.9}, {"100110", 8.6}, {"100111", 7.4},
    {"100120", 7.7}, {"100121", 6.4}, {"100200", 8.7}, {"100201", 7.5}, {"100210", 7.4},
    {"100211", 6.3}, {"100220", 6.3}, {"100221", 4.9}, {"101000", 9.4}, {"101001", 8.9},
    {"101010", 8.8}, {"101011", 7.7}, {"101020", 7.6}, {"101021", 6.7}, {"101100", 8.6},
    {"101101", 7.6}, {"101110", 7.4}, {"101111", 5.8}, {"101120", 5.9}, {"101121", 5.0},
    {"101200", 7.2}, {"101201", 5.7}, {"101210", 5.7}, {"101211", 5.2}, {"101220", 5.2},
    {"101221", 2.5}, {"102001", 8.3}, {"102011", 7.0}, {"102021", 5.4}, {"102101", 6.5},
    {"102111", 5.8}, {"102121", 2.6}, {"102201", 5.3}, {"102211", 2.1}, {"102221", 1.3},
    {"110000", 9.5}, {"110001", 9.0}, {"110010", 8.8}, {"110011", 7.6}, {"110020", 7.6},
    {"110021", 7.0}, {"110100", 9.0}, {"110101", 7.7}, {"110110", 7.5}, {"110111", 6.2},
    {"110120", 6.1}, {"110121", 5.3}, {"110200", 7.7}, {"110201", 6.6}, {"110210", 6.8},
    {"110211", 5.9}, {"110220", 5.2}, {"110221", 3.0}, {"111000", 8.9}, {"111001", 7.8},
    {"111010", 7.6}, {"111011", 6.7}, {"111020", 6.2}, {"111021", 5.8}, {"111100", 7.4},
    {"111101", 5.9}, {"111110", 5.7}, {"111111", 5.7}, {"111120", 4.7}, {"111121", 2.3},
    {"111200", 6.1}, {"111201", 5.2}, {"111210", 5.7}, {"111211", 2.9}, {"111220", 2.4},
    {"111221", 1.6}, {"112001", 7.1}, {"112011", 5.9}, {"112021", 3.0}, {"112101", 5.8},
    {"112111", 2.6}, {"112121", 1.5}, {"112201", 2.3}, {"112211", 1.3}, {"112221", 0.6},
    {"200000", 9.3}, {"200001", 8.7}, {"200010", 8.6}, {"200011", 7.2}, {"200020", 7.5},
    {"200021", 5.8}, {"200100", 8.6}, {"200101", 7.4}, {"200110", 7.4}, {"200111", 6.1},
    {"200120", 5.6}, {"200121", 3.4}, {"200200", 7.0}, {"200201", 5.4}, {"200210", 5.2},
    {"200211", 4.0}, {"200220", 4.0}, {"200221", 2.2}, {"201000", 8.5}, {"201001", 7.5},
    {"201010", 7.4}, {"201011", 5.5}, {"201020", 6.2}, {"201021", 5.1}, {"201100", 7.2},
    {"201101", 5.7}, {"201110", 5.5}, {"201111", 4.1}, {"201120", 4.6}, {"201121", 1.9},
    {"201200", 5.3}, {"201201", 3.6}, {"201210", 3.4}, {"201211", 1.9}, {"201220", 1.9},
    {"201221", 0.8}, {"202001", 6.4}, {"202011", 5.1}, {"202021", 2.0}, {"202101", 4.7},
    {"202111", 2.1}, {"202121", 1.1}, {"202201", 2.4}, {"202211", 0.9}, {"202221", 0.4},
    {"210000", 8.8}, {"210001", 7.5}, {"210010", 7.3}, {"210011", 5.3}, {"210020", 6.0},
    {"210021", 5.0}, {"210100", 7.3}, {"210101", 5.5}, {"210110", 5.9}, {"210111", 4.0},
    {"210120", 4.1}, {"210121", 2.0}, {"210200", 5.4}, {"210201", 4.3}, {"210210", 4.5},
    {"210211", 2.2}, {"210220", 2.0}, {"210221", 1.1}, {"211000", 7.5}, {"211001", 5.5},
    {"211010", 5.8}, {"211011", 4.5}, {"211020", 4.0}, {"211021", 2.1}, {"211100", 6.1},
    {"211101", 5.1}, {"211110", 4.8}, {"211111", 1.8}, {"211120", 2.0}, {"211121", 0.9},
    {"211200", 4.6}, {"211201", 1.8}, {"211210", 1.7}, {"211211", 0.7}, {"211220", 0.8},
    {"211221", 0.2}, {"212001", 5.3}, {"212011", 2.4}, {"212021", 1.4}, {"212101", 2.4},
    {"212111", 1.2}, {"212121", 0.5}, {"212201", 1.0}, {"212211", 0.3}, {"212221", 0.1},
};
static_assert(sizeof(kV4MacroScores) / sizeof(kV4MacroScores[0]) == 270);

// NaN when the MacroVector does not exist (an EQ past its lowest level).
double MacroScoreOf(int eq1, int eq2, int eq3, int eq4, int eq5, int eq6) {
  const char digits[] = {static_cast<char>('0' + eq1), static_cast<char>('0' + eq2),
                         static_cast<char>('0' + eq3), static_cast<char>('0' + eq4),
                         static_cast<char>('0' + eq5), static_cast<char>('0' + eq6)};
  const std::string_view code(digits, sizeof(digits));
  const auto* end = std::end(kV4MacroScores);
  const auto* it = std::lower_bound(std::begin(kV4MacroScores), end, code,
                                    [](const MacroScore& m, std::string_view c) {
                                      return m.code < c;
                                    });
  if (it == end || it->code != code) return std::nan("");
  return it->score;
}

// The highest-severity vectors of each EQ level (FIRST's max_composed.js), as
// "metric:value" lists; EQ3 and EQ6 are taken together.
using MaxList = std::vector<std::string_view>;
const MaxList& MaxEq1(int eq) {
  static const MaxList k[] = {{"AV:N/PR:N/UI:N"},
                              {"AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"},
                              {"AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"}};
  return k[eq];
}
const MaxList& MaxEq2(int eq) {
  static const MaxList k[] = {{"AC:L/AT:N"}, {"AC:H/AT:N", "AC:L/AT:P"}};
  return k[eq];
}
const MaxList& MaxEq3Eq6(int eq3, int eq6) {
  static const MaxList k[3][2] = {
      {{"VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"},
       {"VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M"}},
      {{"VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H"},
       {"VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
        "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
        "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"}},
      {{}, {"VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"}}};
  return k[eq3][eq6];
}
const MaxList& MaxEq4(int eq) {
  static const MaxList k[] = {{"SC:H/SI:S/SA:S"}, {"SC:H/SI:H/SA:H"}, {"SC:L/SI:L/SA:L"}};
  return k[eq];
}
const MaxList& MaxEq5(int eq) {
  static const MaxList k[] = {{"E:A"}, {"E:P"}, {"E:U"}};
  return k[eq];
}

// The depth of each MacroVector in severity steps, plus one (FIRST's max_severity.js).
constexpr int kMaxSeverityEq1[] = {1, 4, 5};
constexpr int kMaxSeverityEq2[] = {1, 2};
constexpr int kMaxSeverityEq3Eq6[3][2] = {{7, 6}, {8, 8}, {0, 10}};
constexpr int kMaxSeverityEq4[] = {6, 5, 4};

// The metrics whose severity distance counts, in the order the reference sums them, and the
// level of each value (0 is the most severe).
constexpr V4Metric kDistanceMetrics[] = {kAV, kPR, kUI, kAC, kAT, kVC, kVI, kVA,
                                         kSC, kSI, kSA, kCR, kIR, kAR, kE};
double Level(V4Metric m, std::string_view v) {
  switch (m) {
    case kAV:
      return v == "N" ? 0.0 : v == "A" ? 0.1 : v == "L" ? 0.2 : 0.3;
    case kPR:
    case kUI:  // N, then L / P, then H / A.
      return v == "N" ? 0.0 : (v == "L" || v == "P") ? 0.1 : 0.2;
    case kAC:
      return v == "L" ? 0.0 : 0.1;
    case kAT:
      return v == "N" ? 0.0 : 0.1;
    case kVC:
    case kVI:
    case kVA:
      return v == "H" ? 0.0 : v == "L" ? 0.1 : 0.2;
    case kSC:
    case kSI:
    case kSA:
      return v == "S" ? 0.0 : v == "H" ? 0.1 : v == "L" ? 0.2 : 0.3;
    case kCR:
    case kIR:
    case kAR:
      return v == "H" ? 0.0 : v == "M" ? 0.1 : 0.2;
    case kE:
      return v == "A" ? 0.0 : v == "P" ? 0.1 : 0.2;
    default:
      return 0.0;
  }
}

// FIRST's calculator (cvss40.js, roundToDecimalPlaces): Math.round((x + 1e-6) * 10) / 10,
// halves rounding up; the epsilon makes 8.55 computed as 8.549999... round to 8.6.
double RoundOneDecimal(double x) {
  const double y = (x + std::pow(10.0, -6)) * 10;
  double r = std::floor(y);
  if (y - r >= 0.5) r += 1;
  return r / 10;
}

}  // namespace

absl::StatusOr<double> CvssV4Score(std::string_view vector) {
  if (!ConsumePrefix(&vector, "CVSS:4.0/")) {
    return absl::InvalidArgumentError("not a CVSS v4.0 vector (expected a CVSS:4.0/ prefix)");
  }
  std::array<std::string_view, kV4MetricCount> value;
  value.fill("X");
  std::array<bool, kV4MetricCount> seen{};
  int next = 0;  // Metrics must come in Table 23's order.
  for (std::string_view part : StrSplit(vector, '/')) {
    const size_t colon = part.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == part.size()) {
      return absl::InvalidArgumentError(StrCat("malformed CVSS metric: ", part));
    }
    const std::string_view name = part.substr(0, colon);
    const std::string_view v = part.substr(colon + 1);
    int m = 0;
    while (m < kV4MetricCount && kV4Metrics[m].name != name) ++m;
    if (m == kV4MetricCount) {
      return absl::InvalidArgumentError(StrCat("unknown CVSS v4.0 metric: ", name));
    }
    if (seen[m]) return absl::InvalidArgumentError(StrCat("repeated CVSS metric: ", name));
    if (m < next) {
      return absl::InvalidArgumentError(
          StrCat("CVSS v4.0 metric ", name, " is out of order (after ", kV4Metrics[next - 1].name,
                 ")"));
    }
    if (m >= kV4BaseCount) {
      for (int b = 0; b < kV4BaseCount; ++b) {
        if (!seen[b]) {
          return absl::InvalidArgumentError(StrCat("missing CVSS metric ", kV4Metrics[b].name));
        }
      }
    }
    const auto& allowed = kV4Metrics[m].values;
    if (v.empty() || std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      return absl::InvalidArgumentError(StrCat("bad CVSS value ", name, ":", v));
    }
    seen[m] = true;
    value[m] = v;
    next = m + 1;
  }
  for (int b = 0; b < kV4BaseCount; ++b) {
    if (!seen[b]) {
      return absl::InvalidArgumentError(StrCat("missing CVSS metric ", kV4Metrics[b].name));
    }
  }

  // The value a metric takes in the score (§8.2): a modified base metric replaces the base
  // one; an undefined E counts as A (Attacked), undefined CR/IR/AR as H.
  auto eff = [&](V4Metric m) -> std::string_view {
    const std::string_view v = value[m];
    if (m == kE) return v == "X" ? "A" : v;
    if (m == kCR || m == kIR || m == kAR) return v == "X" ? "H" : v;
    if (m < kV4BaseCount && value[m + kV4ModifiedOffset] != "X") {
      return value[m + kV4ModifiedOffset];
    }
    return v;
  };

  bool no_impact = true;
  for (V4Metric m : {kVC, kVI, kVA, kSC, kSI, kSA}) no_impact = no_impact && eff(m) == "N";
  if (no_impact) return 0.0;

  // The MacroVector (§8.1, Table 24).
  const std::string_view av = eff(kAV), pr = eff(kPR), ui = eff(kUI);
  const int eq1 = (av == "N" && pr == "N" && ui == "N")                      ? 0
                  : ((av == "N" || pr == "N" || ui == "N") && av != "P") ? 1
                                                                             : 2;
  const int eq2 = (eff(kAC) == "L" && eff(kAT) == "N") ? 0 : 1;
  const std::string_view vc = eff(kVC), vi = eff(kVI), va = eff(kVA);
  const int eq3 = (vc == "H" && vi == "H")                ? 0
                  : (vc == "H" || vi == "H" || va == "H") ? 1
                                                          : 2;
  const int eq4 = (value[kMSI] == "S" || value[kMSA] == "S")                      ? 0
                  : (eff(kSC) == "H" || eff(kSI) == "H" || eff(kSA) == "H") ? 1
                                                                                : 2;
  const std::string_view e = eff(kE);
  const int eq5 = e == "A" ? 0 : e == "P" ? 1 : 2;
  const int eq6 = ((eff(kCR) == "H" && vc == "H") || (eff(kIR) == "H" && vi == "H") ||
                   (eff(kAR) == "H" && va == "H"))
                      ? 0
                      : 1;

  const double score = MacroScoreOf(eq1, eq2, eq3, eq4, eq5, eq6);
  if (std::isnan(score)) return absl::InternalError("CVSS v4.0 MacroVector missing from table");

  // The scores of the next lower MacroVector along each EQ (NaN where there is none). EQ3 and
  // EQ6 move together; from 00 either 01 or 10 is next, and the higher one counts.
  const double lower_eq1 = MacroScoreOf(eq1 + 1, eq2, eq3, eq4, eq5, eq6);
  const double lower_eq2 = MacroScoreOf(eq1, eq2 + 1, eq3, eq4, eq5, eq6);
  double lower_eq3eq6;
  if (eq3 == 0 && eq6 == 0) {
    const double left = MacroScoreOf(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
    const double right = MacroScoreOf(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
    lower_eq3eq6 = (std::isnan(left) || std::isnan(right)) ? std::nan("") : std::max(left, right);
  } else if (eq3 == 1 && eq6 == 0) {
    lower_eq3eq6 = MacroScoreOf(eq1, eq2, eq3, eq4, eq5, eq6 + 1);
  } else if (eq6 == 1 && eq3 < 2) {
    lower_eq3eq6 = MacroScoreOf(eq1, eq2, eq3 + 1, eq4, eq5, eq6);
  } else {
    lower_eq3eq6 = MacroScoreOf(eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1);  // Never exists.
  }
  const double lower_eq4 = MacroScoreOf(eq1, eq2, eq3, eq4 + 1, eq5, eq6);
  const double lower_eq5 = MacroScoreOf(eq1, eq2, eq3, eq4, eq5 + 1, eq6);

  // The severity distance from the first of the MacroVector's highest-severity vectors (in
  // EQ1, EQ2, EQ3+EQ6, EQ4, EQ5 order) that is at least as severe as the vector in every metric.
  std::array<double, kV4MetricCount> distance{};
  auto try_max = [&](std::initializer_list<std::string_view> parts) {
    std::array<std::string_view, kV4MetricCount> max_value;
    for (std::string_view p : parts) {
      for (std::string_view kv : StrSplit(p, '/')) {
        const size_t colon = kv.find(':');
        const std::string_view name = kv.substr(0, colon);
        for (int m = 0; m < kV4MetricCount; ++m) {
          if (kV4Metrics[m].name == name) max_value[m] = kv.substr(colon + 1);
        }
      }
    }
    for (V4Metric m : kDistanceMetrics) {
      distance[m] = Level(m, eff(m)) - Level(m, max_value[m]);
      if (distance[m] < 0) return false;
    }
    return true;
  };
  bool found = false;
  for (std::string_view m1 : MaxEq1(eq1)) {
    for (std::string_view m2 : MaxEq2(eq2)) {
      for (std::string_view m36 : MaxEq3Eq6(eq3, eq6)) {
        for (std::string_view m4 : MaxEq4(eq4)) {
          for (std::string_view m5 : MaxEq5(eq5)) {
            if (!found) found = try_max({m1, m2, m36, m4, m5});
          }
        }
      }
    }
  }
  // The reference keeps the last candidate's distances when none fits; the MacroVectors are
  // built so that one always does.
  const double d_eq1 = distance[kAV] + distance[kPR] + distance[kUI];
  const double d_eq2 = distance[kAC] + distance[kAT];
  const double d_eq3eq6 = distance[kVC] + distance[kVI] + distance[kVA] + distance[kCR] +
                          distance[kIR] + distance[kAR];
  const double d_eq4 = distance[kSC] + distance[kSI] + distance[kSA];

  constexpr double kStep = 0.1;
  int n_lower = 0;
  double sum = 0;
  auto add = [&](double lower, double current_distance, double max_severity) {
    const double available = score - lower;
    if (std::isnan(available)) return;
    ++n_lower;
    sum += available * (current_distance / max_severity);
  };
  add(lower_eq1, d_eq1, kMaxSeverityEq1[eq1] * kStep);
  add(lower_eq2, d_eq2, kMaxSeverityEq2[eq2] * kStep);
  add(lower_eq3eq6, d_eq3eq6, kMaxSeverityEq3Eq6[eq3][eq6] * kStep);
  add(lower_eq4, d_eq4, kMaxSeverityEq4[eq4] * kStep);
  if (!std::isnan(score - lower_eq5)) ++n_lower;  // EQ5's proportion is always 0.
  const double mean = n_lower == 0 ? 0 : sum / n_lower;
  return RoundOneDecimal(std::max(0.0, std::min(10.0, score - mean)));
}

std::string_view CvssLevel(double score) {
  if (score <= 0) return "none";
  if (score < 4.0) return "low";
  if (score < 7.0) return "medium";
  if (score < 9.0) return "high";
  return "critical";
}

}  // namespace bulwark::advisories
