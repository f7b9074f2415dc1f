//! Integration tests of giamngheo-core: one binary, one module per area.

mod common;
mod demo;
mod exchange_package;
mod ledger;
mod open;
mod register;
mod report_data;
mod reports;
mod review;
mod rules;
