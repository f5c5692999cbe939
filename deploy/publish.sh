#!/usr/bin/env bash
# `make publish`: the native seldon-batch-processor for linux-x64, one self-contained file in out/publish/, for
# containers (deploy/docker/Dockerfile). Native AOT: no .NET runtime needed where it runs.
#
# The compiler (ILCompiler) comes from NuGet with the restore; the native link needs clang and binutils, installed
# here with apt-get when missing (we run as root on CI). zlib1g-dev, often listed as a prerequisite, is not needed:
# .NET 10's runtime pack links its own libz.a.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '%s\n' "$*" >&2; }

need=()
command -v clang >/dev/null || need+=(clang)
command -v objcopy >/dev/null || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { say "publish: Native AOT needs ${need[*]}: install them (apt-get install ${need[*]}) or run as root"; exit 1; }
  say "publish: installing ${need[*]}"
  apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi

rm -rf out/publish
dotnet publish Seldon.Batch.Dataflow.Cli/Seldon.Batch.Dataflow.Cli.csproj -c Release -r linux-x64 -p:PublishAot=true \
  -o out/publish -nologo "$@"
# Only the binary stays, so the folder is what a container gets: the native symbols (.dbg, 2x the binary's size)
# and the XML docs of the assemblies stay in obj/ and bin/.
find out/publish -mindepth 1 ! -name seldon-batch-processor -delete

size=$(du -h out/publish/seldon-batch-processor | cut -f1)
say "publish: out/publish/seldon-batch-processor ($size, $(out/publish/seldon-batch-processor --version 2>/dev/null || echo '?'))"
