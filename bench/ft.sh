#!/usr/bin/env bash
# Fault tolerance benchmark: the Redis guest (appendonly, appendfsync always, its own ext4 disk)
# solo and on a fault-tolerant pair, measured side by side in one run, in scripts/ft-net's
# test network (host A, host B, switch, clients; needs root):
#   - throughput and latency: `redis-benchmark -c 50 -n REQUESTS -t set,get` from the clients'
#     namespace against (a) the guest run solo (`vmft run`, host A's TAP device) and (b) the
#     FT pair (primary on host A, backup on host B), same machine arguments, fresh disks; SET
#     and GET requests/s, FT/solo, and the latency FT adds at p50 and p99;
#   - logging channel bandwidth: host A's `ch0` counters (primary -> backup log, backup ->
#     primary acknowledgements) over IDLE seconds of a booted guest with Redis idle, and
#     during the FT benchmark, in Mbit/s, beside the paper's 0.5-1.5 Mbit/s for an idle guest;
#   - backup lag: the primary's own figure at exit (Redis shut down, the guest powers off);
#   - failover: TRIALS kill -9 trials of the primary under a one-connection write load (the
#     code of scripts/ft-trials) with the file arbiter, and TRIALS with the etcd arbiter (three
#     members on the topology's management network): failure detection, go-live, the
#     client's longest gap, median and max of each, side by side;
#   - partitions: PARTITIONS trials (etcd arbiter) of the logging channel cut (`ip link set ch0
#     down`) under the same load: the time from the cut to one side serving (the line of the
#     side that won the new epoch, seen by polling its messages every 10 ms), the client's
#     longest gap, which side won; exactly one side must halt and nothing acknowledged be lost.
#
#   sudo bench/ft.sh [--trials N] [--partitions N] [--requests N] [--failover-only] [--quick]
#
#   --trials N       failover trials per arbiter (default 20)
#   --partitions N   partition trials (default 20)
#   --requests N     redis-benchmark requests per test (default 20000; SET and GET each)
#   --failover-only  skip throughput, latency, channel and lag: only the trials
#   --quick          a smoke run: 3 trials per arbiter and 3 partitions of 8 s, 3000
#                    requests, 5 s idle
# Environment: IDLE (seconds, default 10), LOAD (seconds of writes per trial, default 15).
set -euo pipefail
FT_NAME=bench/ft.sh
# shellcheck source=scripts/ft-lib.sh
source "$(dirname "$0")/../scripts/ft-lib.sh"

TRIALS=20 PARTITIONS=20 REQUESTS=20000 IDLE=${IDLE:-10} LOAD=${LOAD:-15} FAILOVER_ONLY=0
number() { [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || ft_die "$1: a positive whole number"; }
while (($#)); do
    case $1 in
    --trials) number "$1" "${2:-}" && TRIALS=$2 && shift 2 ;;
    --partitions) number "$1" "${2:-}" && PARTITIONS=$2 && shift 2 ;;
    --requests) number "$1" "${2:-}" && REQUESTS=$2 && shift 2 ;;
    --failover-only) FAILOVER_ONLY=1 && shift ;;
    --quick) TRIALS=3 PARTITIONS=3 REQUESTS=3000 IDLE=5 LOAD=8 && shift ;;
    -h | --help)
        sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) ft_die "unknown argument '$1' (try --help)" ;;
    esac
done

ft_require_root
ft_prepare
command -v redis-benchmark >/dev/null || ft_die "redis-benchmark not found (apt-get install redis-tools)"

WORK=$(mktemp -d /tmp/vmft-bench-ft.XXXXXX)
KEEP=0
finish() {
    local status=$?
    # A failure keeps the logs (the path is printed); Ctrl-C (status 130) removes them too.
    ((status == 0 || status == 130)) || KEEP=1
    ft_cleanup
    if ((KEEP)); then
        echo "bench/ft.sh: logs kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM
fail() {
    KEEP=1
    ft_die "$@"
}

now_ns() { date +%s%N; }
# ch0 PREFIX: "TX_BYTES RX_BYTES" of host A's end of the logging channel.
ch0() {
    ip -n "${1}a" -s -j link show ch0 | python3 -c '
import json, sys
s = json.load(sys.stdin)[0]["stats64"]
print(s["tx"]["bytes"], s["rx"]["bytes"])'
}
# mbits BYTES NANOSECONDS
mbits() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.2f", b * 8 / (t / 1e9) / 1e6 }'; }
# bench PREFIX OUT: redis-benchmark from the clients' namespace, CSV in OUT.
bench() {
    ip netns exec "${1}c" redis-benchmark -h "$FT_GUEST" -c 50 -n "$REQUESTS" -t set,get --csv \
        >"$2" 2>"$2.err" || fail "redis-benchmark failed: $(tail -n 3 "$2.err")"
}
# csv FILE TEST COLUMN: one figure of redis-benchmark's CSV (columns: test, rps,
# avg_latency_ms, min_latency_ms, p50_latency_ms, p95_latency_ms, p99_latency_ms, ...).
csv() {
    python3 - "$@" <<'EOF'
import csv, sys
path, test, column = sys.argv[1:]
rows = list(csv.DictReader(open(path)))
print(next((r[column] for r in rows if r.get("test") == test), "-"))
EOF
}

# (a) and (b): throughput, latency, channel and lag; sets the figures printed below.
throughput() {
    P=vb$$
    FT_ARBITER="file" ft_net_up "$P" "$WORK/net.log"

    # (a) solo.
    echo "  solo: booting the Redis guest (vmft run on host A)" >&2
    mkdir -p "$WORK/solo" "$WORK/ft"
    ft_disks "$WORK/solo"
    ft_solo_start "$WORK/solo" "$P"
    ft_wait_ready "$WORK/solo/solo.out" "solo" "$FT_SOLO_PID" || fail "the solo guest did not start"
    echo "  solo: redis-benchmark -c 50 -n $REQUESTS -t set,get" >&2
    t0=$(now_ns)
    bench "$P" "$WORK/solo/bench.csv"
    SOLO_SECONDS=$(awk -v t="$(($(now_ns) - t0))" 'BEGIN { printf "%.1f", t / 1e9 }')
    ft_shutdown "$P"
    ft_wait_exit "$FT_SOLO_PID" 60 || fail "the solo guest did not power off"
    [[ $FT_STATUS == 0 ]] || fail "vmft run exited with status $FT_STATUS: $(tail -n 3 "$WORK/solo/solo.err")"
    rm -f "$WORK/solo/a.img"

    # (b) the FT pair, on the same topology.
    echo "  FT: booting the Redis guest on the pair (primary on host A, backup on host B)" >&2
    ft_disks "$WORK/ft"
    ft_pair_start "$WORK/ft" "$P"
    ft_wait_ready "$WORK/ft/primary.out" "FT" "$FT_PRIMARY_PID" "$FT_BACKUP_PID" ||
        fail "the FT pair did not start: $(ft_why "$WORK/ft")"
    sleep 2
    echo "  FT: logging channel of an idle guest over $IDLE s" >&2
    read -r tx0 rx0 < <(ch0 "$P")
    t0=$(now_ns)
    sleep "$IDLE"
    read -r tx1 rx1 < <(ch0 "$P")
    t1=$(now_ns)
    IDLE_TX=$(mbits $((tx1 - tx0)) $((t1 - t0))) IDLE_RX=$(mbits $((rx1 - rx0)) $((t1 - t0)))
    IDLE_ALL=$(mbits $((tx1 - tx0 + rx1 - rx0)) $((t1 - t0)))
    echo "  FT: redis-benchmark -c 50 -n $REQUESTS -t set,get" >&2
    read -r tx0 rx0 < <(ch0 "$P")
    t0=$(now_ns)
    bench "$P" "$WORK/ft/bench.csv"
    read -r tx1 rx1 < <(ch0 "$P")
    t1=$(now_ns)
    FT_SECONDS=$(awk -v t="$((t1 - t0))" 'BEGIN { printf "%.1f", t / 1e9 }')
    LOAD_TX=$(mbits $((tx1 - tx0)) $((t1 - t0))) LOAD_RX=$(mbits $((rx1 - rx0)) $((t1 - t0)))
    LOAD_ALL=$(mbits $((tx1 - tx0 + rx1 - rx0)) $((t1 - t0)))
    ft_shutdown "$P"
    ft_wait_exit "$FT_PRIMARY_PID" 60 || fail "the primary did not exit after the guest's shutdown"
    PRIMARY_STATUS=$FT_STATUS
    ft_wait_exit "$FT_BACKUP_PID" 60 || fail "the backup did not exit after the guest's shutdown"
    BACKUP_STATUS=$FT_STATUS
    ! grep -aq '^vmft: primary alone' "$WORK/ft/primary.err" ||
        fail "the pair split during the FT run (the primary went on alone): $(ft_why "$WORK/ft")"
    [[ $PRIMARY_STATUS == 0 && $BACKUP_STATUS == 0 ]] ||
        fail "exit statuses: primary $PRIMARY_STATUS, backup $BACKUP_STATUS (logs in $WORK/ft)"
    # "vmft: backup lag (guest time): median X ms, max Y ms over N samples"
    LAG=$(grep -a -m1 '^vmft: backup lag' "$WORK/ft/primary.err" || true)
    LAG_MEDIAN=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' <<<"$LAG")
    LAG_MAX=$(sed -n 's/.*max \([0-9.]*\) ms.*/\1/p' <<<"$LAG")
    LAG_SAMPLES=$(sed -n 's/.*over \([0-9]*\) samples.*/\1/p' <<<"$LAG")
    CHANNEL=$(grep -a -m1 '^vmft: logging channel' "$WORK/ft/primary.err" || true)
    REPLAYED=$(grep -a -m1 '^vmft: backup replayed' "$WORK/ft/backup.err" || true)
    rm -f "$WORK/ft/a.img" "$WORK/ft/b.img"
    ft_net_down "$P"
}
((FAILOVER_ONLY)) || throughput

# (c) failover trials, each on a fresh topology and pair, with each arbiter.
for arbiter in file etcd; do
    echo "  failover ($arbiter arbiter): $TRIALS kill -9 trials, ${LOAD} s of writes each" >&2
    : >"$WORK/trials-$arbiter"
    for ((k = 1; k <= TRIALS; k++)); do
        dir=$WORK/trial-$arbiter-$k
        ok=1
        FT_ARBITER=$arbiter ft_trial "$dir" "vb$$-${arbiter:0:1}$k" "$LOAD" || ok=0
        ft_trial_line "$k" "$TRIALS" | sed 's/^/  /' >&2
        ft_trial_record "$WORK/trials-$arbiter"
        if ((ok)); then rm -rf "$dir"; else KEEP=1; fi
    done
done

# (d) partition trials (etcd arbiter), each on a fresh topology and pair.
echo "  partitions (etcd arbiter): $PARTITIONS cuts of the logging channel, ${LOAD} s of writes each" >&2
PART=$WORK/partitions
: >"$PART"
for ((k = 1; k <= PARTITIONS; k++)); do
    dir=$WORK/partition-$k
    ok=1
    FT_ARBITER=etcd ft_partition_trial "$dir" "vb$$-p$k" "$LOAD" || ok=0
    ft_partition_line "$k" "$PARTITIONS" | sed 's/^/  /' >&2
    ft_partition_record "$PART"
    if ((ok)); then rm -rf "$dir"; else KEEP=1; fi
done

# The table.
f() { csv "$WORK/$1/bench.csv" "$2" "$3"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
plus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f", a - b }'; }
stat() { ft_median_max "$1" "$2" | sed 's/median //; s/ ms, max /\//; s/ ms$/ ms/'; }
passed() { awk '$1 == 1' "$1" | wc -l; }
lost() { awk '$3 ~ /^[0-9]+$/ { s += $3 } END { print s + 0 }' "$1"; }
kept() { awk '$4 == "kept"' "$1" | wc -l; }
TRIALS_OK=1
if ((!FAILOVER_ONLY)); then
echo
echo "workload: redis-benchmark -c 50 -n $REQUESTS -t set,get (one run each); Redis $(redis-benchmark --version | awk '{print $2}') client;"
echo "          guest: Redis, appendonly, appendfsync always, 512M; solo ${SOLO_SECONDS} s, FT ${FT_SECONDS} s"
printf '%-28s %14s %14s %10s\n' "" solo FT FT/solo
for t in SET GET; do
    printf '%-28s %14s %14s %10s\n' "$t requests/s" "$(f solo "$t" rps)" "$(f ft "$t" rps)" \
        "$(ratio "$(f ft "$t" rps)" "$(f solo "$t" rps)")"
done
printf '%-28s %14s %14s %10s\n' "" solo FT "FT adds"
for t in SET GET; do
    for q in p50 p99; do
        printf '%-28s %14s %14s %10s\n' "$t latency $q (ms)" "$(f solo "$t" "${q}_latency_ms")" \
            "$(f ft "$t" "${q}_latency_ms")" "$(plus "$(f ft "$t" "${q}_latency_ms")" "$(f solo "$t" "${q}_latency_ms")")"
    done
done
echo
printf '%-28s %s\n' "logging channel, idle" "$IDLE_ALL Mbit/s (log $IDLE_TX, acks $IDLE_RX) over $IDLE s; paper: 0.5-1.5 Mbit/s idle"
printf '%-28s %s\n' "logging channel, benchmark" "$LOAD_ALL Mbit/s (log $LOAD_TX, acks $LOAD_RX) over $FT_SECONDS s"
printf '%-28s %s\n' "backup lag (guest time)" "median ${LAG_MEDIAN:-?} ms, max ${LAG_MAX:-?} ms over ${LAG_SAMPLES:-?} samples (whole FT run)"
printf '%-28s %s\n' "primary at exit" "${CHANNEL#vmft: }"
printf '%-28s %s\n' "backup at exit" "${REPLAYED#vmft: }"
fi
for arbiter in file etcd; do
    echo
    echo "failover, $arbiter arbiter, $TRIALS kill -9 trials of the primary under a ${LOAD} s one-connection write load:"
    ft_summary "$WORK/trials-$arbiter" | sed 's/^/  /' || true
    ft_summary "$WORK/trials-$arbiter" >/dev/null || TRIALS_OK=0
done
echo
printf '%-28s %22s %22s\n' "failover (median/max)" "file arbiter" "etcd arbiter"
printf '%-28s %22s %22s\n' "failure detection" "$(stat 5 "$WORK/trials-file")" "$(stat 5 "$WORK/trials-etcd")"
printf '%-28s %22s %22s\n' "go-live after detection" "$(stat 6 "$WORK/trials-file")" "$(stat 6 "$WORK/trials-etcd")"
printf '%-28s %22s %22s\n' "longest client gap" "$(stat 7 "$WORK/trials-file")" "$(stat 7 "$WORK/trials-etcd")"
echo
echo "partitions, etcd arbiter, $PARTITIONS cuts of the logging channel (ip link set ch0 down) under a ${LOAD} s one-connection write load:"
awk '
    { n++; if ($1 == 1) pass++; if ($2 ~ /^[0-9]+$/) acked += $2
      if ($3 ~ /^[0-9]+$/) lost += $3; else unknown++
      if ($4 == "kept") kept++; if ($5 == "backup") b++; if ($5 == "primary") p++ }
    END {
        printf "  trials passed:            %d/%d (exactly one side went on, the other halted)\n", pass, n
        printf "  writes acknowledged:      %d, lost %d%s\n", acked, lost,
            unknown ? sprintf(" (%d trials not checked)", unknown) : ""
        printf "  connection kept:          %d/%d trials\n", kept, n
        printf "  side that went on:        backup %d, primary %d\n", b, p
    }' "$PART"
echo "  cut to one side serving:  $(ft_median_max 6 "$PART")"
echo "  longest client gap:       $(ft_median_max 7 "$PART")"
! awk '$1 != 1 { bad = 1 } END { exit !bad }' "$PART" || TRIALS_OK=0
echo
FAILOVER="$TRIALS kill -9 failovers (median/max): file arbiter detection $(stat 5 "$WORK/trials-file"), go-live $(stat 6 "$WORK/trials-file"), longest client gap $(stat 7 "$WORK/trials-file"), $(passed "$WORK/trials-file")/$TRIALS passed;"
FAILOVER+=" etcd arbiter detection $(stat 5 "$WORK/trials-etcd"), go-live $(stat 6 "$WORK/trials-etcd"), longest client gap $(stat 7 "$WORK/trials-etcd"), $(passed "$WORK/trials-etcd")/$TRIALS passed;"
FAILOVER+=" $PARTITIONS partitions (etcd): cut to serving $(stat 6 "$PART"), longest client gap $(stat 7 "$PART"), $(passed "$PART")/$PARTITIONS passed;"
FAILOVER+=" acknowledged writes lost: $(($(lost "$WORK/trials-file") + $(lost "$WORK/trials-etcd") + $(lost "$PART")))."
if ((FAILOVER_ONLY)); then
    echo "README: \`bench/ft.sh --failover-only\`: $FAILOVER"
    ((TRIALS_OK)) || exit 1
    exit 0
fi
echo "README: \`bench/ft.sh\` (redis-benchmark -c 50 -n $REQUESTS, appendfsync always; one run):" \
    "FT/solo throughput SET $(ratio "$(f ft SET rps)" "$(f solo SET rps)")" \
    "($(f ft SET rps) vs $(f solo SET rps) req/s), GET $(ratio "$(f ft GET rps)" "$(f solo GET rps)")" \
    "($(f ft GET rps) vs $(f solo GET rps) req/s); FT adds SET p50/p99" \
    "$(plus "$(f ft SET p50_latency_ms)" "$(f solo SET p50_latency_ms)")/$(plus "$(f ft SET p99_latency_ms)" "$(f solo SET p99_latency_ms)") ms," \
    "GET $(plus "$(f ft GET p50_latency_ms)" "$(f solo GET p50_latency_ms)")/$(plus "$(f ft GET p99_latency_ms)" "$(f solo GET p99_latency_ms)") ms;" \
    "logging channel $IDLE_ALL Mbit/s idle (paper: 0.5-1.5), $LOAD_ALL Mbit/s under the benchmark;" \
    "backup lag median ${LAG_MEDIAN:-?} ms, max ${LAG_MAX:-?} ms; $FAILOVER" \
    "Connection kept in $(kept "$WORK/trials-file")/$TRIALS (file), $(kept "$WORK/trials-etcd")/$TRIALS (etcd)."
((TRIALS_OK)) || exit 1
