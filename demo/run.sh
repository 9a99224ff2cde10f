#!/usr/bin/env bash
# Builds the bundled bare-metal demo (demo/demo.c) and runs it under vmft.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "demo/run.sh: $*" >&2; exit 1; }

command -v riscv64-unknown-elf-gcc >/dev/null ||
    die "riscv64-unknown-elf-gcc not found (Debian: apt-get install gcc-riscv64-unknown-elf)"

OUT=${CARGO_TARGET_DIR:-$ROOT/target}/demo
mkdir -p "$OUT"
COMMON=$ROOT/tests/isa/common
riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -mcmodel=medany -nostdlib -nostartfiles \
    -static -ffreestanding -fno-builtin -O2 -I"$COMMON" -T "$COMMON/link.ld" \
    "$COMMON/crt0.S" "$COMMON/lib.c" "$ROOT/demo/demo.c" -o "$OUT/demo.elf" ||
    die "building the demo failed"

cd "$ROOT"
exec cargo run --release -p vmft -- run --bios none --kernel "$OUT/demo.elf" "$@"
