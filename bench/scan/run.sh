#!/bin/sh
# Scanner benchmark (docs/scanning.md): fetches the latest versions of the top N npm packages
# with `npm pack` (cached in $SCAN_BENCH_CACHE, default ~/.cache/bulwark/scan-bench; resumes),
# then scans each and prints false-positive shares and speed. Builds nothing: needs the
# scan_bench target. SCAN_BENCH_N (default 1000); SCAN_BENCH_MAX_PARSE overrides the engine's
# max_parse_bytes; extra arguments go to the binary (--list prints every warned package).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BUILD_DIR:-$here/build}/scan_bench
if [ ! -x "$bin" ]; then
  echo "no $bin: build the scan_bench target first" >&2
  exit 1
fi
cache=${SCAN_BENCH_CACHE:-$HOME/.cache/bulwark/scan-bench}
SCAN_BENCH_CACHE=$cache bash "$here/bench/scan/fetch.sh" "${SCAN_BENCH_N:-1000}"
exec "$bin" "$cache" "$@"
