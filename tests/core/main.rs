//! Integration tests of giamngheo-core: one binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic: that is a failed test

mod common;
mod compat;
mod demo;
mod enrolment;
mod exchange_package;
mod ledger;
mod office;
mod open;
mod register;
mod register_paging;
mod report_data;
mod reports;
mod resolve;
mod review;
mod rollover;
mod rules;
mod sync;
