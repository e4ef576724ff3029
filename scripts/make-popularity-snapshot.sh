#!/bin/sh
# Regenerates data/npm-popularity-top.tsv.gz, the default popularity snapshot that protects the
# public ecosystem's popular names from a fresh install (issue 3): the 100,000 most downloaded
# npm names from the shared list, "name<TAB>downloads", no header, sorted by downloads.
# Usage: scripts/make-popularity-snapshot.sh [SOURCE.tsv.gz] [COUNT]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-$here/../shared/data/npm-popularity.tsv.gz}
count=${2:-100000}
out=$here/data/npm-popularity-top.tsv.gz
gzip -dc "$src" | awk -F'\t' 'NR > 1 && NF == 2 && $2 ~ /^[0-9]+$/' | sort -t "$(printf '\t')" -k2,2nr -k1,1 |
  head -n "$count" | gzip -9n > "$out.tmp"
mv "$out.tmp" "$out"
size=$(wc -c < "$out")
if [ "$size" -gt 2000000 ]; then
  echo "snapshot is $size bytes, over the 2 MB budget: lower COUNT" >&2
  exit 1
fi
echo "$out: $count names, $size bytes"
