//! A host TAP device: the guest's Ethernet segment on the host.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;

use thiserror::Error;

/// Errors attaching to a TAP device.
#[derive(Debug, Error)]
pub enum TapError {
    /// /dev/net/tun could not be opened.
    #[error("cannot open /dev/net/tun: {0}")]
    Open(std::io::Error),
    /// The interface name is empty or too long.
    #[error("invalid TAP interface name {0:?}")]
    Name(String),
    /// TUNSETIFF failed (no such device and no permission to create it, or busy).
    #[error("cannot attach to TAP device {name}: {source}")]
    Attach {
        /// Interface name.
        name: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

const IFF_TAP: libc::c_short = 0x0002;
const IFF_NO_PI: libc::c_short = 0x1000;
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;

#[repr(C)]
struct IfReq {
    name: [libc::c_char; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

/// An attached TAP interface; frames are whole Ethernet frames without a packet header.
pub struct Tap {
    file: File,
    name: String,
}

impl Tap {
    /// Attaches to (or creates) the TAP interface `name`.
    pub fn open(name: &str) -> Result<Tap, TapError> {
        if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains('\0') {
            return Err(TapError::Name(name.to_string()));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/net/tun")
            .map_err(TapError::Open)?;
        let mut req = IfReq {
            name: [0; libc::IFNAMSIZ],
            flags: IFF_TAP | IFF_NO_PI,
            _pad: [0; 22],
        };
        for (dst, src) in req.name.iter_mut().zip(name.bytes()) {
            *dst = src as libc::c_char;
        }
        // SAFETY: TUNSETIFF reads and writes one `struct ifreq`, which `IfReq` matches in
        // layout and size (name[IFNAMSIZ] followed by a 24-byte union); the fd is open.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF, &mut req as *mut IfReq) };
        if rc < 0 {
            return Err(TapError::Attach {
                name: name.to_string(),
                source: std::io::Error::last_os_error(),
            });
        }
        Ok(Tap {
            file,
            name: name.to_string(),
        })
    }

    /// The interface name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A second handle on the same queue, for a reader thread.
    pub fn try_clone(&self) -> std::io::Result<Tap> {
        Ok(Tap {
            file: self.file.try_clone()?,
            name: self.name.clone(),
        })
    }

    /// Blocks until a frame arrives; returns its length in `buf`.
    pub fn recv(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.file.read(buf)
    }

    /// Sends one frame.
    pub fn send(&mut self, frame: &[u8]) -> std::io::Result<()> {
        self.file.write_all(frame)
    }
}
