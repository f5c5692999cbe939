#!/usr/bin/env bash
# The flow-control cases of `make bench` (issue 21): --workers auto and --max-rate against the built-in server's hidden
# capacity. Run by bench.sh after its own cases, or alone: BENCH_CASES="flow-capacity flow-reject flow-rate" make bench
# (any subset). The processor and the server are the framework-dependent build (throughput here is the server's
# capacity, not the client's), or BENCH_BINARY for the processor.
#
#   flow-capacity  serve --capacity 8 --delay-ms 20: fixed -w 1,2,4,8,16,32 and auto, each run for ~BENCH_FLOW_SECONDS
#                  (default 10) at its expected rate; rows/s (the summary's) and the server's latency p50/p95 (queue +
#                  service, GET /stats) per run; auto ÷ the best fixed rows/s (target >= 0.90) and auto's p95 ÷ the
#                  unloaded latency (the server's p50 at -w 1; target <= 1.5), and ÷ the server's p95 at -w 1.
#   flow-reject    serve --reject-above 4 --delay-ms 20: auto over BENCH_FLOW_REJECT_ROWS (default 3000) lines; the
#                  server's 429s and the run's error records (target: 0).
#   flow-rate      --max-rate 200 -w 32 against fixed answers over BENCH_RATE_SECONDS (default 60) of lines: the measured
#                  requests/s ÷ 200 (target within 5 %), from the server's own count and the run's elapsed time.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '%s\n' "$*" >&2; }
selected="${1:-flow-capacity flow-reject flow-rate}"
seconds="${BENCH_FLOW_SECONDS:-10}"
jit=(dotnet Seldon.Batch.Dataflow.Cli/bin/Release/net10.0/seldon-batch-processor.dll)
if [ -n "${BENCH_BINARY:-}" ]; then client=("$BENCH_BINARY"); else client=("${jit[@]}"); fi
[ -f "${jit[1]}" ] || dotnet build Seldon.Batch.Dataflow.Cli/Seldon.Batch.Dataflow.Cli.csproj -c Release -nologo -v quiet >/dev/null

work="$(mktemp -d /tmp/seldon-flow.XXXXXX)"
server=""
stop_server() { if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; fi; }
trap 'stop_server; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

lines() { awk -v n="$1" 'BEGIN { srand(11); for (i = 0; i < n; i++) printf "[[%d, %d, %d, %d]]\n", rand()*100, rand()*100, rand()*100, rand()*100 }' > "$2"; }
serve() { # flags...: starts the built-in server, sets $port
  rm -f "$work/ready"
  "${jit[@]}" serve --port 0 --grpc-port -1 --fixed-answer --ready-file "$work/ready" "$@" > "$work/serve.out" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do
    [ -s "$work/ready" ] && break
    kill -0 "$server" 2>/dev/null || { say "flow: the built-in server did not start"; cat "$work/serve.out" >&2; exit 1; }
    sleep 0.1
  done
  read -r rest _ < "$work/ready"
  port="${rest#rest=}"
}
stats() { curl -s "http://127.0.0.1:$port/stats?reset=true"; } # one JSON object; the latency starts over
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
run() { # workers input [more flags]: prints the summary
  local w="$1" input="$2"; shift 2
  "${client[@]}" -g seldon -d demo -h "127.0.0.1:$port" -w "$w" -i "$input" -o "$work/out.txt" -b -l warning "$@" 2> "$work/stderr" \
    || { say "flow: the run -w $w failed:"; cat "$work/stderr" >&2; exit 1; }
}
summary() { awk -F': ' -v k="$1" '$1 == k { print $2 }'; }

printf '\nflow-control cases (issue 21), load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"

if [[ " $selected " == *" flow-capacity "* ]]; then
  serve --capacity 8 --delay-ms 20
  lines 200 "$work/warm.txt"; run 8 "$work/warm.txt" >/dev/null; stats >/dev/null # JIT warm-up, not counted
  best=0; best_w=""; best_p95=""; unloaded=""; unloaded_p95=""; auto_rate=""; auto_p95=""
  printf '%-8s %10s %10s %10s %8s\n' "workers" "rows/s" "p50 ms" "p95 ms" "rows"
  for w in 1 2 4 8 16 32 auto; do
    if [ "$w" = auto ] || [ "$w" -gt 8 ]; then per=8; else per="$w"; fi # the rate it can reach: capacity 8
    n=$(( per * 50 * seconds ))
    lines "$n" "$work/in.txt"
    rate="$(run "$w" "$work/in.txt" | summary "instances per second")"
    s="$(stats)"; p50="$(field p50 <<< "$s")"; p95="$(field p95 <<< "$s")"
    printf '%-8s %10.1f %10.1f %10.1f %8d\n' "$w" "$rate" "$p50" "$p95" "$n"
    if [ "$w" = 1 ]; then unloaded="$p50"; unloaded_p95="$p95"; fi
    if [ "$w" = auto ]; then auto_rate="$rate"; auto_p95="$p95"
    elif awk -v r="$rate" -v b="$best" 'BEGIN { exit !(r > b) }'; then best="$rate"; best_w="$w"; best_p95="$p95"; fi
  done
  stop_server
  awk -v a="$auto_rate" -v b="$best" -v bw="$best_w" -v p="$auto_p95" -v u="$unloaded" -v bp="$best_p95" -v up="$unloaded_p95" 'BEGIN {
    printf "%-52s %7.3f  %-8s %s\n", "auto rows/s / best fixed (-w " bw ") rows/s", a / b, ">= 0.90", (a / b >= 0.90) ? "PASS" : "FAIL"
    printf "%-52s %7.3f  %-8s %s\n", "auto server p95 / unloaded latency (p50 at -w 1)", p / u, "<= 1.5", (p / u <= 1.5) ? "PASS" : "FAIL"
    printf "%-52s %7.3f  %-8s %s\n", "auto server p95 / unloaded p95 (p95 at -w 1)", p / up, "<= 1.5", (p / up <= 1.5) ? "PASS" : "FAIL"
    printf "%-52s %7.3f  %-8s %s\n", "(for information) -w " bw " server p95 / unloaded latency", bp / u, "", ""
  }'
fi

if [[ " $selected " == *" flow-reject "* ]]; then
  serve --reject-above 4 --delay-ms 20
  lines "${BENCH_FLOW_REJECT_ROWS:-3000}" "$work/in.txt"
  out="$(run auto "$work/in.txt")"
  failed="$(summary failed <<< "$out")"; rate="$(summary "instances per second" <<< "$out")"; retries="$(summary retries <<< "$out")"
  rejected="$(stats | field rejected)"
  stop_server
  printf '%-52s %7s  %-8s %s   (%s rows/s, server 429s %s, retries %s)\n' "auto against --reject-above 4: error records" "$failed" "0" \
    "$([ "$failed" = 0 ] && echo PASS || echo FAIL)" "$rate" "$rejected" "$retries"
fi

if [[ " $selected " == *" flow-rate "* ]]; then
  rate_seconds="${BENCH_RATE_SECONDS:-60}"
  serve
  lines $(( 200 * rate_seconds )) "$work/in.txt"
  lines 50 "$work/warm.txt"; run 8 "$work/warm.txt" >/dev/null; stats >/dev/null
  out="$(run 32 "$work/in.txt" --max-rate 200)" # workers to spare: the rate, not the latency, must be the limit
  elapsed="$(summary elapsed <<< "$out" | sed 's/ s$//')"
  stop_server
  awk -v n="$(( 200 * rate_seconds ))" -v e="$elapsed" -v s="$rate_seconds" 'BEGIN {
    r = n / e
    printf "%-52s %7.3f  %-8s %s   (%.1f req/s over %.1f s)\n", "--max-rate 200 (" s " s of lines): measured / asked", r / 200, "0.95-1.05", (r / 200 >= 0.95 && r / 200 <= 1.05) ? "PASS" : "FAIL", r, e
  }'
fi
