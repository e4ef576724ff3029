#!/usr/bin/env bash
# Fetches the latest version of the N most downloaded npm packages (names from
# ../shared/data/npm-popularity.tsv.gz) as tarballs with `npm pack`, from the registry that
# `npm config get registry` names. The cache lives outside git: $SCAN_BENCH_CACHE, default
# ~/.cache/bulwark/scan-bench. Already-fetched packages are skipped, so it resumes.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-1000}
POP=${POPULARITY:-$here/../shared/data/npm-popularity.tsv.gz}
[ -f "$POP" ] || POP=/work/shared/data/npm-popularity.tsv.gz
CACHE=${SCAN_BENCH_CACHE:-$HOME/.cache/bulwark/scan-bench}
mkdir -p "$CACHE/tarballs"
zcat "$POP" | awk -F"\t" -v n="$N" 'NR > 1 && NR <= n + 1 { print $1 }' > "$CACHE/names.txt"
# names.txt rank order; index.tsv maps name -> tarball file once fetched.
touch "$CACHE/index.tsv"
todo=()
while read -r name; do
  grep -q -F -x -e "$name" <(cut -f1 "$CACHE/index.tsv") || todo+=("$name")
done < "$CACHE/names.txt"
echo "scan-bench fetch: ${#todo[@]} of $N to fetch into $CACHE"
batch=25
for ((i = 0; i < ${#todo[@]}; i += batch)); do
  for name in "${todo[@]:i:batch}"; do
    # One at a time inside the batch loop so one unpublished name does not fail the batch.
    out=$(cd "$CACHE/tarballs" && npm pack "$name" --json --loglevel=error 2>/dev/null) || {
      echo "  skip $name (npm pack failed)" >&2; continue; }
    file=$(printf '%s' "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(j[0].filename)})')
    printf '%s\t%s\n' "$name" "$file" >> "$CACHE/index.tsv"
  done
  echo "  fetched $(wc -l < "$CACHE/index.tsv") / $N"
done
