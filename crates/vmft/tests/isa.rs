//! The bare-metal ISA test programs of `tests/isa/`, run under `vmft run`.
//!
//! Each program is built with `riscv64-unknown-elf-gcc` (required: the test fails with a
//! clear message when it is missing) and run with `vmft run --bios none --kernel` under each
//! execution engine ([`ENGINES`]: the interpreter, and the JIT compiling every block at its
//! first taken branch). Each run must exit with the status named by the program's
//! `EXPECT-EXIT: N` marker (0 when absent) and, when it passes, print `PASS` last; the
//! engines' UART outputs must be byte-identical. Programs without a `VMFT-ONLY` marker are
//! differential as well: the same ELF runs under `qemu-system-riscv64 -machine virt` and its
//! UART output must be byte-identical to vmft's.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Instruction bound for one program under vmft: every program finishes far below it.
const MAX_INSTRUCTIONS: &str = "200000000";
/// Wall-clock bound for one emulator run.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
const GCC: &str = "riscv64-unknown-elf-gcc";
const QEMU: &str = "qemu-system-riscv64";

fn isa_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/isa")
}

/// Builds `tests/isa/<source>` into the test's scratch directory and returns the ELF path.
fn build(source: &str) -> PathBuf {
    let dir = isa_dir();
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("isa");
    std::fs::create_dir_all(&out_dir).expect("create the ISA build directory");
    let stem = Path::new(source)
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("source name");
    let elf = out_dir.join(format!("{stem}.elf"));
    let result = Command::new(GCC)
        .current_dir(&dir)
        .args([
            "-march=rv64gc",
            "-mabi=lp64d",
            "-mcmodel=medany",
            "-nostdlib",
            "-nostartfiles",
            "-static",
            "-ffreestanding",
            "-fno-builtin",
            "-O2",
            "-Icommon",
            "-T",
            "common/link.ld",
            "common/crt0.S",
            "common/lib.c",
            source,
            "-o",
        ])
        .arg(&elf)
        .output();
    let output = match result {
        Ok(output) => output,
        Err(e) => panic!(
            "cannot run {GCC} ({e}): the RISC-V cross toolchain is required for the ISA tests \
             (Debian: apt-get install gcc-riscv64-unknown-elf)"
        ),
    };
    assert!(
        output.status.success(),
        "{GCC} failed to build {source}:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    elf
}

/// What a finished emulator run produced.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `cmd` to completion with its standard output and error captured, killing it after
/// [`RUN_TIMEOUT`].
fn run_with_timeout(mut cmd: Command, what: &str) -> Run {
    let mut child = match cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!("cannot start {what}: {e}"),
    };
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait().expect("wait for the emulator") {
            Some(status) => break status,
            None if start.elapsed() > RUN_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what} did not finish within {RUN_TIMEOUT:?}");
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let stdout = out_reader.join().expect("stdout reader");
    let stderr = err_reader.join().expect("stderr reader");
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// vmft's execution engines, as `--accel` and its other arguments: the interpreter (the
/// reference) first.
const ENGINES: [(&str, &[&str]); 2] = [
    ("interp", &["--accel", "interp"]),
    ("jit", &["--accel", "jit", "--jit-threshold", "1"]),
];

fn run_vmft(elf: &Path, engine: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vmft"));
    cmd.args(["run", "--bios", "none", "--kernel"])
        .arg(elf)
        .args(["--max-instructions", MAX_INSTRUCTIONS])
        .args(engine);
    run_with_timeout(
        cmd,
        &format!("vmft {} on {}", engine.join(" "), elf.display()),
    )
}

fn run_qemu(elf: &Path) -> Run {
    if Command::new(QEMU).arg("--version").output().is_err() {
        panic!(
            "cannot run {QEMU}: QEMU is required for the differential ISA tests \
             (Debian: apt-get install qemu-system-misc)"
        );
    }
    let mut cmd = Command::new(QEMU);
    cmd.args([
        "-machine",
        "virt",
        "-bios",
        "none",
        "-nographic",
        "-m",
        "256M",
        "-kernel",
    ])
    .arg(elf);
    run_with_timeout(cmd, &format!("{QEMU} on {}", elf.display()))
}

/// Reads the `EXPECT-EXIT: N` and `VMFT-ONLY` markers of a program's source.
fn markers(source: &str) -> (i32, bool) {
    let text = std::fs::read_to_string(isa_dir().join(source))
        .unwrap_or_else(|e| panic!("read tests/isa/{source}: {e}"));
    let expect_exit = text
        .split("EXPECT-EXIT:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(|n| {
            n.parse()
                .unwrap_or_else(|e| panic!("{source}: bad EXPECT-EXIT ({e})"))
        })
        .unwrap_or(0);
    (expect_exit, text.contains("VMFT-ONLY"))
}

/// Builds and checks one program; see the module documentation.
fn check_program(source: &str) {
    let (expect_exit, vmft_only) = markers(source);
    let elf = build(source);
    let runs: Vec<(&str, Run)> = ENGINES
        .iter()
        .map(|&(name, args)| (name, run_vmft(&elf, args)))
        .collect();
    for (engine, vmft) in &runs {
        assert_eq!(
            vmft.code,
            Some(expect_exit),
            "{source} under vmft --accel {engine} exited with {:?}, expected {expect_exit}\n\
             --- output ---\n{}\n--- stderr ---\n{}",
            vmft.code,
            vmft.stdout,
            vmft.stderr
        );
        if expect_exit == 0 {
            assert!(
                vmft.stdout.trim_end().ends_with("PASS"),
                "{source} under vmft --accel {engine} did not print PASS last:\n{}",
                vmft.stdout
            );
        }
    }
    let (reference_engine, reference) = &runs[0];
    for (engine, vmft) in &runs[1..] {
        assert_eq!(
            vmft.stdout, reference.stdout,
            "{source}: vmft's UART output under --accel {engine} differs from --accel \
             {reference_engine}'s"
        );
    }
    if vmft_only {
        return;
    }
    let qemu = run_qemu(&elf);
    assert_eq!(
        qemu.code,
        Some(expect_exit),
        "{source} under QEMU exited with {:?}, expected {expect_exit}\n--- output ---\n{}",
        qemu.code,
        qemu.stdout
    );
    assert_eq!(
        reference.stdout, qemu.stdout,
        "{source}: vmft's UART output differs from QEMU's"
    );
}

macro_rules! isa_programs {
    ($($name:ident => $source:literal,)*) => {
        $(
            #[test]
            fn $name() {
                check_program($source);
            }
        )*

        /// Every program under `tests/isa/` has a test function above.
        #[test]
        fn every_isa_program_is_listed() {
            let listed = [$($source),*];
            let mut missing = Vec::new();
            for entry in std::fs::read_dir(isa_dir()).expect("read tests/isa") {
                let name = entry.expect("directory entry").file_name();
                let name = name.to_string_lossy().into_owned();
                if (name.ends_with(".S") || name.ends_with(".c")) && !listed.contains(&name.as_str()) {
                    missing.push(name);
                }
            }
            assert!(missing.is_empty(), "programs without a test in isa.rs: {missing:?}");
        }
    };
}

isa_programs! {
    harness_reports_failing_case_as_exit_status => "fail3.S",
    rv64i_base_instructions => "rv64i.S",
    rv64m_multiply_divide => "rv64m.S",
    rv64a_amos_and_lr_sc => "rv64a.S",
    rv64a_misaligned_amo_traps => "rv64a_misaligned.S",
    rv64c_compressed_instructions => "rv64c.S",
    rv64fd_ieee754_and_riscv_nan_rules => "rv64fd.S",
    zicsr_and_zicntr => "zicsr.S",
    traps_and_privilege_transitions => "priv.c",
    interrupt_priority_and_ebreak_tval => "priv_vmft.c",
    sv39_sv48_translation => "mmu.c",
    sdtrig_csrs_with_no_trigger => "sdtrig.c",
    fence_i_makes_stores_visible_to_fetch => "fencei.S",
    loops_rewriting_themselves_with_fence_i => "smc.S",
    stores_to_code_are_visible_to_the_next_fetch_without_fence_i => "smc_vmft.S",
    htif_tohost_pass => "htif.S",
    htif_tohost_fail_status => "htif_fail.S",
}
