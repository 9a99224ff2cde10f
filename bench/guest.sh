#!/usr/bin/env bash
# In-guest benchmark on Debian binaries: the same guest image (OpenSBI, Debian's kernel, an
# initramfs with xz-utils, coreutils and mawk) booted by vmft and by QEMU's TCG with the same
# firmware, kernel, initramfs, command line and memory. The guest runs, one after the other:
#   gen        mawk writes deterministic data (a seeded linear congruential generator, N lines);
#   xz         `xz -9 -T1` of that data;
#   sha256sum  coreutils' sha256sum over R concatenated copies of it;
#   awk        a mawk loop of A iterations of integer and floating-point arithmetic.
# Each prints a result (sizes and SHA-256 sums; the loop's values) that must be identical
# under vmft and QEMU: the script fails if they differ. The guest prints a marker line
# before and after each workload; the host timestamps the markers as they arrive on the
# console, and the wall time between them is the workload's time. The guest's own clock
# (/proc/uptime, 10 ms steps) is printed beside it as a check.
#
# The workload reaches the guest the way every guest command does: after `--` on the kernel
# command line, run by the image's init (crates/image/src/initramfs.rs), which powers off
# after it. Programs are called by their full paths: busybox's shell prefers its own applets.
#
# QEMU gets the CPU vmft implements (RV64GC: no H, bit manipulation, Sstc or Zihintpause,
# which QEMU 7.2's default CPU adds and which glibc, OpenSSL and the kernel would otherwise
# use there), so that both run the same instructions; QEMU_CPU=default uses QEMU's default.
#
# Usage: bench/guest.sh [--quick]
#   --quick          smaller sizes (a run of well under a minute per machine)
#   VMFT_FLAGS       extra `vmft run` flags, e.g. "--accel jit"
#   RUNS             runs per machine, best time per workload kept (default 1)
#   MEMORY           guest RAM (default 1G: `xz -9` allocates 674 MiB)
#   N, R, A          the sizes above (defaults 100000 lines, 16 copies, 1000000 iterations;
#                    with --quick 20000, 16 and 200000)
#   QEMU_CPU         QEMU's -cpu (see above)
#   VMFT_IMAGE       the image directory (default <target>/vmft-image-guest, built if missing)
# When `vmft run --help` lists --accel (and VMFT_FLAGS names none), vmft runs twice, with
# `--accel interp` and with `--accel jit`, and both ratios are printed.
set -euo pipefail

QUICK=0
for arg in "$@"; do
    case $arg in
    --quick) QUICK=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) echo "bench/guest.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done
if [[ $QUICK -eq 1 ]]; then
    N=${N:-20000} R=${R:-16} A=${A:-200000}
else
    N=${N:-100000} R=${R:-16} A=${A:-1000000}
fi
RUNS=${RUNS:-1}
MEMORY=${MEMORY:-1G}
TIMEOUT=${TIMEOUT:-1800}
VMFT_FLAGS=${VMFT_FLAGS:-}
QEMU_CPU=${QEMU_CPU:-rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false,Zihintpause=false}
PACKAGES=(xz-utils coreutils mawk)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
IMAGE=${VMFT_IMAGE:-$CARGO_TARGET_DIR/vmft-image-guest}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

die() { echo "bench/guest.sh: $*" >&2; exit 1; }
. "$ROOT/bench/lib.sh"

command -v qemu-system-riscv64 >/dev/null ||
    die "qemu-system-riscv64 not found (Debian: apt-get install qemu-system-misc)"
command -v python3 >/dev/null || die "python3 not found (Debian: apt-get install python3)"

build_vmft

has_packages() {
    local p
    for p in "${PACKAGES[@]}"; do [[ " $(manifest packages) " == *" $p "* ]] || return 1; done
}
if [[ -f $IMAGE/vmft-image ]] && ! has_packages; then
    [[ -z ${VMFT_IMAGE:-} ]] || die "VMFT_IMAGE=$IMAGE lacks some of ${PACKAGES[*]}"
    rm -f "$IMAGE/vmft-image"
fi
if [[ ! -f $IMAGE/vmft-image ]]; then
    echo "building the guest image with ${PACKAGES[*]} into $IMAGE" >&2
    package_args=()
    for p in "${PACKAGES[@]}"; do package_args+=(--package "$p"); done
    "$VMFT" image build --out "$IMAGE" "${package_args[@]}" >&2 || die "vmft image build failed"
fi
FIRMWARE=$IMAGE/$(manifest firmware)
KERNEL=$IMAGE/$(manifest kernel)
INITRD=$IMAGE/$(manifest initrd)
KERNEL_VERSION=$(manifest kernel_version)

# The guest's script. It goes inside double quotes on the kernel command line, so it holds
# no double quote, and the whole line must stay under the kernel's 1024 bytes. `m begin W`
# and `m end W` print the markers with the guest's uptime; `result W ...` lines are compared.
SCRIPT="set -e; cd /tmp
m(){ read u x </proc/uptime; echo vmft-bench: \$1 \$2 \$u; }
m begin gen; /usr/bin/mawk -v n=$N 'BEGIN{s=1;for(i=0;i<n;i++){s=(s*69069+1)%4294967296;print i,s,s%65521,int(s/65536)%4093}}' >d; m end gen
echo vmft-bench: result gen \$(wc -c <d) \$(/usr/bin/sha256sum <d)
m begin xz; /usr/bin/xz -9 -T1 -c d >d.xz; m end xz
echo vmft-bench: result xz \$(wc -c <d.xz) \$(/usr/bin/sha256sum <d.xz) unxz \$(/usr/bin/xz -dc d.xz | /usr/bin/sha256sum)
m begin sha256sum; h=\$(i=0; while [ \$i -lt $R ]; do cat d; i=\$((i+1)); done | /usr/bin/sha256sum); m end sha256sum
echo vmft-bench: result sha256sum \$h
m begin awk; a=\$(/usr/bin/mawk -v n=$A 'BEGIN{x=1;y=0;for(i=1;i<=n;i++){x=(x*31+i%7*i)%1000003;if(x%2)y+=x/7;else y-=sqrt(x)};print x,int(y)}'); m end awk
echo vmft-bench: result awk \$a"
SCRIPT=${SCRIPT//$'\n'/; }
APPEND="$(manifest append) -- sh -c \"$SCRIPT\""
[[ ${#APPEND} -lt 1024 ]] || die "the kernel command line is ${#APPEND} bytes (the kernel takes 1023)"
WORKLOADS=(gen xz sha256sum awk)

# timeguest.py TIMEOUT CONSOLE STDERR -- CMD...: runs CMD with the console on a pipe and
# timestamps each marker line as it arrives. Prints one line per workload,
# "NAME HOST_SECONDS GUEST_SECONDS RESULT...", and fails if a workload is missing, the guest's
# command fails, the monitor exits non-zero or TIMEOUT passes. Markers are matched at the start
# of a line: the kernel echoes its command line, markers included, early in the boot.
cat >"$WORK/timeguest.py" <<'EOF'
import subprocess, sys, threading, time

limit, console_path, stderr_path, names = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
command = sys.argv[6:]
begin, end, result, status_line = {}, {}, {}, None
with open(console_path, "wb") as console, open(stderr_path, "wb") as stderr:
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=stderr, bufsize=0)
    timer = threading.Timer(limit, proc.kill)
    timer.start()
    for line in proc.stdout:
        now = time.monotonic()
        console.write(line)
        text = line.decode("utf-8", "replace").strip()
        fields = text.split()
        if text.startswith("vmft-bench: ") and len(fields) >= 3:
            kind, name = fields[1], fields[2]
            if kind in ("begin", "end") and len(fields) == 4:
                (begin if kind == "begin" else end)[name] = (now, float(fields[3]))
            elif kind == "result":
                result[name] = " ".join(fields[3:])
        elif text.startswith("vmft-guest: command exited with status"):
            status_line = text
    status = proc.wait()
    total = time.monotonic() - start
    timer.cancel()
if status_line != "vmft-guest: command exited with status 0":
    sys.exit(f"the guest's workload failed ({status_line or 'no exit line'}; exit status {status} after {total:.1f} s)")
if status != 0:
    sys.exit(f"exit status {status} after {total:.1f} s")
for name in names.split(","):
    if name not in begin or name not in end or name not in result:
        sys.exit(f"workload {name}: markers or result missing")
    host = end[name][0] - begin[name][0]
    guest = end[name][1] - begin[name][1]
    print(f"{name} {host:.3f} {guest:.2f} {result[name]}")
EOF

# run_best NAME CMD...: runs the guest RUNS times; keeps the first run's console and stderr in
# $WORK/NAME.out/.err, checks every run's results against the first, and writes the best
# (lowest host time) of each workload to $WORK/NAME.times ("NAME HOST GUEST RESULT...").
run_best() {
    local name=$1 i
    shift
    for ((i = 1; i <= RUNS; i++)); do
        echo "  $name run $i of $RUNS" >&2
        if ! python3 "$WORK/timeguest.py" "$TIMEOUT" "$WORK/$name.run.out" "$WORK/$name.run.err" \
            "$(IFS=,; echo "${WORKLOADS[*]}")" -- "$@" >"$WORK/$name.t$i"; then
            tail -n 20 "$WORK/$name.run.out" "$WORK/$name.run.err" >&2
            echo "bench/guest.sh: $name run $i failed" >&2
            return 1
        fi
        if [[ $i -eq 1 ]]; then
            mv "$WORK/$name.run.out" "$WORK/$name.out"
            mv "$WORK/$name.run.err" "$WORK/$name.err"
        fi
    done
    cat "$WORK/$name".t* | sort -k1,1 -k2,2g | awk '!seen[$1]++' >"$WORK/$name.times"
    # Every run's results must agree with each other.
    [[ $(cut -d' ' -f1,4- "$WORK/$name".t* | sort -u | wc -l) -eq ${#WORKLOADS[@]} ]] ||
        die "$name: results differ between runs"
}

CONFIGS=()
declare -A FLAGS
if [[ " $VMFT_FLAGS " != *" --accel"* ]] && "$VMFT" run --help | grep -q -- '--accel'; then
    CONFIGS=(interp jit)
    FLAGS[interp]="--accel interp${VMFT_FLAGS:+ $VMFT_FLAGS}"
    FLAGS[jit]="--accel jit${VMFT_FLAGS:+ $VMFT_FLAGS}"
else
    CONFIGS=(vmft)
    FLAGS[vmft]=$VMFT_FLAGS
fi

QEMU_CPU_ARGS=()
[[ $QEMU_CPU == default ]] || QEMU_CPU_ARGS=(-cpu "$QEMU_CPU")
echo "running the workloads under QEMU ($RUNS times)" >&2
run_best qemu qemu-system-riscv64 -machine virt "${QEMU_CPU_ARGS[@]}" -m "$MEMORY" -nographic \
    -bios "$FIRMWARE" -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" ||
    die "QEMU did not complete the workloads"
for config in "${CONFIGS[@]}"; do
    echo "running the workloads under vmft ${FLAGS[$config]} ($RUNS times)" >&2
    # shellcheck disable=SC2086 # VMFT_FLAGS is a list of flags
    run_best "$config" "$VMFT" run --bios "$FIRMWARE" --kernel "$KERNEL" --initrd "$INITRD" \
        --append "$APPEND" --memory "$MEMORY" ${FLAGS[$config]} ||
        die "vmft (${FLAGS[$config]:-default flags}) did not complete the workloads"
done

# The results must be the same on every machine.
for config in "${CONFIGS[@]}"; do
    if ! diff <(cut -d' ' -f1,4- "$WORK/qemu.times") <(cut -d' ' -f1,4- "$WORK/$config.times") \
        >"$WORK/diff"; then
        cat "$WORK/diff" >&2
        die "results differ between QEMU and vmft ${FLAGS[$config]}"
    fi
done

VERSIONS=$(manifest package_versions | tr ' ' '\n' | grep -E '^(xz-utils|coreutils|mawk)=' | paste -sd' ')
# xz's round trip gives back the generated data.
[[ $(awk '$1 == "xz" { print $8 }' "$WORK/qemu.times") == $(awk '$1 == "gen" { print $5 }' "$WORK/qemu.times") ]] ||
    die "xz -d did not give back the generated data"

echo "guest:    Debian kernel $KERNEL_VERSION, $MEMORY, $VERSIONS"
echo "sizes:    gen $N lines ($(awk '$1 == "gen" { print $4 }' "$WORK/qemu.times") bytes), sha256sum over $R copies, awk $A iterations"
echo "QEMU:     $(qemu-system-riscv64 --version | head -n 1), -cpu ${QEMU_CPU}"
for config in "${CONFIGS[@]}"; do echo "vmft:     run ${FLAGS[$config]:-(no extra flags)}"; done
echo "results:  identical under QEMU and vmft"
# table COLUMN: the times (COLUMN 2: host wall clock; 3: the guest's clock) and ratios.
table() {
    local column=$1 config
    local files=("$WORK/qemu.times")
    for config in "${CONFIGS[@]}"; do files+=("$WORK/$config.times"); done
    awk -v column="$column" -v configs="${CONFIGS[*]}" -v workloads="${WORKLOADS[*]}" '
        BEGIN { nc = split(configs, c, " "); nw = split(workloads, w, " ") }
        { t[FILENAME, $1] = $column }
        END {
            printf "%-10s", "workload"
            for (i = 1; i <= nc; i++) printf " %10s", (c[i] == "vmft" ? "vmft s" : c[i] " s")
            printf " %10s", "QEMU s"
            for (i = 1; i <= nc; i++) printf " %12s", (c[i] == "vmft" ? "vmft/QEMU" : c[i] "/QEMU")
            printf "\n"
            for (j = 1; j <= nw + 1; j++) {
                name = j <= nw ? w[j] : "total"
                printf "%-10s", name
                for (i = 0; i <= nc; i++) {
                    file = ARGV[i + 1]
                    if (j <= nw) v[i] = t[file, name]
                    else { v[i] = 0; for (k = 1; k <= nw; k++) v[i] += t[file, w[k]] }
                }
                for (i = 1; i <= nc; i++) printf " %10.2f", v[i]
                printf " %10.2f", v[0]
                for (i = 1; i <= nc; i++) printf " %11.2fx", (v[0] > 0 ? v[i] / v[0] : 0)
                printf "\n"
            }
        }' "${files[@]}"
}
echo
echo "wall time between the markers, as the host saw them on the console:"
table 2
echo
echo "as the guest's own clock measured them (10 ms steps):"
table 3
