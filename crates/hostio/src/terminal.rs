//! The controlling terminal in raw mode while a guest owns the console, as QEMU's
//! `-nographic` does: keys go to the guest unprocessed (no local echo, no line editing, no
//! signals), and the previous mode is restored when the guard drops.

use std::io;
use std::os::fd::AsRawFd;

/// Restores the terminal's previous mode on drop.
pub struct RawTerminal {
    fd: i32,
    saved: libc::termios,
}

impl RawTerminal {
    /// Puts standard input in raw mode if it is a terminal; `None` if it is not.
    pub fn enable() -> io::Result<Option<RawTerminal>> {
        let fd = io::stdin().as_raw_fd();
        // SAFETY: isatty only inspects the descriptor.
        if unsafe { libc::isatty(fd) } != 1 {
            return Ok(None);
        }
        // SAFETY: termios is plain data; tcgetattr fills it for an open terminal descriptor.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `saved` is a valid termios to write into.
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut raw = saved;
        // SAFETY: cfmakeraw only modifies the termios it is given.
        unsafe { libc::cfmakeraw(&mut raw) };
        // SAFETY: `raw` is a valid termios derived from the terminal's own settings.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Some(RawTerminal { fd, saved }))
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        // SAFETY: restores settings previously read from the same descriptor.
        unsafe { libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved) };
    }
}

/// The escape key (Ctrl-A), as in QEMU: Ctrl-A x quits, Ctrl-A s saves a snapshot, Ctrl-A
/// Ctrl-A sends one Ctrl-A.
pub const ESCAPE: u8 = 0x01;

/// What console keys mean once escapes are decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum Keys {
    /// Bytes for the guest.
    Guest(Vec<u8>),
    /// The user asked to quit.
    Quit,
    /// The user asked for a snapshot.
    Snapshot,
}

/// Decodes Ctrl-A escapes across reads.
#[derive(Default)]
pub struct EscapeDecoder {
    pending_escape: bool,
}

impl EscapeDecoder {
    /// Splits `input` into what it means, in order: runs of bytes for the guest and the
    /// requests escapes make. Nothing follows a quit request (the keys after it are dropped);
    /// keys after a snapshot request go on to the guest.
    pub fn decode(&mut self, input: &[u8]) -> Vec<Keys> {
        let mut keys = Vec::new();
        let mut out = Vec::with_capacity(input.len());
        let request = |out: &mut Vec<u8>, keys: &mut Vec<Keys>, request: Keys| {
            if !out.is_empty() {
                keys.push(Keys::Guest(std::mem::take(out)));
            }
            keys.push(request);
        };
        for &byte in input {
            if self.pending_escape {
                self.pending_escape = false;
                match byte {
                    b'x' | b'X' => {
                        request(&mut out, &mut keys, Keys::Quit);
                        return keys;
                    }
                    b's' | b'S' => request(&mut out, &mut keys, Keys::Snapshot),
                    ESCAPE => out.push(ESCAPE),
                    other => {
                        out.push(ESCAPE);
                        out.push(other);
                    }
                }
            } else if byte == ESCAPE {
                self.pending_escape = true;
            } else {
                out.push(byte);
            }
        }
        if !out.is_empty() {
            keys.push(Keys::Guest(out));
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_a_x_quits_even_across_reads_dropping_later_keys() {
        let mut d = EscapeDecoder::default();
        assert_eq!(d.decode(b"ls\x01"), vec![Keys::Guest(b"ls".to_vec())]);
        assert_eq!(d.decode(b"xyz"), vec![Keys::Quit]);
    }

    #[test]
    fn ctrl_a_s_asks_for_a_snapshot_between_the_keys_around_it() {
        let mut d = EscapeDecoder::default();
        assert_eq!(
            d.decode(b"ab\x01scd\x01S"),
            vec![
                Keys::Guest(b"ab".to_vec()),
                Keys::Snapshot,
                Keys::Guest(b"cd".to_vec()),
                Keys::Snapshot,
            ]
        );
    }

    #[test]
    fn ctrl_a_twice_sends_one_ctrl_a_and_other_keys_pass_through() {
        let mut d = EscapeDecoder::default();
        assert_eq!(
            d.decode(b"\x01\x01a\x01b"),
            vec![Keys::Guest(b"\x01a\x01b".to_vec())]
        );
        assert_eq!(d.decode(b""), vec![]);
    }
}
