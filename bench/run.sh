#!/usr/bin/env bash
# `make bench`: Bulwark against Verdaccio on this machine, one after the other, with the same
# data set, the same load generator (wrk) and the same publish client (bench/README.md).
#
# Knobs (environment): BENCH_DURATION (10s), BENCH_WARMUP (3s), BENCH_THREADS (2),
# BENCH_CONNECTIONS (32), BENCH_VERSIONS (30), BENCH_PUBLISHES (50), BULWARK_BIN
# (build/bulwark), BENCH_ONLY (bulwark | verdaccio: run one side, for debugging).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
BULWARK_BIN="${BULWARK_BIN:-$ROOT/build/bulwark}"
DURATION="${BENCH_DURATION:-10s}"
WARMUP="${BENCH_WARMUP:-3s}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
VERSIONS="${BENCH_VERSIONS:-30}"
PUBLISHES="${BENCH_PUBLISHES:-50}"
ONLY="${BENCH_ONLY:-}"

BENCH_USER=benchuser
BENCH_PASSWORD='a long bench passphrase'
READ_PACKAGE=bench-read
PUBLISH_PACKAGE=bench-publish
ACCEPT_FULL='application/json'
ACCEPT_ABBREVIATED='application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

for tool in node npm wrk curl; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh installs it)"
done
case "$ONLY" in ''|bulwark|verdaccio) ;; *) die "BENCH_ONLY must be bulwark or verdaccio" ;; esac
if [ "$ONLY" != verdaccio ] && [ ! -x "$BULWARK_BIN" ]; then
  die "$BULWARK_BIN not found: run 'make bench' (it builds first) or set BULWARK_BIN"
fi

# Verdaccio, pinned by bench/package-lock.json.
if [ "$ONLY" != bulwark ]; then
  if [ ! -x "$BENCH/node_modules/.bin/verdaccio" ] ||
     [ "$BENCH/package-lock.json" -nt "$BENCH/node_modules/.package-lock.json" ]; then
    log "npm ci in bench/"
    (cd "$BENCH" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/bulwark-bench.XXXXXX")"
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
SERVER_LOG=""
cleanup() {
  local rc=$?
  if [ "$rc" != 0 ] && [ -n "$SERVER_LOG" ] && [ -s "$SERVER_LOG" ]; then
    log "failed (exit $rc); last lines of the server's log ($SERVER_LOG):"
    tail -n 20 "$SERVER_LOG" >&2 || true
  fi
  stop_server
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server must still be up; if not, show why.
check_alive() {
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    log "$1 exited; last lines of its log:"
    tail -n 30 "$2" >&2 || true
    exit 1
  fi
}

proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close(); });'
}

URL=""
start_bulwark() {
  local dir="$TMP/bulwark"
  mkdir -p "$dir/data"
  printf '%s\n' "$BENCH_PASSWORD" |
    "$BULWARK_BIN" user add "$BENCH_USER" --email b@example.com --password-stdin \
      --data "$dir/data" >"$dir/user-add.log" 2>&1 ||
    { cat "$dir/user-add.log" >&2; die "bulwark user add failed"; }
  "$BULWARK_BIN" serve --listen 127.0.0.1:0 --data "$dir/data" >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  local port=""
  for _ in $(seq 300); do
    check_alive bulwark "$dir/server.log"
    port="$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' "$dir/server.log" 2>/dev/null |
      head -n 1 | sed 's/.*://')" || true
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || die "bulwark did not print its address within 30 s"
  URL="http://127.0.0.1:$port"
  SERVER_LOG="$dir/server.log"
}

# Verdaccio's stock settings, minus what would make the comparison unfair or reach out:
# no uplinks (and no `proxy:`), no web UI, no audit middleware, logs at warn.
start_verdaccio() {
  local dir="$TMP/verdaccio" port
  mkdir -p "$dir/storage"
  port="$(free_port)"
  cat >"$dir/config.yaml" <<EOF
storage: $dir/storage
auth:
  htpasswd:
    file: $dir/htpasswd
    max_users: 10
uplinks: {}
packages:
  '@*/*':
    access: \$all
    publish: \$authenticated
    unpublish: \$authenticated
  '**':
    access: \$all
    publish: \$authenticated
    unpublish: \$authenticated
web:
  enable: false
server:
  keepAliveTimeout: 60
middlewares:
  audit:
    enabled: false
max_body_size: 100mb
log:
  type: stdout
  format: json
  level: warn
EOF
  node "$BENCH/node_modules/verdaccio/bin/verdaccio" --config "$dir/config.yaml" \
    --listen "127.0.0.1:$port" >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  URL="http://127.0.0.1:$port"
  SERVER_LOG="$dir/server.log"
  for _ in $(seq 600); do
    check_alive verdaccio "$SERVER_LOG"
    curl -fsS -o /dev/null "$URL/-/ping" 2>/dev/null && return 0
    sleep 0.1
  done
  die "verdaccio did not answer $URL/-/ping within 60 s"
}

# run_wrk OUT_DIR NAME ACCEPT URL: a warm-up run, then the measured one.
run_wrk() {
  local out="$1" name="$2" accept="$3" url="$4"
  log "  $name: warm-up $WARMUP, then $DURATION with $CONNECTIONS connections"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "accept: $accept" "$url" >/dev/null
  check_alive "$SIDE" "$SERVER_LOG"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "accept: $accept" "$url" \
    >"$out/$name.txt"
  check_alive "$SIDE" "$SERVER_LOG"
  node "$BENCH/driver.mjs" parse-wrk "$out/$name.txt" >"$out/$name.json"
}

# bench_side NAME: start the server, seed it, load it, publish to it, read its peak RSS.
bench_side() {
  SIDE="$1"
  local out="$TMP/results/$SIDE"
  mkdir -p "$out"
  log "$SIDE: starting"
  "start_$SIDE"
  local pid="$SERVER_PID"
  log "$SIDE: listening on $URL (pid $pid); RSS $(($(proc_kb "$pid" VmRSS) / 1024)) MB"
  echo "{\"rss_start_kb\": $(proc_kb "$pid" VmRSS)}" >"$out/start.json"

  local token
  token="$(node "$BENCH/driver.mjs" login "$URL" "$BENCH_USER" "$BENCH_PASSWORD")"
  log "$SIDE: publishing $VERSIONS versions of $READ_PACKAGE"
  node "$BENCH/driver.mjs" seed "$URL" "$token" "$READ_PACKAGE" "$VERSIONS" >"$out/seed.json"
  local tarball_url
  tarball_url="$(node -p 'require(process.argv[1]).tarball_url' "$out/seed.json")"

  run_wrk "$out" packument_full "$ACCEPT_FULL" "$URL/$READ_PACKAGE"
  run_wrk "$out" packument_abbreviated "$ACCEPT_ABBREVIATED" "$URL/$READ_PACKAGE"
  run_wrk "$out" tarball '*/*' "$tarball_url"

  log "  publish: $PUBLISHES sequential new versions of $PUBLISH_PACKAGE"
  node "$BENCH/driver.mjs" publish "$URL" "$token" "$PUBLISH_PACKAGE" "$PUBLISHES" \
    >"$out/publish.json"
  check_alive "$SIDE" "$SERVER_LOG"

  local hwm rss
  hwm="$(proc_kb "$pid" VmHWM)"
  rss="$(proc_kb "$pid" VmRSS)"
  echo "{\"peak_rss_kb\": $hwm, \"rss_end_kb\": $rss}" >"$out/memory.json"
  log "$SIDE: peak RSS $((hwm / 1024)) MB"
  cp "$SERVER_LOG" "$out/server.log"
  stop_server
}

sides=(bulwark verdaccio)
[ -n "$ONLY" ] && sides=("$ONLY")
for side in "${sides[@]}"; do bench_side "$side"; done

mkdir -p "$BENCH/results"
rm -rf "$BENCH/results/raw"
cp -r "$TMP/results" "$BENCH/results/raw"
node "$BENCH/report.mjs" "$TMP/results" "$BENCH/results/latest.json" \
  "{\"duration\": \"$DURATION\", \"warmup\": \"$WARMUP\", \"threads\": $THREADS, \
\"connections\": $CONNECTIONS, \"versions\": $VERSIONS, \"publishes\": $PUBLISHES}"
