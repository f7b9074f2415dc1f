//! Integration tests of the `giamngheo` binary: run it as a user or a script would.

mod classify;
mod common;
mod register;
mod report;
