//! The host-target interface of Spike and the riscv-tests: two 64-bit words in guest RAM,
//! `tohost` and `fromhost`, found through the program's symbols.
//!
//! The guest writes a command to `tohost`; the machine polls it between run slices (at
//! deterministic positions). A command is `device << 56 | command << 48 | payload`:
//! - device 0 with payload bit 0 set: exit, `payload >> 1` being 0 for pass or the failing
//!   test's number;
//! - device 1, command 1: write the payload's low byte to the console, answered through
//!   `fromhost` with `1 << 56 | 1 << 48 | 0x100 | byte`.
//!
//! Any command is consumed by clearing `tohost`; commands other than these (Spike's syscall
//! proxy, console reads) are not supported and get no answer.

use rv64::persist::{Persist, StateError};
use rv64::Memory;

/// How a guest asked to exit through `tohost`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HtifExit {
    /// Exit code 0: every test passed.
    Pass,
    /// A non-zero exit code: the number of the test that failed.
    Fail(u64),
}

const DEVICE_SYSCALL: u64 = 0;
const DEVICE_CONSOLE: u64 = 1;
const CONSOLE_PUTCHAR: u64 = 1;
const PAYLOAD_MASK: u64 = (1 << 48) - 1;

/// The HTIF words of a loaded program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Htif {
    tohost: u64,
    fromhost: Option<u64>,
}

impl Htif {
    /// The interface at the given symbol addresses, if `tohost` lies in `mem`. A `fromhost`
    /// outside `mem` is ignored (commands then get no answer).
    pub fn new(tohost: u64, fromhost: Option<u64>, mem: &Memory) -> Option<Htif> {
        let in_ram = |addr: u64| mem.read(addr, &mut [0; 8]).is_ok();
        in_ram(tohost).then(|| Htif {
            tohost,
            fromhost: fromhost.filter(|&a| in_ram(a)),
        })
    }

    /// Handles the command in `tohost`, if any: console bytes go to `output`; an exit request
    /// is returned.
    pub fn poll(&self, mem: &mut Memory, output: &mut Vec<u8>) -> Option<HtifExit> {
        let command = read_u64(mem, self.tohost)?;
        if command == 0 {
            return None;
        }
        write_u64(mem, self.tohost, 0);
        let device = command >> 56;
        let cmd = (command >> 48) & 0xff;
        let payload = command & PAYLOAD_MASK;
        match (device, cmd) {
            (DEVICE_SYSCALL, _) if payload & 1 == 1 => {
                return Some(match payload >> 1 {
                    0 => HtifExit::Pass,
                    n => HtifExit::Fail(n),
                });
            }
            (DEVICE_CONSOLE, CONSOLE_PUTCHAR) => {
                let byte = payload as u8;
                output.push(byte);
                if let Some(fromhost) = self.fromhost {
                    write_u64(
                        mem,
                        fromhost,
                        (command & !PAYLOAD_MASK) | 0x100 | u64::from(byte),
                    );
                }
            }
            _ => {}
        }
        None
    }
}

fn read_u64(mem: &Memory, addr: u64) -> Option<u64> {
    let mut buf = [0; 8];
    mem.read(addr, &mut buf).ok()?;
    Some(u64::from_le_bytes(buf))
}

fn write_u64(mem: &mut Memory, addr: u64, value: u64) {
    // `Htif::new` checked that both words lie in RAM, so the write cannot fail.
    let _ = mem.write(addr, &value.to_le_bytes());
}

/// The HTIF's state as plain data: where its two words are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HtifState {
    /// Address of `tohost`.
    pub tohost: u64,
    /// Address of `fromhost`, if the program has one.
    pub fromhost: Option<u64>,
}

impl Persist for Htif {
    type State = HtifState;
    /// RAM's base address and size.
    type ConstructorArgs = (u64, u64);

    fn save(&self) -> HtifState {
        HtifState {
            tohost: self.tohost,
            fromhost: self.fromhost,
        }
    }

    /// Refuses words that do not lie wholly in RAM, as [`Htif::new`] does.
    fn restore((base, size): (u64, u64), s: &HtifState) -> Result<Htif, StateError> {
        let in_ram = |addr: u64| {
            addr.checked_sub(base)
                .and_then(|off| off.checked_add(8))
                .is_some_and(|end| end <= size)
        };
        match s.fromhost {
            _ if !in_ram(s.tohost) => Err(StateError::new(
                "htif",
                format!("tohost {:#x} is outside RAM", s.tohost),
            )),
            Some(addr) if !in_ram(addr) => Err(StateError::new(
                "htif",
                format!("fromhost {addr:#x} is outside RAM"),
            )),
            _ => Ok(Htif {
                tohost: s.tohost,
                fromhost: s.fromhost,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u64 = 0x8000_0000;
    const TOHOST: u64 = BASE + 0x1000;
    const FROMHOST: u64 = BASE + 0x1040;

    fn setup() -> (Htif, Memory) {
        let mem = Memory::new(BASE, 0x2000).unwrap();
        let htif = Htif::new(TOHOST, Some(FROMHOST), &mem).unwrap();
        (htif, mem)
    }

    #[test]
    fn empty_tohost_is_no_command() {
        let (htif, mut mem) = setup();
        let mut out = Vec::new();
        assert_eq!(htif.poll(&mut mem, &mut out), None);
        assert!(out.is_empty());
    }

    #[test]
    fn exit_code_one_is_pass() {
        let (htif, mut mem) = setup();
        write_u64(&mut mem, TOHOST, 1);
        assert_eq!(htif.poll(&mut mem, &mut Vec::new()), Some(HtifExit::Pass));
        assert_eq!(read_u64(&mem, TOHOST), Some(0));
    }

    #[test]
    fn odd_exit_code_reports_failing_test_number() {
        let (htif, mut mem) = setup();
        write_u64(&mut mem, TOHOST, (3 << 1) | 1);
        assert_eq!(
            htif.poll(&mut mem, &mut Vec::new()),
            Some(HtifExit::Fail(3))
        );
    }

    #[test]
    fn console_putchar_outputs_byte_clears_tohost_and_answers_in_fromhost() {
        let (htif, mut mem) = setup();
        let command = (1 << 56) | (1 << 48) | u64::from(b'h');
        write_u64(&mut mem, TOHOST, command);
        let mut out = Vec::new();
        assert_eq!(htif.poll(&mut mem, &mut out), None);
        assert_eq!(out, b"h");
        assert_eq!(read_u64(&mem, TOHOST), Some(0));
        assert_eq!(
            read_u64(&mem, FROMHOST),
            Some((1 << 56) | (1 << 48) | 0x100 | u64::from(b'h'))
        );
    }

    #[test]
    fn unsupported_commands_are_consumed_without_answer() {
        let (htif, mut mem) = setup();
        write_u64(&mut mem, TOHOST, 0x8000_0100);
        assert_eq!(htif.poll(&mut mem, &mut Vec::new()), None);
        assert_eq!(read_u64(&mem, TOHOST), Some(0));
        assert_eq!(read_u64(&mem, FROMHOST), Some(0));
    }

    #[test]
    fn tohost_outside_ram_disables_the_interface() {
        let mem = Memory::new(BASE, 0x2000).unwrap();
        assert_eq!(Htif::new(0x1000, None, &mem), None);
        assert_eq!(Htif::new(BASE + 0x1ffc, None, &mem), None);
    }
}
