//! The IPC commands of the reports (báo cáo) and the dashboard (bảng điều khiển): the catalogue,
//! the dashboard, the yearly target, the HTML print preview, and the export to a file with
//! progress sent over a `tauri::ipc::Channel` (reading the ledger, then rendering) and
//! cancellation through `cancel_report`, honoured in both stages.
//! Deliberately builds no document and formats nothing itself: every number, every layout and
//! every Vietnamese message comes from `giamngheo_core::reports`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use giamngheo_core::reports::dashboard::Dashboard;
use giamngheo_core::reports::{
    self, html::render_html_fragment, is_cancelled, BuildProgress, ExportStage, OutputFormat,
    Progress, ReportInfo, ReportParams,
};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use crate::commands::with_ledger;
use crate::error::ShellError;
use crate::state::AppState;

type CmdResult<T> = Result<T, ShellError>;

/// Environment variable of the E2E test hook: when set, exports go to `<dir>/<name>.<ext>`
/// without the native save dialog (which WebDriver cannot drive).
pub const EXPORT_DIR_ENV: &str = "GIAMNGHEO_EXPORT_DIR";

/// TEST HOOK (E2E only): when set to a number of milliseconds, every progress report of an
/// export waits that long — returning as soon as the export is cancelled — so a real-window
/// test can cancel a small report deterministically. Unset in normal use.
pub const TEST_STEP_MS_ENV: &str = "GIAMNGHEO_TEST_REPORT_STEP_MS";

/// The cancel switch of the export in progress (one export at a time per window).
#[derive(Default)]
pub struct ExportControl {
    cancel: Arc<AtomicBool>,
}

/// One progress message of an export: rows read from the ledger (`reading`) or table rows
/// rendered (`rendering`) out of the total.
#[derive(Debug, Clone, Serialize)]
pub struct ExportProgress {
    pub stage: ExportStage,
    pub done: usize,
    pub total: usize,
}

/// How an export ended when it did not fail: written, or cancelled with nothing written.
#[derive(Debug, Clone, Serialize)]
pub struct ExportOutcome {
    pub cancelled: bool,
    /// The file written (`None` when cancelled).
    pub path: Option<String>,
    /// Vietnamese sentence for the status line.
    pub message: String,
}

impl ExportOutcome {
    fn cancelled() -> Self {
        ExportOutcome {
            cancelled: true,
            path: None,
            message: reports::CANCELLED.into(),
        }
    }
}

/// The test hook's pause (see [`TEST_STEP_MS_ENV`]); nothing when the variable is unset.
fn test_hook_pause(step: Option<u64>, cancel: &AtomicBool) {
    let Some(ms) = step else { return };
    let until = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    while std::time::Instant::now() < until && !cancel.load(Ordering::SeqCst) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[tauri::command(rename_all = "snake_case")]
pub async fn report_catalog() -> CmdResult<Vec<ReportInfo>> {
    Ok(reports::catalog())
}

#[tauri::command(rename_all = "snake_case")]
pub async fn dashboard(state: State<'_, AppState>) -> CmdResult<Dashboard> {
    with_ledger(&state, |l| l.dashboard()).await
}

/// Sets the yearly poverty-rate target ("0,44" or "0,44%"); empty clears it. Returns the
/// dashboard as it is now.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_poverty_target(state: State<'_, AppState>, text: String) -> CmdResult<Dashboard> {
    with_ledger(&state, move |l| {
        l.set_poverty_target(&text)?;
        l.dashboard()
    })
    .await
}

/// The report as an HTML fragment (`<style>` + `<div class="gn-doc">`) for the A4 preview, with
/// progress while the ledger is read on `on_progress`; `None` when cancelled ([`cancel_report`]).
#[tauri::command(rename_all = "snake_case")]
pub async fn report_preview(
    state: State<'_, AppState>,
    control: State<'_, ExportControl>,
    name: String,
    params: ReportParams,
    on_progress: Channel<ExportProgress>,
) -> CmdResult<Option<String>> {
    let cancel = control.cancel.clone();
    let Some(doc) = build_with_progress(&state, cancel.clone(), on_progress, name, params).await?
    else {
        return Ok(None);
    };
    let html = blocking(move || render_html_fragment(&doc)).await?;
    Ok((!cancel.load(Ordering::SeqCst)).then_some(html))
}

/// Builds a report, reporting each step of reading the ledger on `channel` and stopping when
/// `cancel` is set (`None`). Resets `cancel` first: one export or preview at a time per window.
async fn build_with_progress(
    state: &State<'_, AppState>,
    cancel: Arc<AtomicBool>,
    channel: Channel<ExportProgress>,
    name: String,
    params: ReportParams,
) -> CmdResult<Option<reports::Document>> {
    let step: Option<u64> = std::env::var(TEST_STEP_MS_ENV)
        .ok()
        .and_then(|v| v.parse().ok());
    cancel.store(false, Ordering::SeqCst);
    let built = with_ledger(state, move |l| {
        let mut callback = |done: usize, total: usize| {
            // A closed channel (the screen was left) must not stop the work.
            let _ = channel.send(ExportProgress {
                stage: ExportStage::Reading,
                done,
                total,
            });
            test_hook_pause(step, &cancel);
            !cancel.load(Ordering::SeqCst)
        };
        Ok(l.build_report_with(&name, &params, &mut BuildProgress::new(&mut callback)))
    })
    .await?;
    match built {
        Ok(doc) => Ok(Some(doc)),
        Err(e) if is_cancelled(&e) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Where the test hook wants `name` exported in `format`, or `None` (then the UI asks the user
/// with the save dialog).
#[tauri::command(rename_all = "snake_case")]
pub async fn report_export_hook(name: String, format: String) -> CmdResult<Option<String>> {
    let format = OutputFormat::parse(&format)?;
    Ok(std::env::var_os(EXPORT_DIR_ENV)
        .filter(|d| !d.is_empty())
        .map(|d| {
            PathBuf::from(d)
                .join(format!("{name}.{}", format.extension()))
                .display()
                .to_string()
        }))
}

/// Builds the report, renders it in `format` and writes `path`, sending progress on
/// `on_progress`. Cancelled (see [`cancel_report`]) while reading the ledger or while rendering,
/// it returns `cancelled: true` and writes nothing (the file is written in one piece at the
/// end). The ledger is only held while the document is built.
#[tauri::command(rename_all = "snake_case")]
pub async fn export_report(
    state: State<'_, AppState>,
    control: State<'_, ExportControl>,
    name: String,
    params: ReportParams,
    format: String,
    path: String,
    on_progress: Channel<ExportProgress>,
) -> CmdResult<ExportOutcome> {
    let format = OutputFormat::parse(&format)?;
    if path.trim().is_empty() {
        return Err(giamngheo_core::Error::Invalid("Chưa chọn nơi lưu tệp báo cáo.".into()).into());
    }
    let step: Option<u64> = std::env::var(TEST_STEP_MS_ENV)
        .ok()
        .and_then(|v| v.parse().ok());
    let cancel = control.cancel.clone();
    let Some(doc) =
        build_with_progress(&state, cancel.clone(), on_progress.clone(), name, params).await?
    else {
        return Ok(ExportOutcome::cancelled());
    };
    blocking(move || {
        let mut callback = |done: usize, total: usize| {
            let _ = on_progress.send(ExportProgress {
                stage: ExportStage::Rendering,
                done,
                total,
            });
            test_hook_pause(step, &cancel);
            !cancel.load(Ordering::SeqCst)
        };
        let mut progress = Progress::new(&doc, &mut callback);
        match reports::write_file_with_progress(
            &doc,
            format,
            std::path::Path::new(&path),
            &mut progress,
        ) {
            Ok(()) => Ok(ExportOutcome {
                cancelled: false,
                message: format!("Đã xuất báo cáo ra tệp: {path}"),
                path: Some(path),
            }),
            Err(e) if is_cancelled(&e) => Ok(ExportOutcome::cancelled()),
            Err(e) => Err(e),
        }
    })
    .await
}

/// Asks the export in progress to stop at its next progress report (reading or rendering).
#[tauri::command(rename_all = "snake_case")]
pub async fn cancel_report(control: State<'_, ExportControl>) -> CmdResult<()> {
    control.cancel.store(true, Ordering::SeqCst);
    Ok(())
}

/// Runs a core computation that needs no ledger on a blocking thread.
async fn blocking<T, F>(f: F) -> CmdResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, giamngheo_core::Error> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(move || f().map_err(ShellError::from))
        .await
        .map_err(|e| ShellError::internal(&format!("Lỗi nội bộ khi xử lý yêu cầu: {e}")))?
}
