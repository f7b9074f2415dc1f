//! Reports (báo cáo, biểu mẫu, danh sách): the document model, its four renderers (PDF with
//! embedded fonts, .xlsx, CSV, HTML print preview), Vietnamese formatting, and builders for the
//! official forms and lists over plain input structs. It deliberately reads no database: callers
//! fill the input structs from the ledger.

pub mod csv;
pub mod format;
pub mod forms;
pub mod html;
pub mod model;
pub mod pdf;
pub mod xlsx;

pub use csv::render_csv;
pub use html::render_html;
pub use model::*;
pub use pdf::render_pdf;
pub use xlsx::render_xlsx;

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
    match format {
        OutputFormat::Pdf => render_pdf(doc),
        OutputFormat::Xlsx => render_xlsx(doc),
        OutputFormat::Csv => render_csv(doc),
        OutputFormat::Html => Ok(render_html(doc)?.into_bytes()),
    }
}

/// Renders `doc` in `format` and writes it to `path`. Nothing is written when rendering fails.
pub fn write_file(
    doc: &Document,
    format: OutputFormat,
    path: &std::path::Path,
) -> crate::Result<()> {
    let bytes = render(doc, format)?;
    std::fs::write(path, bytes)?;
    Ok(())
}
