//! Reports (báo cáo, biểu mẫu, danh sách): the document model, its four renderers (PDF with
//! embedded fonts, .xlsx, CSV, HTML print preview), Vietnamese formatting, and builders for the
//! official forms and lists over plain input structs. The form builders read no database; [`data`] and
//! [`catalog`] fill them from the ledger, [`dashboard`] and [`svg`] draw the dashboard.

pub mod catalog;
pub mod csv;
pub mod dashboard;
pub mod data;
pub mod format;
pub mod forms;
pub mod html;
pub mod model;
pub mod pdf;
pub mod svg;
pub mod xlsx;

pub use catalog::{
    catalog, report_info, ExportStage, ReportInfo, ReportKind, ReportNeeds, ReportParams,
};
pub use csv::render_csv;
pub use html::render_html;
pub use model::*;
pub use pdf::render_pdf;
pub use xlsx::render_xlsx;

/// The message of a cancelled build or export (đã hủy): an [`crate::Error::Conflict`] carrying
/// exactly this text; test it with [`is_cancelled`].
pub const CANCELLED: &str = "Đã hủy việc lập báo cáo theo yêu cầu; không có tệp nào được ghi.";

/// True when `e` is the "cancelled" outcome of a build or an export (not a failure).
pub fn is_cancelled(e: &crate::Error) -> bool {
    matches!(e, crate::Error::Conflict(m) if m == CANCELLED)
}

fn cancelled() -> crate::Error {
    crate::Error::Conflict(CANCELLED.into())
}

/// Progress and cancellation of building a report from the ledger (đọc dữ liệu, before any
/// rendering). The callback receives (rows read, rows expected) at the start of each phase,
/// every [`BuildProgress::STEP`] rows and at the end; returning `false` stops the build with
/// the [`CANCELLED`] error. Rows are survey rows of the round(s), then member rows when the
/// report lists members; "expected" grows as each phase learns its size.
pub struct BuildProgress<'a> {
    callback: Option<&'a mut dyn FnMut(usize, usize) -> bool>,
    done: usize,
    total: usize,
    since: usize,
}

impl<'a> BuildProgress<'a> {
    /// How many rows between two calls of the callback.
    pub const STEP: usize = 1000;

    /// No reporting, no cancellation.
    pub fn none() -> Self {
        BuildProgress {
            callback: None,
            done: 0,
            total: 0,
            since: 0,
        }
    }

    /// Reports to `callback` while building.
    pub fn new(callback: &'a mut dyn FnMut(usize, usize) -> bool) -> Self {
        BuildProgress {
            callback: Some(callback),
            done: 0,
            total: 0,
            since: 0,
        }
    }

    /// A phase of `rows` more rows starts: reports, and stops here when cancelled.
    pub(crate) fn expect(&mut self, rows: usize) -> crate::Result<()> {
        self.total += rows;
        self.report()
    }

    /// One row read that counts towards the total.
    pub(crate) fn row(&mut self) -> crate::Result<()> {
        self.done += 1;
        self.tick()
    }

    /// Work that does not count towards the total (rows scanned and skipped): only checks for
    /// cancellation every [`Self::STEP`] calls.
    pub(crate) fn tick(&mut self) -> crate::Result<()> {
        self.since += 1;
        if self.since >= Self::STEP {
            self.since = 0;
            self.report()?;
        }
        Ok(())
    }

    /// Reports now (phase boundaries), and stops when cancelled.
    pub(crate) fn report(&mut self) -> crate::Result<()> {
        if let Some(cb) = self.callback.as_mut() {
            if !cb(self.done, self.total.max(self.done)) {
                return Err(cancelled());
            }
        }
        Ok(())
    }

    /// The build is complete: the total becomes what was read.
    pub(crate) fn finish(&mut self) -> crate::Result<()> {
        self.total = self.done;
        self.report()
    }
}

/// Progress and cancellation of a long rendering (tiến độ, hủy). The callback receives
/// (table rows done, table rows in total) every [`Progress::STEP`] rows and once at the end;
/// returning `false` stops the rendering with a Vietnamese "cancelled" error and nothing is
/// written.
pub struct Progress<'a> {
    callback: Option<&'a mut dyn FnMut(usize, usize) -> bool>,
    done: usize,
    total: usize,
}

impl<'a> Progress<'a> {
    /// How many rows between two calls of the callback.
    pub const STEP: usize = 1000;

    /// No reporting, no cancellation.
    pub fn none() -> Self {
        Progress {
            callback: None,
            done: 0,
            total: 0,
        }
    }

    /// Reports to `callback` while rendering `doc`.
    pub fn new(doc: &Document, callback: &'a mut dyn FnMut(usize, usize) -> bool) -> Self {
        let total = doc.tables().map(|t| t.rows.len()).sum();
        Progress {
            callback: Some(callback),
            done: 0,
            total,
        }
    }

    /// One more table row rendered.
    pub(crate) fn row(&mut self) -> crate::Result<()> {
        self.done += 1;
        if self.done.is_multiple_of(Self::STEP) {
            self.report()?;
        }
        Ok(())
    }

    /// The rendering is complete.
    pub(crate) fn finish(&mut self) -> crate::Result<()> {
        self.report()
    }

    fn report(&mut self) -> crate::Result<()> {
        if let Some(cb) = self.callback.as_mut() {
            if !cb(self.done, self.total) {
                return Err(cancelled());
            }
        }
        Ok(())
    }
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OutputFormat {
    Pdf,
    Xlsx,
    Csv,
    Html,
}

impl OutputFormat {
    /// Parses "pdf", "xlsx", "csv", "html" (any case).
    pub fn parse(name: &str) -> crate::Result<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "pdf" => Ok(OutputFormat::Pdf),
            "xlsx" => Ok(OutputFormat::Xlsx),
            "csv" => Ok(OutputFormat::Csv),
            "html" | "htm" => Ok(OutputFormat::Html),
            other => Err(crate::Error::Invalid(format!(
                "Định dạng \"{other}\" không được hỗ trợ; chọn một trong: pdf, xlsx, csv, html."
            ))),
        }
    }
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Pdf => "pdf",
            OutputFormat::Xlsx => "xlsx",
            OutputFormat::Csv => "csv",
            OutputFormat::Html => "html",
        }
    }
}

/// Renders `doc` in `format` to bytes (HTML as UTF-8).
pub fn render(doc: &Document, format: OutputFormat) -> crate::Result<Vec<u8>> {
    render_with_progress(doc, format, &mut Progress::none())
}

/// Renders `doc` in `format`, reporting progress and honouring cancellation.
pub fn render_with_progress(
    doc: &Document,
    format: OutputFormat,
    progress: &mut Progress<'_>,
) -> crate::Result<Vec<u8>> {
    let bytes = match format {
        OutputFormat::Pdf => pdf::render_pdf_with(doc, progress)?,
        OutputFormat::Xlsx => xlsx::render_xlsx_with(doc, progress)?,
        OutputFormat::Csv => csv::render_csv_full(doc, csv::CsvNumbers::Plain, progress)?,
        OutputFormat::Html => html::render_html_with(doc, progress)?.into_bytes(),
    };
    progress.finish()?;
    Ok(bytes)
}

/// Renders `doc` in `format` and writes it to `path`. Nothing is written when rendering fails.
pub fn write_file(
    doc: &Document,
    format: OutputFormat,
    path: &std::path::Path,
) -> crate::Result<()> {
    write_file_with_progress(doc, format, path, &mut Progress::none())
}

/// [`write_file`] with progress and cancellation; a cancelled export writes nothing.
pub fn write_file_with_progress(
    doc: &Document,
    format: OutputFormat,
    path: &std::path::Path,
    progress: &mut Progress<'_>,
) -> crate::Result<()> {
    let bytes = render_with_progress(doc, format, progress)?;
    std::fs::write(path, bytes)?;
    Ok(())
}
