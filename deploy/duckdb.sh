#!/usr/bin/env bash
# Prints the path of tools/duckdb/duck.mjs, the DuckDB runner the table tests check their files with (DuckDB is an
# implementation independent of the library: it writes the tables the tests read and reads those they write). First
# makes it runnable: installs node and npm from Debian when they are missing (only as root; otherwise says what to
# install), and runs `npm ci` in tools/duckdb when its node_modules is missing or was installed from another
# package-lock.json. Nothing is installed when both are already there. `make test` passes the path to the tests as
# SELDON_DUCKDB.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "duckdb: $*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "node or npm is not on PATH: installing nodejs and npm from Debian (once)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    say "node and npm are needed for the table tests' DuckDB checker: install them (Debian/Ubuntu: sudo apt-get install nodejs npm) and run make test again"
    exit 1
  fi
fi

dir=tools/duckdb
stamp=$dir/node_modules/.installed-from
lock_sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  say "installing @duckdb/node-api into $dir/node_modules (npm ci, about 70 MB, once)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2) \
    || { say "npm ci failed in $dir: check the network or the npm registry (npm config get registry) and run make test again"; exit 1; }
  echo "$lock_sum" >"$stamp"
fi

echo "$PWD/$dir/duck.mjs"
