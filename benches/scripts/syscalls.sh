#!/usr/bin/env bash
# System calls per echoed message of compare's echo server, counted by `perf stat` (issue 13).
#
#   benches/scripts/syscalls.sh [connections...]        (default: 1 64)
#
# For each connection count and runtime, REPEAT times (default 3), runs
#   compare --threads $THREADS --rounds 1 --runtime R --only "echo $SIZE c=C$"
# with COMPARE_SERVER_PREFIX set to `perf stat -x, -e <syscall tracepoints> -o FILE --`, so the
# server process (all its threads, -f is perf's default for a command) is counted from start to
# exit. The messages are the `compare: served: ... N completed` line compare prints when
# COMPARE_SERVER_PREFIX is set (every echo round trip of the run, warm-up included). Prints one
# line per run: total system calls per message, then the main calls per message; the lines of
# one runtime and connection count differ by a few percent (batching), so look at the median. These are
# counts, not times: they do not depend on how loaded the machine is (the load generator's
# batching does a little: a slower server sees more messages per wake-up).
#
# Environment:
#   THREADS   worker threads of the server and the load generator (default 2)
#   REPEAT    runs per runtime and connection count (default 3)
#   QUICK     1 for compare's --quick window (0.5 s instead of 2.3 s); default 0
#   RUNTIMES  runtimes to count (default "filch tokio")
#   SIZE      message size row of compare, 64B or 1KiB (default 64B)
#   COMPARE   the compare binary (default: target/release/compare, built first)
#   LABEL     a name for the filch column (e.g. "main", "epoll"); default: $FILCH_IO_BACKEND or
#             "filch"
#   OUT_DIR   where perf's files and compare's logs go (default target/syscalls)
#   FILCH_IO_BACKEND is passed to the filch server as usual (epoll or polling).
#
# `strace -c -f -o FILE --` works as a prefix too (with the per-call table) but slows the server
# several times, which changes how many messages each wake-up finds; perf's tracepoints do not.
set -euo pipefail

conns=("$@")
[ ${#conns[@]} -gt 0 ] || conns=(1 64)
threads=${THREADS:-2}
repeat=${REPEAT:-3}
quick=()
[ "${QUICK:-0}" = 1 ] && quick=(--quick)
read -r -a runtimes <<<"${RUNTIMES:-filch tokio}"
size=${SIZE:-64B}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out_dir=${OUT_DIR:-$target/syscalls}
label=${LABEL:-${FILCH_IO_BACKEND:-filch}}
mkdir -p "$out_dir"

command -v perf >/dev/null || {
    echo "syscalls.sh: perf is not installed (apt-get install -y linux-perf or linux-tools)" >&2
    exit 1
}
if [ -z "${COMPARE:-}" ]; then
    cargo build --release -q -p filch-benches --bin compare --manifest-path "$root/Cargo.toml"
    COMPARE=$target/release/compare
fi

calls=(epoll_pwait2 epoll_wait epoll_pwait epoll_ctl recvfrom sendto read write writev
    timerfd_settime futex sched_yield)
events=raw_syscalls:sys_enter
for call in "${calls[@]}"; do events+=",syscalls:sys_enter_$call"; done

printf '%-14s %5s %9s %9s' runtime c messages 'calls/msg'
for call in "${calls[@]}"; do printf ' %s' "$call"; done
echo
for c in "${conns[@]}"; do
    for run in $(seq "$repeat"); do for rt in "${runtimes[@]}"; do
        name=$rt
        [ "$rt" = filch ] && name="filch-$label"
        stem=$out_dir/$name.c$c.$run
        rm -f "$stem".perf.*
        COMPARE_SERVER_PREFIX="perf stat -x , -e $events -o $stem.perf.{service} --" \
            "$COMPARE" --threads "$threads" ${quick[@]+"${quick[@]}"} --rounds 1 --runtime "$rt" \
            --only "echo $size c=$c\$" >"$stem.log" 2>&1
        messages=$(sed -n 's/^compare: served: .* \([0-9]*\) completed$/\1/p' "$stem.log" | head -1)
        perf_file=$(ls "$stem".perf.* 2>/dev/null | head -1)
        if [ -z "$messages" ] || [ -z "$perf_file" ]; then
            echo "syscalls.sh: no count for $name c=$c; see $stem.log" >&2
            exit 1
        fi
        # perf -x, lines: value,unit,event,...
        count() { awk -F, -v ev="$1" '$3 == ev { print $1 }' "$perf_file"; }
        total=$(count raw_syscalls:sys_enter)
        printf '%-14s %5s %9s %9.2f' "$name" "$c" "$messages" "$(echo "$total / $messages" | bc -l)"
        for call in "${calls[@]}"; do
            n=$(count "syscalls:sys_enter_$call")
            case $n in '' | '<not'*) n=0 ;; esac
            printf ' %.2f' "$(echo "$n / $messages" | bc -l)"
        done
        echo
    done; done
done
