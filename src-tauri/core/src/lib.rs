//! `giamngheo-core`: every rule, the SQLite ledger, the exchange and the reports of Sổ Giảm Nghèo.
//!
//! Deliberately absent: any dependency on Tauri or a webview, async code, and reading the wall
//! clock directly (time comes in through [`clock::Clock`]).

pub mod clock;
pub mod db;
pub mod error;
pub mod reports;

pub use error::{Error, Result};
