//! .xlsx renderer (xuất Excel) with `rust_xlsxwriter`: one worksheet holding the document's
//! heading, paragraphs, tables (merged header cells, borders, column widths, frozen header,
//! header rows repeated on every printed page) and signatures, set up for A4 printing.
//! It does not try to reproduce the PDF's exact line breaks.
//!
//! Numbers are real numeric cells: integers use the format `#,##0`, decimals `#,##0.00`,
//! percentages are stored as fractions with `0.0%`. Excel and LibreOffice draw the separators
//! from the reader's locale, so on a Vietnamese system 1500000 shows as "1.500.000" and 0.44 as
//! "0,44" (on an English system "1,500,000"); the value stays a number that sums and sorts.

use std::collections::HashMap;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use super::format::nfc;
use super::model::*;
use super::Progress;
use crate::error::{Error, Result};

fn xerr(e: XlsxError) -> Error {
    Error::Invalid(format!("Không tạo được tệp Excel: {e}."))
}

/// Characters of spreadsheet width spread over the columns of the widest table.
fn page_chars(o: Orientation) -> f64 {
    match o {
        Orientation::Portrait => 95.0,
        Orientation::Landscape => 140.0,
    }
}

/// A worksheet name Excel accepts: no `[]:*?/\`, at most 31 characters.
pub fn sheet_name(title: &str) -> String {
    let cleaned: String = nfc(title)
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') && !c.is_control())
        .collect();
    let trimmed = cleaned.trim().trim_matches('\'');
    let name: String = trimmed.chars().take(31).collect();
    if name.trim().is_empty() {
        "Danh sách".to_string()
    } else {
        name.trim().to_string()
    }
}

fn h_align(a: Align) -> FormatAlign {
    match a {
        Align::Left => FormatAlign::Left,
        Align::Center => FormatAlign::Center,
        Align::Right => FormatAlign::Right,
        Align::Justify => FormatAlign::Justify,
    }
}

fn base() -> Format {
    Format::new()
        .set_font_name("Times New Roman")
        .set_font_size(12)
}

fn estimate_lines(text: &str, width_chars: f64) -> usize {
    let w = width_chars.max(4.0);
    text.split('\n')
        .map(|l| ((l.chars().count() as f64 * 1.1) / w).ceil().max(1.0) as usize)
        .sum()
}

struct Sheet<'a> {
    ws: &'a mut Worksheet,
    ncols: u16,
    row: u32,
    widths: Vec<f64>,
    cell_formats: HashMap<(usize, u8, String), Format>,
}

impl Sheet<'_> {
    fn merged_text(
        &mut self,
        c0: u16,
        c1: u16,
        text: &str,
        fmt: &Format,
        lines_hint: usize,
    ) -> Result<()> {
        if c1 > c0 {
            self.ws
                .merge_range(self.row, c0, self.row, c1, &nfc(text), fmt)
                .map_err(xerr)?;
        } else {
            self.ws
                .write_string_with_format(self.row, c0, nfc(text).as_ref(), fmt)
                .map_err(xerr)?;
        }
        let width: f64 = self
            .widths
            .iter()
            .skip(usize::from(c0))
            .take(usize::from(c1 - c0) + 1)
            .sum();
        let lines = estimate_lines(text, width).max(lines_hint);
        if lines > 1 {
            self.ws
                .set_row_height(self.row, 16.0 * lines as f64)
                .map_err(xerr)?;
        }
        Ok(())
    }

    fn paragraph(&mut self, p: &Paragraph) -> Result<()> {
        let text = p.plain_text();
        let bold = !p.runs.is_empty() && p.runs.iter().all(|r| r.bold);
        let italic = !p.runs.is_empty() && p.runs.iter().all(|r| r.italic);
        let mut fmt = base()
            .set_align(h_align(p.align))
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap();
        if bold {
            fmt = fmt.set_bold();
        }
        if italic {
            fmt = fmt.set_italic();
        }
        if let Some(size) = p.size {
            fmt = fmt.set_font_size(size);
        }
        let text = if p.leader {
            format!("{text} ……………………")
        } else {
            text
        };
        self.merged_text(0, self.ncols - 1, &text, &fmt, 1)?;
        self.row += 1;
        Ok(())
    }

    fn admin_header(&mut self, h: &AdminHeader) -> Result<()> {
        let mut left = h.issuer_lines.clone();
        if let Some(n) = &h.number {
            left.push(n.clone());
        }
        let mut right = Vec::new();
        if h.national_title {
            right.push(NATIONAL_TITLE.to_string());
            right.push(MOTTO.to_string());
        }
        if let Some(pd) = &h.place_date {
            right.push(pd.text());
        }
        let fmt = base()
            .set_bold()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::Top)
            .set_text_wrap();
        let lines = left.len().max(right.len()).max(1);
        if left.is_empty() || self.ncols < 2 {
            self.merged_text(0, self.ncols - 1, &right.join("\n"), &fmt, lines)?;
        } else {
            let split = (self.ncols * 2 / 5).max(1);
            self.merged_text(0, split - 1, &left.join("\n"), &fmt, lines)?;
            self.merged_text(split, self.ncols - 1, &right.join("\n"), &fmt, lines)?;
        }
        self.row += 2;
        Ok(())
    }

    fn cell_format(&mut self, col: usize, kind: RowKind, num_format: &str, align: Align) -> Format {
        let key = (col, kind as u8 * 10 + align as u8, num_format.to_string());
        if let Some(f) = self.cell_formats.get(&key) {
            return f.clone();
        }
        let mut f = base()
            .set_font_size(11)
            .set_border(FormatBorder::Thin)
            .set_text_wrap()
            .set_align(FormatAlign::Top)
            .set_align(h_align(align));
        match kind {
            RowKind::Group => f = f.set_bold().set_background_color(0xE0E0E0),
            RowKind::Subtotal | RowKind::Total => f = f.set_bold(),
            RowKind::Data | RowKind::Member => {}
        }
        if !num_format.is_empty() {
            f = f.set_num_format(num_format);
        }
        self.cell_formats.insert(key, f.clone());
        f
    }

    /// Writes the table; returns (first header row, last header row).
    fn table(&mut self, t: &Table, progress: &mut Progress<'_>) -> Result<(u32, u32)> {
        let placed = t.header_layout()?;
        let head_fmt = base()
            .set_font_size(11)
            .set_bold()
            .set_border(FormatBorder::Thin)
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_background_color(0xEDEDED);
        let first = self.row;
        let nrows = t.header.len() as u32;
        let mut sorted = placed;
        sorted.sort_by_key(|p| (p.row, p.col));
        // Row heights for wrapped header text.
        let mut lines_per_row = vec![1usize; t.header.len()];
        for p in &sorted {
            let w: f64 = self.widths.iter().skip(p.col).take(p.colspan).sum();
            let lines = estimate_lines(&p.text, w);
            let per = lines.div_ceil(p.rowspan);
            lines_per_row[p.row] = lines_per_row[p.row].max(per);
        }
        for (i, n) in lines_per_row.iter().enumerate() {
            self.ws
                .set_row_height(first + i as u32, 15.0 * (*n as f64) + 3.0)
                .map_err(xerr)?;
        }
        for p in &sorted {
            let r0 = first + p.row as u32;
            let r1 = r0 + p.rowspan as u32 - 1;
            let c0 = p.col as u16;
            let c1 = (p.col + p.colspan - 1) as u16;
            if r1 > r0 || c1 > c0 {
                self.ws
                    .merge_range(r0, c0, r1, c1, &nfc(&p.text), &head_fmt)
                    .map_err(xerr)?;
            } else {
                self.ws
                    .write_string_with_format(r0, c0, nfc(&p.text).as_ref(), &head_fmt)
                    .map_err(xerr)?;
            }
        }
        self.row = first + nrows;
        let last_header = self.row.saturating_sub(1);
        for row in &t.rows {
            progress.row()?;
            let mut col = 0usize;
            for cell in &row.cells {
                let span = usize::from(cell.colspan.max(1));
                let column = &t.columns[col];
                let align = if span > 1 {
                    if row.kind == RowKind::Group {
                        Align::Left
                    } else {
                        Align::Center
                    }
                } else {
                    column.align
                };
                let c0 = col as u16;
                let c1 = (col + span - 1) as u16;
                match &cell.value {
                    Value::Int(n) => {
                        let f = self.cell_format(col, row.kind, "#,##0", align);
                        self.ws
                            .write_number_with_format(self.row, c0, *n as f64, &f)
                            .map_err(xerr)?;
                    }
                    Value::Decimal { value, places } => {
                        let nf = if *places == 0 {
                            "#,##0".to_string()
                        } else {
                            format!("#,##0.{}", "0".repeat(usize::from(*places)))
                        };
                        let f = self.cell_format(col, row.kind, &nf, align);
                        self.ws
                            .write_number_with_format(self.row, c0, *value, &f)
                            .map_err(xerr)?;
                    }
                    Value::Percent { value, places } => {
                        let nf = if *places == 0 {
                            "0%".to_string()
                        } else {
                            format!("0.{}%", "0".repeat(usize::from(*places)))
                        };
                        let f = self.cell_format(col, row.kind, &nf, align);
                        self.ws
                            .write_number_with_format(self.row, c0, *value / 100.0, &f)
                            .map_err(xerr)?;
                    }
                    Value::Text(s) => {
                        let f = self.cell_format(col, row.kind, "", align);
                        if span > 1 {
                            self.ws
                                .merge_range(self.row, c0, self.row, c1, &nfc(s), &f)
                                .map_err(xerr)?;
                        } else {
                            self.ws
                                .write_string_with_format(self.row, c0, nfc(s).as_ref(), &f)
                                .map_err(xerr)?;
                        }
                    }
                    Value::Empty => {
                        let f = self.cell_format(col, row.kind, "", align);
                        if span > 1 {
                            self.ws
                                .merge_range(self.row, c0, self.row, c1, "", &f)
                                .map_err(xerr)?;
                        } else {
                            self.ws.write_blank(self.row, c0, &f).map_err(xerr)?;
                        }
                    }
                }
                if span > 1 && cell.value.is_number() {
                    let f = self.cell_format(col, row.kind, "", align);
                    for c in c0 + 1..=c1 {
                        self.ws.write_blank(self.row, c, &f).map_err(xerr)?;
                    }
                }
                col += span;
            }
            self.row += 1;
        }
        self.row += 1;
        Ok((first, last_header))
    }

    fn signatures(&mut self, s: &SignatureBlock) -> Result<()> {
        let n = s.signers.len() as u16;
        let fmt = base()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::Top)
            .set_text_wrap();
        let mut texts = Vec::new();
        for g in &s.signers {
            let mut lines = Vec::new();
            if let Some(pd) = &g.place_date {
                lines.push(pd.text());
            }
            lines.extend(g.title_lines.iter().cloned());
            if let Some(note) = &g.note {
                lines.push(note.clone());
            }
            lines.push(String::new());
            lines.push(String::new());
            if let Some(name) = &g.name {
                lines.push(name.clone());
            }
            texts.push(lines.join("\n"));
        }
        let max_lines = texts.iter().map(|t| t.lines().count()).max().unwrap_or(1);
        let start = if s.recipients.is_empty() {
            0
        } else {
            self.ncols / 2
        };
        if !s.recipients.is_empty() {
            let rec = format!("Nơi nhận:\n{}", s.recipients.join("\n"));
            let f = base()
                .set_font_size(11)
                .set_align(FormatAlign::Left)
                .set_align(FormatAlign::Top)
                .set_text_wrap();
            let end = start.saturating_sub(1);
            self.merged_text(0, end, &rec, &f, s.recipients.len() + 1)?;
        }
        if n > 0 {
            let avail = self.ncols - start;
            if n == 1 && s.recipients.is_empty() {
                let c0 = self.ncols / 2;
                self.merged_text(
                    c0.min(self.ncols - 1),
                    self.ncols - 1,
                    &texts[0],
                    &fmt,
                    max_lines,
                )?;
            } else {
                let each = (avail / n).max(1);
                for (i, t) in texts.iter().enumerate() {
                    let c0 = start + each * i as u16;
                    let c1 = if i as u16 + 1 == n {
                        self.ncols - 1
                    } else {
                        c0 + each - 1
                    };
                    if c0 < self.ncols {
                        self.merged_text(c0, c1.min(self.ncols - 1), t, &fmt, max_lines)?;
                    }
                }
            }
        }
        self.row += 1;
        Ok(())
    }
}

/// Renders `doc` as an .xlsx workbook in memory (one worksheet).
pub fn render_xlsx(doc: &Document) -> Result<Vec<u8>> {
    render_xlsx_with(doc, &mut Progress::none())
}

/// Rows of one Excel worksheet (1.048.576).
pub const MAX_SHEET_ROWS: usize = 1_048_576;

/// Refuses, before anything is rendered, a document whose rows do not fit one worksheet of
/// `limit` rows (an office-wide list with members can pass Excel's limit), with a Vietnamese
/// message saying what to do instead.
pub fn check_fits(doc: &Document, limit: usize) -> Result<()> {
    let needed: usize = doc
        .blocks
        .iter()
        .map(|b| match b {
            Block::Table(t) => t.header.len() + t.rows.len() + 1,
            _ => 3,
        })
        .sum::<usize>()
        + 10;
    if needed > limit {
        return Err(Error::Invalid(format!(
            "“{}” cần khoảng {} dòng, nhiều hơn giới hạn {} dòng của một trang tính Excel: không ghi tệp. Hãy xuất tệp CSV hoặc PDF, hoặc lập riêng từng thôn/xóm.",
            doc.title,
            super::format::format_int(needed as i64),
            super::format::format_int(limit as i64)
        )));
    }
    Ok(())
}

/// Renders `doc` as .xlsx, reporting progress and honouring cancellation.
pub fn render_xlsx_with(doc: &Document, progress: &mut Progress<'_>) -> Result<Vec<u8>> {
    doc.validate()?;
    check_fits(doc, MAX_SHEET_ROWS)?;
    let widest = doc.tables().max_by_key(|t| t.columns.len());
    let (ncols, widths): (u16, Vec<f64>) = match widest {
        Some(t) => {
            let total: f64 = t.columns.iter().map(|c| f64::from(c.width.max(0.1))).sum();
            let scale = page_chars(doc.orientation) / total;
            let n = u16::try_from(t.columns.len())
                .map_err(|_| Error::Invalid("Bảng có quá nhiều cột cho Excel.".into()))?;
            (
                n,
                t.columns
                    .iter()
                    .map(|c| (f64::from(c.width.max(0.1)) * scale).max(3.0))
                    .collect(),
            )
        }
        None => (8, vec![page_chars(doc.orientation) / 8.0; 8]),
    };
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet_with_constant_memory();
    ws.set_name(sheet_name(&doc.title)).map_err(xerr)?;
    ws.set_paper_size(9);
    match doc.orientation {
        Orientation::Landscape => {
            ws.set_landscape();
        }
        Orientation::Portrait => {
            ws.set_portrait();
        }
    }
    // Inches: left 30 mm, right 15 mm, top 20 mm, bottom 20 mm.
    ws.set_margins(1.18, 0.59, 0.79, 0.79, 0.3, 0.3);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_print_center_horizontally(true);
    ws.set_footer("&CTrang &P/&N");
    for (i, w) in widths.iter().enumerate() {
        ws.set_column_width(i as u16, *w).map_err(xerr)?;
    }
    let mut sheet = Sheet {
        ws,
        ncols: ncols.max(1),
        row: 0,
        widths,
        cell_formats: HashMap::new(),
    };
    if let Some(h) = &doc.header {
        sheet.admin_header(h)?;
    }
    let mut first_table: Option<(u32, u32)> = None;
    for block in &doc.blocks {
        match block {
            Block::Paragraph(p) => sheet.paragraph(p)?,
            Block::Table(t) => {
                let range = sheet.table(t, progress)?;
                if first_table.is_none() {
                    first_table = Some(range);
                }
            }
            Block::Signatures(s) => sheet.signatures(s)?,
            Block::Spacer(_) => sheet.row += 1,
            Block::PageBreak | Block::Section(_) => sheet.row += 1,
        }
    }
    if let Some((first, last)) = first_table {
        sheet.ws.set_freeze_panes(last + 1, 0).map_err(xerr)?;
        sheet.ws.set_repeat_rows(first, last).map_err(xerr)?;
    }
    wb.save_to_buffer().map_err(xerr)
}
