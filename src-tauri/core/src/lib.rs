//! `giamngheo-core`: every rule, the SQLite ledger, the exchange and the reports of Sổ Giảm Nghèo.
//!
//! Deliberately absent: any dependency on Tauri or a webview, async code, and reading the wall
//! clock directly (time comes in through [`clock::Clock`]).

pub mod allocator;
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

/// A hash map for the import's hot paths: row ids and op keys hashed with foldhash (seeded per
/// map) instead of the standard SipHash, which showed in the import's profile on 32–36-character
/// ids.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// The set counterpart of [`FastMap`].
pub(crate) type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
