//! Integration tests of giamngheo-core: one binary, one module per area.

mod common;
mod ledger;
mod open;
mod register;
mod rules;
