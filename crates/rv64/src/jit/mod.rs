//! The just-in-time compiler: hot guest blocks translated to host code.

/// What the JIT has done to one [`crate::Memory`]'s code since it was made: for tests and
/// statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitStats {
    /// Blocks compiled.
    pub compiled: u64,
    /// Times the whole code cache was emptied because it reached its size bound.
    pub evictions: u64,
    /// Compiled blocks dropped because their page was written.
    pub invalidated: u64,
    /// Bytes of host code in the cache now.
    pub code_bytes: usize,
}

/// The default bound on the code cache's host code, in bytes.
pub const DEFAULT_CODE_LIMIT: usize = 64 << 20;

/// Taken branches to a block's start, counted by the interpreter, before the block is
/// compiled.
pub const DEFAULT_THRESHOLD: u16 = 64;
