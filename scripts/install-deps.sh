#!/usr/bin/env bash
# Installs everything Bulwark needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are skipped; uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache mold pkg-config make git
  # libraries (see docs/design.md for what each is for)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libabsl-dev libsqlite3-dev libssl-dev libargon2-dev libarchive-dev zlib1g-dev
  libyaml-cpp-dev libcli11-dev libfmt-dev
  # trusted publishing fetches OIDC discovery documents and JWKS (src/env/curl_fetcher.cc)
  libcurl4-openssl-dev
  # publish-time scanner (docs/scanning.md): JavaScript parser runtime, pattern engines
  libtree-sitter-dev libhyperscan-dev libyara-dev
  # tests, fuzzing, benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev clang-14 libfuzzer-14-dev libclang-rt-14-dev
  nodejs npm wrk sqlite3 curl procps python3
  # TOTP codes are checked against Debian's reference implementation
  oathtool
  # the web pages are tested in a real browser
  chromium
  # npm audit signatures e2e: network/mount namespaces, a loopback TLS TUF mirror (tests/e2e/signatures)
  util-linux mount iproute2 openssl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# node/npm may come from elsewhere than Debian; only install them when there is no node at all.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: Debian packages present"
fi

# Test peers from npm, pinned by tests/package-lock.json.
if [ -f tests/package.json ]; then
  if [ ! -d tests/node_modules ] || [ tests/package-lock.json -nt tests/node_modules/.package-lock.json ]; then
    echo "install-deps: npm ci in tests/"
    (cd tests && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

# tree-sitter grammar C sources the scanner compiles (pinned by scripts/grammars/package-lock.json;
# never committed). --ignore-scripts: only the C sources are wanted, not the Node binding.
if [ ! -d scripts/grammars/node_modules ] || [ scripts/grammars/package-lock.json -nt scripts/grammars/node_modules/.package-lock.json ]; then
  echo "install-deps: npm ci in scripts/grammars/"
  (cd scripts/grammars && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
