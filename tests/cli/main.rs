//! Integration tests of the `giamngheo` binary: run it as a user or script would.

mod classify;
