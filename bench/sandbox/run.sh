#!/bin/sh
# Sandbox benchmark (docs/sandbox.md §Benchmark): the latest versions of popular npm packages
# (fetched with `npm pack` into the scanner benchmark's cache, bench/scan/fetch.sh) are run with
# `bulwark sandbox run`, and each also installed with a plain `npm install --ignore-scripts` into
# an empty temp project (the baseline: same tarball, same npm, no sandbox, no scripts, no load).
# Prints the overhead per package, the throughput in packages per hour and the share flagged.
# SANDBOX_BENCH_N (default 100) packages without dependencies are used: the sandbox has no
# network, so dependencies cannot be fetched (docs/sandbox.md §Limits).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BUILD_DIR:-$here/build}/bulwark
if [ ! -x "$bin" ]; then
  echo "no $bin: build the bulwark target first" >&2
  exit 1
fi
cache=${SCAN_BENCH_CACHE:-$HOME/.cache/bulwark/scan-bench}
if [ ! -f "$cache/index.tsv" ] || [ "$(wc -l < "$cache/index.tsv")" -lt 300 ]; then
  SCAN_BENCH_CACHE=$cache bash "$here/bench/scan/fetch.sh" 300
fi
exec node "$here/bench/sandbox/bench.mjs" "$bin" "$cache" "${SANDBOX_BENCH_N:-100}"
