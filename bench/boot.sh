#!/usr/bin/env bash
# Boot benchmark: the default guest image (OpenSBI, Debian's kernel, the busybox initramfs)
# booted by vmft and by QEMU's TCG with the same firmware, kernel, initramfs, command line and
# memory. Measures the wall time from starting the monitor to the guest's `vmft-guest: ready`
# line on the console, and to power-off (the guest runs `true` and powers off), best of RUNS
# runs each, vmft once per engine in ACCELS (default "interp jit"). Prints the times, each
# vmft/QEMU ratio, and vmft's instruction count, MIPS and JIT statistics (`vmft run --stats`).
#
# The image is <target>/vmft-image (built with `vmft image build` if missing) or VMFT_IMAGE.
set -euo pipefail

RUNS=${RUNS:-1}
MEMORY=${MEMORY:-512M}
TIMEOUT=${TIMEOUT:-1800}
MARKER="vmft-guest: ready"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
IMAGE=${VMFT_IMAGE:-$CARGO_TARGET_DIR/vmft-image}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

die() { echo "bench/boot.sh: $*" >&2; exit 1; }
. "$ROOT/bench/lib.sh"

command -v qemu-system-riscv64 >/dev/null ||
    die "qemu-system-riscv64 not found (Debian: apt-get install qemu-system-misc)"
command -v python3 >/dev/null || die "python3 not found (Debian: apt-get install python3)"

build_vmft

if [[ ! -f $IMAGE/vmft-image ]]; then
    echo "building the guest image into $IMAGE" >&2
    "$VMFT" image build --out "$IMAGE" || die "vmft image build failed"
fi
FIRMWARE=$IMAGE/$(manifest firmware)
KERNEL=$IMAGE/$(manifest kernel)
INITRD=$IMAGE/$(manifest initrd)
APPEND="$(manifest append) -- true"
KERNEL_VERSION=$(manifest kernel_version)

# timeboot.py CONSOLE STDERR -- CMD...: runs CMD with the console on a pipe, prints
# "READY_SECONDS EXIT_SECONDS", and fails if the marker never appears, the monitor exits
# non-zero or TIMEOUT passes.
cat >"$WORK/timeboot.py" <<'EOF'
import subprocess, sys, threading, time

marker, limit, console_path, stderr_path = sys.argv[1].encode(), float(sys.argv[2]), sys.argv[3], sys.argv[4]
command = sys.argv[6:]
with open(console_path, "wb") as console, open(stderr_path, "wb") as stderr:
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
    timer = threading.Timer(limit, proc.kill)
    timer.start()
    ready = None
    for line in proc.stdout:
        console.write(line)
        if ready is None and marker in line:
            ready = time.monotonic() - start
    status = proc.wait()
    total = time.monotonic() - start
    timer.cancel()
if ready is None:
    sys.exit(f"no '{sys.argv[1]}' line on the console (exit status {status}, {total:.1f} s)")
if status != 0:
    sys.exit(f"exit status {status} after {total:.1f} s")
print(f"{ready:.3f} {total:.3f}")
EOF

# run_best NAME PREFIX CMD...: boots RUNS times; keeps the first run's console and stderr in
# PREFIX.out/.err and prints the best "READY_SECONDS EXIT_SECONDS".
run_best() {
    local name=$1 prefix=$2 best="" t i
    shift 2
    for ((i = 1; i <= RUNS; i++)); do
        if ! t=$(python3 "$WORK/timeboot.py" "$MARKER" "$TIMEOUT" "$prefix.run.out" "$prefix.run.err" -- "$@"); then
            tail -n 20 "$prefix.run.out" "$prefix.run.err" >&2
            echo "bench/boot.sh: $name run $i failed" >&2
            return 1
        fi
        echo "  $name run $i: ready ${t% *} s, powered off ${t#* } s" >&2
        if [[ $i -eq 1 ]]; then
            mv "$prefix.run.out" "$prefix.out"
            mv "$prefix.run.err" "$prefix.err"
        fi
        if [[ -z $best ]] || awk -v t="${t% *}" -v b="${best% *}" 'BEGIN { exit !(t < b) }'; then best=$t; fi
    done
    echo "$best"
}

echo "booting under QEMU $RUNS times" >&2
QEMU_TIMES=$(run_best qemu "$WORK/qemu" qemu-system-riscv64 -machine virt -m "$MEMORY" -nographic \
    -bios "$FIRMWARE" -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND") || die "QEMU did not boot"
echo "guest:               Debian kernel $KERNEL_VERSION, $MEMORY, boot to '$MARKER'"
awk -v r="${QEMU_TIMES% *}" -v e="${QEMU_TIMES#* }" \
    'BEGIN { printf "QEMU to ready:       %.3f s (powered off at %.3f s)\n", r, e }'
# Both engines, the interpreter (the reference) and the JIT, against the same QEMU runs.
for accel in ${ACCELS:-interp jit}; do
    echo "booting under vmft --accel $accel $RUNS times" >&2
    VMFT_TIMES=$(run_best "vmft-$accel" "$WORK/vmft-$accel" "$VMFT" run --bios "$FIRMWARE" \
        --kernel "$KERNEL" --initrd "$INITRD" --append "$APPEND" --memory "$MEMORY" --stats \
        --accel "$accel") || die "vmft --accel $accel did not boot to '$MARKER'"
    awk -v a="$accel" -v r="${VMFT_TIMES% *}" -v e="${VMFT_TIMES#* }" -v q="${QEMU_TIMES% *}" 'BEGIN {
        printf "vmft --accel %-6s  ready %.3f s (powered off at %.3f s), %.2fx QEMU to ready\n", a, r, e, r / q
    }'
    # vmft --stats: "vmft: N instructions in S s (M MIPS)" on stderr, for the whole run, and
    # what the JIT did.
    grep -a '^vmft: ' "$WORK/vmft-$accel.err" | sed "s/^vmft: /  $accel, boot to power-off: /" || true
done
