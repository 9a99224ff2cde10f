//! The arbiter: an atomic test-and-set of the next epoch, so that at most one side goes live.
