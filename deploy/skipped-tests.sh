#!/usr/bin/env bash
# Prints each test that was skipped, and why, from the test results (TRX files, default out/test-results/*.trx):
# `dotnet test` names a skipped test on the console but keeps its reason in the results (the native binary's tests
# skip until `make publish` has built it, and say so here). Prints nothing when no test was skipped. First, which
# seldon-batch-processor the CLI's tests ran (the native binary when it is newer than its sources, or the JIT program),
# as their test ExecutableUnderTestTests wrote it into the results.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-out/test-results}
for trx in "$dir"/*.trx; do
  [ -f "$trx" ] || continue
  grep -o 'executable under test: [^<]*' "$trx" | head -1
  # A skipped result is <UnitTestResult ... testName="..." outcome="NotExecuted"> with its reason in the first
  # <Message> inside it (one element per line, as dotnet test writes TRX).
  awk '
    /<UnitTestResult / {
      name = ""
      if ($0 ~ /outcome="NotExecuted"/ && match($0, /testName="[^"]*"/)) name = substr($0, RSTART + 10, RLENGTH - 11)
    }
    name != "" && /<Message>/ {
      reason = $0
      sub(/.*<Message>/, "", reason); sub(/<\/Message>.*/, "", reason)
      gsub(/&lt;/, "<", reason); gsub(/&gt;/, ">", reason); gsub(/&quot;/, "\"", reason); gsub(/&apos;/, "'"'"'", reason); gsub(/&amp;/, "\\&", reason)
      print "skipped: " name ": " reason
      name = ""
    }
  ' "$trx"
done
