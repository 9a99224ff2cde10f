#!/usr/bin/env bash
# CPU benchmark: the same bare-metal ELF (bench/cpu/bench.c, about 1e9 instructions) under
# vmft and under QEMU's TCG, best wall time of RUNS runs each. Prints vmft's instruction count,
# both wall times and MIPS (QEMU's from vmft's count: the same program retires the same
# instructions) and the vmft/QEMU wall-time ratio. Both must print the same checksum.
set -euo pipefail

RUNS=${RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

die() { echo "bench/cpu.sh: $*" >&2; exit 1; }

command -v riscv64-unknown-elf-gcc >/dev/null ||
    die "riscv64-unknown-elf-gcc not found (Debian: apt-get install gcc-riscv64-unknown-elf)"
command -v qemu-system-riscv64 >/dev/null ||
    die "qemu-system-riscv64 not found (Debian: apt-get install qemu-system-misc)"

COMMON=$ROOT/tests/isa/common
ELF=$WORK/bench.elf
echo "building bench/cpu/bench.c" >&2
riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -mcmodel=medany -nostdlib -nostartfiles \
    -static -ffreestanding -fno-builtin -O2 -I"$COMMON" -T "$COMMON/link.ld" \
    "$COMMON/crt0.S" "$COMMON/lib.c" "$ROOT/bench/cpu/bench.c" -o "$ELF" ||
    die "building the benchmark failed"

echo "building vmft (cargo build --release)" >&2
(cd "$ROOT" && cargo build --release -p vmft) || die "cargo build --release failed"
VMFT=$CARGO_TARGET_DIR/release/vmft
[[ -x $VMFT ]] || die "vmft binary not found at $VMFT"

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

echo "running vmft $RUNS times" >&2
VMFT_TIME=$(run_best vmft "$WORK/vmft" "$VMFT" run --bios none --kernel "$ELF" --stats)
echo "running QEMU $RUNS times" >&2
QEMU_TIME=$(run_best qemu "$WORK/qemu" timeout 600 qemu-system-riscv64 -machine virt -bios none \
    -nographic -m 256M -kernel "$ELF")

VMFT_SUM=$(grep -a '^checksum ' "$WORK/vmft.out" | tr -d '\r' || true)
QEMU_SUM=$(grep -a '^checksum ' "$WORK/qemu.out" | tr -d '\r' || true)
[[ -n $VMFT_SUM ]] || die "vmft printed no checksum: $(cat "$WORK/vmft.out")"
[[ -n $QEMU_SUM ]] || die "QEMU printed no checksum: $(cat "$WORK/qemu.out")"
[[ $VMFT_SUM == "$QEMU_SUM" ]] || die "checksums differ: vmft '$VMFT_SUM', QEMU '$QEMU_SUM'"

# vmft --stats: "vmft: N instructions in S s (M MIPS)" on stderr.
INSNS=$(sed -n 's/^vmft: \([0-9][0-9]*\) instructions.*/\1/p' "$WORK/vmft.err" | tail -n 1)
[[ -n $INSNS ]] || die "vmft --stats printed no instruction count: $(cat "$WORK/vmft.err")"

echo "checksum:            ${VMFT_SUM#checksum } (identical under vmft and QEMU)"
awk -v n="$INSNS" -v v="$VMFT_TIME" -v q="$QEMU_TIME" 'BEGIN {
    printf "vmft instructions:   %d\n", n
    printf "vmft wall time:      %.3f s (%.1f MIPS)\n", v, n / v / 1e6
    printf "QEMU wall time:      %.3f s (%.1f MIPS)\n", q, n / q / 1e6
    printf "vmft/QEMU wall time: %.2f\n", v / q
}'
