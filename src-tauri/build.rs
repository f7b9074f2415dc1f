//! Build script of the app shell: tauri-build reads the root `tauri.conf.json` (the root
//! Cargo.toml is the app package, so no config path is needed) and embeds `ui/` and `icons/`.
fn main() {
    tauri_build::build()
}
