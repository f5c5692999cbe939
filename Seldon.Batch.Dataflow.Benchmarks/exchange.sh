#!/usr/bin/env bash
# How one client run exchanges data with a server on loopback: the TCP segments that carry data (PSH) in each
# direction, their mean size, and the mean time between the last segment of one direction and the first of the other
# (the server's turnaround after the client's writes, the client's after the server's). Written for the eighth round of
# issue 13 (docs/performance.md): over gRPC the 16 workers' calls travel in bursts on the one HTTP/2 connection (one
# write of all the requests, one write of all the answers), so the two processes take turns instead of overlapping;
# over REST each of the 16 connections has its own rhythm. A change that breaks the bursts shows up here as smaller
# segments and shorter turnarounds. Needs tcpdump (installed with apt-get when missing; root).
#
#   exchange.sh PORT COMMAND...   e.g. exchange.sh 5001 out/publish/seldon-batch-processor -t grpc -h 127.0.0.1:5001 ...
# PORT is the server's port; COMMAND runs while the capture does. The first 10 segments (connection set-up) are left out.
set -euo pipefail
port="${1:?usage: exchange.sh PORT COMMAND...}"
shift
command -v tcpdump >/dev/null || apt-get install -y --no-install-recommends tcpdump >/dev/null 2>&1 \
  || { apt-get update >/dev/null && apt-get install -y --no-install-recommends tcpdump >/dev/null; }

capture="$(mktemp /tmp/exchange.XXXXXX.pcap)"
tcpdump -i lo -nn -U -w "$capture" "tcp port $port and tcp[tcpflags] & tcp-push != 0" 2>/dev/null &
dump=$!
trap 'kill "$dump" 2>/dev/null || true; rm -f "$capture"' EXIT
# tcpdump prints nothing when it is ready; the file appears once it has opened the interface.
for _ in $(seq 100); do [ -s "$capture" ] && break; sleep 0.05; done
"$@" >/dev/null
sleep 0.2
kill -INT "$dump"; wait "$dump" 2>/dev/null || true

tcpdump -nn -tt -r "$capture" 2>/dev/null | awk -v port="$port" '
  {
    n = split($3, from, "."); src = from[n]; n = split($5, to, "."); dst = to[n]; sub(":", "", dst)
    # Each connection (by the client port) on its own: REST has 16, gRPC one.
    if (dst == port) { dir = "client"; conn = src } else { dir = "server"; conn = dst }
  }
  NR <= 10 { next }
  {
    if (last[conn] != "" && dir != last[conn]) { gap[last[conn]] += $1 - at[conn]; turns[last[conn]]++ }
    last[conn] = dir; at[conn] = $1; bytes[dir] += $NF; segments[dir]++; conns[conn] = 1
  }
  END {
    for (c in conns) count++
    printf "connections %d\n", count
    for (d in segments) printf "%-6s segments %7d  mean %7.0f B\n", d, segments[d], bytes[d] / segments[d]
    if (turns["client"]) printf "server turnaround (client write -> answer)   %6.0f us (%d)\n", gap["client"] / turns["client"] * 1e6, turns["client"]
    if (turns["server"]) printf "client turnaround (answer -> next write)     %6.0f us (%d)\n", gap["server"] / turns["server"] * 1e6, turns["server"]
  }'
