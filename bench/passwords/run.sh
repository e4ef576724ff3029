#!/usr/bin/env bash
# Breached-password filter benchmark: in-memory import of synthetic lines (LINES, default 100M),
# size, false-positive rate and lookup latency; then `bulwark passwords import` of a 1M-line file
# to show the end-to-end command including file reading.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$here/build}
lines=${LINES:-100000000}
echo "== passwords: filter benchmark ($lines lines)"
"$build/passwords_bench" "$lines"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/pwned.txt" <<'PY'
import hashlib, sys
with open(sys.argv[1], 'w') as f:
    for i in range(1000000):
        f.write(hashlib.sha1(b'pw%d' % i).hexdigest().upper() + ':%d\r\n' % (i % 977 + 1))
PY
echo "== passwords: bulwark passwords import of 1M lines from a file"
"$build/bulwark" passwords import "$tmp/pwned.txt" --output "$tmp/out.filter"
