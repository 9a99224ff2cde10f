//! Where the machine's outputs go. Console bytes and transmitted frames are the only things
//! that leave the machine; each is handed over with the position at which the run loop took
//! it, so that a primary can hold it until its backup has the log up to there.

use hostio::Tap;
use machine::Machine;

use crate::host::ConsoleOutput;

/// A destination for the machine's outputs.
pub trait Outputs {
    /// Console bytes the guest wrote before `position`.
    fn console(&mut self, position: u64, bytes: &[u8]);
    /// An Ethernet frame the guest transmitted before `position`.
    fn frame(&mut self, position: u64, frame: Vec<u8>);
}

/// Hands everything the machine produced since the last call to `outputs`, tagged with
/// `position`: the live loop's slice end, or the position a replay was running to. A backup
/// tags its outputs with its run targets, which are always positions at which the primary
/// ended a slice, so that an output's tag on the backup is never below its tag on the
/// primary: "the primary released everything up to p" then covers every output the backup
/// tagged p or lower.
pub fn collect(machine: &mut Machine, position: u64, outputs: &mut dyn Outputs) {
    let console = machine.take_output();
    if !console.is_empty() {
        outputs.console(position, &console);
    }
    for frame in machine.take_transmitted_frames() {
        outputs.frame(position, frame);
    }
}

/// Outputs released at once: console bytes to standard output, frames to the TAP device
/// (dropped without one, as a replay does).
pub struct DirectOutputs {
    console: ConsoleOutput,
    tap: Option<Tap>,
}

impl DirectOutputs {
    /// Releases to standard output and, when given, `tap`.
    pub fn new(tap: Option<Tap>) -> DirectOutputs {
        DirectOutputs {
            console: ConsoleOutput::default(),
            tap,
        }
    }
}

impl Outputs for DirectOutputs {
    fn console(&mut self, _position: u64, bytes: &[u8]) {
        self.console.write(bytes);
    }

    fn frame(&mut self, _position: u64, frame: Vec<u8>) {
        if let Some(t) = self.tap.as_mut() {
            if let Err(e) = t.send(&frame) {
                eprintln!(
                    "vmft: writing TAP {}: {e}; dropping the guest's network",
                    t.name()
                );
                self.tap = None;
            }
        }
    }
}
