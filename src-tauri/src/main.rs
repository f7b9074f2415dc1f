//! Entry point of the desktop app; everything lives in the `giamngheo_app` library.
// Prevents an extra console window on Windows in release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

/// mimalloc, as in the CLI: see the workspace `Cargo.toml`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    giamngheo_core::allocator::tune();
    giamngheo_app::run()
}
