//! The vmft board.
