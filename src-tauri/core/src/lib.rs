//! `giamngheo-core`: every rule, the SQLite ledger, the exchange and the reports of Sổ Giảm Nghèo.
//!
//! Deliberately absent: any dependency on Tauri or a webview, async code, and reading the wall
//! clock directly (time comes in through [`clock::Clock`]).

pub mod cccd;
pub mod clock;
pub mod db;
pub mod demo;
pub mod error;
pub mod ethnicity;
pub mod exchange;
pub mod ledger;
pub mod office;
pub(crate) mod op_pack;
pub mod paths;
pub mod populate;
pub mod register;
pub mod reports;
pub mod resolve;
pub mod review;
pub mod review_items;
pub mod rules;
pub mod setup;
pub mod sync;
pub mod text;

pub use error::{Error, Result};
pub use ledger::Ledger;
