#!/usr/bin/env bash
# Re-protection benchmark (issue 9): a new backup joins a running, unprotected primary by live
# state transfer. The Redis guest (512 MiB, its own ext4 disk) runs on a pair in scripts/ft-net's
# test network (needs root): primary on host A, first backup on host B. The first backup is
# killed, so the primary goes on alone; then, JOINS times, a joiner starts on host B
# (`vmft backup --primary A --join`), the primary pre-copies RAM and disk live, stops once for
# the stop-and-copy, and says it is protected; the joiner is then killed and the primary is
# alone again for the next join. First with Redis idle, then under the write load of
# scripts/ft-client (one connection, SET after SET, running the whole time). For each join:
#   - join to protected: from the joiner's start to the primary's "primary protected by"
#     line, both seen here (its messages polled every 20 ms); and from the joiner's start
#     to the primary's "primary transferring its state" line (connect and handshake);
#   - the stop-and-copy pause, rounds and MiB of page data, from the primary's own line
#     "in sync with the joining backup at position P: paused X ms; R rounds, M MiB ...";
#   - the client's throughput (acknowledged writes/s, from the time stamps of its record of
#     acknowledged writes) during the transfer (joiner start to protected) against the
#     BEFORE seconds just before the joiner's start, and the longest pause between two
#     acknowledged writes overlapping the join (gap_ms).
# Then every acknowledged write is read back on a new connection (nothing may be lost).
# Targets (issue 9): join to protected under 10 s; pause at most 50 ms (VMware FT: under 1 s).
#
#   sudo bench/reprotect.sh [--joins N] [--quick]
#
#   --joins N   joins per mode, idle and under load (default 5)
#   --quick     a smoke run: 2 joins per mode
# Environment: as scripts/ft-lib.sh (VMFT_SKIP_BUILD, VMFT_FT_ARGS, VMFT_REDIS_IMAGE);
# BEFORE (seconds of the baseline window, default 4); JOIN_TIMEOUT (seconds, default 120).
set -euo pipefail
FT_NAME=bench/reprotect.sh
# shellcheck source=scripts/ft-lib.sh
source "$(dirname "$0")/../scripts/ft-lib.sh"

JOINS=5 BEFORE=${BEFORE:-4} JOIN_TIMEOUT=${JOIN_TIMEOUT:-120} RAM_MIB=512
while (($#)); do
    case $1 in
    --joins)
        [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || ft_die "--joins: a positive whole number"
        JOINS=$2 && shift 2
        ;;
    --quick) JOINS=2 && shift ;;
    -h | --help)
        sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) ft_die "unknown argument '$1' (try --help)" ;;
    esac
done

ft_require_root
ft_prepare

WORK=$(mktemp -d /tmp/vmft-bench-reprotect.XXXXXX)
KEEP=0
# shellcheck disable=SC2317 # called by the EXIT trap
finish() {
    local status=$?
    ((status == 0 || status == 130)) || KEEP=1
    ft_cleanup
    rm -f "$WORK/a.img" "$WORK/b.img"
    if ((KEEP)); then
        echo "bench/reprotect.sh: logs kept in $WORK" >&2
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

P=vr$$
CH_A=10.99.0.1:7700
now() { date +%s.%N; }
count() { grep -a -c -E "$2" "$1" 2>/dev/null || true; }
last_words() { grep -a -E '^(vmft: |error: )' "$1" 2>/dev/null | tail -n 2 | tr '\n' ' ' || true; }

# wait_count FILE PID SECONDS PATTERN N: waits until FILE has more than N lines matching
# PATTERN while PID lives. Returns 1 if PID exits or SECONDS pass.
wait_count() {
    local i
    for ((i = 0; i < $3 * 50; i++)); do
        (($(count "$1" "$4") > $5)) && return 0
        ft_alive "$2" || return 1
        sleep 0.02
    done
    return 1
}

# window FROM TO: "RATE GAP": acknowledged writes per second with time stamps in [FROM, TO),
# and the longest pause in ms between two acknowledgements overlapping that window.
window() {
    [[ -s $WORK/acked.jsonl ]] || { echo "- -"; return; }
    python3 - "$WORK/acked.jsonl" "$1" "$2" <<'EOF2'
import json, sys
path, lo, hi = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ts = []
with open(path) as f:
    for line in f:
        try:
            ts.append(float(json.loads(line)["t"]))
        except Exception:
            continue
n = sum(lo <= t < hi for t in ts)
before = [t for t in ts if t < lo][-1:]
after = [t for t in ts if t >= hi][:1]
pts = before + [t for t in ts if lo <= t < hi] + after
gap = max((b - a for a, b in zip(pts, pts[1:])), default=None)
print(f"{n / (hi - lo):.0f}" if hi > lo else "-", "-" if gap is None else f"{gap * 1000:.0f}")
EOF2
}

ft_net_up "$P" "$WORK/net.log"
ft_disks "$WORK"
echo "bench/reprotect.sh: booting the Redis guest ($RAM_MIB MiB) on a pair (primary on host A, backup on host B)" >&2
ft_pair_start "$WORK" "$P"
ft_wait_ready "$WORK/primary.out" "the pair" "$FT_PRIMARY_PID" "$FT_BACKUP_PID" ||
    fail "the pair did not start: $(ft_why "$WORK")"
PERR=$WORK/primary.err
wait_count "$PERR" "$FT_PRIMARY_PID" "$JOIN_TIMEOUT" 'primary protected by' 0 ||
    fail "the first backup did not protect the primary: $(ft_why "$WORK")"
sleep 1
alone=$(count "$PERR" 'primary alone, unprotected')
ft_stop "$FT_BACKUP_PID"
wait_count "$PERR" "$FT_PRIMARY_PID" 60 'primary alone, unprotected' "$alone" ||
    fail "the primary did not go on alone after its first backup died: $(last_words "$PERR")"
echo "bench/reprotect.sh: the first backup is dead; the primary serves alone" >&2

COMMON=(--key-file "$WORK/key" --arbiter "file:$WORK/arbiter")
# shellcheck disable=SC2206 # split on spaces, as documented in ft-lib.sh
[[ -z ${VMFT_FT_ARGS:-} ]] || COMMON+=($VMFT_FT_ARGS)

# join MODE J: one join from host B; appends its figures to WORK/joins.
join() {
    local mode=$1 j=$2 name="joiner-$1-$2"
    local protected alone transferring synced t0 t1 tt="" joiner i
    protected=$(count "$PERR" 'primary protected by')
    alone=$(count "$PERR" 'primary alone, unprotected')
    transferring=$(count "$PERR" 'primary transferring its state')
    synced=$(count "$PERR" 'in sync with the joining backup')
    ft_args "$WORK/b.img"
    t0=$(now)
    ip netns exec "${P}b" "$FT_VMFT" backup "${FT_ARGS[@]}" --primary "$CH_A" --join \
        "${COMMON[@]}" --node "b$mode$j" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
    joiner=$!
    FT_PIDS+=("$joiner")
    for ((i = 0; i < JOIN_TIMEOUT * 50; i++)); do
        if [[ -z $tt ]] && (($(count "$PERR" 'primary transferring its state') > transferring)); then
            tt=$(now)
        fi
        (($(count "$PERR" 'primary protected by') > protected)) && break
        ft_alive "$FT_PRIMARY_PID" || fail "the primary exited during join $j ($mode): $(last_words "$PERR")"
        ft_alive "$joiner" || fail "joiner $j ($mode) exited: $(last_words "$WORK/$name.err")"
        sleep 0.02
    done
    t1=$(now)
    (($(count "$PERR" 'primary protected by') > protected)) ||
        fail "join $j ($mode): not protected after $JOIN_TIMEOUT s: $(last_words "$PERR")"
    (($(count "$PERR" 'in sync with the joining backup') > synced)) ||
        fail "join $j ($mode): protected without an 'in sync with the joining backup' line"
    local line pause rounds mib took
    line=$(grep -a 'in sync with the joining backup' "$PERR" | tail -n 1)
    pause=$(sed -n 's/.*paused \([0-9.]*\) ms.*/\1/p' <<<"$line")
    rounds=$(sed -n 's/.*; \([0-9]*\) rounds.*/\1/p' <<<"$line")
    mib=$(sed -n 's/.* \([0-9]*\) MiB of page data.*/\1/p' <<<"$line")
    took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    local handshake=-
    [[ -z $tt ]] || handshake=$(awk -v a="$t0" -v b="$tt" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
    # The client's figures are computed when it has finished (a stall may outlast the join).
    echo "$mode $j $took $handshake ${pause:--} ${rounds:--} ${mib:--} $t0 $t1" >>"$WORK/raw"
    printf '  %-4s join %d: protected in %s s (transfer began %s ms after the start); pause %s ms, %s rounds, %s MiB of page data\n' \
        "$mode" "$j" "$took" "$handshake" "${pause:--}" "${rounds:--}" "${mib:--}" >&2
    # Protected for a moment, then the joiner dies and the primary is alone again.
    sleep 1
    ft_stop "$joiner"
    wait_count "$PERR" "$FT_PRIMARY_PID" 60 'primary alone, unprotected' "$alone" ||
        fail "the primary did not go on alone after joiner $j ($mode) died: $(last_words "$PERR")"
}

echo "bench/reprotect.sh: $JOINS joins with Redis idle" >&2
for ((j = 1; j <= JOINS; j++)); do
    sleep 1
    join idle "$j"
done

echo "bench/reprotect.sh: $JOINS joins under the Redis write load (one connection)" >&2
ip netns exec "${P}c" python3 "$FT_CLIENT" write --host "$FT_GUEST" --duration 100000 \
    --prefix rp --out "$WORK/acked.jsonl" >"$WORK/client.json" 2>"$WORK/client.err" &
CLIENT=$!
FT_PIDS+=("$CLIENT")
for ((j = 1; j <= JOINS; j++)); do
    # A clean baseline: the window before a join must not hold the previous joiner's death.
    sleep "$((BEFORE + 1))"
    ft_alive "$CLIENT" || fail "the client stopped: $(cat "$WORK/client.json" "$WORK/client.err")"
    join load "$j"
done
sleep 1
kill -TERM "$CLIENT" 2>/dev/null || true
wait "$CLIENT" 2>/dev/null || true
ft_forget "$CLIENT"
read -r -d '' ACKED CONN GAP < <(ft_json "$WORK/client.json" acked connection max_gap_ms && printf '\0') || true
ip netns exec "${P}c" python3 "$FT_CLIENT" check --host "$FT_GUEST" --file "$WORK/acked.jsonl" \
    >"$WORK/check.json" 2>"$WORK/check.err" || true
read -r -d '' MISSING WRONG < <(ft_json "$WORK/check.json" missing wrong && printf '\0') || true

# WORK/joins: WORK/raw's figures and the client's (load joins only): writes/s in the BEFORE s
# before the joiner's start and during the join, and the longest gap overlapping the join.
while read -r mode j took handshake pause rounds mib t0 t1; do
    before=- during=- gap=-
    if [[ $mode == load ]]; then
        read -r before _ < <(window "$(awk -v a="$t0" -v s="$BEFORE" 'BEGIN { printf "%.6f", a - s }')" "$t0")
        read -r during gap < <(window "$t0" "$t1")
    fi
    echo "$mode $j $took $handshake $pause $rounds $mib $before $during $gap" >>"$WORK/joins"
done <"$WORK/raw"

# stats MODE COLUMN: "MEDIAN MAX" of COLUMN over MODE's joins.
stats() {
    awk -v m="$1" -v c="$2" '$1 == m && $c ~ /^[0-9.]+$/ { print $c }' "$WORK/joins" | sort -g | awk '
        { v[NR] = $1 }
        END { if (!NR) { print "- -"; exit }
              m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              print m, v[NR] }'
}
echo
echo "Re-protection of the Redis guest ($RAM_MIB MiB RAM, 64 MiB disk), $JOINS joins per mode, $(nproc) cores"
printf '%-5s %4s %12s %10s %9s %7s %10s %8s %10s %10s %7s %7s\n' mode join protected_s transfer_ms pause_ms rounds page_MiB "%RAM" "w/s_before" "w/s_during" ratio gap_ms
awk -v ram="$RAM_MIB" '{
    pct = $7 ~ /^[0-9]+$/ ? sprintf("%.0f%%", 100 * $7 / ram) : "-"
    ratio = ($8 ~ /^[0-9]+$/ && $8 > 0 && $9 ~ /^[0-9]+$/) ? sprintf("%.2f", $9 / $8) : "-"
    printf "%-5s %4s %12s %10s %9s %7s %10s %8s %10s %10s %7s %7s\n", $1, $2, $3, $4, $5, $6, $7, pct, $8, $9, ratio, $10
}' "$WORK/joins"
echo
readme=""
for mode in idle load; do
    read -r pmed pmax < <(stats "$mode" 3)
    read -r qmed qmax < <(stats "$mode" 5)
    read -r rmed rmax < <(stats "$mode" 6)
    read -r mmed mmax < <(stats "$mode" 7)
    line="join to protected median ${pmed} s (max ${pmax}), pause median ${qmed} ms (max ${qmax}), ${rmed} rounds (max ${rmax}), ${mmed} MiB of page data (max ${mmax}) for ${RAM_MIB} MiB RAM"
    if [[ $mode == load ]]; then
        ratio=$(awk '$1 == "load" && $8 > 0 { s += $9 / $8; n++ } END { if (n) printf "%.2f", s / n; else print "-" }' "$WORK/joins")
        read -r gmed gmax < <(stats "$mode" 10)
        line+=", client throughput during the transfer ${ratio}x of before, longest client gap in a join median ${gmed} ms (max ${gmax})"
    fi
    printf '%-5s %s\n' "$mode:" "$line"
    readme+="${readme:+; }$mode: $line"
done
echo "client: $ACKED writes acknowledged on one connection ($CONN, longest gap $GAP ms); read back: missing $MISSING, wrong $WRONG"
echo "targets: join to protected < 10 s; pause <= 50 ms (VMware FT: < 1 s)"
echo
echo "README: Re-protection (bench/reprotect.sh, $JOINS joins per mode, 512 MiB Redis guest, loopback test network, $(nproc) cores): $readme."

status=0
[[ $CONN == kept ]] || { ft_say "the client's connection was lost"; status=1; }
[[ $MISSING == 0 && $WRONG == 0 ]] || { ft_say "acknowledged writes lost: $(cat "$WORK/check.json")"; status=1; }
exit "$status"
