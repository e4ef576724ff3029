#!/usr/bin/env bash
# The upstream proxy's benchmark (docs/proxy.md): cached proxied packument reads against local
# packument reads on the same server (target: the same speed), and the latency a first fetch
# adds over the upstream's own (target: at most +5 ms), against a second Bulwark on loopback.
# Usage: bench/proxy/run.sh [PACKAGES] [READS]   (BULWARK_BIN overrides build/bulwark)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
export BULWARK_BIN=${BULWARK_BIN:-$here/build/bulwark}
exec node "$here/bench/proxy/bench.mjs" "${1:-40}" "${2:-3000}"
