// Scanner benchmark (issue 4, "Measured quality"). Reads the cache that bench/scan/fetch.sh
// fills (names.txt in popularity order, index.tsv name -> tarball) and scans every tarball
// once, single-threaded, printing:
//   - false positives: share held (or rejected), which of the top 100, share with any warning;
//   - speed per tarball (read + gunzip/untar under the core's limits + scan): p50, p99, max;
//   - engine throughput: unpacked bytes through the rule and secret engines per CPU second;
//   - the corpus size.
// Usage: scan_bench CACHE_DIR [--list] (--list prints every held or warned package's rules).

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/strings.h"
#include "security/scan/scanner.h"

using namespace bulwark;

namespace {

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: scan_bench CACHE_DIR [--list]\n");
    return 2;
  }
  std::string cache = argv[1];
  bool list = argc > 2 && std::string(argv[2]) == "--list";
  std::vector<std::string> names;
  {
    std::ifstream in(cache + "/names.txt");
    for (std::string line; std::getline(in, line);) if (!line.empty()) names.push_back(line);
  }
  std::map<std::string, std::string> files;
  {
    std::ifstream in(cache + "/index.tsv");
    for (std::string line; std::getline(in, line);) {
      auto tab = line.find('\t');
      if (tab != std::string::npos) files[line.substr(0, tab)] = line.substr(tab + 1);
    }
  }
  scan::ScannerOptions options;
  if (const char* m = std::getenv("SCAN_BENCH_MAX_PARSE")) options.max_parse_bytes = std::strtoull(m, nullptr, 10);
  auto scanner = scan::Scanner::Create(options);
  if (!scanner.ok()) {
    std::fprintf(stderr, "scan_bench: %s\n", std::string(scanner.status().message()).c_str());
    return 2;
  }

  std::vector<double> wall_ms;
  double engine_cpu = 0;
  std::uint64_t unpacked = 0, scanned_bytes = 0, compressed = 0, file_count = 0;
  int scanned = 0, held = 0, warned = 0, errors = 0, missing = 0, held_top100 = 0;
  std::map<std::string, int> rule_packages;  // rule id -> packages it appears in (warn or more)
  std::vector<std::string> held_list, warn_list;
  for (std::size_t rank = 0; rank < names.size(); ++rank) {
    const std::string& name = names[rank];
    auto it = files.find(name);
    if (it == files.end()) { ++missing; continue; }
    std::string tgz = ReadAll(cache + "/tarballs/" + it->second);
    if (tgz.empty()) { ++missing; continue; }
    compressed += tgz.size();
    auto t0 = std::chrono::steady_clock::now();
    auto contents = ReadTarball(tgz, scan::ScanTarballLimits());
    if (!contents.ok()) {
      ++errors;
      std::printf("  read error %s: %s\n", name.c_str(), std::string(contents.status().message()).c_str());
      continue;
    }
    double c0 = ThreadCpuSeconds();
    auto report = (*scanner)->Scan(scan::FilesOf(*contents));
    engine_cpu += ThreadCpuSeconds() - c0;
    wall_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (!report.ok()) {
      ++errors;
      std::printf("  scan error %s: %s\n", name.c_str(), std::string(report.status().message()).c_str());
      continue;
    }
    ++scanned;
    unpacked += contents->unpacked_size;
    scanned_bytes += report->bytes_scanned;
    file_count += contents->files.size();
    std::set<std::string> rules;
    for (const auto& f : report->findings) {
      if (f.suggests >= scan::Verdict::kWarn) rules.insert(f.rule_id);
    }
    for (const auto& r : rules) ++rule_packages[r];
    std::string line = StrCat("#", rank + 1, " ", name, ": ", StrJoin(rules, ", "));
    if (report->verdict >= scan::Verdict::kHold) {
      ++held;
      if (rank < 100) ++held_top100;
      held_list.push_back(line);
    } else if (report->verdict == scan::Verdict::kWarn) {
      ++warned;
      warn_list.push_back(line);
    }
  }

  double mb = static_cast<double>(scanned_bytes) / 1e6;
  std::printf("\n== Scanner benchmark: latest versions of the top %zu npm packages ==\n", names.size());
  std::printf("corpus: %d tarballs scanned (%d not fetched, %d unreadable), %.1f MB compressed, "
              "%.1f MB unpacked in %llu files, %.1f MB through the engines\n",
              scanned, missing, errors, static_cast<double>(compressed) / 1e6,
              static_cast<double>(unpacked) / 1e6, static_cast<unsigned long long>(file_count), mb);
  double held_pct = scanned ? 100.0 * held / scanned : 0;
  double warn_pct = scanned ? 100.0 * (held + warned) / scanned : 0;
  std::printf("held or rejected: %d (%.2f%%; target <= 1%%) %s\n", held, held_pct,
              held_pct <= 1.0 ? "PASS" : "FAIL");
  std::printf("held in the top 100: %d (target 0) %s\n", held_top100, held_top100 == 0 ? "PASS" : "FAIL");
  std::printf("any warning (warn or worse): %d (%.2f%%)\n", held + warned, warn_pct);
  double p50 = Percentile(wall_ms, 0.50), p99 = Percentile(wall_ms, 0.99);
  double max = wall_ms.empty() ? 0 : *std::max_element(wall_ms.begin(), wall_ms.end());
  std::printf("per tarball (read + unpack + scan): p50 %.2f ms (target < 50) %s, p99 %.1f ms "
              "(target < 1000) %s, max %.1f ms\n",
              p50, p50 < 50 ? "PASS" : "FAIL", p99, p99 < 1000 ? "PASS" : "FAIL", max);
  double rate = engine_cpu > 0 ? mb / engine_cpu : 0;
  std::printf("engine throughput: %.0f MB/s per core (%.1f MB in %.2f CPU s; target >= 200) %s\n",
              rate, mb, engine_cpu, rate >= 200 ? "PASS" : "FAIL");
  std::printf("rules firing (packages with the rule at warn or above):\n");
  for (const auto& [rule, n] : rule_packages) std::printf("  %-30s %d\n", rule.c_str(), n);
  std::printf("held:\n");
  for (const auto& l : held_list) std::printf("  %s\n", l.c_str());
  if (list) {
    std::printf("warned:\n");
    for (const auto& l : warn_list) std::printf("  %s\n", l.c_str());
  }
  return 0;
}
