// Typosquat engine benchmark (issue 3): accuracy on the labelled corpus, check latency against a
// 3.5-million-name registry, audit throughput, index memory.
//
//   typosquat_bench [--names N] [--samples N] [--threads N] [--audit-limit N]
//
// The registry is the real npm popularity list (227k names) plus generated names made from it
// (seeded, so every run sees the same corpus): suffixed and prefixed variants, word mixes,
// scoped copies and random one-letter edits, with long-tail download counts.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "base/strings.h"
#include "security/typosquat/typosquat.h"

namespace bulwark::typosquat {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (StartsWith(line, "VmRSS:")) {
      uint64_t kb = 0;
      SimpleAtoi(StripAsciiWhitespace(line.substr(6, line.size() - 6 - 3)), &kb);
      return kb * 1024;
    }
  }
  return 0;
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
    if (f.size() >= 3) out.push_back({std::string(f[0]), std::string(f[1]), std::string(f[2])});
  }
  return out;
}

bool Names(const Result& r, const std::string& target) {
  for (const Match& m : r.matches) {
    if (m.target == target) return true;
    if (target[0] == '@' && StartsWith(m.target, target.substr(0, target.find('/') + 1))) {
      return true;
    }
  }
  return false;
}

void Accuracy(const std::vector<PopularName>& real) {
  std::vector<Pair> squats = ReadPairs(StrCat(TYPOSQUAT_CORPUS_DIR, "/squats.tsv"));
  std::vector<Pair> legit = ReadPairs(StrCat(TYPOSQUAT_CORPUS_DIR, "/legit.tsv"));
  std::set<std::string> squat_names;
  for (const Pair& p : squats) squat_names.insert(p.name);
  absl::flat_hash_map<std::string, uint64_t> downloads;
  std::vector<PopularName> world;
  for (const PopularName& n : real) {
    downloads[n.name] = n.downloads;
    if (!squat_names.contains(n.name)) world.push_back(n);
  }
  auto index = BuildIndex(world);
  if (!index.ok()) {
    std::printf("build failed: %s\n", std::string(index.status().message()).c_str());
    return;
  }
  int tp = 0, tp_incident = 0, incidents = 0;
  for (const Pair& p : squats) {
    Result r = (*index)->Check(p.name);
    bool ok = r.verdict != Verdict::kClean && Names(r, p.other);
    tp += ok;
    if (!StartsWith(p.source, "synthetic")) {
      ++incidents;
      tp_incident += ok;
    }
  }
  std::set<std::string> legit_names;
  for (const Pair& p : legit) {
    legit_names.insert(p.name);
    if (StartsWith(p.source, "mined")) legit_names.insert(p.other);
  }
  int checked = 0, fp = 0, fp_hold = 0, fp_new = 0, fp_new_hold = 0;
  for (const std::string& name : legit_names) {
    auto it = downloads.find(name);
    if (it == downloads.end()) continue;
    ++checked;
    Context ctx;
    ctx.candidate_downloads = it->second;
    Verdict v = (*index)->Check(name, ctx).verdict;
    fp += v != Verdict::kClean;
    fp_hold += v >= Verdict::kHold;
  }
  // The same legit names with their own popularity hidden (as if each were published today by
  // a stranger): how much of the low FPR the popularity exemption buys. Only a sample: each
  // needs an index without the name.
  std::vector<std::string> sample(legit_names.begin(), legit_names.end());
  std::mt19937_64 rng(7);
  std::shuffle(sample.begin(), sample.end(), rng);
  sample.resize(std::min<size_t>(sample.size(), 200));
  std::set<std::string> hidden(sample.begin(), sample.end());
  std::vector<PopularName> without;
  for (const PopularName& n : world) {
    if (!hidden.contains(n.name)) without.push_back(n);
  }
  auto blind = BuildIndex(without);
  for (const std::string& name : sample) {
    Verdict v = (*blind)->Check(name).verdict;
    fp_new += v != Verdict::kClean;
    fp_new_hold += v >= Verdict::kHold;
  }
  std::printf("== accuracy (labelled corpus, index = real popularity list, top 50,000) ==\n");
  std::printf("squats: %zu (%d from incident reports, %zu synthetic per check)\n",
              squats.size(), incidents, squats.size() - incidents);
  std::printf("recall (warn/hold/block naming the imitated package): %.1f%% (%d/%zu); "
              "incidents %.1f%% (%d/%d)\n",
              100.0 * tp / squats.size(), tp, squats.size(), 100.0 * tp_incident / incidents,
              tp_incident, incidents);
  std::printf("legit names: %d; false positives (any flag): %.2f%% (%d); hold/block: %.2f%% "
              "(%d)\n",
              checked, 100.0 * fp / checked, fp, 100.0 * fp_hold / checked, fp_hold);
  std::printf("precision: %.1f%%\n", 100.0 * tp / std::max(1, tp + fp));
  std::printf("legit names re-checked as strangers' new names (own popularity hidden, %zu "
              "sampled): flagged %.1f%%, hold/block %.1f%%\n",
              sample.size(), 100.0 * fp_new / sample.size(), 100.0 * fp_new_hold / sample.size());
}

// Generated names around the real ones.
std::vector<PopularName> Corpus(const std::vector<PopularName>& real, size_t target) {
  std::mt19937_64 rng(20240601);
  std::vector<std::string_view> words;
  for (const PopularName& n : real) {
    std::string_view bare = n.name;
    if (!bare.empty() && bare[0] == '@') bare = bare.substr(bare.find('/') + 1);
    for (std::string_view w : StrSplit(bare, ByAnyChar{"-._"}, SkipEmpty{})) {
      if (w.size() >= 2 && w.size() <= 12) words.push_back(w);
    }
  }
  absl::flat_hash_set<std::string> seen;
  std::vector<PopularName> out = real;
  for (const PopularName& n : real) seen.insert(n.name);
  std::uniform_real_distribution<double> unit(0, 1);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const std::string letters = "abcdefghijklmnopqrstuvwxyz0123456789";
  while (out.size() < target) {
    std::string base = real[pick(real.size())].name;
    std::string name;
    switch (pick(6)) {
      case 0:
        name = StrCat(base, "-", words[pick(words.size())]);
        break;
      case 1:
        name = StrCat(words[pick(words.size())], "-", base);
        break;
      case 2:
        name = StrCat(words[pick(words.size())], "-", words[pick(words.size())], "-",
                      words[pick(words.size())]);
        break;
      case 3:
        name = base[0] == '@' ? base
                              : StrCat("@", words[pick(words.size())], "/", base);
        break;
      case 4: {
        name = base;
        size_t i = pick(name.size());
        if (name[i] != '@' && name[i] != '/') name[i] = letters[pick(letters.size())];
        break;
      }
      default:
        name = StrCat(words[pick(words.size())], words[pick(words.size())], pick(100));
    }
    if (name.size() > 214 || !seen.insert(name).second) continue;
    // Long tail: most packages are downloaded a handful of times a month.
    double u = unit(rng);
    out.push_back({name, static_cast<uint64_t>(2000 * u * u * u * u * u * u), false});
  }
  return out;
}

int Main(int argc, char** argv) {
  size_t total = 3500000, samples = 100000, audit_limit = 0;
  int threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    uint64_t v = 0;
    SimpleAtoi(argv[i + 1], &v);
    if (!std::strcmp(argv[i], "--names")) total = v;
    if (!std::strcmp(argv[i], "--samples")) samples = v;
    if (!std::strcmp(argv[i], "--threads")) threads = static_cast<int>(v);
    if (!std::strcmp(argv[i], "--audit-limit")) audit_limit = v;
  }
  auto parsed = ParsePopularityTsv(ReadFile(TYPOSQUAT_POPULARITY_FILE));
  if (!parsed.ok()) {
    std::printf("cannot read %s: %s\n", TYPOSQUAT_POPULARITY_FILE,
                std::string(parsed.status().message()).c_str());
    return 1;
  }
  Accuracy(*parsed);

  auto t0 = Clock::now();
  std::vector<PopularName> corpus = Corpus(*parsed, total);
  std::printf("\n== speed (%zu names: %zu real + %zu generated, seeded) ==\n", corpus.size(),
              parsed->size(), corpus.size() - parsed->size());
  std::printf("corpus generated in %.1f s\n", Seconds(Clock::now() - t0));
  std::vector<std::string> names;
  names.reserve(corpus.size());
  for (const PopularName& n : corpus) names.push_back(n.name);
  size_t rss_before = RssBytes();
  t0 = Clock::now();
  auto index = BuildIndex(corpus);
  if (!index.ok()) return 1;
  double build = Seconds(Clock::now() - t0);
  std::vector<PopularName>().swap(corpus);
  std::printf("index: %zu protected names (top 50,000 + admin), built in %.1f s\n",
              (*index)->size(), build);
  std::printf("index memory: MemoryBytes %.1f MiB; process RSS grew by %.1f MiB (now %.1f MiB)\n",
              (*index)->MemoryBytes() / 1048576.0, (RssBytes() - rss_before) / 1048576.0,
              RssBytes() / 1048576.0);

  // Latency: half registry names, half fresh one-letter edits of popular names.
  std::mt19937_64 rng(99);
  std::vector<std::string> queries;
  for (size_t i = 0; i < samples; ++i) {
    std::string q = names[std::uniform_int_distribution<size_t>(0, names.size() - 1)(rng)];
    if (i % 2) {
      q = names[std::uniform_int_distribution<size_t>(0, 50000 - 1)(rng)];
      size_t p = std::uniform_int_distribution<size_t>(0, q.size() - 1)(rng);
      if (q[p] != '@' && q[p] != '/') q.insert(p, 1, 'x');
    }
    queries.push_back(std::move(q));
  }
  std::vector<double> micros;
  micros.reserve(queries.size());
  size_t flagged = 0;
  for (const std::string& q : queries) {
    auto s = Clock::now();
    Result r = (*index)->Check(q);
    micros.push_back(Seconds(Clock::now() - s) * 1e6);
    flagged += r.verdict != Verdict::kClean;
  }
  std::sort(micros.begin(), micros.end());
  std::printf("check latency over %zu candidates (1 thread): median %.1f us, p99 %.1f us, "
              "max %.1f us (%zu flagged)\n",
              micros.size(), micros[micros.size() / 2], micros[micros.size() * 99 / 100],
              micros.back(), flagged);

  // Audit: every registry name against the protected set, on `threads` threads.
  size_t n = audit_limit ? std::min(audit_limit, names.size()) : names.size();
  std::atomic<size_t> next{0}, suspicious{0}, held{0};
  t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      size_t s = 0, h = 0;
      for (size_t i; (i = next.fetch_add(1024)) < n;) {
        for (size_t j = i; j < std::min(n, i + 1024); ++j) {
          Verdict v = (*index)->Check(names[j]).verdict;
          s += v != Verdict::kClean;
          h += v >= Verdict::kHold;
        }
      }
      suspicious += s;
      held += h;
    });
  }
  for (std::thread& t : pool) t.join();
  double audit = Seconds(Clock::now() - t0);
  std::printf("audit: %zu names in %.1f s on %d threads (%.0f names/s)%s; %zu flagged, %zu "
              "hold/block\n",
              n, audit, threads, n / audit,
              n < names.size() ? StrCat(", extrapolated to ", names.size(), ": ",
                                        static_cast<int>(audit * names.size() / n), " s")
                                     .c_str()
                               : "",
              suspicious.load(), held.load());
  return 0;
}

}  // namespace
}  // namespace bulwark::typosquat

int main(int argc, char** argv) { return bulwark::typosquat::Main(argc, argv); }
