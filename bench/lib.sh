# Shared by the benchmark scripts (sourced, not run). Each script sets ROOT and
# CARGO_TARGET_DIR and defines die() before calling these.

# build_vmft: builds the release vmft and sets VMFT to it.
build_vmft() {
    echo "building vmft (cargo build --release)" >&2
    (cd "$ROOT" && cargo build --release -p vmft) || die "cargo build --release failed"
    VMFT=$CARGO_TARGET_DIR/release/vmft
    [[ -x $VMFT ]] || die "vmft binary not found at $VMFT"
}

# build_baremetal OUT SOURCE [GCC FLAGS...]: builds a bare-metal RV64GC program from SOURCE with
# the ISA tests' start-up code and linker script (tests/isa/common), as the ISA tests do.
build_baremetal() {
    local out=$1 source=$2 common=$ROOT/tests/isa/common
    shift 2
    riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -mcmodel=medany -nostdlib -nostartfiles \
        -static -ffreestanding -fno-builtin -O2 -I"$common" -T "$common/link.ld" "$@" \
        "$common/crt0.S" "$common/lib.c" "$source" -o "$out" ||
        die "building $source failed"
}

# manifest KEY: the value of KEY in the guest image $IMAGE's vmft-image manifest.
manifest() {
    sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$IMAGE/vmft-image" | head -n 1
}
