#!/usr/bin/env bash
# Record/replay benchmark, each figure measured side by side in one run:
#   - recording overhead: the same boot + CPU workload run plain and with --record (best of RUNS);
#   - replay speed: `vmft replay` of that log against the live run;
#   - log size of an idle guest: for vmft, the log's growth over IDLE seconds of a booted guest's
#     `sleep` (vmft flushes its log whenever the guest idles); for QEMU's
#     `-icount shift=auto,rr=record` log, which it buffers, a boot that sleeps IDLE seconds
#     minus one that does not;
#   - log size under HTTP load: a booted guest serving busybox httpd on a TAP device while the
#     host fetches a page in a loop for HTTP seconds; the log's growth over that window, per
#     second and per request, for vmft and for QEMU's rr (its network recorded with
#     `filter-replay`). The TAP device lives in a network namespace of its own: needs root.
set -euo pipefail

RUNS=${RUNS:-2}
IDLE=${IDLE:-20}
HTTP=${HTTP:-20}
MEMORY=512M
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
IMAGE=${VMFT_IMAGE:-$CARGO_TARGET_DIR/vmft-image}
WORK=$(mktemp -d)
NETNS=vmft-bench-$$
TAP=vmftb0
GUEST_PID=
cleanup() {
    [[ -z $GUEST_PID ]] || kill "$GUEST_PID" 2>/dev/null || true
    ip netns delete "$NETNS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "bench/record.sh: $*" >&2; exit 1; }
. "$ROOT/bench/lib.sh"

command -v qemu-system-riscv64 >/dev/null || die "qemu-system-riscv64 not found (apt-get install qemu-system-misc)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"
[[ $EUID -eq 0 ]] || die "needs root: the HTTP figure runs the guest on a TAP device in a network namespace"
build_vmft
[[ -f $IMAGE/vmft-image ]] || "$VMFT" image build --out "$IMAGE" >&2 || die "vmft image build failed"

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

qemu_log() { # $1 = guest command, $2 = log file
    qemu-system-riscv64 -machine virt -m $MEMORY -nographic -bios "$IMAGE/$(manifest firmware)" \
        -kernel "$IMAGE/$(manifest kernel)" -initrd "$IMAGE/$(manifest initrd)" \
        -append "$(manifest append) -- $1" -icount shift=auto,rr=record,rrfile="$2" \
        </dev/null >/dev/null 2>&1
}
size() { stat -c %s "$1"; }
now_ns() { date +%s%N; }
# wait_for MARKER CONSOLE WHAT: waits up to 5 minutes for the guest's line MARKER on its
# CONSOLE file, or dies saying WHAT did not happen. Markers are matched at the start of a
# line: the kernel echoes its command line, marker included, early in the boot.
wait_for() {
    local i
    for i in $(seq 600); do
        grep -qs "^$1" "$2" && return
        sleep 0.5
    done
    die "$3: $(tail -n 5 "$2")"
}

echo "  idle guests: vmft for ${IDLE} s; QEMU with and without a ${IDLE} s sleep" >&2
# vmft: the guest prints a marker and sleeps; once it has slept a second, the log's growth
# over IDLE seconds is measured.
"$VMFT" run --image "$IMAGE" --memory $MEMORY \
    --append "-- sh -c \"echo vmft-bench: idle && sleep $((IDLE + 5))\"" \
    --record "$WORK/idle.log" </dev/null >"$WORK/idle.out" &
GUEST_PID=$!
wait_for "vmft-bench: idle" "$WORK/idle.out" "the idle guest did not start"
sleep 1
IDLE0=$(size "$WORK/idle.log") IDLE_T0=$(now_ns)
sleep "$IDLE"
IDLE1=$(size "$WORK/idle.log") IDLE_T1=$(now_ns)
wait "$GUEST_PID" || die "the idle guest failed: $(tail -n 5 "$WORK/idle.out")"
GUEST_PID=
qemu_log true "$WORK/qboot.rr"
qemu_log "sleep $IDLE" "$WORK/qidle.rr"
V=$(( (IDLE1 - IDLE0) * 1000000000 / (IDLE_T1 - IDLE_T0) ))
Q=$(( ($(size "$WORK/qidle.rr") - $(size "$WORK/qboot.rr")) / IDLE ))

# HTTP load: the guest serves a page and sleeps; once it prints its marker, the host fetches
# the page in a loop for HTTP seconds and the log's growth over that window is measured.
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up
ip -n "$NETNS" tuntap add dev $TAP mode tap
ip -n "$NETNS" addr add 10.0.2.1/24 dev $TAP
ip -n "$NETNS" link set $TAP up
SERVE="mkdir -p /www && echo vmft benchmark page > /www/index.html && httpd -p 80 -h /www \
&& echo vmft-bench: serving && sleep $((HTTP + 5))"
SERVE_APPEND="vmft.ip=10.0.2.15/24 -- sh -c \"$SERVE\""
# $1 = console file of a guest starting in the background, $2 = its log. Prints
# "REQUESTS BYTES NANOSECONDS": requests served and log growth over the load window.
http_load() {
    wait_for "vmft-bench: serving" "$1" "the guest did not start serving"
    local size0 t0 n size1 t1
    size0=$(size "$2") t0=$(now_ns)
    n=$(ip netns exec "$NETNS" bash -c '
        n=0 end=$(( $(date +%s%N) + '"$HTTP"' * 1000000000 ))
        while (( $(date +%s%N) < end )); do
            curl --silent --output /dev/null --noproxy "*" --max-time 5 http://10.0.2.15/ && n=$((n + 1))
        done
        echo $n')
    size1=$(size "$2") t1=$(now_ns)
    echo "$n $((size1 - size0)) $((t1 - t0))"
}
echo "  HTTP load: vmft and QEMU, ${HTTP} s each" >&2
ip netns exec "$NETNS" "$VMFT" run --image "$IMAGE" --memory $MEMORY --net tap=$TAP \
    --append "$SERVE_APPEND" --record "$WORK/http.log" </dev/null >"$WORK/http.out" &
GUEST_PID=$!
LOAD=$(http_load "$WORK/http.out" "$WORK/http.log")
read -r VN VB VT <<<"$LOAD"
wait "$GUEST_PID" || die "the vmft HTTP guest failed: $(tail -n 5 "$WORK/http.out")"
GUEST_PID=
"$VMFT" replay "$WORK/http.log" --image "$IMAGE" --memory $MEMORY --net tap=$TAP \
    --append "$SERVE_APPEND" >"$WORK/http-replay.out" || die "the HTTP recording does not replay"
cmp -s "$WORK/http.out" "$WORK/http-replay.out" || die "the HTTP replay's output differs"
ip netns exec "$NETNS" qemu-system-riscv64 -machine virt -m $MEMORY -nographic \
    -bios "$IMAGE/$(manifest firmware)" -kernel "$IMAGE/$(manifest kernel)" \
    -initrd "$IMAGE/$(manifest initrd)" -append "$(manifest append) $SERVE_APPEND" \
    -netdev tap,id=n0,ifname=$TAP,script=no,downscript=no -device virtio-net-device,netdev=n0 \
    -object filter-replay,id=replay,netdev=n0 \
    -icount shift=auto,rr=record,rrfile="$WORK/qhttp.rr" </dev/null >"$WORK/qhttp.out" 2>&1 &
GUEST_PID=$!
LOAD=$(http_load "$WORK/qhttp.out" "$WORK/qhttp.rr")
read -r QN QB QT <<<"$LOAD"
wait "$GUEST_PID" || die "the QEMU HTTP guest failed: $(tail -n 5 "$WORK/qhttp.out")"
GUEST_PID=
per_second() { echo "$1 * 1000000000 / $2" | bc; } # $1 bytes over $2 ns
per_request() { if (( $2 > 0 )); then echo $(( $1 / $2 )); else echo -; fi; }

printf 'workload:                 boot + seq | sha256sum, %s, best of %s\n' "$MEMORY" "$RUNS"
printf 'plain run:                %.3f s\n' "$P"
printf 'recorded run:             %.3f s (log %s bytes)\n' "$R" "$(size "$WORK/cpu.log")"
printf 'recording overhead:       %.3fx\n' "$(echo "$R / $P" | bc -l)"
printf 'replay:                   %.3f s (%.2fx the recorded run)\n' "$Y" "$(echo "$Y / $R" | bc -l)"
printf 'idle guest log, vmft:     %s bytes/s (%s bytes over %s s)\n' "$V" "$((IDLE1 - IDLE0))" "$IDLE"
printf 'idle guest log, QEMU rr:  %s bytes/s (boot alone %s bytes)\n' "$Q" "$(size "$WORK/qboot.rr")"
printf 'HTTP guest log, vmft:     %s bytes/s (%s requests in %s s, %s bytes/request)\n' \
    "$(per_second "$VB" "$VT")" "$VN" "$HTTP" "$(per_request "$VB" "$VN")"
printf 'HTTP guest log, QEMU rr:  %s bytes/s (%s requests in %s s, %s bytes/request)\n' \
    "$(per_second "$QB" "$QT")" "$QN" "$HTTP" "$(per_request "$QB" "$QN")"
