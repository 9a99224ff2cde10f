//! Helpers shared by the guest-level acceptance tests: the guest image, the command line that
//! boots it under vmft or under QEMU (the same test runs against either), a console driver that
//! waits for text and types lines, and guards for network namespaces and scratch files.
//!
//! `VMFT_TEST_VMM=qemu` runs the tests against `qemu-system-riscv64` instead of vmft, to check
//! the tests themselves. `VMFT_TEST_IMAGE=DIR` uses a prebuilt image instead of building one
//! into `<target>/vmft-image` (`VMFT_TEST_REDIS_IMAGE=DIR` likewise for the Redis image in
//! `<target>/vmft-image-redis`); `VMFT_TEST_TIMEOUT=SECONDS` overrides each test's time limit.

// Each test binary that includes this module uses a different part of it.
#![allow(dead_code)]

pub mod topology;

use std::ffi::CStr;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// What the guest's init prints once its userland is up and eth0 is configured.
pub const READY_MARKER: &str = "vmft-guest: ready";
/// What the guest's init prints after the kernel-command-line command succeeded.
pub const COMMAND_OK: &str = "vmft-guest: command exited with status 0";
/// The guest memory every test uses.
pub const MEMORY: &str = "512M";

/// Console text that means the guest is dead and waiting longer is pointless.
const FATAL_MARKERS: &[&str] = &["Kernel panic - not syncing", "BUG: soft lockup"];
const QEMU: &str = "qemu-system-riscv64";

/// The virtual-machine monitor a test boots the guest under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vmm {
    /// vmft itself: the binary under test.
    Vmft,
    /// QEMU's `virt` board with the same firmware, kernel and initramfs.
    Qemu,
}

impl Vmm {
    /// The monitor chosen by `VMFT_TEST_VMM` (`vmft`, the default, or `qemu`).
    pub fn from_env() -> Vmm {
        match std::env::var("VMFT_TEST_VMM").as_deref() {
            Err(_) | Ok("") | Ok("vmft") => Vmm::Vmft,
            Ok("qemu") => Vmm::Qemu,
            Ok(other) => panic!("VMFT_TEST_VMM={other}: expected `vmft` or `qemu`"),
        }
    }
}

/// The time limit of one test: `default`, or `VMFT_TEST_TIMEOUT` seconds when set.
pub fn timeout(default: Duration) -> Duration {
    match std::env::var("VMFT_TEST_TIMEOUT") {
        Ok(s) => Duration::from_secs(
            s.parse()
                .unwrap_or_else(|_| panic!("VMFT_TEST_TIMEOUT={s}: expected seconds")),
        ),
        Err(_) => default,
    }
}

/// A guest image directory as `vmft image build` writes it.
#[derive(Debug)]
pub struct Image {
    /// The image directory (what `vmft run --image` takes).
    pub dir: PathBuf,
    /// Firmware (OpenSBI `fw_jump.bin`).
    pub firmware: PathBuf,
    /// Kernel image.
    pub kernel: PathBuf,
    /// Initramfs.
    pub initrd: PathBuf,
    /// The image's own kernel command line.
    pub append: String,
}

impl Image {
    /// Reads the manifest (`vmft-image`, `key = value` lines) of the image in `dir`.
    fn load(dir: &Path) -> Image {
        // Absolute, so that a monitor started in another directory finds it too.
        let dir = &std::path::absolute(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let path = dir.join("vmft-image");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let get = |key: &str| {
            text.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .find_map(|l| {
                    l.split_once('=')
                        .filter(|(k, _)| k.trim() == key)
                        .map(|(_, v)| v.trim().to_string())
                })
                .unwrap_or_else(|| panic!("{}: no `{key}` line", path.display()))
        };
        Image {
            dir: dir.to_path_buf(),
            firmware: dir.join(get("firmware")),
            kernel: dir.join(get("kernel")),
            initrd: dir.join(get("initrd")),
            append: get("append"),
        }
    }
}

/// The guest image, built once per test run into `<target>/vmft-image` with
/// `vmft image build` unless its manifest is already there (or `VMFT_TEST_IMAGE` names one).
pub fn image() -> &'static Image {
    static IMAGE: OnceLock<Image> = OnceLock::new();
    IMAGE.get_or_init(|| built_image("VMFT_TEST_IMAGE", "vmft-image", &[]))
}

/// The Redis guest image: the default image with Debian's `redis-server` (and, from its
/// dependencies, `redis-cli`), built once per test run into `<target>/vmft-image-redis` with
/// `vmft image build --package redis-server` unless its manifest is already there (or
/// `VMFT_TEST_REDIS_IMAGE` names one). Boot it with [`REDIS_APPEND`].
pub fn redis_image() -> &'static Image {
    static IMAGE: OnceLock<Image> = OnceLock::new();
    IMAGE.get_or_init(|| {
        built_image(
            "VMFT_TEST_REDIS_IMAGE",
            "vmft-image-redis",
            &["redis-server"],
        )
    })
}

/// The image named by the environment variable `env`, or the one in `<target>/<name>`,
/// built there with `packages` unless its manifest already exists.
fn built_image(env: &str, name: &str, packages: &[&str]) -> Image {
    if let Some(dir) = std::env::var_os(env) {
        return Image::load(Path::new(&dir));
    }
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory");
    let dir = target.join(name);
    if !dir.join("vmft-image").is_file() {
        eprintln!(
            "building the guest image into {} (slow the first time)",
            dir.display()
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_vmft"));
        command.args(["image", "build", "--out"]).arg(&dir);
        for package in packages {
            command.args(["--package", package]);
        }
        let status = command
            .stdin(Stdio::null())
            .status()
            .expect("run `vmft image build`");
        assert!(status.success(), "`{command:?}` failed: {status}");
    }
    Image::load(&dir)
}

/// The guest's address on a test namespace's TAP network (the host side is `10.0.2.1/24`).
pub const GUEST_IP: &str = "10.0.2.15";

/// What [`redis_image`] appends to its kernel command line: eth0 at [`GUEST_IP`], the ext4
/// filesystem on the virtio disk (`/dev/vda`) mounted on `/data`, and Redis serving on all
/// addresses with its append-only file in `/data`, written and fsynced before each reply and
/// no RDB snapshots (a trailing `--save` means `save ""`).
pub const REDIS_APPEND: &str = "vmft.ip=10.0.2.15/24 vmft.mount=/dev/vda:/data -- redis-server \
    --bind 0.0.0.0 --protected-mode no --dir /data --appendonly yes --appendfsync always --save";

/// What Redis prints on the console once it accepts connections.
pub const REDIS_READY: &str = "Ready to accept connections tcp";

/// Creates `file` as an empty ext4 filesystem of `bytes` bytes (for `vmft.mount=`).
pub fn ext4_disk(file: &Path, bytes: u64) {
    std::fs::File::create(file)
        .and_then(|f| f.set_len(bytes))
        .unwrap_or_else(|e| panic!("create {}: {e}", file.display()));
    run_ok("mkfs.ext4", &["-q", "-F", &path(file)]);
}

/// One boot of the guest: what to append to the kernel command line and which devices to give
/// it. [`Guest::command`] turns it into the vmft or the QEMU command line.
#[derive(Debug)]
pub struct Guest<'a> {
    image: &'a Image,
    append: String,
    memory: &'a str,
    tap: Option<String>,
    drive: Option<PathBuf>,
    netns: Option<String>,
    record: Option<PathBuf>,
    restore: Option<PathBuf>,
    dir: Option<PathBuf>,
    accel: Option<&'static str>,
}

impl<'a> Guest<'a> {
    /// A guest booting `image` with [`MEMORY`] and no devices beyond the console.
    pub fn new(image: &'a Image) -> Guest<'a> {
        Guest {
            image,
            append: String::new(),
            memory: MEMORY,
            tap: None,
            drive: None,
            netns: None,
            record: None,
            restore: None,
            dir: None,
            accel: None,
        }
    }

    /// Records the run's input log into `log` (vmft only).
    pub fn record(mut self, log: &Path) -> Self {
        self.record = Some(log.to_path_buf());
        self
    }

    /// Starts from the snapshot `file` instead of booting (vmft only).
    pub fn restore(mut self, file: &Path) -> Self {
        self.restore = Some(file.to_path_buf());
        self
    }

    /// Runs (or replays) under vmft's execution engine `accel` (`--accel`: `interp` or
    /// `jit`) instead of the default (vmft only).
    pub fn accel(mut self, accel: &'static str) -> Self {
        self.accel = Some(accel);
        self
    }

    /// Runs the monitor in `dir` (where vmft writes the snapshots Ctrl-A s saves).
    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_path_buf());
        self
    }

    /// vmft's arguments describing this machine (the same for `run` and `replay`).
    fn vmft_machine_args(&self) -> Vec<String> {
        let mut args = vec![
            "--image".into(),
            path(&self.image.dir),
            "--memory".into(),
            self.memory.into(),
        ];
        if !self.append.is_empty() {
            args.extend(["--append".into(), self.append.clone()]);
        }
        if let Some(tap) = &self.tap {
            args.extend(["--net".into(), format!("tap={tap}")]);
        }
        if let Some(drive) = &self.drive {
            args.extend(["--drive".into(), path(drive)]);
        }
        if let Some(snapshot) = &self.restore {
            args.extend(["--restore".into(), path(snapshot)]);
        }
        if let Some(accel) = self.accel {
            args.extend(["--accel".into(), accel.into()]);
        }
        args
    }

    /// Replays `log` on this machine with `vmft replay` (outside any namespace: a replay
    /// touches no host device) and returns its output.
    pub fn replay(&self, log: &Path) -> Output {
        self.replay_with(log, &[])
    }

    /// [`Guest::replay`] with `extra` arguments (e.g. `--from-snapshot FILE`).
    pub fn replay_with(&self, log: &Path, extra: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vmft"))
            .arg("replay")
            .arg(log)
            .args(self.vmft_machine_args())
            .args(extra)
            .arg("--stats")
            .stdin(Stdio::null())
            .output()
            .expect("vmft replay starts")
    }

    /// Appends `args` to the kernel command line (after the image's own).
    pub fn append(mut self, args: &str) -> Self {
        if !self.append.is_empty() {
            self.append.push(' ');
        }
        self.append.push_str(args);
        self
    }

    /// Runs `command` as the guest's workload instead of a shell: the guest powers off after it.
    /// The kernel hands everything after ` -- ` to init as arguments; it groups words only by
    /// double quotes (which it strips), so `command` is passed as `sh -c "command"` and must not
    /// contain a double quote.
    pub fn command(self, command: &str) -> Self {
        assert!(
            !command.contains('"'),
            "the kernel command line cannot quote a double quote: {command}"
        );
        self.append(&format!("-- sh -c \"{command}\""))
    }

    /// Gives the guest a virtio-net device backed by the host TAP device `name`.
    pub fn tap(mut self, name: &str) -> Self {
        self.tap = Some(name.to_string());
        self
    }

    /// Gives the guest a virtio-blk device backed by the raw disk image `file` (`/dev/vda`).
    pub fn drive(mut self, file: &Path) -> Self {
        self.drive = Some(file.to_path_buf());
        self
    }

    /// Runs the monitor inside the network namespace `name` (`ip netns exec`).
    pub fn in_netns(mut self, name: &str) -> Self {
        self.netns = Some(name.to_string());
        self
    }

    /// The command line that boots this guest under `vmm`.
    pub fn command_line(&self, vmm: Vmm) -> Command {
        let mut args: Vec<String> = Vec::new();
        let program = match vmm {
            Vmm::Vmft => {
                args.push("run".into());
                args.extend(self.vmft_machine_args());
                if let Some(log) = &self.record {
                    args.extend(["--record".into(), path(log)]);
                }
                env!("CARGO_BIN_EXE_vmft")
            }
            Vmm::Qemu => {
                assert!(
                    self.restore.is_none(),
                    "QEMU cannot restore a vmft snapshot"
                );
                let append = format!("{} {}", self.image.append, self.append);
                args.extend(
                    ["-machine", "virt", "-m", self.memory, "-nographic"].map(String::from),
                );
                args.extend(["-bios".into(), path(&self.image.firmware)]);
                args.extend(["-kernel".into(), path(&self.image.kernel)]);
                args.extend(["-initrd".into(), path(&self.image.initrd)]);
                args.extend(["-append".into(), append.trim_end().to_string()]);
                if let Some(tap) = &self.tap {
                    args.extend([
                        "-netdev".into(),
                        format!("tap,id=n0,ifname={tap},script=no,downscript=no"),
                        "-device".into(),
                        "virtio-net-device,netdev=n0".into(),
                    ]);
                }
                if let Some(drive) = &self.drive {
                    args.extend([
                        "-drive".into(),
                        format!("file={},format=raw,if=none,id=d0", path(drive)),
                        "-device".into(),
                        "virtio-blk-device,drive=d0".into(),
                    ]);
                }
                QEMU
            }
        };
        let mut command = match &self.netns {
            Some(ns) => {
                let mut command = Command::new("ip");
                command.args(["netns", "exec", ns, program]).args(args);
                command
            }
            None => {
                let mut command = Command::new(program);
                command.args(args);
                command
            }
        };
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        command
    }

    /// Boots the guest under `vmm`; the returned console fails the test once `limit` has passed.
    pub fn boot(&self, vmm: Vmm, limit: Duration) -> Console {
        Console::spawn(self.command_line(vmm), limit, false)
    }

    /// [`Guest::boot`] with the monitor's standard input on a terminal, as for a user at a
    /// keyboard: vmft then decodes its Ctrl-A escapes ([`Console::save_snapshot`]).
    pub fn boot_on_terminal(&self, vmm: Vmm, limit: Duration) -> Console {
        Console::spawn(self.command_line(vmm), limit, true)
    }
}

fn path(p: &Path) -> String {
    p.to_str()
        .unwrap_or_else(|| panic!("{} is not UTF-8", p.display()))
        .to_string()
}

/// What the monitor has printed so far.
#[derive(Default)]
struct Transcript {
    console: Vec<u8>,
    stderr: Vec<u8>,
    /// Output streams that reached end of file (the monitor exited once both have).
    closed: u8,
}

type Shared = Arc<(Mutex<Transcript>, Condvar)>;

/// One of the monitor's output streams.
#[derive(Clone, Copy, Debug)]
enum Stream {
    /// Standard output: the guest's console.
    Console = 0,
    /// Standard error: the monitor's own messages.
    Stderr = 1,
}

impl Transcript {
    fn stream(&self, stream: Stream) -> &[u8] {
        match stream {
            Stream::Console => &self.console,
            Stream::Stderr => &self.stderr,
        }
    }
}

/// A running monitor with its console on pipes (standard input on a pipe or a terminal).
/// Waits fail the test with the whole transcript once the deadline passes; dropping it kills
/// the monitor.
pub struct Console {
    child: Child,
    /// The monitor's standard input, or the master side of its terminal.
    stdin: Option<Box<dyn Write + Send>>,
    shared: Shared,
    /// Offsets in each [`Stream`] up to which [`Console::expect`] has matched.
    cursors: [usize; 2],
    started: Instant,
    deadline: Instant,
    command: String,
}

impl Console {
    fn spawn(mut command: Command, limit: Duration, terminal: bool) -> Console {
        let description = format!("{command:?}");
        let master = if terminal {
            let (master, slave) = pty();
            command.stdin(slave);
            Some(master)
        } else {
            command.stdin(Stdio::piped());
            None
        };
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
        // The child holds its own copy of the terminal's slave side; ours is closed now.
        drop(command);
        let shared: Shared = Arc::default();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        collect(stdout, Arc::clone(&shared), |t| &mut t.console);
        collect(stderr, Arc::clone(&shared), |t| &mut t.stderr);
        let started = Instant::now();
        let stdin: Option<Box<dyn Write + Send>> = match master {
            Some(master) => Some(Box::new(master)),
            None => child
                .stdin
                .take()
                .map(|s| Box::new(s) as Box<dyn Write + Send>),
        };
        Console {
            stdin,
            child,
            shared,
            cursors: [0; 2],
            started,
            deadline: started + limit,
            command: description,
        }
    }

    /// Waits until `needle` appears on the console after the previous match, moves past it and
    /// returns the console text in between (carriage returns removed).
    pub fn expect(&mut self, needle: &str) -> String {
        self.expect_in(Stream::Console, needle)
    }

    /// [`Console::expect`] on the monitor's standard error.
    pub fn expect_stderr(&mut self, needle: &str) -> String {
        self.expect_in(Stream::Stderr, needle)
    }

    fn expect_in(&mut self, stream: Stream, needle: &str) -> String {
        let lookback = FATAL_MARKERS
            .iter()
            .map(|m| m.len())
            .chain([needle.len()])
            .max()
            .unwrap_or(0);
        let cursor = self.cursors[stream as usize];
        let mut scanned = cursor;
        let why = {
            let (lock, ready) = &*self.shared;
            let mut transcript = lock.lock().expect("transcript lock");
            loop {
                let text = transcript.stream(stream);
                let from = cursor.max(scanned.saturating_sub(lookback));
                let fresh = &text[from..];
                if let Some(at) = find(fresh, needle.as_bytes()) {
                    let skipped = &text[cursor..from + at];
                    let skipped = String::from_utf8_lossy(skipped).replace('\r', "");
                    self.cursors[stream as usize] = from + at + needle.len();
                    return skipped;
                }
                scanned = text.len();
                let fatal = match stream {
                    Stream::Console => FATAL_MARKERS
                        .iter()
                        .find(|m| find(fresh, m.as_bytes()).is_some()),
                    Stream::Stderr => None,
                };
                if let Some(fatal) = fatal {
                    break format!("`{fatal}` on the console while waiting for `{needle}`");
                }
                if transcript.closed == 2 {
                    drop(transcript);
                    let status = self
                        .child
                        .wait()
                        .map(|s| s.to_string())
                        .unwrap_or_else(|e| e.to_string());
                    break format!(
                        "the monitor exited ({status}) while waiting for `{needle}` on {stream:?}"
                    );
                }
                let left = self.deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break format!("timed out waiting for `{needle}` on {stream:?}");
                }
                transcript = ready
                    .wait_timeout(transcript, left)
                    .expect("transcript lock")
                    .0;
            }
        };
        self.fail(&why)
    }

    /// Types `line` and a newline on the console.
    pub fn send_line(&mut self, line: &str) {
        self.send_keys(format!("{line}\n").as_bytes());
    }

    /// Types `keys` on the console.
    pub fn send_keys(&mut self, keys: &[u8]) {
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(keys).and_then(|()| stdin.flush()),
            None => Ok(()),
        };
        if let Err(e) = written {
            self.fail(&format!(
                "cannot type `{}`: {e}",
                String::from_utf8_lossy(keys)
            ));
        }
    }

    /// Types Ctrl-A s (the console must be a terminal, [`Guest::boot_on_terminal`]) and waits
    /// until vmft has saved the snapshot. Returns its file name (in the monitor's directory)
    /// and its position.
    pub fn save_snapshot(&mut self) -> (String, u64) {
        self.send_keys(b"\x01s");
        self.expect_stderr("vmft: saved snapshot ");
        let name = self.expect_stderr(" at position ");
        let position = self.expect_stderr("\n");
        match position.trim().parse() {
            Ok(position) => (name, position),
            Err(_) => self.fail(&format!("cannot read the snapshot's position `{position}`")),
        }
    }

    /// Waits for the monitor to exit and for all its output.
    pub fn wait_exit(&mut self) -> ExitStatus {
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    let (lock, ready) = &*self.shared;
                    let mut transcript = lock.lock().expect("transcript lock");
                    while transcript.closed < 2 {
                        let now = Instant::now();
                        if now >= self.deadline {
                            break;
                        }
                        transcript = ready
                            .wait_timeout(transcript, self.deadline - now)
                            .expect("transcript lock")
                            .0;
                    }
                    return status;
                }
                Ok(None) if Instant::now() >= self.deadline => {
                    self.fail("timed out waiting for the monitor to exit")
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => self.fail(&format!("cannot wait for the monitor: {e}")),
            }
        }
    }

    /// Waits for the monitor to exit and fails the test unless it exited with status 0.
    pub fn expect_clean_exit(&mut self) {
        let status = self.wait_exit();
        if !status.success() {
            self.fail(&format!("the monitor exited with {status}"));
        }
    }

    /// Time since the monitor started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The whole console output so far (lossy UTF-8, carriage returns removed).
    /// Everything the guest printed, exactly.
    pub fn console_bytes(&self) -> Vec<u8> {
        self.lock().console.clone()
    }

    /// Everything the guest printed, with carriage returns removed.
    pub fn console_text(&self) -> String {
        String::from_utf8_lossy(&self.lock().console).replace('\r', "")
    }

    /// Fails the test with `why`, the command line and everything the monitor printed.
    pub fn fail(&self, why: &str) -> ! {
        let stderr = String::from_utf8_lossy(&self.lock().stderr).into_owned();
        panic!(
            "{why} (after {:.1} s)\ncommand: {}\n----- console -----\n{}\n----- stderr -----\n{stderr}\n-------------------",
            self.elapsed().as_secs_f64(),
            self.command,
            self.console_text(),
        );
    }

    fn lock(&self) -> MutexGuard<'_, Transcript> {
        // A reader thread never panics while holding the lock; recover the data regardless.
        self.shared
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Copies `stream` into the transcript field `field` on a thread until end of file.
fn collect(
    mut stream: impl Read + Send + 'static,
    shared: Shared,
    field: fn(&mut Transcript) -> &mut Vec<u8>,
) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).unwrap_or(0);
            let (lock, ready) = &*shared;
            let mut transcript = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if n == 0 {
                transcript.closed += 1;
                ready.notify_all();
                return;
            }
            field(&mut transcript).extend_from_slice(&buf[..n]);
            ready.notify_all();
        }
    });
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A pseudo-terminal: the master side for the test's keys and the slave side for the
/// monitor's standard input, both closed on exec (the child gets the slave as its stdin only).
fn pty() -> (File, File) {
    let open = |path: &str| {
        OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(path)
            .unwrap_or_else(|e| panic!("cannot open {path}: {e}"))
    };
    let master = open("/dev/ptmx");
    let fd = master.as_raw_fd();
    let mut name: [libc::c_char; 128] = [0; 128];
    // SAFETY: `fd` is an open pseudo-terminal master; `name` is writable for its whole length.
    let ready = unsafe {
        libc::grantpt(fd) == 0
            && libc::unlockpt(fd) == 0
            && libc::ptsname_r(fd, name.as_mut_ptr(), name.len()) == 0
    };
    assert!(
        ready,
        "cannot set up a pseudo-terminal: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: ptsname_r succeeded, so `name` holds a NUL-terminated path.
    let slave = unsafe { CStr::from_ptr(name.as_ptr()) }
        .to_str()
        .expect("pseudo-terminal paths are ASCII")
        .to_string();
    (master, open(&slave))
}

/// Fails the test unless it runs as root (network namespaces and TAP devices need it).
pub fn require_root(what: &str) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next());
    assert_eq!(
        uid,
        Some("0"),
        "{what} needs root: run the tests as root (CI does), e.g. `sudo -E cargo test`"
    );
}

/// Runs `program args` and returns its output, failing the test if it cannot start.
pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program}: {e} (scripts/deps installs the test prerequisites)")
        })
}

/// Runs `program args` and fails the test unless it exits with status 0.
pub fn run_ok(program: &str, args: &[&str]) -> Output {
    let output = run(program, args);
    assert!(
        output.status.success(),
        "`{program} {}` failed ({}):\n{}{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Prefix of the network namespaces these tests create; the rest is `<pid>-<n>`.
const NETNS_PREFIX: &str = "vmft-test-";

/// A network namespace of this test process, deleted (with every device in it) on drop, even
/// when the test panics. Nothing in it is connected to the host's own network.
pub struct NetNs {
    name: String,
}

impl NetNs {
    /// Creates a fresh namespace with loopback up and a TAP device `tap` addressed `host_addr`
    /// (`ADDR/PREFIX`), and deletes namespaces left by earlier test processes that died.
    pub fn with_tap(tap: &str, host_addr: &str) -> NetNs {
        require_root("a network namespace with a TAP device");
        remove_stale_namespaces();
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "{NETNS_PREFIX}{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        run_ok("ip", &["netns", "add", &name]);
        let ns = NetNs { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns.ip(&["tuntap", "add", "dev", tap, "mode", "tap"]);
        ns.ip(&["addr", "add", host_addr, "dev", tap]);
        ns.ip(&["link", "set", tap, "up"]);
        ns
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `program args` inside the namespace.
    pub fn exec(&self, program: &str, args: &[&str]) -> Output {
        let mut all = vec!["netns", "exec", &self.name, program];
        all.extend_from_slice(args);
        run("ip", &all)
    }

    /// Runs `redis-cli -h GUEST_IP args` inside the namespace (one command; its reply on
    /// standard output).
    pub fn redis_cli(&self, args: &[&str]) -> Output {
        let mut all = vec!["-h", GUEST_IP];
        all.extend_from_slice(args);
        self.exec("redis-cli", &all)
    }

    fn ip(&self, args: &[&str]) {
        let mut all = vec!["-n", &self.name];
        all.extend_from_slice(args);
        run_ok("ip", &all);
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let deleted = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .stdin(Stdio::null())
            .output();
        if !deleted.map(|o| o.status.success()).unwrap_or(false) {
            eprintln!("warning: could not delete network namespace {}", self.name);
        }
    }
}

/// Deletes `vmft-test-<pid>-*` namespaces whose process no longer exists (a run that was killed).
fn remove_stale_namespaces() {
    let list = run("ip", &["netns", "list"]);
    for line in String::from_utf8_lossy(&list.stdout).lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        let Some(pid) = name
            .strip_prefix(NETNS_PREFIX)
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            run("ip", &["netns", "delete", name]);
        }
    }
}

/// A fresh directory under the test's scratch directory, removed with its contents on drop.
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// A fresh, empty directory `<scratch>/<pid>-<name>`.
    pub fn new(name: &str) -> ScratchDir {
        let path =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        ScratchDir { path }
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `name` in the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A file under the test's scratch directory, removed on drop.
pub struct ScratchFile {
    path: PathBuf,
}

impl ScratchFile {
    /// A fresh path `<scratch>/<pid>-<name>`; any file already there is removed.
    pub fn new(name: &str) -> ScratchFile {
        let path =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        ScratchFile { path }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path as a command-line argument.
    pub fn arg(&self) -> String {
        path(&self.path)
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
