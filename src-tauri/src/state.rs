//! Where the ledger file is and the one open `Ledger` the commands share. Owns the choice of
//! database (`--db`, `GIAMNGHEO_DB`, `--demo`, else the OS app-data folder) and opening it
//! lazily off the main thread. Deliberately knows nothing about households or rules.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use giamngheo_core::Ledger;

use crate::error::ShellError;

/// How many households the demo commune gets on first start.
pub const DEMO_HOUSEHOLDS: u32 = 1500;
/// Seed of the deterministic demo generator.
pub const DEMO_SEED: u64 = 2026;

/// Which database the app was asked to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbChoice {
    /// An explicit file (`--db PATH` or `GIAMNGHEO_DB`).
    Explicit(PathBuf),
    /// The demo commune (`--demo` or `GIAMNGHEO_DEMO=1`): `demo.db` in the app-data folder.
    Demo,
    /// The normal register: `giamngheo.db` in the app-data folder.
    Default,
}

impl DbChoice {
    /// Reads the command line (without the program name) and the environment. `--db` wins over
    /// `GIAMNGHEO_DB`, which wins over the demo switch.
    pub fn from_args_and_env(
        args: &[String],
        env_db: Option<String>,
        env_demo: Option<String>,
    ) -> DbChoice {
        let mut demo = false;
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if a == "--db" {
                if let Some(p) = args.get(i + 1).filter(|p| !p.is_empty()) {
                    return DbChoice::Explicit(PathBuf::from(p));
                }
            } else if let Some(p) = a.strip_prefix("--db=") {
                if !p.is_empty() {
                    return DbChoice::Explicit(PathBuf::from(p));
                }
            } else if a == "--demo" {
                demo = true;
            }
            i += 1;
        }
        if let Some(p) = env_db.filter(|p| !p.trim().is_empty()) {
            return DbChoice::Explicit(PathBuf::from(p));
        }
        if demo || env_demo.is_some_and(|v| matches!(v.trim(), "1" | "true" | "yes")) {
            return DbChoice::Demo;
        }
        DbChoice::Default
    }

    /// The file to open, given the OS app-data folder.
    pub fn path_in(&self, app_data: &Path) -> PathBuf {
        match self {
            DbChoice::Explicit(p) => p.clone(),
            DbChoice::Demo => app_data.join("demo.db"),
            DbChoice::Default => app_data.join("giamngheo.db"),
        }
    }

    pub fn is_demo(&self) -> bool {
        matches!(self, DbChoice::Demo)
    }
}

/// The ledger slot: opened on first use so a slow open (or the demo fill) never blocks the window.
pub enum Slot {
    NotOpened,
    Open(Box<Ledger>),
    Failed(ShellError),
}

/// Shared state managed by Tauri.
pub struct AppState {
    pub path: PathBuf,
    pub demo: bool,
    pub slot: Arc<Mutex<Slot>>,
}

impl AppState {
    pub fn new(path: PathBuf, demo: bool) -> AppState {
        AppState {
            path,
            demo,
            slot: Arc::new(Mutex::new(Slot::NotOpened)),
        }
    }
}

/// Locks the slot; a panic in an earlier command must not make the app unusable (SQLite has
/// already rolled back the transaction that was running).
pub fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Opens the ledger if needed and returns it, or the error that prevents opening it. Runs on a
/// blocking thread. The demo database is filled once, when it has no households yet.
pub fn ensure_open<'a>(
    slot: &'a mut Slot,
    path: &Path,
    demo: bool,
) -> Result<&'a mut Ledger, ShellError> {
    if let Slot::NotOpened = slot {
        *slot = match open(path, demo) {
            Ok(l) => Slot::Open(Box::new(l)),
            Err(e) => Slot::Failed(e),
        };
    }
    match slot {
        Slot::Open(l) => Ok(l),
        Slot::Failed(e) => Err(e.clone()),
        Slot::NotOpened => Err(ShellError::internal("Chưa mở được cơ sở dữ liệu.")),
    }
}

fn open(path: &Path, demo: bool) -> Result<Ledger, ShellError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            std::fs::create_dir_all(dir).map_err(|e| {
                ShellError::open_failed(
                    path,
                    &format!(
                        "Không tạo được thư mục dữ liệu: {}",
                        giamngheo_core::error::describe_io_error(&e)
                    ),
                )
            })?;
        }
    }
    let mut ledger =
        Ledger::open(path).map_err(|e| ShellError::open_failed(path, &e.to_string()))?;
    if demo && needs_demo_data(&ledger)? {
        giamngheo_core::populate::populate(&mut ledger, DEMO_HOUSEHOLDS, DEMO_SEED)
            .map_err(|e| ShellError::open_failed(path, &e.to_string()))?;
    }
    Ok(ledger)
}

fn needs_demo_data(ledger: &Ledger) -> Result<bool, ShellError> {
    if ledger.setup_info()?.is_none() {
        return Ok(true);
    }
    let page = ledger.list_households(&giamngheo_core::register::HouseholdQuery {
        search: None,
        village_id: None,
        flags: Vec::new(),
        offset: 0,
        limit: 1,
    })?;
    Ok(page.total == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn db_argument_wins_over_environment_and_demo() {
        let c = DbChoice::from_args_and_env(
            &s(&["--demo", "--db", "/tmp/a.db"]),
            Some("/tmp/b.db".into()),
            None,
        );
        assert_eq!(c, DbChoice::Explicit(PathBuf::from("/tmp/a.db")));
        let c = DbChoice::from_args_and_env(&s(&["--db=/tmp/c.db"]), None, None);
        assert_eq!(c, DbChoice::Explicit(PathBuf::from("/tmp/c.db")));
    }

    #[test]
    fn environment_database_wins_over_demo_switch() {
        let c = DbChoice::from_args_and_env(&s(&["--demo"]), Some("/tmp/b.db".into()), None);
        assert_eq!(c, DbChoice::Explicit(PathBuf::from("/tmp/b.db")));
    }

    #[test]
    fn demo_switch_from_argument_or_environment() {
        assert_eq!(
            DbChoice::from_args_and_env(&s(&["--demo"]), None, None),
            DbChoice::Demo
        );
        assert_eq!(
            DbChoice::from_args_and_env(&[], None, Some("1".into())),
            DbChoice::Demo
        );
        assert_eq!(
            DbChoice::from_args_and_env(&[], Some("  ".into()), None),
            DbChoice::Default
        );
        assert_eq!(
            DbChoice::from_args_and_env(&s(&["--db"]), None, None),
            DbChoice::Default
        );
    }

    #[test]
    fn a_file_that_is_not_a_ledger_is_refused_untouched_and_stays_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("not-a-ledger.db");
        let bytes = b"hello, not sqlite\n".repeat(200);
        std::fs::write(&path, &bytes).expect("write");
        let mut slot = Slot::NotOpened;
        let err = ensure_open(&mut slot, &path, false).expect_err("refused");
        assert_eq!(err.kind, "open_failed");
        assert_eq!(
            err.path.as_deref(),
            Some(path.display().to_string().as_str())
        );
        assert!(!err.message.is_empty());
        // The second call reports the same error without trying again.
        let again = ensure_open(&mut slot, &path, false).expect_err("still refused");
        assert_eq!(again, err);
        assert_eq!(std::fs::read(&path).expect("still there"), bytes);
    }

    #[test]
    fn a_missing_file_in_a_missing_folder_is_created_as_a_new_ledger() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a/b/giamngheo.db");
        let mut slot = Slot::NotOpened;
        let ledger = ensure_open(&mut slot, &path, false).expect("opened");
        assert!(
            ledger.setup_info().expect("info").is_none(),
            "first run: no setup yet"
        );
        assert!(path.exists());
    }

    #[test]
    fn default_and_demo_files_live_in_the_app_data_folder() {
        let dir = Path::new("/data/vn.giamngheo.app");
        assert_eq!(DbChoice::Default.path_in(dir), dir.join("giamngheo.db"));
        assert_eq!(DbChoice::Demo.path_in(dir), dir.join("demo.db"));
    }
}
