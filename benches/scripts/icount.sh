#!/usr/bin/env bash
# Instructions per iteration of one executor workload on each runtime, counted by callgrind.
#
#   benches/scripts/icount.sh <workload> [threads] [runtimes...]
#
# Runs `compare --only <workload> --rounds 1 --iterations N` under callgrind for N = 1 and
# N = 1 + EXTRA (default 10), and prints (I(1 + EXTRA) - I(1)) / EXTRA: the instructions one
# more run of the workload costs, with runtime start-up and shutdown subtracted. Instruction
# counts do not depend on how busy the machine is, which wall-clock times on a shared two-core
# box very much do. Callgrind runs one thread at a time, so these counts describe the work done,
# not how well the threads overlap. Keeps the callgrind.out files of the larger run in
# $OUT_DIR (default target/icount) for callgrind_annotate. FLAVOR=current_thread counts the
# current-thread runtimes (`compare --flavor current_thread`; filch and tokio only).
set -euo pipefail

workload=${1:?usage: icount.sh <workload> [threads] [runtimes...]}
threads=${2:-2}
shift $(( $# >= 2 ? 2 : 1 ))
runtimes=("$@")
[ ${#runtimes[@]} -gt 0 ] || runtimes=(filch tokio smol)
extra=${EXTRA:-10}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out_dir=${OUT_DIR:-$target/icount}
mkdir -p "$out_dir"

command -v valgrind >/dev/null || {
    echo "icount.sh: valgrind is not installed (apt-get install -y valgrind)" >&2
    exit 1
}
cargo build --release -q -p filch-benches --bin compare --manifest-path "$root/Cargo.toml"
compare=$target/release/compare

count() { # runtime iterations outfile -> prints the instruction count
    valgrind --tool=callgrind --fair-sched=yes --callgrind-out-file="$3" \
        "$compare" --threads "$threads" --only "$workload" --runtime "$1" \
        --rounds 1 --iterations "$2" ${FLAVOR:+--flavor "$FLAVOR"} 2>&1 >/dev/null |
        sed -n 's/^==[0-9]*== Collected : \([0-9]*\).*/\1/p'
}

printf '%-10s %16s\n' runtime "instr/iteration"
for rt in "${runtimes[@]}"; do
    base=$(count "$rt" 1 "$out_dir/$workload.$rt.base.out")
    more=$(count "$rt" $((1 + extra)) "$out_dir/$workload.$rt.out")
    if [ -z "$base" ] || [ -z "$more" ]; then
        echo "icount.sh: callgrind printed no total for $rt" >&2
        exit 1
    fi
    printf '%-10s %16d\n' "$rt" $(( (more - base) / extra ))
done
