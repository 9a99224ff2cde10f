#!/usr/bin/env bash
# Polling benchmark: the loop of bench/poll/poll.c (load a byte, test it, branch, count, loop;
# ITERATIONS times) reading the 16550 UART's line status register and, for comparison, an
# ordinary RAM byte, in M-mode without translation and in S-mode under Sv39. Runs each ELF
# RUNS times under the release vmft (`vmft run --bios none --kernel ELF --stats`) and prints
# the best instruction rate of each and the UART/RAM ratio; with a vmft whose `run` accepts
# `--accel`, once per accelerator (interp, jit). Then the same ELFs under QEMU
# (qemu-system-riscv64 -machine virt, whose UART and finisher sit where vmft's do), when it is
# installed, for the same figures side by side.
#
# VMFT=path runs that binary instead of building one (to compare two builds of vmft).
#
# Rates are instructions (from vmft's --stats) per second of CPU time (user + system) of the
# emulator's process, not of wall time: on a shared host the process may wait for a CPU, and the
# wait says nothing about the emulator. The single-threaded bare-metal run keeps one CPU busy
# throughout. QEMU counts no instructions: its rate takes the count vmft gave for the same ELF
# (the program retires the same instructions on both), and its CPU time includes its start-up.
set -euo pipefail

RUNS=${RUNS:-3}
ITERATIONS=${ITERATIONS:-100000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

die() { echo "bench/poll.sh: $*" >&2; exit 1; }
. "$ROOT/bench/lib.sh"

command -v riscv64-unknown-elf-gcc >/dev/null ||
    die "riscv64-unknown-elf-gcc not found (Debian: apt-get install gcc-riscv64-unknown-elf)"

echo "building bench/poll/poll.c ($ITERATIONS iterations)" >&2
for target in 0 1; do
    for sv39 in 0 1; do
        build_baremetal "$WORK/poll-$target-$sv39.elf" "$ROOT/bench/poll/poll.c" \
            -DTARGET_UART=$target -DSV39=$sv39 -DITERATIONS="${ITERATIONS}ULL"
    done
done

if [[ -z ${VMFT:-} ]]; then
    build_vmft
fi
[[ -x $VMFT ]] || die "vmft binary not found at $VMFT"

ENGINES=("")
if "$VMFT" run --help 2>&1 | grep -q -- '--accel'; then
    ENGINES=(interp jit)
fi
if command -v qemu-system-riscv64 >/dev/null; then
    ENGINES+=(qemu)
else
    echo "no qemu-system-riscv64 (Debian: apt-get install qemu-system-misc): no QEMU rows" >&2
fi

# best_mips ELF ENGINE: runs ELF RUNS times and prints the best MIPS, instructions over the CPU
# time of the run. ENGINE is a vmft accelerator ("" for vmft's default), whose `--stats`
# ("vmft: N instructions in S s (M MIPS)" on stderr) give the count, kept in ELF.insns; or
# "qemu", which takes the count kept there by an earlier vmft run.
best_mips() {
    local elf=$1 engine=$2 best="" mips insns cpu i status cmd
    if [[ $engine == qemu ]]; then
        cmd=(qemu-system-riscv64 -machine virt -bios none -nographic -m 256M -kernel "$elf")
    else
        cmd=("$VMFT" run --bios none --kernel "$elf" --stats)
        [[ -n $engine ]] && cmd+=(--accel "$engine")
    fi
    for ((i = 1; i <= RUNS; i++)); do
        status=0
        { TIMEFORMAT='%3U %3S'; time timeout 600 "${cmd[@]}" >"$WORK/out" 2>"$WORK/err" \
            </dev/null; } 2>"$WORK/time" || status=$?
        if [[ $status -ne 0 ]]; then
            cat "$WORK/out" "$WORK/err" >&2
            die "${cmd[*]} failed"
        fi
        grep -q '^PASS' "$WORK/out" || die "$elf did not pass: $(cat "$WORK/out")"
        if [[ $engine == qemu ]]; then
            insns=$(cat "$elf.insns")
        else
            insns=$(sed -n 's/^vmft: \([0-9][0-9]*\) instructions in.*/\1/p' "$WORK/err")
            [[ -n $insns ]] || die "vmft --stats printed no instruction count: $(cat "$WORK/err")"
            echo "$insns" >"$elf.insns"
        fi
        cpu=$(awk '{ print $1 + $2 }' "$WORK/time")
        mips=$(awk -v n="$insns" -v t="$cpu" 'BEGIN { printf "%.1f", n / t / 1e6 }')
        echo "  $(basename "$elf") ${engine:-default} run $i: $insns instructions," \
            "${cpu}s CPU, $mips MIPS" >&2
        if [[ -z $best ]] || awk -v m="$mips" -v b="$best" 'BEGIN { exit !(m > b) }'; then
            best=$mips
        fi
    done
    echo "$best"
}

printf "%-8s %-12s %10s %10s %10s\n" engine mode "RAM MIPS" "UART MIPS" "UART/RAM"
for engine in "${ENGINES[@]}"; do
    for sv39 in 0 1; do
        mode=$([[ $sv39 == 1 ]] && echo "S, Sv39" || echo "M, bare")
        ram=$(best_mips "$WORK/poll-0-$sv39.elf" "$engine")
        uart=$(best_mips "$WORK/poll-1-$sv39.elf" "$engine")
        awk -v a="${engine:-default}" -v m="$mode" -v r="$ram" -v u="$uart" \
            'BEGIN { printf "%-8s %-12s %10.1f %10.1f %10.2f\n", a, m, r, u, u / r }'
    done
done
