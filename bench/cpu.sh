#!/usr/bin/env bash
# CPU benchmark: the same bare-metal ELF (bench/cpu/bench.c, about 1e9 instructions) under
# vmft (once per engine in ACCELS, default "interp jit") and under QEMU's TCG, best wall time
# of RUNS runs each. Prints vmft's instruction count, the wall times and MIPS (QEMU's from
# vmft's count: the same program retires the same instructions) and each vmft/QEMU wall-time
# ratio. All must print the same checksum.
set -euo pipefail

RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

die() { echo "bench/cpu.sh: $*" >&2; exit 1; }
. "$ROOT/bench/lib.sh"

command -v riscv64-unknown-elf-gcc >/dev/null ||
    die "riscv64-unknown-elf-gcc not found (Debian: apt-get install gcc-riscv64-unknown-elf)"
command -v qemu-system-riscv64 >/dev/null ||
    die "qemu-system-riscv64 not found (Debian: apt-get install qemu-system-misc)"

ELF=$WORK/bench.elf
echo "building bench/cpu/bench.c" >&2
build_baremetal "$ELF" "$ROOT/bench/cpu/bench.c"

build_vmft

now() { date +%s.%N; }

# run_best NAME OUT_PREFIX CMD...: runs CMD RUNS times, keeps the output of the first run in
# OUT_PREFIX.out/.err and prints the best wall time in seconds.
run_best() {
    local name=$1 prefix=$2 best="" start end t i
    shift 2
    for ((i = 1; i <= RUNS; i++)); do
        start=$(now)
        if ! "$@" >"$prefix.run.out" 2>"$prefix.run.err" </dev/null; then
            cat "$prefix.run.out" "$prefix.run.err" >&2
            die "$name run $i failed"
        fi
        end=$(now)
        t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
        echo "  $name run $i: ${t}s" >&2
        if [[ $i -eq 1 ]]; then
            mv "$prefix.run.out" "$prefix.out"
            mv "$prefix.run.err" "$prefix.err"
        fi
        if [[ -z $best ]] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then best=$t; fi
    done
    echo "$best"
}

# Both engines, the interpreter (the reference) and the JIT, against the same QEMU run.
ACCELS=(${ACCELS:-interp jit})
declare -A VMFT_TIME
for accel in "${ACCELS[@]}"; do
    echo "running vmft --accel $accel $RUNS times" >&2
    VMFT_TIME[$accel]=$(run_best "vmft-$accel" "$WORK/vmft-$accel" "$VMFT" run --bios none \
        --kernel "$ELF" --stats --accel "$accel")
done
echo "running QEMU $RUNS times" >&2
QEMU_TIME=$(run_best qemu "$WORK/qemu" timeout 600 qemu-system-riscv64 -machine virt -bios none \
    -nographic -m 256M -kernel "$ELF")

QEMU_SUM=$(grep -a '^checksum ' "$WORK/qemu.out" | tr -d '\r' || true)
[[ -n $QEMU_SUM ]] || die "QEMU printed no checksum: $(cat "$WORK/qemu.out")"
for accel in "${ACCELS[@]}"; do
    VMFT_SUM=$(grep -a '^checksum ' "$WORK/vmft-$accel.out" | tr -d '\r' || true)
    [[ -n $VMFT_SUM ]] || die "vmft --accel $accel printed no checksum"
    [[ $VMFT_SUM == "$QEMU_SUM" ]] ||
        die "checksums differ: vmft --accel $accel '$VMFT_SUM', QEMU '$QEMU_SUM'"
done
# vmft --stats: "vmft: N instructions in S s (M MIPS)" on stderr.
INSNS=$(sed -n 's/^vmft: \([0-9][0-9]*\) instructions.*/\1/p' "$WORK/vmft-${ACCELS[0]}.err" | tail -n 1)
[[ -n $INSNS ]] || die "vmft --stats printed no instruction count"

echo "checksum:            ${QEMU_SUM#checksum } (identical under vmft and QEMU)"
echo "vmft instructions:   $INSNS"
awk -v n="$INSNS" -v q="$QEMU_TIME" 'BEGIN { printf "QEMU wall time:      %.3f s (%.1f MIPS)\n", q, n / q / 1e6 }'
for accel in "${ACCELS[@]}"; do
    awk -v a="$accel" -v n="$INSNS" -v v="${VMFT_TIME[$accel]}" -v q="$QEMU_TIME" 'BEGIN {
        printf "vmft --accel %-6s  %.3f s (%.1f MIPS), %.2fx QEMU wall time\n", a, v, n / v / 1e6, v / q
    }'
done
