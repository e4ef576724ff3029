#!/bin/sh
# Runs the typosquat benchmark from an existing build (builds nothing). BUILD_DIR defaults to
# build/; extra arguments go to the binary (--names N --samples N --threads N --audit-limit N).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BUILD_DIR:-$here/build}/typosquat_bench
if [ ! -x "$bin" ]; then
  echo "no $bin: build the typosquat_bench target first" >&2
  exit 1
fi
exec "$bin" "$@"
