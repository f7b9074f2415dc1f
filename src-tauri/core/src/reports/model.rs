//! The document model (mô hình văn bản) every renderer draws: an official Vietnamese
//! administrative document or list as plain data. It does not know about the ledger, files or
//! output formats; renderers in the sibling modules turn it into PDF, .xlsx, CSV and HTML.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Page orientation on A4 paper (hướng giấy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Orientation {
    Portrait,
    Landscape,
}

/// Horizontal alignment of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Align {
    Left,
    Center,
    Right,
    /// Justified in HTML; PDF and spreadsheets set it flush left.
    Justify,
}

/// The place-and-date line (địa danh, ngày tháng năm): "Sơn Lộ, ngày 05 tháng 11 năm 2026";
/// without a date it prints blanks to be filled in by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceDate {
    pub place: String,
    pub date: Option<NaiveDate>,
}

impl PlaceDate {
    pub fn new(place: impl Into<String>, date: Option<NaiveDate>) -> Self {
        PlaceDate {
            place: place.into(),
            date,
        }
    }
    /// The line as printed.
    pub fn text(&self) -> String {
        super::format::place_date_line(&self.place, self.date)
    }
}

/// The standard heading of an administrative document (thể thức văn bản, Nghị định 30/2020):
/// issuing body on the left, national title and motto on the right, number under the body,
/// place and date under the motto.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AdminHeader {
    /// Issuing body (cơ quan ban hành), top to bottom, e.g. `["UỶ BAN NHÂN DÂN", "XÃ SƠN LỘ"]`.
    /// The last line is printed bold with a short rule under it. Empty for documents written by
    /// a household (Mẫu 01, Mẫu 04): the national title is then centred across the page.
    pub issuer_lines: Vec<String>,
    /// The number line as printed, e.g. `"Số: 12/QĐ-UBND"` or `"Số: …/GCN-HN.HCN"`.
    pub number: Option<String>,
    /// Print "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" and the underlined motto.
    pub national_title: bool,
    /// The place-and-date line under the motto (italic).
    pub place_date: Option<PlaceDate>,
}

/// The national title (quốc hiệu).
pub const NATIONAL_TITLE: &str = "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM";
/// The motto (tiêu ngữ), printed underlined.
pub const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";

/// A piece of text with one style.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
}

impl Run {
    pub fn plain(text: impl Into<String>) -> Self {
        Run {
            text: text.into(),
            bold: false,
            italic: false,
        }
    }
    pub fn bold(text: impl Into<String>) -> Self {
        Run {
            text: text.into(),
            bold: true,
            italic: false,
        }
    }
    pub fn italic(text: impl Into<String>) -> Self {
        Run {
            text: text.into(),
            bold: false,
            italic: true,
        }
    }
}

/// A paragraph of one or more runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paragraph {
    pub runs: Vec<Run>,
    pub align: Align,
    /// Font size in points; `None` = the document's body size (13 pt).
    pub size: Option<f32>,
    /// First-line indent in millimetres (Vietnamese prose uses about 10 mm).
    pub indent_mm: f32,
    /// Fill the rest of the last line with dots (a blank to write on: "Họ và tên: ………").
    pub leader: bool,
    /// Extra space after the paragraph in points.
    pub space_after: f32,
}

impl Paragraph {
    pub fn new(runs: Vec<Run>) -> Self {
        Paragraph {
            runs,
            align: Align::Left,
            size: None,
            indent_mm: 0.0,
            leader: false,
            space_after: 3.0,
        }
    }
    /// Plain text, flush left.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(vec![Run::plain(text)])
    }
    /// Body prose: justified with a first-line indent.
    pub fn prose(text: impl Into<String>) -> Self {
        let mut p = Self::text(text);
        p.align = Align::Justify;
        p.indent_mm = 10.0;
        p
    }
    /// A centred bold title line ("QUYẾT ĐỊNH", "DANH SÁCH HỘ NGHÈO …").
    pub fn title(text: impl Into<String>) -> Self {
        let mut p = Self::new(vec![Run::bold(text)]);
        p.align = Align::Center;
        p.size = Some(14.0);
        p.space_after = 2.0;
        p
    }
    /// A centred italic line (the "Kèm theo Quyết định số …" subtitle).
    pub fn subtitle(text: impl Into<String>) -> Self {
        let mut p = Self::new(vec![Run::italic(text)]);
        p.align = Align::Center;
        p.space_after = 6.0;
        p
    }
    /// `label` followed by `value`, or by dots to write on when `value` is empty.
    pub fn field(label: impl Into<String>, value: &str) -> Self {
        let mut p = Self::new(vec![Run::plain(label)]);
        if value.trim().is_empty() {
            p.leader = true;
        } else {
            p.runs.push(Run::plain(value.to_string()));
        }
        p.space_after = 2.0;
        p
    }
    pub fn align(mut self, align: Align) -> Self {
        self.align = align;
        self
    }
    pub fn size(mut self, size: f32) -> Self {
        self.size = Some(size);
        self
    }
    /// The whole text without styles.
    pub fn plain_text(&self) -> String {
        let mut s = String::new();
        for r in &self.runs {
            s.push_str(&r.text);
        }
        s
    }
}

/// What a table column holds; decides the spreadsheet cell type and the default alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnKind {
    Text,
    /// Whole numbers (counts, đồng), printed "1.500.000".
    Integer,
    /// Decimal numbers with the given places, printed "0,44".
    Decimal(u8),
    /// Percent values (in percent units: 12.5 means 12,5%), printed "12,5%".
    Percent(u8),
}

/// A leaf column of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Relative width; the PDF and HTML scale all columns to the printable width, the .xlsx
    /// uses `width × 1.0` characters.
    pub width: f32,
    pub align: Align,
    pub kind: ColumnKind,
}

impl Column {
    pub fn text(width: f32) -> Self {
        Column {
            width,
            align: Align::Left,
            kind: ColumnKind::Text,
        }
    }
    pub fn centered(width: f32) -> Self {
        Column {
            width,
            align: Align::Center,
            kind: ColumnKind::Text,
        }
    }
    pub fn integer(width: f32) -> Self {
        Column {
            width,
            align: Align::Right,
            kind: ColumnKind::Integer,
        }
    }
    pub fn percent(width: f32, places: u8) -> Self {
        Column {
            width,
            align: Align::Right,
            kind: ColumnKind::Percent(places),
        }
    }
    pub fn decimal(width: f32, places: u8) -> Self {
        Column {
            width,
            align: Align::Right,
            kind: ColumnKind::Decimal(places),
        }
    }
}

/// A header cell; header rows are given like HTML: a cell covered by a row span from a row
/// above is simply not listed in the lower row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderCell {
    pub text: String,
    pub colspan: u16,
    pub rowspan: u16,
}

impl HeaderCell {
    pub fn new(text: impl Into<String>) -> Self {
        HeaderCell {
            text: text.into(),
            colspan: 1,
            rowspan: 1,
        }
    }
    pub fn span(text: impl Into<String>, colspan: u16, rowspan: u16) -> Self {
        HeaderCell {
            text: text.into(),
            colspan,
            rowspan,
        }
    }
}

/// A cell value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Empty,
    Text(String),
    /// A whole number (count, đồng).
    Int(i64),
    Decimal {
        value: f64,
        places: u8,
    },
    /// In percent units: 12.5 prints "12,5%".
    Percent {
        value: f64,
        places: u8,
    },
}

impl Value {
    /// The value as printed in Vietnamese style.
    pub fn display(&self) -> String {
        use super::format::*;
        match self {
            Value::Empty => String::new(),
            Value::Text(s) => s.clone(),
            Value::Int(n) => format_int(*n),
            Value::Decimal { value, places } => format_decimal(*value, *places),
            Value::Percent { value, places } => format_percent(*value, *places),
        }
    }
    pub fn is_number(&self) -> bool {
        matches!(
            self,
            Value::Int(_) | Value::Decimal { .. } | Value::Percent { .. }
        )
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

/// A body cell, possibly spanning several columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub value: Value,
    pub colspan: u16,
}

impl Cell {
    pub fn new(value: impl Into<Value>) -> Self {
        Cell {
            value: value.into(),
            colspan: 1,
        }
    }
    pub fn empty() -> Self {
        Cell {
            value: Value::Empty,
            colspan: 1,
        }
    }
    pub fn span(value: impl Into<Value>, colspan: u16) -> Self {
        Cell {
            value: value.into(),
            colspan,
        }
    }
}

/// The role of a body row; renderers style it (group rows shaded, totals bold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowKind {
    /// An ordinary row (a household, a village in a report).
    Data,
    /// A member row under its household (thành viên).
    Member,
    /// A group heading, e.g. one village (thôn) — usually one cell spanning the table.
    Group,
    /// A subtotal (cộng) of the group above.
    Subtotal,
    /// The grand total (tổng cộng).
    Total,
}

/// A body row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub kind: RowKind,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn data(cells: Vec<Cell>) -> Self {
        Row {
            kind: RowKind::Data,
            cells,
        }
    }
    pub fn new(kind: RowKind, cells: Vec<Cell>) -> Self {
        Row { kind, cells }
    }
    /// A group heading spanning `columns` columns.
    pub fn group(text: impl Into<String>, columns: u16) -> Self {
        Row {
            kind: RowKind::Group,
            cells: vec![Cell::span(Value::Text(text.into()), columns)],
        }
    }
}

/// A table with a multi-row merged header (tiêu đề bảng) repeated on every printed page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub columns: Vec<Column>,
    pub header: Vec<Vec<HeaderCell>>,
    pub rows: Vec<Row>,
    /// Font size in points for this table; `None` = 11 pt.
    pub font_size: Option<f32>,
}

/// Where a header cell sits once spans are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedHeader {
    pub row: usize,
    pub col: usize,
    pub rowspan: usize,
    pub colspan: usize,
    pub text: String,
}

impl Table {
    pub fn new(columns: Vec<Column>, header: Vec<Vec<HeaderCell>>) -> Self {
        Table {
            columns,
            header,
            rows: Vec::new(),
            font_size: None,
        }
    }

    /// Resolves the header rows into positioned cells and checks that they tile the
    /// `header.len() × columns.len()` grid exactly.
    pub fn header_layout(&self) -> Result<Vec<PlacedHeader>> {
        let ncols = self.columns.len();
        let nrows = self.header.len();
        let bad = |m: String| Error::Invalid(format!("Bảng \"tiêu đề\" không hợp lệ: {m}."));
        let mut taken = vec![vec![false; ncols]; nrows];
        let mut placed = Vec::new();
        for (r, cells) in self.header.iter().enumerate() {
            let mut c = 0usize;
            for cell in cells {
                while c < ncols && taken[r][c] {
                    c += 1;
                }
                let cs = usize::from(cell.colspan.max(1));
                let rs = usize::from(cell.rowspan.max(1));
                if c + cs > ncols {
                    return Err(bad(format!(
                        "dòng {} có ô \"{}\" vượt quá {} cột",
                        r + 1,
                        cell.text,
                        ncols
                    )));
                }
                if r + rs > nrows {
                    return Err(bad(format!("ô \"{}\" gộp quá số dòng tiêu đề", cell.text)));
                }
                for row in taken.iter_mut().skip(r).take(rs) {
                    for slot in row.iter_mut().skip(c).take(cs) {
                        if *slot {
                            return Err(bad(format!("ô \"{}\" chồng lên ô khác", cell.text)));
                        }
                        *slot = true;
                    }
                }
                placed.push(PlacedHeader {
                    row: r,
                    col: c,
                    rowspan: rs,
                    colspan: cs,
                    text: cell.text.clone(),
                });
                c += cs;
            }
        }
        for (r, row) in taken.iter().enumerate() {
            if let Some(c) = row.iter().position(|t| !t) {
                return Err(bad(format!("dòng {} thiếu ô ở cột {}", r + 1, c + 1)));
            }
        }
        Ok(placed)
    }

    /// One text per leaf column: the header cells above it joined with " - " (for CSV and
    /// other single-row headers).
    pub fn flat_header(&self) -> Result<Vec<String>> {
        let placed = self.header_layout()?;
        let mut out: Vec<Vec<String>> = vec![Vec::new(); self.columns.len()];
        let mut sorted = placed;
        sorted.sort_by_key(|p| (p.row, p.col));
        for p in sorted {
            for parts in out.iter_mut().skip(p.col).take(p.colspan) {
                let t = p.text.trim();
                if !t.is_empty() && parts.last().map(|l| l != t).unwrap_or(true) {
                    parts.push(t.to_string());
                }
            }
        }
        Ok(out.into_iter().map(|v| v.join(" - ")).collect())
    }

    /// Checks every body row covers exactly the table's columns.
    pub fn check_rows(&self) -> Result<()> {
        let ncols = self.columns.len();
        for (i, row) in self.rows.iter().enumerate() {
            let width: usize = row
                .cells
                .iter()
                .map(|c| usize::from(c.colspan.max(1)))
                .sum();
            if width != ncols {
                return Err(Error::Invalid(format!(
                    "Dòng {} của bảng có {} cột nhưng bảng có {} cột.",
                    i + 1,
                    width,
                    ncols
                )));
            }
        }
        Ok(())
    }

    /// Full validation: header tiling and body row widths.
    pub fn validate(&self) -> Result<()> {
        if self.columns.is_empty() {
            return Err(Error::Invalid("Bảng không có cột nào.".into()));
        }
        if let Some(i) = self
            .columns
            .iter()
            .position(|c| !(c.width.is_finite() && c.width > 0.0))
        {
            return Err(Error::Invalid(format!(
                "Cột {} của bảng có độ rộng không hợp lệ (phải là số dương).",
                i + 1
            )));
        }
        self.header_layout()?;
        self.check_rows()
    }
}

/// One signer's block (khối chữ ký): authority lines, a note, space to sign, the name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Signature {
    /// An italic place-and-date line above the title (used by household requests).
    pub place_date: Option<PlaceDate>,
    /// Bold authority lines, e.g. `["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]`.
    pub title_lines: Vec<String>,
    /// Italic note, e.g. `"(Ký, ghi rõ họ tên, đóng dấu)"`.
    pub note: Option<String>,
    /// The signer's name, printed bold under the space for the signature.
    pub name: Option<String>,
}

impl Signature {
    pub fn new(title_lines: &[&str], note: Option<&str>) -> Self {
        Signature {
            place_date: None,
            title_lines: title_lines.iter().map(|s| s.to_string()).collect(),
            note: note.map(str::to_string),
            name: None,
        }
    }
}

/// The signature area: an optional recipients list ("Nơi nhận:") on the left and one or more
/// signers side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SignatureBlock {
    /// Lines after "Nơi nhận:", e.g. `["- Như Điều 3;", "- Lưu: VT."]`.
    pub recipients: Vec<String>,
    pub signers: Vec<Signature>,
}

/// A block of the document body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Block {
    Paragraph(Paragraph),
    Table(Table),
    Signatures(SignatureBlock),
    /// Vertical space in millimetres.
    Spacer(f32),
    /// Start a new page (the attached lists of a decision).
    PageBreak,
    /// Start a new page in the given orientation (a landscape list attached to a portrait
    /// decision). The .xlsx keeps one orientation for the whole sheet.
    Section(Orientation),
}

/// A whole printable document (văn bản / biểu mẫu / danh sách).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// Title for file metadata, the spreadsheet sheet and the HTML `<title>`.
    pub title: String,
    pub orientation: Orientation,
    pub header: Option<AdminHeader>,
    pub blocks: Vec<Block>,
}

impl Document {
    pub fn new(title: impl Into<String>, orientation: Orientation) -> Self {
        Document {
            title: title.into(),
            orientation,
            header: None,
            blocks: Vec::new(),
        }
    }
    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }
    pub fn paragraph(&mut self, p: Paragraph) -> &mut Self {
        self.push(Block::Paragraph(p))
    }
    pub fn table(&mut self, t: Table) -> &mut Self {
        self.push(Block::Table(t))
    }
    /// Checks every table; renderers call this first so bad input changes nothing.
    pub fn validate(&self) -> Result<()> {
        for b in &self.blocks {
            if let Block::Table(t) = b {
                t.validate()?;
            }
        }
        Ok(())
    }
    /// The tables in order (the .xlsx and CSV renderers export these).
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.blocks.iter().filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_level() -> Table {
        Table::new(
            vec![
                Column::centered(5.0),
                Column::text(20.0),
                Column::integer(8.0),
                Column::integer(8.0),
            ],
            vec![
                vec![
                    HeaderCell::span("TT", 1, 2),
                    HeaderCell::span("Thôn", 1, 2),
                    HeaderCell::span("Hộ nghèo", 2, 1),
                ],
                vec![HeaderCell::new("Số hộ"), HeaderCell::new("Số khẩu")],
            ],
        )
    }

    #[test]
    fn header_layout_resolves_spans() {
        let t = two_level();
        let placed = t.header_layout().expect("valid header");
        assert_eq!(placed.len(), 5);
        assert_eq!(
            placed[3],
            PlacedHeader {
                row: 1,
                col: 2,
                rowspan: 1,
                colspan: 1,
                text: "Số hộ".into()
            }
        );
        assert_eq!(
            t.flat_header().expect("flat"),
            vec!["TT", "Thôn", "Hộ nghèo - Số hộ", "Hộ nghèo - Số khẩu"]
        );
    }

    #[test]
    fn bad_headers_and_rows_are_rejected_in_vietnamese() {
        let mut t = two_level();
        t.header[1].pop();
        let e = t.header_layout().expect_err("missing cell");
        assert!(e.to_string().contains("thiếu ô"), "{e}");
        let mut t = two_level();
        t.header[0][2].colspan = 3;
        assert!(t
            .header_layout()
            .expect_err("too wide")
            .to_string()
            .contains("vượt quá"));
        let mut t = two_level();
        t.rows
            .push(Row::data(vec![Cell::new("1"), Cell::new("Thôn 1")]));
        assert!(t
            .validate()
            .expect_err("short row")
            .to_string()
            .contains("có 2 cột"));
    }
}
