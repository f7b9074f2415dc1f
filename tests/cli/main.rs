//! Integration tests of the `giamngheo` binary: run it as a user or a script would.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic: that is a failed test

mod classify;
mod common;
mod conflicts;
mod exchange;
mod kill;
mod office;
mod register;
mod report;
mod rollover;
