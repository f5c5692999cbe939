#!/usr/bin/env bash
# Prints the folder holding `moto_server` (the local S3-compatible server the object storage tests start), installing
# it first when it is not on PATH: into out/moto (a Python virtual environment of the project's own, `pip install
# 'moto[server]'`). Nothing is installed when moto_server is already there. `make test` puts the folder on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "moto: $*" >&2; }

if command -v moto_server >/dev/null 2>&1; then
  dirname "$(command -v moto_server)"
  exit 0
fi

venv=out/moto
if [ ! -x "$venv/bin/moto_server" ]; then
  command -v python3 >/dev/null 2>&1 || { say "python3 is needed to install moto_server (the object storage tests' S3 server)"; exit 1; }
  say "moto_server is not on PATH: installing moto[server] into $venv (once)"
  python3 -m venv "$venv" 2>/dev/null || {
    # Debian's python3 has no venv module until python3-venv is installed.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$venv"
    else
      say "python3 -m venv failed: install python3-venv (Debian/Ubuntu) and run make test again"; exit 1
    fi
  }
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]' \
    || { say "pip could not install moto[server]; install it by hand (pip install 'moto[server]') and run make test again"; exit 1; }
fi

echo "$PWD/$venv/bin"
