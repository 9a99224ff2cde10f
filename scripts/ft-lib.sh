# shellcheck shell=bash
# shellcheck disable=SC2034 # FT_R_*, FT_STATUS: results, read by the scripts that source this
# Shared by scripts/demo, scripts/ft-trials and bench/ft.sh: a Redis guest on a fault-tolerant
# pair in the test network of scripts/ft-net (DESIGN.md, "Hosts and networks in tests"), a
# client's write load over one TCP connection, and a kill -9 of the primary's VMM part way.
#
# Source it, set FT_NAME (the script's name, for messages), call ft_prepare, and call ft_cleanup
# from an EXIT trap: it ends every process this library started (by pid) and removes every
# topology it built, whatever state a trial was left in.
#
# Environment: VMFT_REDIS_IMAGE (default target/vmft-image-redis), VMFT_SKIP_BUILD=1 (use
# target/release/vmft as it is, without `cargo build`), VMFT_FT_ARGS (more options for both
# `vmft primary` and `vmft backup`, split on spaces, e.g. "--timeout-ms 1000"; default none:
# vmft's own heartbeat, timeout and lag limits).
#
# The pair's arbiter is FT_ARBITER: "file" (default: a directory of the trial's) or "etcd" (the
# topology's own three-member etcd cluster on its management network: `ft-net up --etcd`).

FT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FT_TARGET=${CARGO_TARGET_DIR:-$FT_ROOT/target}
FT_VMFT=$FT_TARGET/release/vmft
FT_IMAGE=${VMFT_REDIS_IMAGE:-$FT_TARGET/vmft-image-redis}
FT_NET=$FT_ROOT/scripts/ft-net
FT_CLIENT=$FT_ROOT/scripts/ft-client
FT_GUEST=10.0.2.15
FT_CHANNEL=10.99.0.1:7700
FT_READY="Ready to accept connections tcp"
FT_BOOT_TIMEOUT=${FT_BOOT_TIMEOUT:-300}
FT_NAME=${FT_NAME:-ft-lib}
FT_ARBITER=${FT_ARBITER:-file}

# What ft_cleanup must undo: pids of processes started here, and topology prefixes built here.
FT_PIDS=()
FT_PREFIXES=()

ft_say() { echo "$FT_NAME: $*" >&2; }
# ft_step MESSAGE: progress of a trial, on standard output, when FT_VERBOSE=1 (scripts/demo).
ft_step() { [[ ${FT_VERBOSE:-0} != 1 ]] || echo "$FT_NAME: $*"; }
ft_die() {
    ft_say "$*"
    exit 1
}

ft_require_root() {
    [[ $(id -u) -eq 0 ]] ||
        ft_die "needs root: it builds network namespaces, bridges and TAP devices (run it with sudo)"
}

# Installs host packages, builds vmft (release) and the Redis guest image if missing.
ft_prepare() {
    "$FT_ROOT/scripts/deps" || ft_die "scripts/deps failed"
    if [[ ${VMFT_SKIP_BUILD:-0} != 1 ]]; then
        ft_say "building vmft (cargo build --release -p vmft)"
        (cd "$FT_ROOT" && cargo build --release -q -p vmft) || ft_die "cargo build --release failed"
    fi
    [[ -x $FT_VMFT ]] || ft_die "no vmft binary at $FT_VMFT"
    if [[ ! -f $FT_IMAGE/vmft-image ]]; then
        ft_say "building the Redis guest image into $FT_IMAGE (first use only)"
        "$FT_VMFT" image build --out "$FT_IMAGE" --package redis-server >&2 ||
            ft_die "vmft image build failed"
    fi
}

# ft_args DISK: sets FT_ARGS to the machine arguments of the Redis guest on DISK. Both sides
# of a pair (and the solo run) use these, each with its own identical copy of the disk.
ft_args() {
    FT_ARGS=(--image "$FT_IMAGE" --memory 512M --net tap=tap0 --drive "$1"
        --append "vmft.ip=$FT_GUEST/24 vmft.mount=/dev/vda:/data -- redis-server --bind 0.0.0.0 --protected-mode no --dir /data --appendonly yes --appendfsync always --save")
}

# ft_net_up PREFIX LOG: builds a fresh topology (with etcd when FT_ARBITER=etcd).
ft_net_up() {
    local with=()
    case $FT_ARBITER in
    file) ;;
    etcd) with=(--etcd) ;;
    *) ft_die "FT_ARBITER=$FT_ARBITER: file or etcd" ;;
    esac
    FT_PREFIXES+=("$1")
    "$FT_NET" up "$1" "${with[@]}" >"$2" 2>&1 ||
        ft_die "scripts/ft-net up $1 ${with[*]} failed: $(tail -n 3 "$2")"
}

ft_net_down() {
    "$FT_NET" down "$1" >&2 || ft_say "could not remove the topology $1"
    local kept=() p
    for p in "${FT_PREFIXES[@]}"; do [[ $p == "$1" ]] || kept+=("$p"); done
    FT_PREFIXES=("${kept[@]}")
}

# ft_disks DIR: DIR/a.img and DIR/b.img, two identical fresh ext4 filesystems of 64M.
ft_disks() {
    if ! { truncate -s 64M "$1/a.img" && mkfs.ext4 -q -F "$1/a.img" && cp "$1/a.img" "$1/b.img"; }; then
        ft_die "could not make the guest's disks in $1"
    fi
}

ft_alive() { kill -0 "$1" 2>/dev/null; }

# ft_forget PID: PID has been reaped; ft_cleanup must not signal it (its number may be reused).
ft_forget() {
    local kept=() pid
    for pid in "${FT_PIDS[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
    FT_PIDS=("${kept[@]}")
}

# ft_stop PID...: kills each (SIGKILL) and reaps it.
ft_stop() {
    local pid
    for pid in "$@"; do
        [[ -n $pid ]] || continue
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        ft_forget "$pid"
    done
}

# ft_wait_exit PID SECONDS: waits for PID (a child of this shell) to exit; sets FT_STATUS to its
# exit status, or to "timeout" (the process is left running).
ft_wait_exit() {
    local pid=$1 i
    for ((i = 0; i < $2 * 10; i++)); do
        if ! ft_alive "$pid"; then
            FT_STATUS=0
            wait "$pid" 2>/dev/null || FT_STATUS=$?
            ft_forget "$pid"
            return 0
        fi
        sleep 0.1
    done
    FT_STATUS=timeout
    return 1
}

# ft_wait_ready CONSOLE WHAT PID...: waits for Redis's ready line on CONSOLE while every PID
# lives. Returns 1 (with a message) if one of them exits or FT_BOOT_TIMEOUT passes.
ft_wait_ready() {
    local console=$1 what=$2 i pid
    shift 2
    for ((i = 0; i < FT_BOOT_TIMEOUT * 5; i++)); do
        grep -qs "$FT_READY" "$console" && return 0
        for pid in "$@"; do
            if ! ft_alive "$pid"; then
                ft_say "$what: a VMM exited before Redis was ready"
                return 1
            fi
        done
        sleep 0.2
    done
    ft_say "$what: Redis not ready after $FT_BOOT_TIMEOUT s"
    return 1
}

# ft_solo_start DIR PREFIX: `vmft run` of the guest on DIR/a.img on host A's TAP device.
# Sets FT_SOLO_PID. Console in DIR/solo.out, vmft's messages in DIR/solo.err.
ft_solo_start() {
    local dir=$1 p=$2
    ft_args "$dir/a.img"
    ip netns exec "${p}a" "$FT_VMFT" run "${FT_ARGS[@]}" \
        </dev/null >"$dir/solo.out" 2>"$dir/solo.err" &
    FT_SOLO_PID=$!
    FT_PIDS+=("$FT_SOLO_PID")
}

# ft_pair_start DIR PREFIX: a fresh key (and arbiter directory) in DIR, the primary on host A
# (disk DIR/a.img) and the backup on host B (DIR/b.img), with FT_ARBITER's arbiter. Sets
# FT_PRIMARY_PID and FT_BACKUP_PID. Console and messages of each side in
# DIR/{primary,backup}.{out,err}.
ft_pair_start() {
    local dir=$1 p=$2 arbiter
    "$FT_VMFT" keygen "$dir/key" >"$dir/keygen.log" 2>&1 || ft_die "vmft keygen failed"
    mkdir -p "$dir/arbiter"
    arbiter=file:$dir/arbiter
    [[ $FT_ARBITER != etcd ]] || arbiter=$("$FT_NET" etcd "$p" spec)
    local common=(--key-file "$dir/key" --arbiter "$arbiter")
    # shellcheck disable=SC2206 # split on spaces, as documented
    [[ -z ${VMFT_FT_ARGS:-} ]] || common+=($VMFT_FT_ARGS)
    ft_args "$dir/a.img"
    ip netns exec "${p}a" "$FT_VMFT" primary "${FT_ARGS[@]}" --listen "$FT_CHANNEL" "${common[@]}" \
        --node a </dev/null >"$dir/primary.out" 2>"$dir/primary.err" &
    FT_PRIMARY_PID=$!
    FT_PIDS+=("$FT_PRIMARY_PID")
    ft_args "$dir/b.img"
    ip netns exec "${p}b" "$FT_VMFT" backup "${FT_ARGS[@]}" --primary "$FT_CHANNEL" "${common[@]}" \
        --node b </dev/null >"$dir/backup.out" 2>"$dir/backup.err" &
    FT_BACKUP_PID=$!
    FT_PIDS+=("$FT_BACKUP_PID")
}

# ft_shutdown PREFIX: asks the guest's Redis to shut down (the guest then powers off).
ft_shutdown() {
    ip netns exec "${1}c" timeout 20 redis-cli -h "$FT_GUEST" shutdown >/dev/null 2>&1 || true
}

# ft_json FILE KEY...: the values of KEYs in FILE's one-line JSON object, one per line
# ("-" for a missing or null value, "error" if FILE holds no JSON object).
ft_json() {
    python3 - "$@" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        d = json.loads(f.read().strip().splitlines()[-1])
except Exception:
    d = None
for k in sys.argv[2:]:
    v = "error" if not isinstance(d, dict) else d.get(k)
    print("-" if v is None else v)
EOF
}

# ft_why DIR: the last message of each side of the pair in DIR, for a failure report.
ft_why() {
    local side line out=()
    for side in primary backup; do
        line=$(grep -a -E "^(vmft: |error: )" "$1/$side.err" 2>/dev/null | tail -n 1 || true)
        [[ -n $line ]] || line=$(grep -a . "$1/$side.err" 2>/dev/null | tail -n 1 || true)
        [[ -z $line ]] || out+=("$side: ${line#vmft: }")
    done
    local joined
    joined=$(printf '%s; ' "${out[@]}")
    echo "${joined%; }"
}

# ft_golive FILE: the backup's go-live line in FILE (vmft's messages), or nothing.
ft_golive() { grep -a -m1 '^vmft: live in epoch' "$1" 2>/dev/null || true; }

# ft_sec MILLISECONDS: as seconds, "4.321" from 4321.
ft_sec() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# ft_trial DIR PREFIX LOAD_SECONDS: one failover trial on a fresh topology and pair: wait for
# Redis, write for LOAD_SECONDS over one connection (with reads), kill -9 the primary's VMM at a
# random moment between 4/15 and 9/15 of the load, check every acknowledged write on a new
# connection, then shut the (now live) backup's guest down and remove the topology.
# Sets FT_R_* (see below) and returns 0 iff nothing acknowledged was lost, the connection was
# kept and the backup went live. Logs stay in DIR (the disks are deleted).
ft_trial() {
    local dir=$1 p=$2 load=$3
    local lo hi
    lo=$((load * 4000 / 15)) hi=$((load * 9000 / 15))
    FT_R_KILL_MS=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
    FT_R_ACKED=- FT_R_MISSING=- FT_R_WRONG=- FT_R_CONN=- FT_R_GAP=- FT_R_DETECT=- FT_R_LIVE=-
    FT_R_GOLIVE="" FT_R_ERROR="" FT_R_BACKUP_EXIT=- FT_R_PRIMARY_EXIT=- FT_R_READS=- FT_R_CHECKED=-
    FT_R_KILL_AT="" FT_R_GAP_AFTER_KILL=-
    mkdir -p "$dir"
    ft_net_up "$p" "$dir/net.log"
    ft_disks "$dir"
    ft_pair_start "$dir" "$p"
    ft_step "booting the Redis guest on the pair: primary on host ${p}a, backup on host ${p}b"
    if ! ft_wait_ready "$dir/primary.out" "trial $p" "$FT_PRIMARY_PID" "$FT_BACKUP_PID"; then
        FT_R_ERROR="the pair did not start: $(ft_why "$dir")"
        ft_stop "$FT_PRIMARY_PID" "$FT_BACKUP_PID"
        ft_net_down "$p"
        rm -f "$dir/a.img" "$dir/b.img"
        return 1
    fi

    ft_step "Redis is up; the client writes (SET, then GET) for $load s over one TCP connection"
    ip netns exec "${p}c" python3 "$FT_CLIENT" write --host "$FT_GUEST" --duration "$load" \
        --prefix "t$p" --out "$dir/acked.jsonl" --reads >"$dir/client.json" 2>"$dir/client.err" &
    local client=$!
    FT_PIDS+=("$client")
    sleep "$(ft_sec "$FT_R_KILL_MS")"
    if ft_alive "$FT_PRIMARY_PID"; then
        ft_step "kill -9 of the primary's VMM (pid $FT_PRIMARY_PID) at $(ft_sec "$FT_R_KILL_MS") s into the load"
        FT_R_KILL_AT=$(date +%s.%N)
        kill -KILL "$FT_PRIMARY_PID"
    else
        FT_R_ERROR="the primary exited before the kill"
    fi
    FT_R_PRIMARY_EXIT=0
    wait "$FT_PRIMARY_PID" 2>/dev/null || FT_R_PRIMARY_EXIT=$?
    ft_forget "$FT_PRIMARY_PID"
    # The client stops by itself after LOAD_SECONDS (or after its 30 s reply timeout).
    wait "$client" 2>/dev/null || true
    ft_forget "$client"

    local gap_end
    read -r -d '' FT_R_ACKED FT_R_GAP FT_R_CONN FT_R_READS gap_end < <(ft_json "$dir/client.json" \
        acked max_gap_ms connection reads max_gap_end && printf '\0') || true
    # Where the longest gap ended, in ms after the kill: whether it was the failover's.
    if [[ -n $FT_R_KILL_AT && $gap_end =~ ^[0-9.]+$ ]]; then
        FT_R_GAP_AFTER_KILL=$(awk -v e="$gap_end" -v k="$FT_R_KILL_AT" 'BEGIN { printf "%.0f", (e - k) * 1000 }')
    fi
    local i
    for ((i = 0; i < 50; i++)); do
        FT_R_GOLIVE=$(ft_golive "$dir/backup.err")
        [[ -n $FT_R_GOLIVE ]] && break
        ft_alive "$FT_BACKUP_PID" || break
        sleep 0.1
    done
    if [[ -n $FT_R_GOLIVE ]]; then
        FT_R_DETECT=$(sed -n 's/.*failure detected \([0-9.]*\) ms.*/\1/p' <<<"$FT_R_GOLIVE")
        FT_R_LIVE=$(sed -n 's/.*live \([0-9.]*\) ms after detection.*/\1/p' <<<"$FT_R_GOLIVE")
    fi
    ft_step "the client finished; reading every acknowledged write back on a new connection"
    ip netns exec "${p}c" python3 "$FT_CLIENT" check --host "$FT_GUEST" --file "$dir/acked.jsonl" \
        >"$dir/check.json" 2>"$dir/check.err" || true
    read -r -d '' FT_R_MISSING FT_R_WRONG FT_R_CHECKED < <(ft_json "$dir/check.json" \
        missing wrong checked && printf '\0') || true

    # The backup, live now, powers its guest off when Redis shuts down.
    ft_shutdown "$p"
    if ft_wait_exit "$FT_BACKUP_PID" 30; then
        FT_R_BACKUP_EXIT=$FT_STATUS
    else
        FT_R_BACKUP_EXIT=timeout
        ft_stop "$FT_BACKUP_PID"
    fi
    ft_net_down "$p"
    rm -f "$dir/a.img" "$dir/b.img"

    # A pair that split before the kill (one side declared the other dead) is no longer
    # fault tolerant: say so rather than only that the backup did not go live.
    local split
    split=$(grep -a -m1 -h -e '^vmft: primary alone' -e '^vmft: backup halted' \
        "$dir/primary.err" "$dir/backup.err" 2>/dev/null || true)
    if [[ -z $FT_R_ERROR && -z $FT_R_GOLIVE && -n $split ]]; then
        FT_R_ERROR="the pair split before the kill: $(ft_why "$dir")"
    fi
    if [[ -z $FT_R_ERROR ]]; then
        if [[ -z $FT_R_GOLIVE ]]; then
            FT_R_ERROR="the backup did not go live"
        elif [[ $FT_R_CONN != kept ]]; then
            FT_R_ERROR="the client's connection was lost: $(ft_json "$dir/client.json" error)"
        elif [[ $FT_R_MISSING != 0 || $FT_R_WRONG != 0 || $FT_R_CHECKED != "$FT_R_ACKED" ]]; then
            FT_R_ERROR="acknowledged writes lost: missing $FT_R_MISSING, wrong $FT_R_WRONG (check: $(ft_json "$dir/check.json" error))"
        elif [[ $FT_R_ACKED == - || $FT_R_ACKED == error || $FT_R_ACKED -eq 0 ]]; then
            FT_R_ERROR="the client acknowledged no write: $(ft_json "$dir/client.json" error)"
        elif [[ $(ft_json "$dir/client.json" error) != - ]]; then
            FT_R_ERROR="client: $(ft_json "$dir/client.json" error)"
        fi
    fi
    [[ -z $FT_R_ERROR ]]
}

# ft_partition_trial DIR PREFIX LOAD_SECONDS: one partition trial on a fresh topology and pair
# (FT_ARBITER's arbiter): wait for Redis, write for LOAD_SECONDS over one connection, cut the
# logging channel (`ip link set ch0 down` on host A: both directions) at a random moment between
# 4/15 and 9/15 of the load, and time how long until one side says it serves in the new epoch:
# the backup's "vmft: live in epoch" or the primary's "primary alone, unprotected in epoch"
# line, seen by polling both sides' messages every 10 ms. Then every acknowledged write is read
# back, and the trial passes iff exactly one side halted (exit status 3 or 4), the other went
# on, and nothing acknowledged was lost. Sets FT_R_* (FT_R_SERVING_MS: cut to that line,
# FT_R_WINNER: primary or backup) and removes the topology; logs stay in DIR.
ft_partition_trial() {
    local dir=$1 p=$2 load=$3
    local lo hi
    lo=$((load * 4000 / 15)) hi=$((load * 9000 / 15))
    FT_R_KILL_MS=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
    FT_R_ACKED=- FT_R_MISSING=- FT_R_WRONG=- FT_R_CONN=- FT_R_GAP=- FT_R_SERVING_MS=-
    FT_R_WINNER=- FT_R_ERROR="" FT_R_PRIMARY_EXIT=- FT_R_BACKUP_EXIT=- FT_R_CHECKED=-
    mkdir -p "$dir"
    ft_net_up "$p" "$dir/net.log"
    ft_disks "$dir"
    ft_pair_start "$dir" "$p"
    if ! ft_wait_ready "$dir/primary.out" "trial $p" "$FT_PRIMARY_PID" "$FT_BACKUP_PID"; then
        FT_R_ERROR="the pair did not start: $(ft_why "$dir")"
        ft_stop "$FT_PRIMARY_PID" "$FT_BACKUP_PID"
        ft_net_down "$p"
        rm -f "$dir/a.img" "$dir/b.img"
        return 1
    fi
    ip netns exec "${p}c" python3 "$FT_CLIENT" write --host "$FT_GUEST" --duration "$load" \
        --prefix "t$p" --out "$dir/acked.jsonl" >"$dir/client.json" 2>"$dir/client.err" &
    local client=$!
    FT_PIDS+=("$client")
    sleep "$(ft_sec "$FT_R_KILL_MS")"
    local split
    split=$(grep -a -m1 -h -e '^vmft: primary alone' -e '^vmft: live in epoch' \
        "$dir/primary.err" "$dir/backup.err" 2>/dev/null || true)
    [[ -z $split ]] || FT_R_ERROR="the pair split before the cut: $(ft_why "$dir")"
    local cut_ns seen_ns="" i
    cut_ns=$(date +%s%N)
    "$FT_NET" link "$p" ch down || FT_R_ERROR="could not cut the logging channel"
    for ((i = 0; i < 3000; i++)); do
        if grep -aqs '^vmft: live in epoch' "$dir/backup.err"; then
            seen_ns=$(date +%s%N) FT_R_WINNER=backup
            break
        fi
        if grep -aqs '^vmft: primary alone, unprotected in epoch' "$dir/primary.err"; then
            seen_ns=$(date +%s%N) FT_R_WINNER=primary
            break
        fi
        sleep 0.01
    done
    [[ -z $seen_ns ]] || FT_R_SERVING_MS=$(((seen_ns - cut_ns) / 1000000))
    wait "$client" 2>/dev/null || true
    ft_forget "$client"
    read -r -d '' FT_R_ACKED FT_R_GAP FT_R_CONN < <(ft_json "$dir/client.json" \
        acked max_gap_ms connection && printf '\0') || true
    ip netns exec "${p}c" python3 "$FT_CLIENT" check --host "$FT_GUEST" --file "$dir/acked.jsonl" \
        >"$dir/check.json" 2>"$dir/check.err" || true
    read -r -d '' FT_R_MISSING FT_R_WRONG FT_R_CHECKED < <(ft_json "$dir/check.json" \
        missing wrong checked && printf '\0') || true
    # The loser halts at once when it loses the arbiter or sees the newer epoch.
    local loser_pid=$FT_PRIMARY_PID winner_pid=$FT_BACKUP_PID
    if [[ $FT_R_WINNER == primary ]]; then
        loser_pid=$FT_BACKUP_PID winner_pid=$FT_PRIMARY_PID
    fi
    local loser_exit=timeout
    if ft_wait_exit "$loser_pid" 30; then loser_exit=$FT_STATUS; fi
    ft_shutdown "$p"
    local winner_exit=timeout
    if ft_wait_exit "$winner_pid" 30; then winner_exit=$FT_STATUS; fi
    # Only a process still running is signalled: a reaped one's pid may have been reused.
    [[ $loser_exit != timeout ]] || ft_stop "$loser_pid"
    [[ $winner_exit != timeout ]] || ft_stop "$winner_pid"
    if [[ $FT_R_WINNER == primary ]]; then
        FT_R_PRIMARY_EXIT=$winner_exit FT_R_BACKUP_EXIT=$loser_exit
    else
        FT_R_PRIMARY_EXIT=$loser_exit FT_R_BACKUP_EXIT=$winner_exit
    fi
    ft_net_down "$p"
    rm -f "$dir/a.img" "$dir/b.img"
    if [[ -z $FT_R_ERROR ]]; then
        if [[ $FT_R_WINNER == - ]]; then
            FT_R_ERROR="neither side went on within 30 s of the cut: $(ft_why "$dir")"
        elif [[ $loser_exit != 3 && $loser_exit != 4 ]]; then
            FT_R_ERROR="the losing side did not halt (exit status $loser_exit): $(ft_why "$dir")"
        elif [[ $FT_R_MISSING != 0 || $FT_R_WRONG != 0 || $FT_R_CHECKED != "$FT_R_ACKED" ]]; then
            FT_R_ERROR="acknowledged writes lost: missing $FT_R_MISSING, wrong $FT_R_WRONG (check: $(ft_json "$dir/check.json" error))"
        elif [[ $FT_R_ACKED == - || $FT_R_ACKED == error || $FT_R_ACKED -eq 0 ]]; then
            FT_R_ERROR="the client acknowledged no write: $(ft_json "$dir/client.json" error)"
        fi
    fi
    [[ -z $FT_R_ERROR ]]
}

# ft_partition_line N TOTAL: one line for a finished partition trial.
ft_partition_line() {
    local verdict=pass gap=$FT_R_GAP
    [[ -z $FT_R_ERROR ]] || verdict=FAIL
    [[ ! $gap =~ ^[0-9.]+$ ]] || gap=$(printf '%.1f' "$gap")
    printf 'partition %s/%s: %-4s cut at %5s s  %-7s serving %5s ms after the cut  acked %5s  missing %s  connection %-4s  max gap %7s ms  exits: primary %s, backup %s%s\n' \
        "$1" "$2" "$verdict" "$(ft_sec "$FT_R_KILL_MS")" "$FT_R_WINNER" "$FT_R_SERVING_MS" \
        "$FT_R_ACKED" "$FT_R_MISSING" "$FT_R_CONN" "$gap" "$FT_R_PRIMARY_EXIT" "$FT_R_BACKUP_EXIT" \
        "${FT_R_ERROR:+  ($FT_R_ERROR)}"
}

# ft_partition_record FILE: appends "PASS ACKED LOST CONNECTION WINNER SERVING GAP" to FILE.
ft_partition_record() {
    local pass=1 lost=-
    [[ -z $FT_R_ERROR ]] || pass=0
    if [[ $FT_R_MISSING =~ ^[0-9]+$ && $FT_R_WRONG =~ ^[0-9]+$ ]]; then
        lost=$((FT_R_MISSING + FT_R_WRONG))
    fi
    echo "$pass $FT_R_ACKED $lost $FT_R_CONN $FT_R_WINNER $FT_R_SERVING_MS $FT_R_GAP" >>"$1"
}

# ft_gap_where: where the longest gap ended relative to the kill, as words.
ft_gap_where() {
    local d=$FT_R_GAP_AFTER_KILL
    if [[ $d =~ ^-[0-9]+$ ]]; then
        echo "ended ${d#-} ms before the kill"
    elif [[ $d =~ ^[0-9]+$ ]]; then
        echo "ended $d ms after the kill"
    else
        echo "no kill"
    fi
}

# ft_trial_line N TOTAL: one line for a finished trial.
ft_trial_line() {
    local verdict=pass note=$FT_R_ERROR
    [[ -z $FT_R_ERROR ]] || verdict=FAIL
    [[ $FT_R_BACKUP_EXIT == 0 || $FT_R_BACKUP_EXIT == - ]] || note+="${note:+; }the live backup's exit status at shutdown: $FT_R_BACKUP_EXIT"
    if [[ $FT_R_ACKED == - ]]; then
        printf 'trial %s/%s: %-4s (%s)\n' "$1" "$2" "$verdict" "$note"
        return
    fi
    local gap=$FT_R_GAP
    [[ ! $gap =~ ^[0-9.]+$ ]] || gap=$(printf '%.1f' "$gap")
    printf 'trial %s/%s: %-4s kill at %5s s  acked %5s  missing %s  connection %-4s  detect %4s ms  live %4s ms  max gap %7s ms (%s)%s\n' \
        "$1" "$2" "$verdict" "$(ft_sec "$FT_R_KILL_MS")" "$FT_R_ACKED" "$FT_R_MISSING" "$FT_R_CONN" \
        "$FT_R_DETECT" "$FT_R_LIVE" "$gap" "$(ft_gap_where)" "${note:+  ($note)}"
}

# ft_trial_record FILE: appends the trial's figures to FILE, one line
# "PASS ACKED LOST CONNECTION DETECT LIVE GAP" (LOST = missing + wrong; "-" when unknown).
ft_trial_record() {
    local pass=1 lost=-
    [[ -z $FT_R_ERROR ]] || pass=0
    if [[ $FT_R_MISSING =~ ^[0-9]+$ && $FT_R_WRONG =~ ^[0-9]+$ ]]; then
        lost=$((FT_R_MISSING + FT_R_WRONG))
    fi
    echo "$pass $FT_R_ACKED $lost $FT_R_CONN $FT_R_DETECT $FT_R_LIVE $FT_R_GAP" >>"$1"
}

# ft_median_max COLUMN FILE: "median M, max X" of the numeric values in COLUMN of FILE.
ft_median_max() {
    awk -v c="$1" '$c ~ /^[0-9.]+$/ { print $c }' "$2" | sort -g | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "n/a"; exit }
            m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "median %.1f ms, max %.1f ms\n", m, v[NR]
        }'
}

# ft_summary FILE: the summary of the trials recorded in FILE; returns 1 if any failed.
ft_summary() {
    awk '
        { n++; if ($1 == 1) pass++; if ($2 ~ /^[0-9]+$/) acked += $2
          if ($3 ~ /^[0-9]+$/) lost += $3; else unknown++
          if ($4 == "kept") kept++ }
        END {
            printf "trials passed:            %d/%d\n", pass, n
            printf "writes acknowledged:      %d, lost %d%s\n", acked, lost,
                unknown ? sprintf(" (%d trials not checked)", unknown) : ""
            printf "connection kept:          %d/%d trials\n", kept, n
        }' "$1"
    echo "failure detection:        $(ft_median_max 5 "$1")"
    echo "go-live after detection:  $(ft_median_max 6 "$1")"
    echo "longest client gap:       $(ft_median_max 7 "$1")"
    ! awk '$1 != 1 { bad = 1 } END { exit !bad }' "$1"
}

# Ends every process started here and removes every topology built here. For an EXIT trap.
ft_cleanup() {
    local pid p
    for pid in "${FT_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    for pid in "${FT_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    FT_PIDS=()
    for p in "${FT_PREFIXES[@]}"; do
        "$FT_NET" down "$p" >&2 || true
    done
    FT_PREFIXES=()
}
