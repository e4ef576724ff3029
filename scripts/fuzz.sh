#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each on its checked-in seed
# corpus for a bounded time. `--smoke` (used by `make test`) runs each briefly; otherwise
# FUZZ_SECONDS (default 60) each. New inputs go to a temporary copy, never into fuzz/corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
[ "${1:-}" = "--smoke" ] && seconds="${FUZZ_SMOKE_SECONDS:-10}"
build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBULWARK_FUZZ=ON -DBULWARK_TESTS=OFF >/dev/null
fi
targets=$(sed -n 's/^bulwark_fuzzer(\([a-z_]*\).*/\1/p' fuzz/CMakeLists.txt)
cmake --build "$build" -j "$(nproc)" --target $targets
status=0
for t in $targets; do
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$t/." "$work/" 2>/dev/null || true
  echo "fuzz: $t for ${seconds}s"
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
    echo "fuzz: $t FAILED"; tail -40 "$work.log"; ls "$work"/crash-* "$work"/leak-* 2>/dev/null
    status=1
  else
    grep -E '^Done|stat::number_of_executed_units' "$work.log" | tail -1 || true
  fi
  rm -rf "$work" "$work.log"
done
exit $status
