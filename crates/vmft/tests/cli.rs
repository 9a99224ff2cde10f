//! `vmft run` end to end: the built binary on bad input and on tiny bare-metal programs
//! assembled with `riscv64-unknown-elf-gcc`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const VMFT: &str = env!("CARGO_BIN_EXE_vmft");
/// A guard against a runaway guest in every test that should finish on its own.
const GUARD: &str = "100000000";
/// The guard of runs that wait for input sent after a snapshot, and of replays, which go as
/// far as their log: a polling guest passes [`GUARD`] in a fraction of a second.
const LONG_GUARD: &str = "100000000000";

fn tmp(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"))
}

/// Runs `vmft` with `args`, feeding `stdin` and then closing it.
fn vmft(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(VMFT)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vmft starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    input
        .write_all(stdin)
        .expect("stdin accepts the test input");
    drop(input);
    child.wait_with_output().expect("vmft finishes")
}

fn run_program(program: &Path, extra: &[&str], stdin: &[u8]) -> Output {
    let program = program.to_str().expect("temporary paths are UTF-8");
    let mut args = vec!["run", "--bios", "none", "--kernel", program];
    args.extend_from_slice(extra);
    vmft(&args, stdin)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit status 2 with exactly one `vmft: error:` line containing `needle`.
fn assert_bad_input(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one-line message expected: {err}");
    assert!(err.starts_with("vmft: error: "), "{err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
}

/// Assembles `source` into a bare-metal ELF linked at 0x80000000.
fn assemble(name: &str, source: &str) -> PathBuf {
    let src = tmp(&format!("{name}.S"));
    let elf = tmp(&format!("{name}.elf"));
    // No linker relaxation: these programs never set up `gp`.
    let source = format!(".option norelax\n{source}");
    std::fs::write(&src, source).expect("write assembly source");
    let status = Command::new("riscv64-unknown-elf-gcc")
        .args([
            "-nostdlib",
            "-march=rv64gc",
            "-mabi=lp64d",
            "-Wl,-Ttext=0x80000000",
            "-o",
        ])
        .arg(&elf)
        .arg(&src)
        .status()
        .expect("riscv64-unknown-elf-gcc is installed");
    assert!(status.success(), "assembling {name} failed");
    elf
}

const POWEROFF: &str = "
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
99: j 99b
";

const HTIF_WORDS: &str = r#"
    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
tohost: .dword 0
    .align 6
    .globl fromhost
fromhost: .dword 0
"#;

#[test]
fn help_mentions_every_flag() {
    let out = vmft(&["run", "--help"], b"");
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for flag in [
        "--bios",
        "--kernel",
        "--initrd",
        "--append",
        "--image",
        "--memory",
        "--net",
        "--drive",
        "--max-instructions",
        "--stats",
        "--help",
    ] {
        assert!(help.contains(flag), "help lacks {flag}: {help}");
    }
    let replay = stdout(&vmft(&["replay", "--help"], b""));
    assert!(replay.contains("--from-snapshot"), "{replay}");
    let top = stdout(&vmft(&["--help"], b""));
    for command in [
        "run", "replay", "log", "primary", "backup", "keygen", "status", "image",
    ] {
        assert!(top.contains(command), "help lacks {command}: {top}");
    }
    for (command, own) in [("primary", "--listen"), ("backup", "--primary")] {
        let help = stdout(&vmft(&[command, "--help"], b""));
        for flag in [
            own,
            "--key-file",
            "--arbiter",
            "--heartbeat-ms",
            "--timeout-ms",
            "--max-lag-ms",
            "--node",
            "--control",
            "--metrics",
            "--image",
            "--drive",
            "--net",
        ] {
            assert!(help.contains(flag), "{command} help lacks {flag}: {help}");
        }
    }
    let status = stdout(&vmft(&["status", "--help"], b""));
    for word in ["PATH", "--json", "--control"] {
        assert!(status.contains(word), "status help lacks {word}: {status}");
    }
    let build = stdout(&vmft(&["image", "build", "--help"], b""));
    for flag in ["--out", "--mirror", "--cache", "--package"] {
        assert!(
            build.contains(flag),
            "image build help lacks {flag}: {build}"
        );
    }
}

#[test]
fn missing_program_is_bad_input() {
    let out = run_program(&tmp("does-not-exist"), &[], b"");
    assert_bad_input(&out, "cannot read the program");
}

#[test]
fn truncated_elf_is_bad_input() {
    let mut header = vec![0u8; 40];
    header[..6].copy_from_slice(b"\x7fELF\x02\x01");
    header[18..20].copy_from_slice(&243u16.to_le_bytes());
    let path = tmp("truncated.elf");
    std::fs::write(&path, header).unwrap();
    assert_bad_input(&run_program(&path, &[], b""), "truncated ELF");
}

#[test]
fn x86_64_elf_is_bad_input() {
    assert_bad_input(
        &run_program(Path::new("/bin/true"), &[], b""),
        "not a RISC-V program",
    );
}

#[test]
fn program_larger_than_memory_is_bad_input() {
    let path = tmp("two-megabytes.bin");
    std::fs::write(&path, vec![0x13u8; 2 << 20]).unwrap();
    let out = run_program(&path, &["--memory", "1M"], b"");
    assert_bad_input(&out, "program does not fit in memory");
}

#[test]
fn zero_memory_is_bad_input() {
    assert_bad_input(
        &run_program(Path::new("/bin/true"), &["--memory", "0"], b""),
        "--memory",
    );
}

#[test]
fn non_numeric_memory_is_bad_input() {
    let out = run_program(Path::new("/bin/true"), &["--memory", "banana"], b"");
    assert_bad_input(&out, "banana");
}

#[test]
fn missing_firmware_file_is_bad_input_naming_it() {
    let out = vmft(
        &[
            "run",
            "--bios",
            "/nonexistent/fw.bin",
            "--kernel",
            "/bin/true",
        ],
        b"",
    );
    assert_bad_input(&out, "cannot read firmware /nonexistent/fw.bin");
}

#[test]
fn initrd_without_firmware_is_bad_input() {
    let out = vmft(
        &["run", "--kernel", "/bin/true", "--initrd", "/bin/true"],
        b"",
    );
    assert_bad_input(&out, "--initrd and --append need firmware");
}

#[test]
fn firmware_larger_than_two_mib_is_bad_input() {
    let big = tmp("big-firmware.bin");
    std::fs::write(&big, vec![0u8; 3 << 20]).unwrap();
    let out = vmft(
        &[
            "run",
            "--bios",
            big.to_str().unwrap(),
            "--kernel",
            "/bin/true",
        ],
        b"",
    );
    assert_bad_input(&out, "at most 2 MiB fits below the kernel");
}

#[test]
fn image_directory_without_manifest_is_bad_input() {
    let out = vmft(&["run", "--image", "/nonexistent-image-dir"], b"");
    assert_bad_input(&out, "vmft image build");
}

#[test]
fn malformed_net_option_is_bad_input() {
    let out = vmft(&["run", "--kernel", "/bin/true", "--net", "user"], b"");
    assert_bad_input(&out, "invalid --net 'user'");
}

#[test]
fn drive_that_is_not_whole_sectors_is_bad_input() {
    let odd = tmp("odd-drive.img");
    std::fs::write(&odd, vec![0u8; 1000]).unwrap();
    let fw = tmp("tiny-fw.bin");
    std::fs::write(&fw, [0x73u8, 0, 0x50, 0x10]).unwrap();
    let out = vmft(
        &[
            "run",
            "--bios",
            fw.to_str().unwrap(),
            "--kernel",
            fw.to_str().unwrap(),
            "--drive",
            odd.to_str().unwrap(),
        ],
        b"",
    );
    assert_bad_input(&out, "not a multiple of 512");
}

#[test]
fn uart_hello_then_syscon_pass_exits_zero() {
    let program = assemble(
        "hello",
        &format!(
            "
    .globl _start
_start:
    li t0, 0x10000000
    la t2, msg
1:  lbu t1, 0(t2)
    beqz t1, 2f
    sb t1, 0(t0)
    addi t2, t2, 1
    j 1b
2:
{POWEROFF}
    .section .rodata
msg: .asciz \"hello\"
"
        ),
    );
    let out = run_program(&program, &["--max-instructions", GUARD, "--stats"], b"");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "hello");
    assert!(
        stderr(&out).contains(" instructions in "),
        "stats: {}",
        stderr(&out)
    );
}

#[test]
fn syscon_fail_exits_with_the_guest_code() {
    let program = assemble(
        "fail7",
        "
    .globl _start
_start:
    li t0, 0x100000
    li t1, 0x73333
    sw t1, 0(t0)
1:  j 1b
",
    );
    let out = run_program(&program, &["--max-instructions", GUARD], b"");
    assert_eq!(out.status.code(), Some(7), "stderr: {}", stderr(&out));
}

fn htif_exit(name: &str, code: u32) -> Output {
    let program = assemble(
        name,
        &format!(
            "
    .globl _start
_start:
    li t1, {code}
    la t0, tohost
    sd t1, 0(t0)
1:  j 1b
{HTIF_WORDS}"
        ),
    );
    run_program(&program, &["--max-instructions", GUARD], b"")
}

#[test]
fn htif_pass_exits_zero() {
    let out = htif_exit("htif-pass", 1);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
}

#[test]
fn htif_failing_test_number_is_the_exit_status() {
    let out = htif_exit("htif-fail3", (3 << 1) | 1);
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr(&out));
}

#[test]
fn htif_console_putchar_reaches_stdout() {
    let program = assemble(
        "htif-putchar",
        &format!(
            "
    .globl _start
_start:
    la t0, tohost
    la t3, fromhost
    la t2, msg
1:  lbu t1, 0(t2)
    beqz t1, 3f
    li t4, 0x0101
    slli t4, t4, 48
    or t1, t1, t4
    sd t1, 0(t0)
2:  ld t5, 0(t3)
    beqz t5, 2b
    sd zero, 0(t3)
    addi t2, t2, 1
    j 1b
3:  li t1, 1
    sd t1, 0(t0)
4:  j 4b
    .section .rodata
msg: .asciz \"ok\\n\"
{HTIF_WORDS}"
        ),
    );
    let out = run_program(&program, &["--max-instructions", GUARD], b"");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "ok\n");
}

#[test]
fn instruction_limit_exits_124() {
    let program = assemble("spin", ".globl _start\n_start: j _start\n");
    let out = run_program(&program, &["--max-instructions", "1000", "--stats"], b"");
    assert_eq!(out.status.code(), Some(124), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("instruction limit"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("vmft: 1000 instructions in "),
        "{}",
        stderr(&out)
    );
}

#[test]
fn stdin_bytes_are_echoed_through_the_uart() {
    let program = echo_program("echo");
    let out = run_program(&program, &["--max-instructions", GUARD], b"hello, echo\nq");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "hello, echo\nq");
}

/// Echoes UART input back until it reads `q`, polling the line status register, and sums
/// the bytes in a0 (so different input leaves a different state). Each test assembles its
/// own copy (`name`), since tests run in parallel.
fn echo_program(name: &str) -> PathBuf {
    assemble(
        name,
        &format!(
            "
    .globl _start
_start:
    li t0, 0x10000000
    li t2, 'q'
1:  lbu t1, 5(t0)
    andi t1, t1, 1
    beqz t1, 1b
    lbu t1, 0(t0)
    add a0, a0, t1
    sb t1, 0(t0)
    bne t1, t2, 1b
{POWEROFF}"
        ),
    )
}

/// Records the echo program `program` fed `input` into `log`; returns the run's output.
fn record_echo(program: &Path, log: &Path, input: &[u8]) -> Output {
    let log = log.to_str().expect("temporary paths are UTF-8");
    let out = run_program(
        program,
        &["--max-instructions", GUARD, "--record", log],
        input,
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    out
}

fn replay(program: &Path, log: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "replay",
        log.to_str().expect("temporary paths are UTF-8"),
        "--bios",
        "none",
        "--kernel",
        program.to_str().expect("temporary paths are UTF-8"),
        "--max-instructions",
        LONG_GUARD,
    ];
    args.extend_from_slice(extra);
    vmft(&args, b"")
}

#[test]
fn a_recorded_run_replays_with_identical_console_output() {
    let program = echo_program("echo-replay");
    let log = tmp("echo-replay.log");
    let live = record_echo(&program, &log, b"hello, replay\nq");
    let replayed = replay(&program, &log, &[]);
    assert_eq!(
        replayed.status.code(),
        Some(0),
        "stderr: {}",
        stderr(&replayed)
    );
    assert_eq!(stdout(&replayed), stdout(&live));
    assert_eq!(stdout(&replayed), "hello, replay\nq");
}

#[test]
fn replay_of_a_log_with_a_flipped_byte_names_the_offset() {
    let program = echo_program("echo-flipped");
    let log = tmp("echo-flipped.log");
    record_echo(&program, &log, b"abcdefgh\nq");
    // Find the console input's entry: its byte offset and its position.
    let mut reader =
        replay::LogReader::open(std::fs::File::open(&log).unwrap(), None).expect("log opens");
    let (offset, position) = loop {
        let offset = reader.offset();
        let entry = reader.next_entry().unwrap().expect("a console entry");
        if entry.payload == replay::Payload::ConsoleInput(b"abcdefgh\nq".to_vec()) {
            break (offset, entry.position);
        }
    };
    let mut bytes = std::fs::read(&log).unwrap();
    let payload = offset as usize + 17; // length, kind, position, prefix checksum
    assert_eq!(&bytes[payload..payload + 4], b"abcd");
    bytes[payload + 1] ^= 0x20;
    std::fs::write(&log, bytes).unwrap();
    let out = replay(&program, &log, &[]);
    assert_bad_input(&out, "checksum");
    let err = stderr(&out);
    assert!(
        err.contains(&format!("entry at byte {offset} (position {position})")),
        "{err}"
    );
}

#[test]
fn replay_refuses_run_only_flags_and_honours_the_instruction_limit() {
    let program = echo_program("echo-replay-flags");
    let log = tmp("echo-replay-flags.log");
    record_echo(&program, &log, b"abc\nq");
    let other = tmp("echo-replay-flags-other.log");
    let other = other.to_str().expect("temporary paths are UTF-8");
    let out = replay(&program, &log, &["--record", other]);
    assert_bad_input(&out, "--record is for `vmft run`");
    let out = replay(&program, &log, &["--save-at", "10:x.snap"]);
    assert_bad_input(&out, "--save-at is for `vmft run`");
    let out = vmft(
        &[
            "replay",
            log.to_str().expect("temporary paths are UTF-8"),
            "--bios",
            "none",
            "--kernel",
            program.to_str().expect("temporary paths are UTF-8"),
            "--max-instructions",
            "5",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(124), "stderr: {}", stderr(&out));
    assert!(stderr(&out).contains("instruction limit reached (5 instructions)"));
}

#[test]
fn vmft_log_lists_the_entries_and_sums_them_by_kind() {
    let program = echo_program("echo-inspect");
    let log = tmp("echo-inspect.log");
    record_echo(&program, &log, b"hi\nq");
    let path = log.to_str().expect("temporary paths are UTF-8");
    let out = vmft(&["log", "--entries", path], b"");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(r#"ConsoleInput   "hi\nq""#), "{text}");
    assert!(text.contains("End            Poweroff"), "{text}");
    assert!(text.contains("Digest"), "{text}");
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(text.contains(&format!(", {size} bytes")), "{text}");
    // The same log cut short: listed up to the cut, then the reader's error.
    let bytes = std::fs::read(&log).unwrap();
    let cut = tmp("echo-inspect-cut.log");
    std::fs::write(&cut, &bytes[..bytes.len() - 5]).unwrap();
    let out = vmft(
        &["log", cut.to_str().expect("temporary paths are UTF-8")],
        b"",
    );
    assert_bad_input(&out, "truncated");
}

#[test]
fn replay_on_another_machine_is_refused() {
    let program = echo_program("echo-other");
    let log = tmp("echo-other.log");
    record_echo(&program, &log, b"q");
    let out = replay(&program, &log, &["--memory", "128M"]);
    assert_bad_input(&out, "belongs to machine");
}

#[test]
fn a_truncated_log_is_reported_not_replayed_silently() {
    let program = echo_program("echo-truncated");
    let log = tmp("echo-truncated.log");
    record_echo(&program, &log, b"xyz\nq");
    let bytes = std::fs::read(&log).unwrap();
    std::fs::write(&log, &bytes[..bytes.len() - 5]).unwrap();
    let out = replay(&program, &log, &[]);
    assert_bad_input(&out, "truncated");
}

#[test]
fn idle_guest_with_no_input_left_exits_one() {
    let program = assemble("idle", ".globl _start\n_start: wfi\n j _start\n");
    let out = run_program(&program, &["--max-instructions", GUARD], b"");
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    assert!(stderr(&out).contains("guest is idle (wfi) with no timer armed and no input left"));
}

#[test]
fn the_log_on_disk_is_current_while_the_guest_idles() {
    let program = assemble("idle-record", ".globl _start\n_start: wfi\n j _start\n");
    let log = tmp("idle-record.log");
    let _ = std::fs::remove_file(&log);
    let mut child = Command::new(VMFT)
        .args(["run", "--bios", "none", "--kernel"])
        .arg(&program)
        .args(["--record"])
        .arg(&log)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("vmft starts");
    // The guest idles, waiting for input that never comes while stdin stays open.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::metadata(&log).map_or(0, |m| m.len()) == 0 {
        assert!(std::time::Instant::now() < deadline, "the log stayed empty");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // A recording killed now is cut short, not lost: everything logged so far replays.
    child.kill().expect("vmft is killed");
    child.wait().expect("vmft is reaped");
    let out = replay(&program, &log, &[]);
    assert_bad_input(&out, "the recording was cut short");
}

#[test]
fn wfi_with_armed_timer_skips_virtual_time() {
    // One virtual second ahead: 10M ticks, 100M instructions if time were not skipped.
    let program = assemble(
        "timer-skip",
        &format!(
            "
    .globl _start
_start:
    li t0, 0x2004000
    li t2, 0x200bff8
    ld t1, 0(t2)
    li t3, 10000000
    add t1, t1, t3
    sd t1, 0(t0)
    li t3, 0x80
    csrs mie, t3
    wfi
    ld t4, 0(t2)
    bltu t4, t1, 1f
{POWEROFF}
1:  li t0, 0x100000
    li t1, 0x23333
    sw t1, 0(t0)
2:  j 2b
"
        ),
    );
    let out = run_program(&program, &["--max-instructions", "1000"], b"");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
}

#[test]
fn syscon_reset_restarts_the_program() {
    // The first boot sets a flag in .data and resets; the reloaded program must see it clear.
    let program = assemble(
        "reset",
        "
    .globl _start
_start:
    li t0, 0x10000000
    li t1, 'r'
    sb t1, 0(t0)
    la t2, booted
    ld t3, 0(t2)
    bnez t3, 1f
    li t3, 1
    sd t3, 0(t2)
    li t0, 0x100000
    li t1, 0x7777
    sw t1, 0(t0)
1:  li t0, 0x100000
    li t1, 0x93333
    sw t1, 0(t0)
2:  j 2b
    .data
booted: .dword 0
",
    );
    // Every boot sees a clear flag and resets again, so the run ends at the guard.
    let out = run_program(&program, &["--max-instructions", "200"], b"");
    assert_eq!(out.status.code(), Some(124), "stderr: {}", stderr(&out));
    let boots = stdout(&out);
    assert!(
        boots.len() > 3 && boots.bytes().all(|b| b == b'r'),
        "{boots:?}"
    );
}

#[test]
fn image_build_from_an_unreachable_mirror_fails_with_a_clear_error() {
    // A loopback port nothing listens on: apt's fetch is refused at once.
    let out = vmft(
        &[
            "image",
            "build",
            "--mirror",
            "http://127.0.0.1:9/debian",
            "--out",
            tmp("unreachable-image").to_str().unwrap(),
            "--cache",
            tmp("unreachable-cache").to_str().unwrap(),
        ],
        b"",
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("vmft: error: apt failed: apt-get update could not fetch the package lists"),
        "{err}"
    );
    assert!(!tmp("unreachable-image").join("vmft-image").exists());
}

/// Rewrites `log` into a new log named `name` with the console input `from` replaced by `to`,
/// checksums intact: a replay of it runs a different execution from the same initial state.
fn forge_console_input(log: &Path, name: &str, from: &[u8], to: &[u8]) -> PathBuf {
    let mut reader = replay::LogReader::open(std::fs::File::open(log).unwrap(), None).unwrap();
    let fingerprint = *reader.fingerprint();
    let mut entries = Vec::new();
    let mut forged = false;
    while let Some(mut entry) = reader.next_entry().unwrap() {
        if entry.payload == replay::Payload::ConsoleInput(from.to_vec()) {
            entry.payload = replay::Payload::ConsoleInput(to.to_vec());
            forged = true;
        }
        entries.push(entry);
    }
    assert!(forged, "the log has the console input {from:?}");
    let path = tmp(name);
    let mut writer =
        replay::LogWriter::new(std::fs::File::create(&path).unwrap(), fingerprint).unwrap();
    for entry in &entries {
        writer.append(entry).unwrap();
    }
    writer.into_inner().unwrap();
    path
}

#[test]
fn a_divergent_replay_names_the_position_and_the_registers_that_differ() {
    let program = echo_program("echo-sum");
    let log = tmp("echo-sum.log");
    record_echo(&program, &log, b"abc\nq");
    let forged = forge_console_input(&log, "echo-sum-forged.log", b"abc\nq", b"abd\nq");
    let out = replay(&program, &forged, &[]);
    assert_bad_input(
        &out,
        "divergence: the machine state differs from the recording",
    );
    let sum = b"abc\nq".iter().map(|&b| u64::from(b)).sum::<u64>();
    assert!(
        stderr(&out).contains(&format!("a0 {sum:#x} -> {:#x}", sum + 1)),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_divergent_replay_with_equal_registers_names_the_ram_pages_and_devices_that_differ() {
    // Stores each byte read from the UART into the page of RAM numbered by the byte, from
    // 0x80200000 on, and clears every register that held input: a replay that reads other
    // input differs from the recording in RAM (and in the UART) alone.
    let program = assemble(
        "page-per-byte",
        &format!(
            "
    .globl _start
_start:
    li t0, 0x10000000
    li t2, 'q'
    li t3, 0x80200000
1:  lbu t1, 5(t0)
    andi t1, t1, 1
    beqz t1, 1b
    lbu t1, 0(t0)
    slli t4, t1, 12
    add t4, t4, t3
    sb t1, 0(t4)
    bne t1, t2, 1b
    li t4, 0
{POWEROFF}"
        ),
    );
    let log = tmp("page-per-byte.log");
    record_echo(&program, &log, b"abc\nq");
    // 'c' (0x63) becomes 'd' (0x64): the recording wrote page 0x63 and the replay page 0x64,
    // each a page the other run never touched; the 'z' stays unread in the UART.
    let forged = forge_console_input(&log, "page-per-byte-forged.log", b"abc\nq", b"abd\nqz");
    let out = replay(&program, &forged, &[]);
    assert_bad_input(
        &out,
        "divergence: the machine state differs from the recording at position",
    );
    let err = stderr(&out);
    assert!(
        err.contains(
            "(recorded -> replayed: registers equal; sections differ: UART; \
             2 RAM pages differ: 0x80263000 0x80264000)"
        ),
        "{err}"
    );
}

/// Where the snapshot tests save: past the console input fed at the start, which the host
/// injects within its first milliseconds. The echo program polls a device register, which
/// compiled code reads at hundreds of millions of positions a second: this leaves the input
/// about a quarter of a second to arrive.
const SNAPSHOT_AT: u64 = 200_000_000;

/// Runs the echo program `program` fed `before`, saving a snapshot at `at` into `snapshot`
/// (and recording into `log`, if given); once the snapshot is saved, feeds `after` and closes
/// standard input. Without `after`, the run ends at `limit`.
fn echo_with_snapshot(
    program: &Path,
    before: &[u8],
    at: u64,
    snapshot: &Path,
    log: Option<&Path>,
    after: Option<&[u8]>,
    limit: &str,
) -> Output {
    use std::io::{BufRead, Read};
    let mut args = vec![
        "run".to_string(),
        "--bios".into(),
        "none".into(),
        "--kernel".into(),
        program.display().to_string(),
        "--max-instructions".into(),
        limit.into(),
        "--save-at".into(),
        format!("{at}:{}", snapshot.display()),
    ];
    if let Some(log) = log {
        args.extend(["--record".into(), log.display().to_string()]);
    }
    let mut child = Command::new(VMFT)
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vmft starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    input.write_all(before).expect("stdin accepts the input");
    input.flush().expect("stdin accepts the input");
    let mut errors = std::io::BufReader::new(child.stderr.take().expect("stderr is piped"));
    let mut stderr = String::new();
    while !stderr.contains("vmft: saved snapshot") {
        let mut line = String::new();
        if errors.read_line(&mut line).expect("stderr reads") == 0 {
            break;
        }
        stderr.push_str(&line);
    }
    if let Some(after) = after {
        input.write_all(after).expect("stdin accepts the input");
    }
    drop(input);
    errors.read_to_string(&mut stderr).expect("stderr reads");
    let mut out = child.wait_with_output().expect("vmft finishes");
    out.stderr = stderr.into_bytes();
    assert!(
        self::stderr(&out).contains(&format!("saved snapshot {}", snapshot.display())),
        "no snapshot saved: {}",
        self::stderr(&out)
    );
    out
}

/// The positions of the console input entries in `log`.
fn console_input_positions(log: &Path) -> Vec<u64> {
    let mut reader = replay::LogReader::open(std::fs::File::open(log).unwrap(), None).unwrap();
    let mut positions = Vec::new();
    while let Some(entry) = reader.next_entry().unwrap() {
        if let replay::Payload::ConsoleInput(_) = entry.payload {
            positions.push(entry.position);
        }
    }
    positions
}

/// Records the echo program fed `abc\n` before a snapshot at [`SNAPSHOT_AT`] and `q` after it.
fn record_echo_with_snapshot(name: &str) -> (PathBuf, PathBuf, PathBuf, Output) {
    let program = echo_program(name);
    let log = tmp(&format!("{name}.log"));
    let snapshot = tmp(&format!("{name}.snap"));
    let live = echo_with_snapshot(
        &program,
        b"abc\n",
        SNAPSHOT_AT,
        &snapshot,
        Some(&log),
        Some(b"q"),
        LONG_GUARD,
    );
    assert_eq!(live.status.code(), Some(0), "stderr: {}", stderr(&live));
    assert_eq!(stdout(&live), "abc\nq");
    let positions = console_input_positions(&log);
    assert!(
        positions.first().is_some_and(|&p| p < SNAPSHOT_AT)
            && positions.last().is_some_and(|&p| p > SNAPSHOT_AT),
        "console input at {positions:?}: expected input both before and after the snapshot at {SNAPSHOT_AT}"
    );
    (program, log, snapshot, live)
}

fn replay_from(program: &Path, log: &Path, snapshot: &Path) -> Output {
    let snapshot = snapshot.to_str().expect("temporary paths are UTF-8");
    replay(program, log, &["--from-snapshot", snapshot, "--stats"])
}

#[test]
fn replay_from_a_snapshot_saved_while_recording_reproduces_the_rest() {
    let (program, log, snapshot, _) = record_echo_with_snapshot("echo-join");
    // From the start, the snapshot entry is just a checkpoint on the way.
    let whole = replay(&program, &log, &[]);
    assert_eq!(whole.status.code(), Some(0), "stderr: {}", stderr(&whole));
    assert_eq!(stdout(&whole), "abc\nq");
    // From the snapshot: only what the guest printed after it.
    let joined = replay_from(&program, &log, &snapshot);
    let err = stderr(&joined);
    assert_eq!(joined.status.code(), Some(0), "stderr: {err}");
    assert_eq!(stdout(&joined), "q");
    assert!(
        err.contains(&format!("starting at snapshot {}", snapshot.display()))
            && err.contains(&format!("(position {SNAPSHOT_AT}, "))
            && err.contains("1 state digests matched"),
        "{err}"
    );
}

#[test]
fn replay_from_a_snapshot_of_another_run_or_position_is_refused() {
    let (program, log, _, _) = record_echo_with_snapshot("echo-join-other");
    // Another run's snapshot at the same position: the log's digest there differs.
    let other = tmp("echo-join-other-state.snap");
    // Runs that end just past the snapshot.
    let past_snapshot = (SNAPSHOT_AT + 1_000_000).to_string();
    let run = echo_with_snapshot(
        &program,
        b"abd\n",
        SNAPSHOT_AT,
        &other,
        None,
        None,
        &past_snapshot,
    );
    assert_eq!(run.status.code(), Some(124), "stderr: {}", stderr(&run));
    let out = replay_from(&program, &log, &other);
    assert_bad_input(&out, &format!("is at position {SNAPSHOT_AT}, where log"));
    assert!(
        stderr(&out).contains("its state differs"),
        "{}",
        stderr(&out)
    );
    // A snapshot at a position where the log has none.
    let early = tmp("echo-join-other-early.snap");
    let at = SNAPSHOT_AT / 2;
    let run = echo_with_snapshot(&program, b"abc\n", at, &early, None, None, &past_snapshot);
    assert_eq!(run.status.code(), Some(124), "stderr: {}", stderr(&run));
    let out = replay_from(&program, &log, &early);
    assert_bad_input(&out, &format!("has no snapshot at position {at}"));
    assert!(
        stderr(&out).contains(&format!("echo-join-other.snap at {SNAPSHOT_AT}")),
        "the error lists the log's snapshots: {}",
        stderr(&out)
    );
}

#[test]
fn keygen_writes_a_private_key_and_never_overwrites_one() {
    let key = tmp("keygen.key");
    let _ = std::fs::remove_file(&key);
    let path = key.to_str().expect("temporary paths are UTF-8");
    let out = vmft(&["keygen", path], b"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = std::fs::read_to_string(&key).expect("the key file");
    assert_eq!(written.trim().len(), 64, "32 bytes in hex: {written}");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key).expect("its metadata").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    assert_bad_input(&vmft(&["keygen", path], b""), "already exists");
    assert_eq!(
        std::fs::read_to_string(&key).expect("the key file"),
        written
    );
}

#[test]
fn a_pair_refuses_bad_keys_arbiters_and_run_only_flags_before_it_starts() {
    let program = assemble(
        "pair-bad-input",
        "    .globl _start\n_start:\n    j _start\n",
    );
    let program = program.to_str().expect("temporary paths are UTF-8");
    let key = tmp("pair.key");
    let _ = std::fs::remove_file(&key);
    let key = key.to_str().expect("temporary paths are UTF-8");
    assert_eq!(vmft(&["keygen", key], b"").status.code(), Some(0));
    let loose = tmp("pair-loose.key");
    std::fs::write(&loose, "00".repeat(32)).expect("a key file");
    let loose = loose.to_str().expect("temporary paths are UTF-8");
    let pair = |role: &str, key: &str, arbiter: &str, extra: &[&str]| {
        let peer = if role == "primary" {
            "--listen"
        } else {
            "--primary"
        };
        let mut args = vec![role, "--bios", "none", "--kernel", program, peer];
        args.extend(["127.0.0.1:1", "--key-file", key, "--arbiter", arbiter]);
        args.extend_from_slice(extra);
        vmft(&args, b"")
    };
    let arbiter = format!("file:{}", env!("CARGO_TARGET_TMPDIR"));
    for role in ["primary", "backup"] {
        assert_bad_input(
            &pair(role, "/nonexistent/key", &arbiter, &[]),
            "vmft keygen",
        );
        assert_bad_input(&pair(role, loose, &arbiter, &[]), "chmod 600");
        assert_bad_input(&pair(role, key, "etcd://x", &[]), "file:DIRECTORY");
        assert_bad_input(
            &pair(role, key, &arbiter, &["--timeout-ms", "10"]),
            "minimum of 50 ms",
        );
        assert_bad_input(
            &pair(role, key, &arbiter, &["--record", "x.log"]),
            "--record",
        );
        assert_bad_input(
            &pair(role, key, &arbiter, &["--restore", "x.snap"]),
            "--restore",
        );
        assert_bad_input(
            &pair(role, key, &arbiter, &["--control", loose]),
            "exists and is not a socket",
        );
        assert_bad_input(
            &pair(role, key, &arbiter, &["--metrics", "not-an-address"]),
            "--metrics not-an-address",
        );
    }
}

#[test]
fn status_of_a_missing_socket_a_file_or_a_stranger_s_socket_is_one_line_and_exit_2() {
    let missing = tmp("status-missing.sock");
    let _ = std::fs::remove_file(&missing);
    let missing = missing.to_str().expect("temporary paths are UTF-8");
    assert_bad_input(&vmft(&["status", missing], b""), "no control socket at");

    let file = tmp("status-file.sock");
    std::fs::write(&file, "not a socket").expect("a file");
    let file = file.to_str().expect("temporary paths are UTF-8");
    assert_bad_input(&vmft(&["status", file, "--json"], b""), "is not a socket");

    // A socket whose owner speaks another protocol, and one nobody listens on any more.
    let stranger = tmp("status-stranger.sock");
    let _ = std::fs::remove_file(&stranger);
    let listener = std::os::unix::net::UnixListener::bind(&stranger).expect("a socket");
    let answering = std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = stream.write_all(b"+OK POP3 server ready\r\n");
        }
    });
    let path = stranger.to_str().expect("temporary paths are UTF-8");
    assert_bad_input(
        &vmft(&["status", path], b""),
        "is not a vmft control socket",
    );
    let _ = answering.join();
    assert_bad_input(&vmft(&["status", path], b""), "nothing listens on");
    let _ = std::fs::remove_file(&stranger);
}
