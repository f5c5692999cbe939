#!/usr/bin/env bash
# `make bench`: how close the shipped processor gets to the machine's limit, in one run, side by side.
#
# The ceiling is nginx: it answers fixed bodies on loopback (Seldon and Open Inference, 1 and 32 rows, routed by
# path), as fast as an HTTP server can, and wrk measures its request rate. Against it the Native AOT binary
# (out/publish, built by `make publish` when missing or older than the sources) runs REST at batch sizes 1 and 32
# with 16 workers. gRPC has no fixed-answer nginx, so the built-in server (`serve --fixed-answer`) answers it, and
# REST is run against that server too, so the two transports are compared on one server. It prints every run, the
# medians, the ratios and PASS/FAIL against the targets of issue 13 (docs/performance.md). The table case (issue 20)
# runs the JSON-lines batch-size-32 rows again as a Parquet file written by DuckDB (tools/duckdb, an independent
# writer, installed by deploy/duckdb.sh as for the tests), one INT64 column per ndarray element, into a Parquet output,
# against the same nginx answer; its rows/s is compared with the JSON-lines case's and its peak memory with 200 MiB.
# Next to the processor at batch size 1 it runs the floor: a bare loop of the same requests through RestSharp (as the processor's REST client
# uses it) and through HttpClient alone (RestLoop/, Native AOT), printed against wrk, and the RestSharp requests through
# the stock Dataflow blocks the design names and nothing else (batch, transform, action writing the answers: what the
# network's shape costs before the processor's own work). Server and client share the
# machine's cores, as they do on CI. Figures are noisy on a busy machine: run it twice before believing a FAIL.
#
# Environment: BENCH_ROWS_B1 (default 50000), BENCH_ROWS_B32 (default 1000000, a multiple of 32), BENCH_WORKERS
# (default 16), BENCH_JIT=1 (also run the framework-dependent build against nginx, for comparison),
# BENCH_BINARY (the processor to measure; default out/publish/seldon-batch-processor).
# For A/B work on one case: BENCH_CASES="rest-seldon-nginx/1 grpc-v2-kestrel/32" runs only those cases (names below,
# /batch size), BENCH_RUNS times each (default 3), and prints their runs with the client's CPU time and the ratio targets
# whose cases ran, without start-up and memory (BENCH_CASES=targets: the 14 cases of the ratio targets); BENCH_SERVE=1
# starts nginx and the built-in server, prints their ports and waits (Ctrl-C stops them), so a processor can be run
# against them by hand (e.g. under perf stat).
# The flow-control cases of issue 21 (flow-capacity, flow-reject, flow-rate: --workers auto and --max-rate against the
# built-in server's capacity) are flow.sh's; they run after the others, or alone when BENCH_CASES names only them.
# BENCH_HOST (issue 22): the host type, quiet (default), quota1.5, quota1.0 (the clients in a CPU cgroup with that many
# cores' quota, as a pod limit sets) or noisy (a CPU burner beside every case); see host.sh. A list
# (BENCH_HOST="quiet quota1.5 quota1.0 noisy") runs the whole bench once per host type, one after the other. Every run
# prints, with its rows/s, the client's CPU per row and its context switches (voluntary + involuntary) per request.
set -euo pipefail
bench_dir="$(cd "$(dirname "$0")" && pwd)"
cd "$bench_dir/.."

if [ "$(wc -w <<< "${BENCH_HOST:-quiet}")" -gt 1 ]; then
  for h in $BENCH_HOST; do BENCH_HOST="$h" bash "$bench_dir/bench.sh" || exit; done
  exit 0
fi

flow_cases=""; other_cases=""
for c in ${BENCH_CASES:-}; do
  if [[ "$c" == flow-* ]]; then flow_cases+="$c "; else other_cases+="$c "; fi
done
if [ -n "$flow_cases" ] && [ -z "$other_cases" ]; then exec bash "$bench_dir/flow.sh" "$flow_cases"; fi
[ -z "${BENCH_CASES:-}" ] || BENCH_CASES="$other_cases"

rows_b1="${BENCH_ROWS_B1:-50000}"
rows_b32="${BENCH_ROWS_B32:-1000000}"
workers="${BENCH_WORKERS:-16}"
jit=(dotnet Seldon.Batch.Dataflow.Cli/bin/Release/net10.0/seldon-batch-processor.dll)
native="${BENCH_BINARY:-out/publish/seldon-batch-processor}"

say() { printf '%s\n' "$*" >&2; }
. "$bench_dir/host.sh"
host_check
if (( rows_b32 % 32 != 0 )); then
  say "bench: BENCH_ROWS_B32=$rows_b32 is not a multiple of 32 (the fixed 32-row answers must split cleanly)"; exit 2
fi

# --- tools: wrk for the ceiling, nginx for the fixed answers, GNU time for peak memory (Debian packages; root on CI) ---
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  say "bench: installing ${need[*]}"
  apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

say "bench: building Release"
dotnet build Seldon.Batch.Dataflow.Cli/Seldon.Batch.Dataflow.Cli.csproj -c Release -nologo -v quiet >/dev/null
if [ -z "${BENCH_BINARY:-}" ] && [ "${BENCH_SERVE:-0}" != 1 ] && { [ ! -x "$native" ] || [ -n "$(find Seldon.Batch.Dataflow Seldon.Batch.Dataflow.Cli Seldon.Batch.Dataflow.Server \
    -path '*/bin' -prune -o -path '*/obj' -prune -o \( -name '*.cs' -o -name '*.csproj' \) -newer "$native" -print -quit)" ]; }; then
  say "bench: building the native binary (make publish; a few minutes)"
  bash deploy/publish.sh >/dev/null
fi

# The floor at batch size 1 (docs/performance.md): a bare request loop through RestSharp and through HttpClient alone,
# Native AOT like the processor; published once, again when its sources change.
restloop=out/restloop/RestLoop
if [ "${BENCH_SERVE:-0}" != 1 ] && { [ ! -x "$restloop" ] || [ -n "$(find Seldon.Batch.Dataflow.Benchmarks/RestLoop \
    -path '*/bin' -prune -o -path '*/obj' -prune -o \( -name '*.cs' -o -name '*.csproj' \) -newer "$restloop" -print -quit)" ]; }; then
  say "bench: building the request loop (Native AOT, a minute)"
  dotnet publish Seldon.Batch.Dataflow.Benchmarks/RestLoop/RestLoop.csproj -c Release -r linux-x64 -o out/restloop -nologo -v quiet >/dev/null
fi

work="$(mktemp -d /tmp/seldon-bench.XXXXXX)"
server=""
nginx_pid=""
stop() { if [ -n "$1" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi; }
cleanup() { stop "$server"; stop "$nginx_pid"; host_cleanup; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
host_setup
say "bench: host $(host_describe)"

# --- input: one ndarray row of four integers per line, the shape of samples/input-data.txt ---
biggest=$(( rows_b32 > rows_b1 ? rows_b32 : rows_b1 ))
biggest=$(( biggest > 1000000 ? biggest : 1000000 ))
awk -v n="$biggest" 'BEGIN { srand(7); for (i = 0; i < n; i++) printf "[[%d, %d, %d, %d]]\n", rand()*100, rand()*100, rand()*100, rand()*100 }' > "$work/all.txt"
head -n "$rows_b1" "$work/all.txt" > "$work/b1.txt"
head -n "$rows_b32" "$work/all.txt" > "$work/b32.txt"
head -n 100000 "$work/all.txt" > "$work/100k.txt"
head -n 1000000 "$work/all.txt" > "$work/1m.txt"
head -n 1 "$work/all.txt" > "$work/one.txt"

# --- the table case's input: b32.txt's rows as a Parquet file with one BIGINT column per element (f0..f3), written
# by DuckDB from a CSV of the same numbers, in the same order ---
duck="$(bash deploy/duckdb.sh)"
{ echo f0,f1,f2,f3; sed 's/^\[\[//; s/\]\]$//; s/, /,/g' "$work/b32.txt"; } > "$work/b32.csv"
node "$duck" "COPY (SELECT * FROM read_csv('$work/b32.csv', header = true, columns = {'f0': 'BIGINT', 'f1': 'BIGINT',
  'f2': 'BIGINT', 'f3': 'BIGINT'})) TO '$work/b32.parquet' (FORMAT parquet)" >/dev/null
rm -f "$work/b32.csv"

# --- nginx: fixed answers by path. `-g istio -d b1` (and b32) make distinct paths; V2 paths carry the model name
# (the deployment's by default), and the client asks the model's ready and metadata resources before it starts. ---
rows() { local n="$1" item="$2" sep="" out=""; for (( i = 0; i < n; i++ )); do out+="$sep$item"; sep=","; done; printf '%s' "$out"; }
seldon_body() { printf '{"data":{"names":["t:0"],"ndarray":[%s]},"meta":{"tags":{"model":"nginx"}}}' "$(rows "$1" '[0]')"; }
v2_body() { printf '{"model_name":"b%s","model_version":"1","id":"nginx","outputs":[{"name":"output-0","shape":[%s,1],"datatype":"FP64","data":[%s]}]}' "$1" "$1" "$(rows "$1" 0)"; }
v2_metadata() { printf '{"name":"b%s","versions":["1"],"platform":"nginx","inputs":[{"name":"features","datatype":"FP64","shape":[-1,-1]}],"outputs":[{"name":"output-0","datatype":"FP64","shape":[-1,1]}]}' "$1"; }
locations=""
for n in 1 32; do
  p="/seldon/default/b$n"
  locations+="    location = $p/api/v1.0/predictions { return 200 '$(seldon_body "$n")'; }
    location = $p/v2/models/b$n/infer { return 200 '$(v2_body "$n")'; }
    location = $p/v2/models/b$n/ready { return 200 ''; }
    location = $p/v2/models/b$n { return 200 '$(v2_metadata "$n")'; }
"
done
mkdir -p "$work/nginx/logs"
start_nginx() { # port: starts nginx in the foreground of a background job; 0 when it answers
  cat > "$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_buffer_size 64k;
  default_type application/json;
  server {
    listen 127.0.0.1:$1 reuseport;
$locations    location / { return 404 '{"error":"no fixed answer here"}'; }
  }
}
CONF
  "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/logs/error.log" 2>>"$work/nginx/logs/error.log" &
  nginx_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$nginx_pid" 2>/dev/null || { wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""; return 1; }
    sleep 0.05
  done
  return 1
}
nginx_port=""
for _ in $(seq 1 20); do
  candidate=$(( 20000 + RANDOM % 20000 ))
  (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null && continue # taken
  if start_nginx "$candidate"; then nginx_port="$candidate"; break; fi
done
[ -n "$nginx_port" ] || { say "bench: nginx did not start:"; cat "$work/nginx/logs/error.log" >&2; exit 1; }

# --- the built-in server: fixed answers for gRPC (and REST on the same server, to compare the transports) ---
# It runs with the runtime's defaults (dynamic PGO on, tiering after 100 ms) rather than the settings the processor
# ships with: over the bench's minutes those defaults make it the faster server.
DOTNET_TieredPGO=1 DOTNET_TC_CallCountingDelayMs=100 "${jit[@]}" serve --port 0 --grpc-port 0 --fixed-answer --ready-file "$work/ready" >/dev/null &
server=$!
for _ in $(seq 1 600); do
  [ -s "$work/ready" ] && break
  kill -0 "$server" 2>/dev/null || { say "bench: the built-in server did not start"; exit 1; }
  sleep 0.1
done
read -r rest grpc < "$work/ready"
kestrel_port="${rest#rest=}"
grpc_port="${grpc#grpc=}"

if [ "${BENCH_SERVE:-0}" = 1 ]; then
  say "bench: nginx on 127.0.0.1:$nginx_port (REST, -g istio -d b1 or -d b32), the built-in server on 127.0.0.1:$kestrel_port (REST) and 127.0.0.1:$grpc_port (gRPC) (-g seldon -d demo); inputs in $work (b1.txt, b32.txt, one.txt); host $(host_describe)${host_group:+ (put a client in the group: echo \$\$ > $host_group/cgroup.procs)}; Ctrl-C (or SIGTERM) stops them"
  wait "$server" || true
  exit 0
fi

# --- the ceiling: wrk POSTing one fixed one-row Seldon request to nginx; one 5 s run per round, median ---
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"data":{"ndarray":[[41, 19, 50, 83]]},"meta":{"tags":{"batch_id":"bench","batch_index":0,"batch_instance_id":"bench-0"}}}'
LUA
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ceiling_url="http://127.0.0.1:$nginx_port/seldon/default/b1/api/v1.0/predictions"
say "bench: wrk against nginx, 3 s of warm-up (the ceiling's 5 s runs are interleaved with the processor's, below)"
wrk -t1 -c16 -d3s -s "$work/post.lua" "$ceiling_url" >/dev/null
wrk_runs=()
ceiling() { wrk_runs+=("$(host_run wrk -t1 -c16 -d5s -s "$work/post.lua" "$ceiling_url" | awk '/^Requests\/sec:/ { print $2 }')"); }

# --- the processor: prints "rows/s peak-RSS-KiB wall-ms CPU-ms switches"; rows/s is over the process's whole life (start-up and
# warm-up included); fails the bench when a line is missing or failed ---
run() { # binary(native|jit|restsharp|httpclient|dataflow) server(nginx|kestrel) transport protocol batch-size input
  local command out="$work/out.txt" loop=0 table=0
  # A Parquet input (the table case) is written to a Parquet output, both formats known by their names.
  if [[ "$6" == *.parquet ]]; then table=1; out="$work/out.parquet"; fi
  if [ "$1" = restsharp ] || [ "$1" = httpclient ] || [ "$1" = dataflow ]; then # the request loops, nginx's one-row path
    loop=1
    command=("$restloop" "$1" "http://127.0.0.1:$nginx_port/seldon/default/b1/api/v1.0/predictions" "$6" "$workers")
    [ "$1" = dataflow ] && command+=("$out") # the one that writes its answers, as lines
  else
    local bin=("$native") endpoint
    [ "$1" = jit ] && bin=("${jit[@]}")
    if [ "$2" = nginx ]; then
      endpoint=(-g istio -d "b$5" -h "127.0.0.1:$nginx_port")
    else
      endpoint=(-g seldon -d demo -h "127.0.0.1:$([ "$3" = grpc ] && echo "$grpc_port" || echo "$kestrel_port")")
    fi
    command=("${bin[@]}" "${endpoint[@]}" -t "$3" --protocol "$4" -s "$5" -w "$workers" -i "$6" -o "$out" -b -l warning)
  fi
  local start end
  # The last run's output (a 1M-line run leaves 200 MB in the page cache) is removed before the clock starts, so no
  # run pays for freeing the one before it.
  rm -f "$out" "$out.records.jsonl"
  start=$(date +%s%N)
  # GNU time reports the client's peak RSS, CPU and context switches (voluntary, involuntary), all threads counted.
  host_run /usr/bin/time -f '%M %U %S %w %c' -o "$work/rss" "${command[@]}" > "$work/summary" 2> "$work/stderr" \
    || { say "bench: the run $* failed:"; cat "$work/stderr" >&2; exit 1; }
  end=$(date +%s%N)
  local failed lines expected
  if [ "$table" = 1 ]; then expected="$(wc -l < "${6%.parquet}.txt")"; else expected="$(wc -l < "$6")"; fi
  if [ "$loop" = 0 ]; then # the loop checks its own answers (its exit code)
    failed="$(awk -F': ' '$1 == "failed" { print $2 }' "$work/summary")"
    if [ "$table" = 1 ]; then # the output table's rows without an error, counted by DuckDB (after the clock)
      lines="$(node "$duck" "SELECT count(*) - count(error) AS n FROM read_parquet('$out')" | sed 's/[^0-9]//g')"
    else
      lines="$(wc -l < "$out")"
    fi
    if [ "$failed" != "0" ] || [ "$lines" != "$expected" ]; then
      say "bench: the run $* wrote $lines lines for $expected, $failed failed"; cat "$work/stderr" >&2; exit 1
    fi
  fi
  # rows/s, peak RSS (KiB), wall ms, the client's CPU ms (user + system), its context switches
  tail -n 1 "$work/rss" | awk -v n="$expected" -v ns="$(( end - start ))" '{ printf "%.1f %s %.1f %.0f %d\n", n / (ns / 1e9), $1, ns / 1e6, ($2 + $3) * 1000, $4 + $5 }'
}

# Three runs of each case, interleaved, so a busy moment of the machine does not fall on one case only; medians.
# The request loops run right after the processor's REST b1 case, which they are compared with, and before the built-in
# server's cases (whose process may still be busy for a moment after a run).
cases=(
  "rest-seldon-nginx native nginx rest seldon"
  "loop-restsharp restsharp nginx rest seldon"
  "loop-httpclient httpclient nginx rest seldon"
  "loop-dataflow dataflow nginx rest seldon"
  "rest-v2-nginx native nginx rest v2"
  "parquet-seldon-nginx native nginx rest seldon"
  "rest-seldon-kestrel native kestrel rest seldon"
  "grpc-seldon-kestrel native kestrel grpc seldon"
  "grpc-v2-kestrel native kestrel grpc v2"
)
[ "${BENCH_JIT:-0}" = 1 ] && cases+=("jit-rest-seldon-nginx jit nginx rest seldon")
# "targets" names the 14 cases the ratio targets below are made of (no start-up, memory or flow cases): a host type's
# table of docs/performance.md is `BENCH_HOST=<type> BENCH_CASES=targets make bench`.
target_cases="rest-seldon-nginx/1 rest-seldon-nginx/32 rest-v2-nginx/1 rest-v2-nginx/32 parquet-seldon-nginx/32
  rest-seldon-kestrel/1 rest-seldon-kestrel/32 grpc-seldon-kestrel/1 grpc-seldon-kestrel/32 grpc-v2-kestrel/1
  grpc-v2-kestrel/32 loop-restsharp/1 loop-httpclient/1 loop-dataflow/1"
selected="${BENCH_CASES:-}"
selected="${selected//targets/$(echo $target_cases)}"
rounds="${BENCH_RUNS:-3}"
[ -n "$selected" ] || rounds=3
say "bench: ${#cases[@]} cases at batch size 1 ($rows_b1 rows) and 32 ($rows_b32 rows), $workers workers, $rounds runs each${selected:+ (only $selected)}"
declare -A runs=() cpu=() rss=() per_row=() per_request=()
# The built-in server is a framework-dependent program (JIT, tiered compilation), so it is warmed up, as nginx is by
# wrk, before its runs are measured: one short run of each of its cases at each batch size, not counted.
cp "$work/b1.txt" "$work/warm1.txt"
head -n 320000 "$work/b32.txt" > "$work/warm32.txt"
for size in 1 32; do
  for case in "${cases[@]}"; do
    read -r name bin srv transport protocol <<< "$case"
    [ "$srv" = kestrel ] || continue
    [ -z "$selected" ] || [[ " $selected " == *" $name/$size "* ]] || continue
    run "$bin" "$srv" "$transport" "$protocol" "$size" "$work/warm$size.txt" >/dev/null
  done
done
# Each round starts with one 5 s run of the ceiling, so the ceiling and the processor are measured in the same
# stretch of the machine's time (a shared machine's speed drifts over the bench's minutes).
for _ in $(seq 1 "$rounds"); do
  ceiling
  for size in 1 32; do
    for case in "${cases[@]}"; do
      read -r name bin srv transport protocol <<< "$case"
      [ -z "$selected" ] || [[ " $selected " == *" $name/$size "* ]] || continue
      [[ "$name" != loop-* ]] || [ "$size" = 1 ] || continue # the loops are the floor at batch size 1 only
      [[ "$name" != parquet-* ]] || [ "$size" = 32 ] || continue # the table case is compared at batch size 32 only
      input="$work/b1.txt"; [ "$size" = 32 ] && input="$work/b32.txt"
      [[ "$name" != parquet-* ]] || input="$work/b32.parquet"
      read -r rate kib _ ms switches < <(run "$bin" "$srv" "$transport" "$protocol" "$size" "$input")
      runs[$name/$size]+="$rate "
      cpu[$name/$size]+="$ms "
      rss[$name/$size]+="$kib "
      # client CPU per row (µs) and context switches per request (a request carries $size rows; the loops send one)
      n="$(if [ "$size" = 32 ]; then echo "$rows_b32"; else echo "$rows_b1"; fi)"
      per_row[$name/$size]+="$(awk -v ms="$ms" -v n="$n" 'BEGIN { printf "%.2f", ms * 1000 / n }') "
      per_request[$name/$size]+="$(awk -v c="$switches" -v n="$n" -v s="$size" 'BEGIN { printf "%.3f", c / (n / s) }') "
    done
  done
done
wrk_rps="$(printf '%s\n' "${wrk_runs[@]}" | median)"
of() { printf '%s\n' ${runs[$1]:-} | median; } # 0 when the case did not run
costs() { # the medians of a case's client CPU per row and context switches per request
  printf 'CPU %6.2f us/row, %6.3f switches/request' "$(printf '%s\n' ${per_row[$1]} | median)" "$(printf '%s\n' ${per_request[$1]} | median)"
}
peak() { printf '%s\n' ${rss[$1]} | sort -g | tail -n 1; } # the highest peak RSS (KiB) of a case's runs
# The table case's targets (issue 20), printed when both its case and the JSON-lines case it is compared with ran.
table_verdict() {
  [ -n "${runs[parquet-seldon-nginx/32]:-}" ] && [ -n "${runs[rest-seldon-nginx/32]:-}" ] || return 0
  awk -v p="$(of parquet-seldon-nginx/32)" -v j="$(of rest-seldon-nginx/32)" -v m="$(peak parquet-seldon-nginx/32)" -v n="$rows_b32" '
  BEGIN {
    printf "%-44s %9.3f  %-10s %s\n", "Parquet b32 rows/s / JSON lines b32 rows/s", p / j, ">= 0.80", (p / j >= 0.80) ? "PASS" : "FAIL"
    printf "%-44s %5.1f MiB  %-10s %s\n", "Parquet b32 peak memory (" n " rows)", m / 1024, "<= 200 MiB", (m / 1024 <= 200) ? "PASS" : "FAIL"
  }'
}

targets() { # the targets, PASS or FAIL; after a BENCH_CASES run, the ratios whose cases ran
awk -v wrk="$wrk_rps" -v rb1="$(of rest-seldon-nginx/1)" -v rb32="$(of rest-seldon-nginx/32)" \
    -v vb1="$(of rest-v2-nginx/1)" -v vb32="$(of rest-v2-nginx/32)" \
    -v kb1="$(of rest-seldon-kestrel/1)" -v kb32="$(of rest-seldon-kestrel/32)" \
    -v gb1="$(of grpc-seldon-kestrel/1)" -v gb32="$(of grpc-seldon-kestrel/32)" \
    -v wb1="$(of grpc-v2-kestrel/1)" -v wb32="$(of grpc-v2-kestrel/32)" \
    -v lrs="$(of loop-restsharp/1)" -v lhc="$(of loop-httpclient/1)" -v ldf="$(of loop-dataflow/1)" \
    -v start="$(printf '%s\n' ${startup_native:-} | median)" -v m1="${rss_100k:-}" -v m2="${rss_1m:-}" '
function verdict(ok) { return ok ? "PASS" : "FAIL" }
function within(a, b) { return a >= 0.9 * b }
# A ratio whose cases did not both run (a BENCH_CASES run) is left out.
function ratio(label, a, b, wanted, least) {
  if (a > 0 && b > 0) printf "%-44s %9.3f  %-10s %s\n", label, a / b, wanted, least == "" ? "" : verdict(a / b >= least)
}
BEGIN {
  printf "%-44s %9s  %-10s %s\n", "target", "value", "wanted", "result"
  ratio("REST b1 / RestSharp loop b1 (nginx)", rb1, lrs, ">= 0.95", "0.95")
  ratio("REST b32 rows/s / wrk req/s (nginx)", rb32, wrk, ">= 4", "4")
  ratio("gRPC b1 / REST b1 (built-in server)", gb1, kb1, ">= 1", "1")
  ratio("gRPC b32 / REST b32 (built-in server)", gb32, kb32, ">= 1", "1")
  ratio("V2 / Seldon, REST b1 (nginx)", vb1, rb1, ">= 0.90", "0.90")
  ratio("V2 / Seldon, REST b32 (nginx)", vb32, rb32, ">= 0.90", "0.90")
  ratio("V2 / Seldon, gRPC b1 (built-in server)", wb1, gb1, ">= 0.90", "0.90")
  ratio("V2 / Seldon, gRPC b32 (built-in server)", wb32, gb32, ">= 0.90", "0.90")
  if (m1 != "") { # a whole bench
    growth = (m2 - m1) / m1
    printf "%-44s %6.0f ms  %-10s %s\n", "native start-up, one line", start, "<= 100 ms", verdict(start <= 100)
    printf "%-44s %8.1f%%  %-10s %s\n", "memory growth 100k -> 1M rows", 100 * growth, "< 20%", verdict(growth < 0.20)
    printf "%-44s %5.1f MiB  %-10s %s\n", "peak memory at 1M rows", m2 / 1024, "<= 150 MiB", verdict(m2 / 1024 <= 150)
  }
  ratio("(for information) gRPC b1 / REST b1 nginx", gb1, rb1, "", "")
  ratio("(for information) gRPC b32 / REST b32 nginx", gb32, rb32, "", "")
  ratio("(for information) RestSharp loop / wrk", lrs, wrk, "", "")
  ratio("(for information) HttpClient loop / wrk", lhc, wrk, "", "")
  ratio("(for information) Dataflow loop / RestSharp loop", ldf, lrs, "", "")
  ratio("(for information) REST b1 / Dataflow loop b1", rb1, ldf, "", "")
  ratio("(for information) REST b1 / wrk (nginx)", rb1, wrk, "", "")
}'
}

if [ -n "$selected" ]; then
  printf '\nhost %s\n' "$(host_describe)"
  printf '%-44s %9.0f req/s    (runs: %s)\n' "ceiling: wrk -t1 -c16 -d5s, nginx, Seldon b1" "$wrk_rps" "${wrk_runs[*]}"
  for key in $selected; do
    [ -n "${runs[$key]:-}" ] || { say "bench: no case $key (names: rest-seldon-nginx rest-v2-nginx rest-seldon-kestrel grpc-seldon-kestrel grpc-v2-kestrel, /1 or /32; loop-restsharp loop-httpclient loop-dataflow, /1; parquet-seldon-nginx, /32)"; exit 2; }
    printf '%-32s %9.0f rows/s (runs: %s)  client CPU %6.0f ms (runs: %s)  peak RSS %6.1f MiB  %s (runs: %s; %s)\n' \
      "$key" "$(of "$key")" "${runs[$key]% }" "$(printf '%s\n' ${cpu[$key]} | median)" "${cpu[$key]% }" "$(peak "$key" | awk '{ print $1 / 1024 }')" \
      "$(costs "$key")" "${per_row[$key]% }" "${per_request[$key]% }"
  done
  printf '\n'
  targets
  table_verdict
  [ -z "$flow_cases" ] || bash "$bench_dir/flow.sh" "$flow_cases"
  exit 0
fi

say "bench: start-up, one line against nginx (5 runs each)"
startup_native=""; startup_jit=""
for _ in 1 2 3 4 5; do
  read -r _ _ ms _ < <(run native nginx rest seldon 1 "$work/one.txt"); startup_native+="$ms "
  read -r _ _ ms _ < <(run jit nginx rest seldon 1 "$work/one.txt"); startup_jit+="$ms "
done
say "bench: peak memory at 100k and 1M rows (native, REST against nginx, batch size 32)"
read -r _ rss_100k _ < <(run native nginx rest seldon 32 "$work/100k.txt")
read -r _ rss_1m _ < <(run native nginx rest seldon 32 "$work/1m.txt")

# --- report ---
line() { # label name size
  local r="${runs[$2/$3]}"
  printf '%-44s %9.0f rows/s   %s   (runs: %s)\n' "$1" "$(of "$2/$3")" "$(costs "$2/$3")" "${r% }"
}
{
  printf '\nnative binary %s, %d workers; nginx on loopback, the built-in server for gRPC\n' "$native" "$workers"
  printf 'host %s\n' "$(host_describe)"
  printf '%-44s %9.0f req/s    (runs: %s)\n' "ceiling: wrk -t1 -c16 -d5s, nginx, Seldon b1" "$wrk_rps" "${wrk_runs[*]}"
  for size in 1 32; do
    n="$rows_b1"; [ "$size" = 32 ] && n="$rows_b32"
    line "REST seldon b$size, nginx ($n rows)" rest-seldon-nginx "$size"
    line "REST v2     b$size, nginx" rest-v2-nginx "$size"
    [ "$size" = 32 ] && line "REST seldon b32, nginx, Parquet -> Parquet" parquet-seldon-nginx 32 \
      && awk -v m="$(peak parquet-seldon-nginx/32)" 'BEGIN { printf "%-44s %9.1f MiB peak RSS\n", "", m / 1024 }'
    line "REST seldon b$size, built-in server" rest-seldon-kestrel "$size"
    line "gRPC seldon b$size, built-in server" grpc-seldon-kestrel "$size"
    line "gRPC v2     b$size, built-in server" grpc-v2-kestrel "$size"
    [ "${BENCH_JIT:-0}" = 1 ] && line "REST seldon b$size, nginx, framework-dependent" jit-rest-seldon-nginx "$size"
    if [ "$size" = 1 ]; then
      line "floor: RestSharp request loop b1, nginx" loop-restsharp 1
      line "floor: HttpClient request loop b1, nginx" loop-httpclient 1
      line "RestSharp loop in a stock Dataflow network b1" loop-dataflow 1
    fi
  done
  printf '%-44s %9.0f ms       (runs: %s)\n' "start-up, one line, native" "$(printf '%s\n' $startup_native | median)" "${startup_native% }"
  printf '%-44s %9.0f ms       (runs: %s)\n' "start-up, one line, framework-dependent" "$(printf '%s\n' $startup_jit | median)" "${startup_jit% }"
  awk -v m1="$rss_100k" -v m2="$rss_1m" 'BEGIN { printf "%-44s 100k rows %6.1f MiB   1M rows %6.1f MiB\n\n", "memory: native, REST b32, peak RSS", m1 / 1024, m2 / 1024 }'
}
targets
table_verdict
bash "$bench_dir/flow.sh"
