#!/usr/bin/env bash
# OPTIONAL, NOT IN CI: installs a real project of ~300 packages through `bulwark serve --uplink`
# pointed at the registry `npm config get registry` prints (docs/proxy.md), with the firewall on
# (scanner, typosquat, advisories; no cooldown, so the newest versions resolve as usual). Checks
# that npm succeeds, that every resolved URL in the lockfile names the proxy, and that a second
# install with a fresh npm cache is served by the proxy's cache alone with the uplink cut off.
# Needs network access to that registry. Usage: tests/optional/public_proxy.sh [BULWARK_BIN]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-${BULWARK_BIN:-$here/build/bulwark}}
NPM=${NPM:-$here/tests/node_modules/.bin/npm}
UPSTREAM=$(npm config get registry)
work=$(mktemp -d /tmp/bulwark-public-proxy-XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start() {  # start UPLINK_URL [LISTEN]: sets $url and $pid
  : > "$work/serve.out"
  "$BIN" serve --data "$work/data" --listen "${2:-127.0.0.1:0}" --uplink "$1" \
    > "$work/serve.out" 2> "$work/serve.err" &
  pid=$!
  for _ in $(seq 1 100); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/serve.out" || true)
    [ -n "$url" ] && return 0
    sleep 0.2
  done
  echo "bulwark did not start:"; cat "$work/serve.err"; exit 1
}

install() {  # install CACHE_DIR PROJECT_DIR
  (cd "$2" && "$NPM" install --registry "$url/" --cache "$1" --no-audit --no-fund \
     --loglevel=error --update-notifier=false --userconfig /dev/null)
}

mkdir -p "$work/proj"
# A test runner and a web framework: about 300 packages, scoped and unscoped, with ./ paths,
# install scripts, bins and deep trees.
cat > "$work/proj/package.json" <<'JSON'
{ "name": "public-proxy-check", "version": "1.0.0", "private": true,
  "dependencies": { "jest": "^29.7.0", "express": "^4.19.0", "@babel/core": "^7.24.0" } }
JSON

start "$UPSTREAM"
echo "proxy $url -> the registry npm is configured with"
t0=$(date +%s)
install "$work/cache1" "$work/proj"
t1=$(date +%s)
count=$(node -e 'const l=require(process.argv[1]);console.log(Object.keys(l.packages).filter(k=>k).length)' \
  "$work/proj/package-lock.json")
echo "first install through the proxy: $count packages in $((t1 - t0)) s"
[ "$count" -ge 250 ] || { echo "FAIL: expected ~300 packages, got $count"; exit 1; }
bad=$(node -e 'const l=require(process.argv[1]);const u=process.argv[2];
  console.log(Object.values(l.packages).filter(p=>p.resolved&&!p.resolved.startsWith(u)).length)' \
  "$work/proj/package-lock.json" "$url/")
[ "$bad" = 0 ] || { echo "FAIL: $bad lockfile URLs do not name the proxy"; exit 1; }
"$BIN" proxy refusals --data "$work/data" | sed 's/^/  refusals: /'

# Cut the uplink off (an address nothing listens on) and install again with a fresh npm cache.
kill "$pid"; wait "$pid" 2>/dev/null || true
# The same port: the lockfile's resolved URLs name it.
start "http://127.0.0.1:9" "${url#http://}"
rm -rf "$work/proj/node_modules"
t0=$(date +%s)
install "$work/cache2" "$work/proj"
t1=$(date +%s)
echo "second install, uplink unreachable, fresh npm cache: ok in $((t1 - t0)) s"
echo "PASS"
