//! CSV renderer (xuất CSV): the document's tables as UTF-8 with a byte-order mark (so Excel on
//! Windows reads Vietnamese correctly), RFC 4180 quoting, CRLF line ends and one header row per
//! table (merged header cells flattened as "Hộ nghèo - Số hộ"). Headings, prose and signatures
//! are not exported: CSV is for data.

use super::model::*;
use super::Progress;
use crate::error::Result;

/// The UTF-8 byte-order mark every CSV starts with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How numbers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvNumbers {
    /// Machine values: `1500000`, `0.44`, percentages in percent units `12.5` (the default).
    Plain,
    /// As printed: `1.500.000`, `0,44`, `12,5%` (always quoted when they contain a comma).
    Vietnamese,
}

/// Quotes one field per RFC 4180 when it contains a comma, quote, CR or LF.
pub fn quote(field: &str) -> String {
    let field = super::format::nfc(field);
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.into_owned()
    }
}

fn plain_number(v: &Value) -> String {
    match v {
        Value::Int(n) => n.to_string(),
        Value::Decimal { value, places } | Value::Percent { value, places } => {
            super::format::format_plain_decimal(*value, *places)
        }
        other => other.display(),
    }
}

/// Renders the tables of `doc` with plain machine numbers.
pub fn render_csv(doc: &Document) -> Result<Vec<u8>> {
    render_csv_with(doc, CsvNumbers::Plain)
}

/// Renders the tables of `doc`; several tables are separated by an empty line.
pub fn render_csv_with(doc: &Document, numbers: CsvNumbers) -> Result<Vec<u8>> {
    render_csv_full(doc, numbers, &mut Progress::none())
}

/// Renders the tables of `doc`, reporting progress and honouring cancellation.
pub fn render_csv_full(
    doc: &Document,
    numbers: CsvNumbers,
    progress: &mut Progress<'_>,
) -> Result<Vec<u8>> {
    doc.validate()?;
    let mut out = String::new();
    for (i, t) in doc.tables().enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let header = t.flat_header()?;
        let line: Vec<String> = header.iter().map(|h| quote(h)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
        for row in &t.rows {
            progress.row()?;
            let mut fields = Vec::with_capacity(t.columns.len());
            for cell in &row.cells {
                let text = match numbers {
                    CsvNumbers::Plain => plain_number(&cell.value),
                    CsvNumbers::Vietnamese => cell.value.display(),
                };
                fields.push(quote(&text));
                for _ in 1..cell.colspan.max(1) {
                    fields.push(String::new());
                }
            }
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
    }
    let mut bytes = Vec::with_capacity(out.len() + 3);
    bytes.extend_from_slice(BOM);
    bytes.extend_from_slice(out.as_bytes());
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(quote("Nguyễn Văn A"), "Nguyễn Văn A");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("nói \"không\""), "\"nói \"\"không\"\"\"");
        assert_eq!(quote("dòng 1\ndòng 2"), "\"dòng 1\ndòng 2\"");
    }
}
