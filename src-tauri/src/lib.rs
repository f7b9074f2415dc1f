//! The Tauri shell (being wired up): commands are thin adapters over `giamngheo_core`.
