//! Where the ledger lives by default: the OS application-data folder, the same one the desktop
//! app uses (`<data dir>/vn.giamngheo.app/`), so the CLI and the app open the same file.

use std::path::PathBuf;

/// The app identifier (also Tauri's `identifier`), used as the folder name.
pub const APP_IDENTIFIER: &str = "vn.giamngheo.app";

/// The OS data folder: `%APPDATA%` on Windows, `~/Library/Application Support` on macOS,
/// `$XDG_DATA_HOME` or `~/.local/share` elsewhere.
pub fn data_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        return std::env::var_os("APPDATA").map(PathBuf::from);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if cfg!(target_os = "macos") {
        return home.map(|h| h.join("Library/Application Support"));
    }
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.map(|h| h.join(".local/share")))
}

/// The default ledger file: `$GIAMNGHEO_DB` if set, else `giamngheo.db` in the app-data folder.
pub fn default_db_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GIAMNGHEO_DB").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    data_dir().map(|d| d.join(APP_IDENTIFIER).join("giamngheo.db"))
}
