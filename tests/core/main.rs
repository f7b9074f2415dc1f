//! Integration tests of giamngheo-core: one binary, one module per area.

mod common;
mod demo;
mod ledger;
mod open;
mod register;
mod review;
mod rules;
