//! The IPC commands of the reports (báo cáo) and the dashboard (bảng điều khiển): the catalogue,
//! the dashboard, the yearly target, the HTML print preview, and the export to a file with
//! progress sent over a `tauri::ipc::Channel` and cancellation through `cancel_report`.
//! Deliberately builds no document and formats nothing itself: every number, every layout and
//! every Vietnamese message comes from `giamngheo_core::reports`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use giamngheo_core::reports::dashboard::Dashboard;
use giamngheo_core::reports::{
    self, html::render_html_fragment, OutputFormat, Progress, ReportInfo, ReportParams,
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

/// The cancel switch of the export in progress (one export at a time per window).
#[derive(Default)]
pub struct ExportControl {
    cancel: Arc<AtomicBool>,
}

/// One progress message of an export: table rows rendered out of the total.
#[derive(Debug, Clone, Serialize)]
pub struct ExportProgress {
    pub done: usize,
    pub total: usize,
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

/// The report as an HTML fragment (`<style>` + `<div class="gn-doc">`) for the A4 preview.
#[tauri::command(rename_all = "snake_case")]
pub async fn report_preview(
    state: State<'_, AppState>,
    name: String,
    params: ReportParams,
) -> CmdResult<String> {
    let doc = with_ledger(&state, move |l| l.build_report(&name, &params)).await?;
    blocking(move || render_html_fragment(&doc)).await
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
/// `on_progress`. A cancelled export (see [`cancel_report`]) fails with the core's Vietnamese
/// "cancelled" error and writes nothing. The ledger is only held while the document is built.
#[tauri::command(rename_all = "snake_case")]
pub async fn export_report(
    state: State<'_, AppState>,
    control: State<'_, ExportControl>,
    name: String,
    params: ReportParams,
    format: String,
    path: String,
    on_progress: Channel<ExportProgress>,
) -> CmdResult<String> {
    let format = OutputFormat::parse(&format)?;
    if path.trim().is_empty() {
        return Err(giamngheo_core::Error::Invalid("Chưa chọn nơi lưu tệp báo cáo.".into()).into());
    }
    let cancel = control.cancel.clone();
    cancel.store(false, Ordering::SeqCst);
    let doc = with_ledger(&state, move |l| l.build_report(&name, &params)).await?;
    if cancel.load(Ordering::SeqCst) {
        return Err(giamngheo_core::Error::Conflict(
            "Đã huỷ việc xuất báo cáo theo yêu cầu.".into(),
        )
        .into());
    }
    blocking(move || {
        let mut callback = |done: usize, total: usize| {
            // A closed channel (the screen was left) must not stop the export.
            let _ = on_progress.send(ExportProgress { done, total });
            !cancel.load(Ordering::SeqCst)
        };
        let mut progress = Progress::new(&doc, &mut callback);
        reports::write_file_with_progress(
            &doc,
            format,
            std::path::Path::new(&path),
            &mut progress,
        )?;
        Ok(path)
    })
    .await
}

/// Asks the export in progress to stop at its next progress report.
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
