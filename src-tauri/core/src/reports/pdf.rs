//! PDF renderer (xuất PDF): lays a [`Document`] out on A4 and writes a PDF offline with the
//! Liberation Serif fonts (Times-compatible metrics, full Vietnamese coverage) embedded as
//! subsets. Tables break across pages with their header rows repeated; pages are numbered.
//! It does not shape complex scripts (Vietnamese needs none once text is NFC-normalised) and
//! does not justify prose (justified paragraphs are set flush left).

use std::collections::HashMap;
use std::io::Write;

use pdf_writer::types::UnicodeCmap;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;
use unicode_normalization::UnicodeNormalization;

use super::model::*;
use super::Progress;
use crate::error::{Error, Result};

const FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Regular.ttf");
const FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Bold.ttf");
const FONT_ITALIC: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Italic.ttf");

const MM: f32 = 72.0 / 25.4;
const A4_SHORT: f32 = 595.28;
const A4_LONG: f32 = 841.89;
/// Margins (lề) in the style of Nghị định 30/2020: top 20 mm, bottom 20 mm, left 30 mm, right 15 mm.
const MARGIN_TOP: f32 = 20.0 * MM;
const MARGIN_BOTTOM: f32 = 20.0 * MM;
const MARGIN_LEFT: f32 = 30.0 * MM;
const MARGIN_RIGHT: f32 = 15.0 * MM;
const BODY_SIZE: f32 = 13.0;
const TABLE_SIZE: f32 = 11.0;
const CELL_PAD_X: f32 = 2.5;
const CELL_PAD_Y: f32 = 2.0;
const LINE_FACTOR: f32 = 1.2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Regular = 0,
    Bold = 1,
    Italic = 2,
}

fn style_of(bold: bool, italic: bool) -> Style {
    if bold {
        Style::Bold
    } else if italic {
        Style::Italic
    } else {
        Style::Regular
    }
}

/// One embedded font: glyph lookup, widths and the subset being collected.
struct FontState {
    data: &'static [u8],
    face: ttf_parser::Face<'static>,
    units_per_em: f32,
    remapper: GlyphRemapper,
    /// char → (new glyph id, advance in 1/1000 em)
    cache: HashMap<char, (u16, f32)>,
    /// advance per new glyph id (index = new id), in 1/1000 em
    widths: Vec<f32>,
    /// new glyph id → the text it stands for
    unicode: Vec<Option<char>>,
    resource: &'static [u8],
    base_name: &'static [u8],
}

impl FontState {
    fn new(data: &'static [u8], resource: &'static [u8], base_name: &'static [u8]) -> Result<Self> {
        let face = ttf_parser::Face::parse(data, 0)
            .map_err(|e| Error::Invalid(format!("Không đọc được phông chữ nhúng: {e}.")))?;
        let units_per_em = f32::from(face.units_per_em());
        let notdef = face
            .glyph_hor_advance(ttf_parser::GlyphId(0))
            .map(f32::from)
            .unwrap_or(0.0);
        Ok(FontState {
            data,
            face,
            units_per_em,
            remapper: GlyphRemapper::new(),
            cache: HashMap::new(),
            widths: vec![notdef * 1000.0 / units_per_em],
            unicode: vec![None],
            resource,
            base_name,
        })
    }

    fn glyph(&mut self, c: char) -> (u16, f32) {
        if let Some(g) = self.cache.get(&c) {
            return *g;
        }
        let old = self.face.glyph_index(c).map(|g| g.0).unwrap_or(0);
        let adv = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(old))
            .map(f32::from)
            .unwrap_or(0.0)
            * 1000.0
            / self.units_per_em;
        let new = self.remapper.remap(old);
        let idx = usize::from(new);
        if idx >= self.widths.len() {
            self.widths.resize(idx + 1, 0.0);
            self.unicode.resize(idx + 1, None);
        }
        self.widths[idx] = adv;
        if self.unicode[idx].is_none() && old != 0 {
            self.unicode[idx] = Some(c);
        }
        self.cache.insert(c, (new, adv));
        (new, adv)
    }

    fn width(&mut self, text: &str, size: f32) -> f32 {
        let mut w = 0.0;
        for c in text.chars() {
            w += self.glyph(c).1;
        }
        w * size / 1000.0
    }

    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let (g, _) = self.glyph(c);
            out.extend_from_slice(&g.to_be_bytes());
        }
        out
    }
}

/// Normalises text for printing: NFC (precomposed Vietnamese letters), tabs and control
/// characters to spaces.
fn clean(text: &str) -> String {
    text.nfc()
        .map(|c| if c == '\n' || !c.is_control() { c } else { ' ' })
        .collect()
}

struct Layout {
    pdf: Pdf,
    next_id: i32,
    fonts: [FontState; 3],
    font_refs: [Ref; 3],
    pages: Vec<(Ref, Ref, f32, f32)>,
    content: Content,
    page_has_content: bool,
    width: f32,
    height: f32,
    /// The cursor: PDF y of the top of the next thing to place.
    y: f32,
}

impl Layout {
    fn alloc(&mut self) -> Ref {
        let r = Ref::new(self.next_id);
        self.next_id += 1;
        r
    }
    fn left(&self) -> f32 {
        MARGIN_LEFT
    }
    fn right(&self) -> f32 {
        self.width - MARGIN_RIGHT
    }
    fn content_width(&self) -> f32 {
        self.right() - self.left()
    }
    fn top(&self) -> f32 {
        self.height - MARGIN_TOP
    }
    fn bottom(&self) -> f32 {
        MARGIN_BOTTOM
    }

    fn flush_page(&mut self) {
        let content = std::mem::replace(&mut self.content, Content::new());
        let bytes = content.finish().into_vec();
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&bytes, 6);
        let page_ref = self.alloc();
        let content_ref = self.alloc();
        self.pdf
            .stream(content_ref, &compressed)
            .filter(Filter::FlateDecode);
        self.pages
            .push((page_ref, content_ref, self.width, self.height));
        self.y = self.top();
        self.page_has_content = false;
    }

    fn new_page(&mut self) {
        self.flush_page();
    }

    /// Makes room for `h` points, starting a new page when the current one is too full.
    fn ensure(&mut self, h: f32) {
        if self.y - h < self.bottom() && self.page_has_content {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, baseline: f32, text: &str, style: Style, size: f32) {
        if text.is_empty() {
            return;
        }
        let font = &mut self.fonts[style as usize];
        let bytes = font.encode(text);
        let name = Name(font.resource);
        self.content.begin_text();
        self.content.set_font(name, size);
        self.content.next_line(x, baseline);
        self.content.show(Str(&bytes));
        self.content.end_text();
        self.page_has_content = true;
    }

    fn measure(&mut self, text: &str, style: Style, size: f32) -> f32 {
        self.fonts[style as usize].width(text, size)
    }

    /// Draws `text` aligned within [x0, x1].
    #[allow(clippy::too_many_arguments)]
    fn text_aligned(
        &mut self,
        x0: f32,
        x1: f32,
        baseline: f32,
        text: &str,
        style: Style,
        size: f32,
        align: Align,
    ) {
        let w = self.measure(text, style, size);
        let x = match align {
            Align::Left | Align::Justify => x0,
            Align::Center => x0 + ((x1 - x0) - w) / 2.0,
            Align::Right => x1 - w,
        };
        self.text(x, baseline, text, style, size);
    }

    fn hline(&mut self, x0: f32, x1: f32, y: f32, width: f32) {
        self.content.set_line_width(width);
        self.content.move_to(x0, y);
        self.content.line_to(x1, y);
        self.content.stroke();
        self.page_has_content = true;
    }

    /// Greedy word wrap of plain text in one style; honours '\n'.
    fn wrap(&mut self, text: &str, style: Style, size: f32, max_w: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let space = self.measure(" ", style, size);
        for para in text.split('\n') {
            let mut line = String::new();
            let mut line_w = 0.0;
            for word in para.split(' ').filter(|w| !w.is_empty()) {
                let ww = self.measure(word, style, size);
                if line.is_empty() {
                    if ww <= max_w {
                        line.push_str(word);
                        line_w = ww;
                    } else {
                        // A word wider than the cell: break it by characters.
                        for c in word.chars() {
                            let cw = self.fonts[style as usize].glyph(c).1 * size / 1000.0;
                            if line_w + cw > max_w && !line.is_empty() {
                                lines.push(std::mem::take(&mut line));
                                line_w = 0.0;
                            }
                            line.push(c);
                            line_w += cw;
                        }
                    }
                } else if line_w + space + ww <= max_w {
                    line.push(' ');
                    line.push_str(word);
                    line_w += space + ww;
                } else {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                    if ww <= max_w {
                        line.push_str(word);
                        line_w = ww;
                    } else {
                        for c in word.chars() {
                            let cw = self.fonts[style as usize].glyph(c).1 * size / 1000.0;
                            if line_w + cw > max_w && !line.is_empty() {
                                lines.push(std::mem::take(&mut line));
                                line_w = 0.0;
                            }
                            line.push(c);
                            line_w += cw;
                        }
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// A word of a styled paragraph.
struct Token {
    text: String,
    style: Style,
    space_after: bool,
}

fn tokens(p: &Paragraph) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    for run in &p.runs {
        let style = style_of(run.bold, run.italic);
        let text = clean(&run.text);
        let mut word = String::new();
        for c in text.chars() {
            if c == ' ' {
                if word.is_empty() {
                    if let Some(last) = out.last_mut() {
                        last.space_after = true;
                    }
                } else {
                    out.push(Token {
                        text: std::mem::take(&mut word),
                        style,
                        space_after: true,
                    });
                }
            } else if c == '\n' {
                if !word.is_empty() {
                    out.push(Token {
                        text: std::mem::take(&mut word),
                        style,
                        space_after: false,
                    });
                }
                out.push(Token {
                    text: "\n".into(),
                    style,
                    space_after: false,
                });
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            out.push(Token {
                text: word,
                style,
                space_after: false,
            });
        }
    }
    out
}

fn paragraph(l: &mut Layout, p: &Paragraph, x0: f32, x1: f32) {
    let size = p.size.unwrap_or(BODY_SIZE);
    let leading = size * LINE_FACTOR;
    let toks = tokens(p);
    // Build lines of token indices.
    let mut lines: Vec<Vec<usize>> = vec![Vec::new()];
    let mut widths: Vec<f32> = vec![0.0];
    let indent = p.indent_mm * MM;
    let mut avail = (x1 - x0 - indent).max(10.0);
    for (i, t) in toks.iter().enumerate() {
        if t.text == "\n" {
            lines.push(Vec::new());
            widths.push(0.0);
            avail = x1 - x0;
            continue;
        }
        let w = l.measure(&t.text, t.style, size);
        let cur = lines.len() - 1;
        let gap = match lines[cur].last() {
            Some(&prev) if toks[prev].space_after => l.measure(" ", toks[prev].style, size),
            _ => 0.0,
        };
        if !lines[cur].is_empty() && widths[cur] + gap + w > avail {
            lines.push(vec![i]);
            widths.push(w);
            avail = x1 - x0;
        } else {
            lines[cur].push(i);
            widths[cur] += gap + w;
        }
    }
    let n = lines.len();
    for (li, line) in lines.iter().enumerate() {
        l.ensure(leading);
        let baseline = l.y - size * 0.93;
        let start = if li == 0 { x0 + indent } else { x0 };
        let mut x = match p.align {
            Align::Left | Align::Justify => start,
            Align::Center => start + ((x1 - start) - widths[li]) / 2.0,
            Align::Right => x1 - widths[li],
        };
        // Draw runs of same-style tokens as one string (spaces kept, so text extracts cleanly).
        let mut k = 0;
        while k < line.len() {
            let style = toks[line[k]].style;
            let mut s = String::new();
            let mut j = k;
            while j < line.len() && toks[line[j]].style == style {
                if j > k && toks[line[j - 1]].space_after {
                    s.push(' ');
                }
                s.push_str(&toks[line[j]].text);
                j += 1;
            }
            if j < line.len() && toks[line[j - 1]].space_after {
                s.push(' ');
            }
            let w = l.measure(&s, style, size);
            l.text(x, baseline, &s, style, size);
            x += w;
            k = j;
        }
        if p.leader && li == n - 1 {
            let dot = l.measure(".", Style::Regular, size);
            let gap = if line.is_empty() { 0.0 } else { dot };
            let room = x1 - x - gap;
            if dot > 0.0 && room > dot {
                let count = (room / dot).floor() as usize;
                let dots = ".".repeat(count);
                l.text(x + gap, baseline, &dots, Style::Regular, size);
            }
        }
        l.page_has_content = true;
        l.y -= leading;
    }
    l.y -= p.space_after;
}

fn admin_header(l: &mut Layout, h: &AdminHeader) {
    let x0 = l.left();
    let x1 = l.right();
    let top = l.y;
    let has_issuer = !h.issuer_lines.is_empty();
    let split = if has_issuer {
        x0 + (x1 - x0) * 0.40
    } else {
        x0
    };
    let size = 12.5;
    let lead = size * LINE_FACTOR;
    // Left column: issuing body, rule, number.
    let mut yl = top;
    if has_issuer {
        let n = h.issuer_lines.len();
        for (i, line) in h.issuer_lines.iter().enumerate() {
            let style = if i + 1 == n {
                Style::Bold
            } else {
                Style::Regular
            };
            let text = clean(line);
            l.text_aligned(
                x0,
                split,
                yl - size * 0.93,
                &text,
                style,
                size,
                Align::Center,
            );
            yl -= lead;
            if i + 1 == n {
                let w = l.measure(&text, style, size) / 3.0;
                let mid = (x0 + split) / 2.0;
                l.hline(mid - w / 2.0, mid + w / 2.0, yl - 1.0, 0.6);
                yl -= 6.0;
            }
        }
        if let Some(num) = &h.number {
            yl -= 2.0;
            l.text_aligned(
                x0,
                split,
                yl - 13.0 * 0.93,
                &clean(num),
                Style::Regular,
                13.0,
                Align::Center,
            );
            yl -= 13.0 * LINE_FACTOR;
        }
    }
    // Right column: national title, motto, place and date.
    let mut yr = top;
    if h.national_title {
        l.text_aligned(
            split,
            x1,
            yr - size * 0.93,
            NATIONAL_TITLE,
            Style::Bold,
            size,
            Align::Center,
        );
        yr -= lead;
        let msize = 13.0;
        l.text_aligned(
            split,
            x1,
            yr - msize * 0.93,
            MOTTO,
            Style::Bold,
            msize,
            Align::Center,
        );
        yr -= msize * LINE_FACTOR;
        let w = l.measure(MOTTO, Style::Bold, msize);
        let mid = (split + x1) / 2.0;
        l.hline(mid - w / 2.0, mid + w / 2.0, yr + 1.5, 0.6);
        yr -= 4.0;
    }
    if !has_issuer {
        if let Some(num) = &h.number {
            yr -= 2.0;
            l.text_aligned(
                split,
                x1,
                yr - 13.0 * 0.93,
                &clean(num),
                Style::Regular,
                13.0,
                Align::Center,
            );
            yr -= 13.0 * LINE_FACTOR;
        }
    }
    if let Some(pd) = &h.place_date {
        yr -= 4.0;
        let text = clean(&pd.text());
        let align = if has_issuer {
            Align::Center
        } else {
            Align::Right
        };
        l.text_aligned(
            split,
            x1,
            yr - 13.0 * 0.93,
            &text,
            Style::Italic,
            13.0,
            align,
        );
        yr -= 13.0 * LINE_FACTOR;
    }
    l.y = yl.min(yr) - 10.0;
    l.page_has_content = true;
}

fn column_edges(l: &Layout, t: &Table) -> Vec<f32> {
    let total: f32 = t.columns.iter().map(|c| c.width.max(0.1)).sum();
    let scale = l.content_width() / total;
    let mut edges = Vec::with_capacity(t.columns.len() + 1);
    let mut x = l.left();
    edges.push(x);
    for c in &t.columns {
        x += c.width.max(0.1) * scale;
        edges.push(x);
    }
    edges
}

struct HeaderPlan {
    cells: Vec<(PlacedHeader, Vec<String>)>,
    row_heights: Vec<f32>,
}

fn plan_header(l: &mut Layout, t: &Table, edges: &[f32], size: f32) -> Result<HeaderPlan> {
    let placed = t.header_layout()?;
    let lead = size * LINE_FACTOR;
    let mut cells = Vec::with_capacity(placed.len());
    let mut heights = vec![lead + 2.0 * CELL_PAD_Y; t.header.len()];
    let mut spans = Vec::new();
    for p in placed {
        let w = edges[p.col + p.colspan] - edges[p.col] - 2.0 * CELL_PAD_X;
        let lines = l.wrap(&clean(&p.text), Style::Bold, size, w.max(4.0));
        let need = lines.len() as f32 * lead + 2.0 * CELL_PAD_Y;
        if p.rowspan == 1 {
            heights[p.row] = heights[p.row].max(need);
        } else {
            spans.push((p.row, p.rowspan, need));
        }
        cells.push((p, lines));
    }
    for (row, rs, need) in spans {
        let have: f32 = heights[row..row + rs].iter().sum();
        if have < need {
            heights[row + rs - 1] += need - have;
        }
    }
    Ok(HeaderPlan {
        cells,
        row_heights: heights,
    })
}

fn draw_header(l: &mut Layout, plan: &HeaderPlan, edges: &[f32], size: f32) {
    let lead = size * LINE_FACTOR;
    let top = l.y;
    let mut row_tops = Vec::with_capacity(plan.row_heights.len() + 1);
    let mut y = top;
    for h in &plan.row_heights {
        row_tops.push(y);
        y -= h;
    }
    row_tops.push(y);
    l.content.set_line_width(0.5);
    for (p, lines) in &plan.cells {
        let x0 = edges[p.col];
        let x1 = edges[p.col + p.colspan];
        let y0 = row_tops[p.row];
        let y1 = row_tops[p.row + p.rowspan];
        l.content.set_fill_gray(0.93);
        l.content.rect(x0, y1, x1 - x0, y0 - y1);
        l.content.fill_nonzero_and_stroke();
        l.content.set_fill_gray(0.0);
        let text_h = lines.len() as f32 * lead;
        let mut baseline = y0 - ((y0 - y1) - text_h) / 2.0 - size * 0.93;
        for line in lines {
            l.text_aligned(
                x0 + CELL_PAD_X,
                x1 - CELL_PAD_X,
                baseline,
                line,
                Style::Bold,
                size,
                Align::Center,
            );
            baseline -= lead;
        }
    }
    l.y = y;
    l.page_has_content = true;
}

fn table(l: &mut Layout, t: &Table, progress: &mut Progress<'_>) -> Result<()> {
    let size = t.font_size.unwrap_or(TABLE_SIZE);
    let lead = size * LINE_FACTOR;
    let edges = column_edges(l, t);
    let plan = plan_header(l, t, &edges, size)?;
    let header_h: f32 = plan.row_heights.iter().sum();
    let mut header_drawn_on_page = false;
    for row in &t.rows {
        progress.row()?;
        let style = match row.kind {
            RowKind::Data | RowKind::Member => Style::Regular,
            RowKind::Group | RowKind::Subtotal | RowKind::Total => Style::Bold,
        };
        // Wrap every cell.
        let mut col = 0usize;
        let mut cells = Vec::with_capacity(row.cells.len());
        let mut max_lines = 1usize;
        for cell in &row.cells {
            let span = usize::from(cell.colspan.max(1));
            let x0 = edges[col];
            let x1 = edges[(col + span).min(edges.len() - 1)];
            let align = if span > 1 {
                match row.kind {
                    RowKind::Group => Align::Left,
                    _ => Align::Center,
                }
            } else {
                t.columns[col].align
            };
            let text = clean(&cell.value.display());
            let lines = if text.is_empty() {
                Vec::new()
            } else {
                l.wrap(&text, style, size, (x1 - x0 - 2.0 * CELL_PAD_X).max(4.0))
            };
            max_lines = max_lines.max(lines.len());
            cells.push((x0, x1, align, lines));
            col += span;
        }
        let row_h = max_lines as f32 * lead + 2.0 * CELL_PAD_Y;
        if !header_drawn_on_page {
            if l.y - header_h - row_h < l.bottom() && l.page_has_content {
                l.new_page();
            }
            draw_header(l, &plan, &edges, size);
            header_drawn_on_page = true;
        } else if l.y - row_h < l.bottom() {
            // A page break inside the table repeats the header.
            l.new_page();
            draw_header(l, &plan, &edges, size);
        }
        let top = l.y;
        let bottom = top - row_h;
        l.content.set_line_width(0.5);
        for (x0, x1, align, lines) in &cells {
            if row.kind == RowKind::Group {
                l.content.set_fill_gray(0.88);
                l.content.rect(*x0, bottom, x1 - x0, row_h);
                l.content.fill_nonzero_and_stroke();
                l.content.set_fill_gray(0.0);
            } else {
                l.content.rect(*x0, bottom, x1 - x0, row_h);
                l.content.stroke();
            }
            let mut baseline = top - CELL_PAD_Y - size * 0.93;
            for line in lines {
                l.text_aligned(
                    x0 + CELL_PAD_X,
                    x1 - CELL_PAD_X,
                    baseline,
                    line,
                    style,
                    size,
                    *align,
                );
                baseline -= lead;
            }
        }
        l.y = bottom;
        l.page_has_content = true;
    }
    if t.rows.is_empty() {
        l.ensure(header_h);
        draw_header(l, &plan, &edges, size);
    }
    l.y -= 8.0;
    Ok(())
}

fn signatures(l: &mut Layout, s: &SignatureBlock) {
    let x0 = l.left();
    let x1 = l.right();
    let size = BODY_SIZE;
    let lead = size * LINE_FACTOR;
    // Column boxes.
    let mut cols: Vec<(f32, f32)> = Vec::new();
    let rec_w = if s.recipients.is_empty() {
        0.0
    } else {
        (x1 - x0) * 0.45
    };
    let sig_x0 = x0 + rec_w;
    let n = s.signers.len();
    if n == 1 && s.recipients.is_empty() {
        cols.push((x0 + (x1 - x0) * 0.45, x1));
    } else if n > 0 {
        let w = (x1 - sig_x0) / n as f32;
        for i in 0..n {
            cols.push((sig_x0 + w * i as f32, sig_x0 + w * (i + 1) as f32));
        }
    }
    // Height estimate to keep the block on one page.
    let sig_h = s
        .signers
        .iter()
        .map(|g| {
            (g.title_lines.len()
                + usize::from(g.note.is_some())
                + usize::from(g.place_date.is_some())
                + 1) as f32
                * lead
                + 60.0
        })
        .fold(0.0, f32::max);
    let rec_h = if s.recipients.is_empty() {
        0.0
    } else {
        (s.recipients.len() + 1) as f32 * 13.0
    };
    l.ensure(sig_h.max(rec_h) + 6.0);
    let top = l.y - 6.0;
    let mut lowest = top;
    if !s.recipients.is_empty() {
        let mut y = top;
        l.text(x0, y - 12.0 * 0.93, "Nơi nhận:", Style::Bold, 12.0);
        y -= 12.0 * LINE_FACTOR;
        for r in &s.recipients {
            l.text(x0, y - 11.0 * 0.93, &clean(r), Style::Regular, 11.0);
            y -= 11.0 * LINE_FACTOR;
        }
        lowest = lowest.min(y);
    }
    for (g, (c0, c1)) in s.signers.iter().zip(cols) {
        let mut y = top;
        if let Some(pd) = &g.place_date {
            l.text_aligned(
                c0,
                c1,
                y - size * 0.93,
                &clean(&pd.text()),
                Style::Italic,
                size,
                Align::Center,
            );
            y -= lead;
        }
        for t in &g.title_lines {
            for line in l.wrap(&clean(t), Style::Bold, size, c1 - c0) {
                l.text_aligned(
                    c0,
                    c1,
                    y - size * 0.93,
                    &line,
                    Style::Bold,
                    size,
                    Align::Center,
                );
                y -= lead;
            }
        }
        if let Some(note) = &g.note {
            for line in l.wrap(&clean(note), Style::Italic, size, c1 - c0) {
                l.text_aligned(
                    c0,
                    c1,
                    y - size * 0.93,
                    &line,
                    Style::Italic,
                    size,
                    Align::Center,
                );
                y -= lead;
            }
        }
        y -= 60.0;
        if let Some(name) = &g.name {
            l.text_aligned(
                c0,
                c1,
                y - size * 0.93,
                &clean(name),
                Style::Bold,
                size,
                Align::Center,
            );
            y -= lead;
        }
        lowest = lowest.min(y);
    }
    l.y = lowest - 6.0;
    l.page_has_content = true;
}

fn write_font(pdf: &mut Pdf, font: &FontState, type0: Ref, refs: [Ref; 4]) -> Result<()> {
    let [cid_ref, desc_ref, file_ref, cmap_ref] = refs;
    let subset = subsetter::subset(font.data, 0, &font.remapper)
        .map_err(|e| Error::Invalid(format!("Không tạo được tập con phông chữ: {e}.")))?;
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&subset, 6);
    let base = Name(font.base_name);
    pdf.type0_font(type0)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_ref)
        .to_unicode(cmap_ref);
    let info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    let mut cid = pdf.cid_font(cid_ref);
    cid.subtype(CidFontType::Type2)
        .base_font(base)
        .system_info(info)
        .font_descriptor(desc_ref)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    cid.widths().consecutive(0, font.widths.iter().copied());
    cid.finish();
    let s = 1000.0 / font.units_per_em;
    let bb = font.face.global_bounding_box();
    let mut flags = FontFlags::SERIF | FontFlags::NON_SYMBOLIC;
    if font.face.is_italic() {
        flags |= FontFlags::ITALIC;
    }
    pdf.font_descriptor(desc_ref)
        .name(base)
        .flags(flags)
        .bbox(Rect::new(
            f32::from(bb.x_min) * s,
            f32::from(bb.y_min) * s,
            f32::from(bb.x_max) * s,
            f32::from(bb.y_max) * s,
        ))
        .italic_angle(font.face.italic_angle())
        .ascent(f32::from(font.face.ascender()) * s)
        .descent(f32::from(font.face.descender()) * s)
        .cap_height(font.face.capital_height().map(f32::from).unwrap_or(662.0) * s)
        .stem_v(if font.face.is_bold() { 140.0 } else { 80.0 })
        .font_file2(file_ref);
    pdf.stream(file_ref, &compressed)
        .filter(Filter::FlateDecode);
    let mut cmap = UnicodeCmap::new(Name(b"Custom"), info);
    for (gid, ch) in font.unicode.iter().enumerate() {
        if let (Some(ch), Ok(gid)) = (ch, u16::try_from(gid)) {
            cmap.pair(gid, *ch);
        }
    }
    let cmap = cmap.finish();
    pdf.cmap(cmap_ref, &cmap);
    Ok(())
}

fn page_size(o: Orientation) -> (f32, f32) {
    match o {
        Orientation::Portrait => (A4_SHORT, A4_LONG),
        Orientation::Landscape => (A4_LONG, A4_SHORT),
    }
}

/// Renders `doc` as a PDF file in memory.
pub fn render_pdf(doc: &Document) -> Result<Vec<u8>> {
    render_pdf_with(doc, &mut Progress::none())
}

/// Renders `doc` as a PDF, reporting progress and honouring cancellation.
pub fn render_pdf_with(doc: &Document, progress: &mut Progress<'_>) -> Result<Vec<u8>> {
    doc.validate()?;
    let (width, height) = page_size(doc.orientation);
    let fonts = [
        FontState::new(FONT_REGULAR, b"F1", b"GNREGU+LiberationSerif")?,
        FontState::new(FONT_BOLD, b"F2", b"GNBOLD+LiberationSerif-Bold")?,
        FontState::new(FONT_ITALIC, b"F3", b"GNITAL+LiberationSerif-Italic")?,
    ];
    let mut l = Layout {
        pdf: Pdf::new(),
        next_id: 10,
        fonts,
        font_refs: [Ref::new(3), Ref::new(4), Ref::new(5)],
        pages: Vec::new(),
        content: Content::new(),
        page_has_content: false,
        width,
        height,
        y: height - MARGIN_TOP,
    };
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let info_ref = Ref::new(6);
    if let Some(h) = &doc.header {
        admin_header(&mut l, h);
    }
    for block in &doc.blocks {
        match block {
            Block::Paragraph(p) => {
                let (x0, x1) = (l.left(), l.right());
                paragraph(&mut l, p, x0, x1);
            }
            Block::Table(t) => table(&mut l, t, progress)?,
            Block::Signatures(s) => signatures(&mut l, s),
            Block::Spacer(mm) => l.y -= mm * MM,
            Block::PageBreak => {
                if l.page_has_content {
                    l.new_page();
                }
            }
            Block::Section(o) => {
                if l.page_has_content {
                    l.flush_page();
                }
                let (w, h) = page_size(*o);
                l.width = w;
                l.height = h;
                l.y = l.top();
            }
        }
    }
    if l.page_has_content || l.pages.is_empty() {
        l.flush_page();
    }
    // Page numbers, page objects, fonts.
    let total = l.pages.len();
    let pages = std::mem::take(&mut l.pages);
    let mut page_refs = Vec::with_capacity(total);
    for (i, (page_ref, content_ref, width, height)) in pages.iter().enumerate() {
        let (width, height) = (*width, *height);
        let footer_ref = l.alloc();
        let mut footer = Content::new();
        if total > 1 {
            let label = format!("Trang {}/{}", i + 1, total);
            let size = 10.0;
            let w = l.fonts[0].width(&label, size);
            let bytes = l.fonts[0].encode(&label);
            footer.begin_text();
            footer.set_font(Name(b"F1"), size);
            footer.next_line((width - w) / 2.0, 10.0 * MM);
            footer.show(Str(&bytes));
            footer.end_text();
        }
        let footer_bytes = footer.finish().into_vec();
        l.pdf.stream(footer_ref, &footer_bytes);
        let mut page = l.pdf.page(*page_ref);
        page.media_box(Rect::new(0.0, 0.0, width, height));
        page.parent(tree);
        page.contents_array([*content_ref, footer_ref]);
        let mut res = page.resources();
        let mut f = res.fonts();
        f.pair(Name(b"F1"), l.font_refs[0]);
        f.pair(Name(b"F2"), l.font_refs[1]);
        f.pair(Name(b"F3"), l.font_refs[2]);
        f.finish();
        res.finish();
        page.finish();
        page_refs.push(*page_ref);
    }
    l.pdf.catalog(catalog).pages(tree);
    l.pdf
        .pages(tree)
        .kids(page_refs)
        .count(i32::try_from(total).unwrap_or(i32::MAX));
    let title = clean(&doc.title);
    l.pdf
        .document_info(info_ref)
        .title(TextStr(&title))
        .producer(TextStr("Sổ Giảm Nghèo"));
    for i in 0..3 {
        let refs = [l.alloc(), l.alloc(), l.alloc(), l.alloc()];
        let type0 = l.font_refs[i];
        write_font(&mut l.pdf, &l.fonts[i], type0, refs)?;
    }
    Ok(l.pdf.finish())
}

/// Renders `doc` to a PDF file at `path`.
pub fn write_pdf(doc: &Document, path: &std::path::Path) -> Result<()> {
    let bytes = render_pdf(doc)?;
    let mut f = std::fs::File::create(path)?;
    f.write_all(&bytes)?;
    Ok(())
}
