//! Booting firmware and a kernel the way QEMU's `virt` board does, so that OpenSBI and
//! Linux find everything where they expect it: firmware at the start of RAM, the kernel 2 MiB
//! above it (where OpenSBI's `fw_jump` jumps), the initrd `min(RAM/2, 128 MiB)` above the
//! kernel, and the device tree in the last 2 MiB-aligned space below the end of RAM (or
//! 3 GiB), with `a0` = hart id and `a1` = the device tree's address.

use rv64::Memory;
use thiserror::Error;

use crate::board::RAM_BASE;
use crate::fdt::{self, FdtConfig};

/// Offset of the kernel from the start of RAM (OpenSBI fw_jump's FW_JUMP_ADDR).
pub const KERNEL_OFFSET: u64 = 0x20_0000;

const MIB: u64 = 1 << 20;

/// Firmware, kernel and initrd to boot, with the kernel command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirmwareBoot {
    /// M-mode firmware image (raw binary, e.g. OpenSBI's fw_jump.bin).
    pub firmware: Vec<u8>,
    /// Kernel image (raw, e.g. a Linux `Image`).
    pub kernel: Vec<u8>,
    /// Initial RAM disk, if any.
    pub initrd: Option<Vec<u8>>,
    /// Kernel command line (`/chosen/bootargs`).
    pub bootargs: String,
}

/// Why the images could not be placed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BootError {
    /// The firmware overlaps the kernel's load address.
    #[error("firmware is {0} bytes; at most 2 MiB fits below the kernel at 0x80200000")]
    FirmwareTooLarge(usize),
    /// The kernel, initrd or device tree does not fit in RAM.
    #[error(
        "{what} ({size} bytes at {addr:#x}) does not fit in {ram} bytes of RAM; raise --memory"
    )]
    DoesNotFit {
        /// Which image.
        what: &'static str,
        /// Its size.
        size: u64,
        /// Where it would go.
        addr: u64,
        /// RAM size.
        ram: u64,
    },
    /// The device tree could not be built.
    #[error("device tree: {0}")]
    DeviceTree(String),
}

/// Where each image went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Address of the kernel.
    pub kernel: u64,
    /// Start and end of the initrd.
    pub initrd: Option<(u64, u64)>,
    /// Address of the device tree.
    pub fdt: u64,
}

/// Loads firmware, kernel, initrd and a device tree describing `virtio_slots` into `mem`.
pub fn load(
    boot: &FirmwareBoot,
    mem: &mut Memory,
    virtio_slots: &[usize],
) -> Result<Placement, BootError> {
    let ram = mem.size();
    let end = RAM_BASE + ram;
    if boot.firmware.len() as u64 > KERNEL_OFFSET {
        return Err(BootError::FirmwareTooLarge(boot.firmware.len()));
    }
    let put = |mem: &mut Memory, what, addr: u64, data: &[u8]| {
        mem.write(addr, data).map_err(|_| BootError::DoesNotFit {
            what,
            size: data.len() as u64,
            addr,
            ram,
        })
    };
    put(mem, "firmware", RAM_BASE, &boot.firmware)?;
    let kernel = RAM_BASE + KERNEL_OFFSET;
    put(mem, "kernel", kernel, &boot.kernel)?;
    let initrd = match &boot.initrd {
        Some(data) => {
            let start = kernel + (ram / 2).min(128 * MIB);
            put(mem, "initrd", start, data)?;
            Some((start, start + data.len() as u64))
        }
        None => None,
    };
    let config = FdtConfig {
        memory_size: ram,
        bootargs: boot.bootargs.clone(),
        initrd,
        virtio_slots: virtio_slots.to_vec(),
    };
    let blob = fdt::build(&config).map_err(|e| BootError::DeviceTree(e.to_string()))?;
    let top = if RAM_BASE < 3 << 30 {
        end.min(3 << 30)
    } else {
        end
    };
    let fdt = top
        .checked_sub(blob.len() as u64)
        .map(|a| a & !(2 * MIB - 1))
        .filter(|&a| a >= RAM_BASE)
        .ok_or(BootError::DoesNotFit {
            what: "device tree",
            size: blob.len() as u64,
            addr: RAM_BASE,
            ram,
        })?;
    let kernel_end = kernel + boot.kernel.len() as u64;
    let initrd_end = initrd.map_or(kernel_end, |(_, e)| e);
    if fdt < kernel_end.max(initrd_end) {
        return Err(BootError::DoesNotFit {
            what: "device tree",
            size: blob.len() as u64,
            addr: fdt,
            ram,
        });
    }
    put(mem, "device tree", fdt, &blob)?;
    Ok(Placement {
        kernel,
        initrd,
        fdt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boot(kernel: usize, initrd: Option<usize>) -> FirmwareBoot {
        FirmwareBoot {
            firmware: vec![0x13; 4096],
            kernel: vec![0x73; kernel],
            initrd: initrd.map(|n| vec![7; n]),
            bootargs: "console=ttyS0".into(),
        }
    }

    #[test]
    fn images_go_where_qemu_virt_puts_them() {
        let mut mem = Memory::new(RAM_BASE, 512 * MIB).unwrap();
        let p = load(&boot(1 << 20, Some(4096)), &mut mem, &[0, 1]).unwrap();
        assert_eq!(p.kernel, 0x8020_0000);
        assert_eq!(p.initrd, Some((0x8820_0000, 0x8820_1000)));
        assert_eq!(p.fdt, 0x9fe0_0000);
        let mut magic = [0u8; 4];
        mem.read(p.fdt, &mut magic).unwrap();
        assert_eq!(magic, [0xd0, 0x0d, 0xfe, 0xed], "FDT magic");
        let mut word = [0u8; 1];
        mem.read(p.kernel, &mut word).unwrap();
        assert_eq!(word, [0x73]);
    }

    #[test]
    fn small_ram_puts_the_initrd_halfway() {
        let mut mem = Memory::new(RAM_BASE, 64 * MIB).unwrap();
        let p = load(&boot(4096, Some(4096)), &mut mem, &[]).unwrap();
        assert_eq!(p.initrd.unwrap().0, 0x8020_0000 + 32 * MIB);
    }

    #[test]
    fn a_kernel_larger_than_ram_is_a_clear_error() {
        let mut mem = Memory::new(RAM_BASE, 4 * MIB).unwrap();
        let err = load(&boot(8 << 20, None), &mut mem, &[]).unwrap_err();
        assert!(
            matches!(err, BootError::DoesNotFit { what: "kernel", .. }),
            "{err}"
        );
    }

    #[test]
    fn firmware_over_two_mib_is_refused() {
        let mut mem = Memory::new(RAM_BASE, 64 * MIB).unwrap();
        let mut b = boot(4096, None);
        b.firmware = vec![0; 3 << 20];
        assert_eq!(
            load(&b, &mut mem, &[]).unwrap_err(),
            BootError::FirmwareTooLarge(3 << 20)
        );
    }

    #[test]
    fn an_initrd_overlapping_the_device_tree_is_refused() {
        let mut mem = Memory::new(RAM_BASE, 16 * MIB).unwrap();
        let err = load(&boot(4096, Some(14 << 20)), &mut mem, &[]).unwrap_err();
        assert!(matches!(err, BootError::DoesNotFit { .. }), "{err}");
    }
}
