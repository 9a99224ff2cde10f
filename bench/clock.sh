#!/usr/bin/env bash
# Guest clock benchmark: how closely the guest's clock follows the host's wall clock while the
# guest is busy and right after it wakes from idle.
#
# The guest alternates a busy phase (hashing for about a second) and an idle phase
# (`sleep 1`), reading its monotonic clock (`now at N nsecs` from /proc/timer_list) after each.
# The host timestamps every such line as it arrives on the console. The two clocks count from
# different origins, so the reference offset between them is the median over all readings;
# the deviation of a reading from it is how far the guest's clock is off the wall clock,
# plus the noise of the console path (the guest's tty and UART driver, vmft, the pipe), which
# this end-to-end measurement cannot separate. Prints the deviation after busy phases and
# after idle wake-ups (median, 95th percentile and maximum of its absolute value) and the
# drift rate (least-squares slope of deviation over host time).
#
# `bench/clock.sh -v` also lists every reading. The image is <target>/vmft-image (built with `vmft image build` if missing) or VMFT_IMAGE.
set -euo pipefail

ROUNDS=${ROUNDS:-15}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
IMAGE=${VMFT_IMAGE:-$CARGO_TARGET_DIR/vmft-image}

die() { echo "bench/clock.sh: $*" >&2; exit 1; }
command -v python3 >/dev/null || die "python3 not found (Debian: apt-get install python3)"

(cd "$ROOT" && cargo build --release -p vmft) >&2 || die "cargo build --release failed"
VMFT=$CARGO_TARGET_DIR/release/vmft
[[ -f $IMAGE/vmft-image ]] || "$VMFT" image build --out "$IMAGE" >&2 || die "vmft image build failed"

# The guest's script: a reading after boot, then ROUNDS of busy + reading, idle + reading.
# The kernel hands init the words after ` -- `, honouring double quotes only: no quotes inside.
READ='grep -m1 now /proc/timer_list'
BUSY='seq 1 40000 | sha256sum >/dev/null'
GUEST="sh -c \"$READ; for i in \$(seq $ROUNDS); do $BUSY; echo busy; $READ; sleep 1; echo idle; $READ; done\""

python3 - "$VMFT" "$IMAGE" "$GUEST" "${1:-}" <<'EOF'
import re, statistics, subprocess, sys, time

vmft, image, guest = sys.argv[1:4]
proc = subprocess.Popen([vmft, "run", "--image", image, "--append", "-- " + guest],
                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
samples = []  # (phase, host ns, guest ns)
phase = "start"
for line in proc.stdout:
    host = time.monotonic_ns()
    text = line.decode(errors="replace").strip()
    m = re.search(r"now at (\d+) nsecs", text)
    if m:
        samples.append((phase, host, int(m.group(1))))
    elif text in ("busy", "idle"):
        phase = text
status = proc.wait()
if status != 0 or len(samples) < 3:
    sys.exit(f"bench/clock.sh: the guest run failed (status {status}, {len(samples)} readings)")

host0 = samples[0][1]
offset = statistics.median(g - h for _, h, g in samples)
dev = [(p, (h - host0) / 1e9, (g - h - offset) / 1e6) for p, h, g in samples]

def stats(phase):
    values = sorted(abs(d) for p, _, d in dev if p == phase)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return f"median {statistics.median(values):.2f} ms, p95 {p95:.2f} ms, max {values[-1]:.2f} ms ({len(values)} readings)"

xs = [t for _, t, _ in dev]
ys = [d for _, _, d in dev]
mx, my = statistics.mean(xs), statistics.mean(ys)
slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
print(f"readings over {xs[-1]:.1f} s of wall time, deviation of the guest's clock from the wall clock")
print(f"after a busy phase:     {stats('busy')}")
print(f"after an idle wake-up:  {stats('idle')}")
print(f"drift:                  {slope:+.3f} ms per second")
if len(sys.argv) > 4 and sys.argv[4] == "-v":
    for p, t, d in dev:
        print(f"  {p:5} at {t:7.3f} s: {d:+8.2f} ms")
EOF
