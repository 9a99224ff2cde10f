#!/usr/bin/env bash
# Record/replay benchmark, each figure measured side by side in one run:
#   - recording overhead: the same boot + CPU workload run plain and with --record (best of RUNS);
#   - replay speed: `vmft replay` of that log against the live run;
#   - log size of an idle guest: a boot that sleeps IDLE seconds minus one that does not, per
#     second, for vmft's log and for QEMU's `-icount shift=auto,rr=record` log of the same boot.
set -euo pipefail

RUNS=${RUNS:-2}
IDLE=${IDLE:-20}
MEMORY=512M
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
IMAGE=${VMFT_IMAGE:-$CARGO_TARGET_DIR/vmft-image}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
die() { echo "bench/record.sh: $*" >&2; exit 1; }

command -v qemu-system-riscv64 >/dev/null || die "qemu-system-riscv64 not found (apt-get install qemu-system-misc)"
(cd "$ROOT" && cargo build --release -p vmft) >&2 || die "cargo build --release failed"
VMFT=$CARGO_TARGET_DIR/release/vmft
[[ -f $IMAGE/vmft-image ]] || "$VMFT" image build --out "$IMAGE" >&2 || die "vmft image build failed"
manifest() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$IMAGE/vmft-image" | head -n 1; }

WORKLOAD='-- sh -c "seq 1 300000 | sha256sum"'
now() { date +%s.%N; }
seconds() { echo "$2 - $1" | bc -l; }
best() { printf '%s\n' "$@" | sort -g | head -n 1; }

plain=() recorded=() replayed=()
for i in $(seq "$RUNS"); do
    t0=$(now)
    "$VMFT" run --image "$IMAGE" --memory $MEMORY --append "$WORKLOAD" </dev/null >"$WORK/plain.out"
    t1=$(now)
    "$VMFT" run --image "$IMAGE" --memory $MEMORY --append "$WORKLOAD" --record "$WORK/cpu.log" \
        </dev/null >"$WORK/live.out"
    t2=$(now)
    "$VMFT" replay "$WORK/cpu.log" --image "$IMAGE" --memory $MEMORY --append "$WORKLOAD" \
        >"$WORK/replay.out"
    t3=$(now)
    cmp -s "$WORK/live.out" "$WORK/replay.out" || die "replay output differs from the live run"
    plain+=("$(seconds "$t0" "$t1")") recorded+=("$(seconds "$t1" "$t2")") replayed+=("$(seconds "$t2" "$t3")")
    echo "  run $i: plain ${plain[-1]} s, recorded ${recorded[-1]} s, replay ${replayed[-1]} s" >&2
done
P=$(best "${plain[@]}") R=$(best "${recorded[@]}") Y=$(best "${replayed[@]}")

idle_log() { # $1 = guest command, $2 = log file
    "$VMFT" run --image "$IMAGE" --memory $MEMORY --append "-- $1" --record "$2" </dev/null >/dev/null
}
qemu_log() { # $1 = guest command, $2 = log file
    qemu-system-riscv64 -machine virt -m $MEMORY -nographic -bios "$IMAGE/$(manifest firmware)" \
        -kernel "$IMAGE/$(manifest kernel)" -initrd "$IMAGE/$(manifest initrd)" \
        -append "$(manifest append) -- $1" -icount shift=auto,rr=record,rrfile="$2" \
        </dev/null >/dev/null 2>&1
}
echo "  idle guests: vmft and QEMU, with and without a ${IDLE} s sleep" >&2
idle_log true "$WORK/boot.log"
idle_log "sleep $IDLE" "$WORK/idle.log"
qemu_log true "$WORK/qboot.rr"
qemu_log "sleep $IDLE" "$WORK/qidle.rr"
size() { stat -c %s "$1"; }
V=$(( ($(size "$WORK/idle.log") - $(size "$WORK/boot.log")) / IDLE ))
Q=$(( ($(size "$WORK/qidle.rr") - $(size "$WORK/qboot.rr")) / IDLE ))

printf 'workload:                 boot + seq | sha256sum, %s, best of %s\n' "$MEMORY" "$RUNS"
printf 'plain run:                %.3f s\n' "$P"
printf 'recorded run:             %.3f s (log %s bytes)\n' "$R" "$(size "$WORK/cpu.log")"
printf 'recording overhead:       %.3fx\n' "$(echo "$R / $P" | bc -l)"
printf 'replay:                   %.3f s (%.2fx the recorded run)\n' "$Y" "$(echo "$Y / $R" | bc -l)"
printf 'idle guest log, vmft:     %s bytes/s (boot alone %s bytes)\n' "$V" "$(size "$WORK/boot.log")"
printf 'idle guest log, QEMU rr:  %s bytes/s (boot alone %s bytes)\n' "$Q" "$(size "$WORK/qboot.rr")"
