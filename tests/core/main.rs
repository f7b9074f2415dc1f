//! Integration tests of giamngheo-core: one binary, one module per area.
mod reports;
