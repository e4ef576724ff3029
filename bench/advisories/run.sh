#!/bin/sh
# The advisory benchmark (bench/advisories/bench.mjs) from an existing build (builds nothing):
# import of 50,000 generated OSV files, and npm audit's bulk request for 2,000 packages against
# them. Extra arguments: [advisories] [packages] [requests]. Exit 1 when a target is missed.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BULWARK_BIN:-${BUILD_DIR:-$here/build}/bulwark}
if [ ! -x "$bin" ]; then
  echo "no $bin: build the bulwark target first" >&2
  exit 1
fi
exec node "$here/bench/advisories/bench.mjs" "$bin" "$@"
