#!/usr/bin/env bash
# `make pack`: the library's NuGet package and the dotnet tool in out/packages/ (OUT=<folder> elsewhere,
# VERSION=1.2.3 for another version than Directory.Build.props's, NO_BUILD=1 to pack what the last Release build left in
# bin/ instead of building again: the packaging tests do, after `make test`'s build, at its version).
#
# The folder is made a complete package source for the library: next to the two packages it holds every package the
# library depends on (RestSharp, Grpc.Net.Client, Google.Protobuf, Polly.Core, AWSSDK.S3...), taken from a restore of
# a throwaway app that references the library. So `dotnet add package Seldon.Batch.Dataflow --source out/packages`
# works on a machine whose NuGet cache is empty (`--source` replaces the configured sources for that command), and
# the folder can be copied to a machine without access to nuget.org.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '%s\n' "$*" >&2; }
out=${OUT:-out/packages}
dotnet=${DOTNET:-dotnet}
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=${VERSION:-$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)}
[ -n "$version" ] || { say "pack: no version: set VERSION or <Version> in Directory.Build.props"; exit 1; }

build=()
[ "${NO_BUILD:-}" = 1 ] && build=(--no-build)
for project in Seldon.Batch.Dataflow/Seldon.Batch.Dataflow.csproj Seldon.Batch.Dataflow.Cli/Seldon.Batch.Dataflow.Cli.csproj; do
  "$dotnet" pack "$project" -c Release -o "$out" -p:Version="$version" -nologo -nodeReuse:false "${build[@]}"
done

# The library's dependencies, as a consumer's restore resolves them: restored into a packages folder of its own, so
# that nothing the machine's cache holds (an older build of the same version, say) decides what is copied.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/DependencyClosure.csproj" <<PROJECT
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageReference Include="Seldon.Batch.Dataflow" Version="$version" /></ItemGroup>
</Project>
PROJECT
"$dotnet" restore "$work/DependencyClosure.csproj" --packages "$work/packages" --source "$out" \
  --source "${NUGET_SOURCE:-https://api.nuget.org/v3/index.json}" -nologo >/dev/null \
  || { say "pack: the library's dependencies could not be restored from $out and nuget.org"; exit 1; }
copied=0
while IFS= read -r package; do
  name=$(basename "$package")
  if ! ls "$out" | grep -qix -- "$name"; then
    cp "$package" "$out/"
    copied=$((copied + 1))
  fi
done < <(find "$work/packages" -name '*.nupkg')
say "pack: Seldon.Batch.Dataflow $version and Seldon.Batch.Dataflow.Cli $version in $out, with the library's $copied dependency package(s)"
