# Sourced by bench.sh: the host type the bench measures on (BENCH_HOST), issue 22 item 2. The targets must hold on a
# quiet machine, on a pod whose CPU is limited, and beside a busy neighbour, so each is made here on demand:
#
#   quiet      nothing is changed (the default);
#   quota1.5   the client side (the processor, the request loops and wrk) runs in a CPU cgroup whose quota is 1.5 x its
#   quota1.0   period (1.0 x): the CFS bandwidth limit a Kubernetes pod's `limits.cpu: 1500m` (1000m) sets. The
#              servers (nginx, the built-in server) stay outside it: they stand for the model, which is not in the pod;
#   noisy      one busy process (a shell loop at normal priority) runs beside every case, from the first build of the
#              inputs to the end, and is killed on exit.
#
# wrk runs in the quota group too: it is the cheapest possible client, and the ratios to it (REST b32 >= 4 x wrk) ask
# how close the processor gets to what a client can do on that host, so both are held to the same CPU. wrk -t1 is one
# thread, so a quota of 1.0 and more barely slows it; the processor, with its thread pool, feels the limit.
#
# cgroup v1 (this project's CI machines): /sys/fs/cgroup/cpu/<group>/cpu.cfs_quota_us and cpu.cfs_period_us; cgroup v2
# (/sys/fs/cgroup/cgroup.controllers exists): /sys/fs/cgroup/<group>/cpu.max, the cpu controller enabled in the
# parent's cgroup.subtree_control. A process is put into the group by host_run, a wrapper that writes its own pid to
# the group's cgroup.procs and then execs the command, so the command and every thread it starts are limited.
#
# Functions: host_check (before the builds), host_setup (once, before the inputs are made), host_run COMMAND... (runs
# a client command on the host), host_describe (one line for the report), host_cleanup (from the EXIT trap).

host="${BENCH_HOST:-quiet}"
host_group=""     # the cgroup directory of the quota hosts
host_burner=""    # the noisy host's busy process
host_note=""

host_check() { # before the builds: a host type that is not one stops the bench at once
  case "$host" in
    quiet | quota1.5 | quota1.0 | noisy) ;;
    *) say "bench: BENCH_HOST=$host is not a host type: use quiet, quota1.5, quota1.0 or noisy (or a list of them)"; exit 2 ;;
  esac
}

host_setup() {
  case "$host" in
    quiet) host_note="quiet: no limit, no neighbour" ;;
    quota1.5 | quota1.0) host_quota "${host#quota}" ;;
    noisy)
      # A busy loop that never sleeps, one process at normal priority: it takes one core's worth of time slices from
      # whatever runs beside it, as a neighbour's batch job would.
      bash -c 'while :; do :; done' &
      host_burner=$!
      host_note="noisy: one CPU burner beside every case (pid $host_burner, normal priority)"
      ;;
    *) say "bench: BENCH_HOST=$host is not a host type: use quiet, quota1.5, quota1.0 or noisy (or a list of them)"; exit 2 ;;
  esac
}

host_quota() { # cores, e.g. 1.5
  local cores="$1" period=100000 quota name="seldon-bench-$$"
  quota="$(awk -v c="$cores" -v p="$period" 'BEGIN { printf "%d", c * p }')"
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then # cgroup v2
    host_group="/sys/fs/cgroup/$name"
    grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null \
      || echo +cpu > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
    # The weight Kubernetes gives a Guaranteed pod of that many cores (its shares, 1024 a core, mapped to cpu.weight).
    if ! mkdir "$host_group" 2>/dev/null || ! echo "$quota $period" > "$host_group/cpu.max" 2>/dev/null \
        || ! echo $(( 1 + (quota * 1024 / period - 2) * 9999 / 262142 )) > "$host_group/cpu.weight" 2>/dev/null; then
      host_refuse "cgroup v2: could not create $host_group with a cpu.max of \"$quota $period\" (the cpu controller must be enabled in /sys/fs/cgroup/cgroup.subtree_control and the directory writable)"
    fi
  elif [ -e /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then # cgroup v1
    host_group="/sys/fs/cgroup/cpu/$name"
    # The group's weight as Kubernetes sets a Guaranteed pod's (1024 per core of its request, here its limit): beside
    # other runnable processes the group competes as one entity, and the default 1024 would weigh it as one thread.
    if ! mkdir "$host_group" 2>/dev/null || ! echo "$period" > "$host_group/cpu.cfs_period_us" 2>/dev/null \
        || ! echo "$quota" > "$host_group/cpu.cfs_quota_us" 2>/dev/null \
        || ! echo $(( quota * 1024 / period )) > "$host_group/cpu.shares" 2>/dev/null; then
      host_refuse "cgroup v1: could not create $host_group with cpu.cfs_quota_us $quota and cpu.cfs_period_us $period"
    fi
  else
    host_refuse "neither cgroup v2 (/sys/fs/cgroup/cgroup.controllers) nor cgroup v1's cpu controller (/sys/fs/cgroup/cpu/cpu.cfs_quota_us) is mounted here"
  fi
  host_note="$host: the clients (processor, request loops, wrk) in $host_group, CPU quota $quota us per $period us ($cores cores), weight $(( quota * 1024 / period )) shares"
}

host_refuse() {
  [ -z "$host_group" ] || rmdir "$host_group" 2>/dev/null || true
  host_group=""
  say "bench: BENCH_HOST=$host needs a CPU cgroup it can create, and $1. Run as root on a host that mounts the cpu controller, or use BENCH_HOST=quiet or noisy."
  exit 2
}

host_run() { # command...: runs it on the host; in the quota group when there is one
  if [ -n "$host_group" ]; then
    bash -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$host_group" "$@"
  else
    "$@"
  fi
}

host_describe() { # the host, the load, and for a quota how often the group was throttled so far (the limit did bite)
  local throttled=""
  if [ -n "$host_group" ] && [ -r "$host_group/cpu.stat" ]; then
    throttled="$(awk '$1 == "nr_periods" { p = $2 } $1 == "nr_throttled" { t = $2 } END { if (p) printf "; throttled in %d of %d periods", t, p }' "$host_group/cpu.stat")"
  fi
  printf '%s%s; load average %s' "$host_note" "$throttled" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

host_cleanup() {
  if [ -n "$host_burner" ]; then kill "$host_burner" 2>/dev/null || true; wait "$host_burner" 2>/dev/null || true; host_burner=""; fi
  # The group is empty once its runs have ended (each run is waited for); a group still in use is left for the kernel.
  if [ -n "$host_group" ]; then rmdir "$host_group" 2>/dev/null || say "bench: could not remove $host_group"; host_group=""; fi
}
