//! HTML renderer for the in-app print preview (xem trước khi in): a self-contained page (or a
//! fragment with its own `<style>`) laid out for A4 with print CSS, table headers repeated on
//! every printed page by `thead { display: table-header-group }`. Every piece of data is
//! HTML-escaped; no script is emitted. Fonts come from the system ("Times New Roman", then the
//! metric-compatible "Liberation Serif").

use std::fmt::Write as _;

use super::model::*;
use super::Progress;
use crate::error::Result;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let text = super::format::nfc(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

fn css(o: Orientation) -> String {
    let (size, width) = match o {
        Orientation::Portrait => ("A4 portrait", "210mm"),
        Orientation::Landscape => ("A4 landscape", "297mm"),
    };
    format!(
        r#"@page {{ size: {size}; margin: 20mm 15mm 20mm 30mm; }}
.gn-doc {{ font-family: "Times New Roman", "Liberation Serif", "Tinos", serif; font-size: 13pt; line-height: 1.25; color: #000; background: #fff; box-sizing: border-box; width: {width}; padding: 20mm 15mm 20mm 30mm; margin: 0 auto; }}
.gn-doc p {{ margin: 0 0 3pt 0; }}
.gn-doc .center {{ text-align: center; }} .gn-doc .right {{ text-align: right; }} .gn-doc .justify {{ text-align: justify; }}
.gn-doc .leader {{ display: flex; }} .gn-doc .leader .fill {{ flex: 1; border-bottom: 1px dotted #000; margin-left: 2pt; margin-bottom: 4pt; }}
.gn-doc table.gn-head {{ width: 100%; border-collapse: collapse; margin-bottom: 10pt; }}
.gn-doc table.gn-head td {{ vertical-align: top; text-align: center; padding: 0; }}
.gn-doc .issuer {{ width: 40%; font-size: 12.5pt; }}
.gn-doc .issuer .body {{ font-weight: bold; }}
.gn-doc .rule {{ display: block; width: 33%; margin: 1pt auto 4pt; border-top: 1px solid #000; }}
.gn-doc .national {{ font-weight: bold; font-size: 12.5pt; }}
.gn-doc .motto {{ font-weight: bold; font-size: 13pt; text-decoration: underline; text-underline-offset: 3pt; }}
.gn-doc .place-date {{ font-style: italic; margin-top: 6pt; }}
.gn-doc table.gn-grid {{ width: 100%; border-collapse: collapse; font-size: 11pt; margin: 4pt 0 8pt; page-break-inside: auto; }}
.gn-doc table.gn-grid th, .gn-doc table.gn-grid td {{ border: 0.5pt solid #000; padding: 2pt 3pt; vertical-align: top; }}
.gn-doc table.gn-grid th {{ text-align: center; vertical-align: middle; font-weight: bold; background: #eee; }}
.gn-doc table.gn-grid thead {{ display: table-header-group; }}
.gn-doc table.gn-grid tr {{ page-break-inside: avoid; break-inside: avoid; }}
.gn-doc td.a-left {{ text-align: left; }} .gn-doc td.a-center {{ text-align: center; }} .gn-doc td.a-right {{ text-align: right; }}
.gn-doc tr.row-group td {{ font-weight: bold; background: #e0e0e0; }}
.gn-doc tr.row-subtotal td {{ font-weight: bold; font-style: italic; }}
.gn-doc tr.row-total td {{ font-weight: bold; }}
.gn-doc .gn-sign {{ display: flex; margin-top: 8pt; page-break-inside: avoid; break-inside: avoid; }}
.gn-doc .gn-sign .recipients {{ flex: 0 0 45%; font-size: 11pt; }}
.gn-doc .gn-sign .recipients b {{ font-style: italic; font-size: 12pt; }}
.gn-doc .gn-sign .signer {{ flex: 1; text-align: center; }}
.gn-doc .gn-sign .signer.alone {{ margin-left: 45%; }}
.gn-doc .gn-sign .space {{ height: 60pt; }}
.gn-doc .page-break {{ break-after: page; page-break-after: always; }}
.gn-doc .gn-section.landscape ~ * {{ page: gn-landscape; }}
@page gn-landscape {{ size: A4 landscape; }}
@media print {{ .gn-doc {{ width: auto; padding: 0; margin: 0; }} }}
"#
    )
}

fn align_class(a: Align) -> &'static str {
    match a {
        Align::Left => "",
        Align::Center => "center",
        Align::Right => "right",
        Align::Justify => "justify",
    }
}

fn paragraph(out: &mut String, p: &Paragraph) {
    let mut style = String::new();
    if let Some(s) = p.size {
        let _ = write!(style, "font-size:{s}pt;");
    }
    if p.indent_mm > 0.0 {
        let _ = write!(style, "text-indent:{}mm;", p.indent_mm);
    }
    if p.space_after > 0.0 {
        let _ = write!(style, "margin-bottom:{}pt;", p.space_after);
    }
    let mut class = align_class(p.align).to_string();
    if p.leader {
        class.push_str(" leader");
    }
    let _ = write!(out, "<p class=\"{}\" style=\"{}\">", class.trim(), style);
    if p.leader {
        out.push_str("<span>");
    }
    for r in &p.runs {
        let t = escape(&r.text);
        match (r.bold, r.italic) {
            (true, true) => {
                let _ = write!(out, "<b><i>{t}</i></b>");
            }
            (true, false) => {
                let _ = write!(out, "<b>{t}</b>");
            }
            (false, true) => {
                let _ = write!(out, "<i>{t}</i>");
            }
            (false, false) => out.push_str(&t),
        }
    }
    if p.leader {
        out.push_str("</span><span class=\"fill\"></span>");
    }
    out.push_str("</p>\n");
}

fn admin_header(out: &mut String, h: &AdminHeader) {
    out.push_str("<table class=\"gn-head\"><tr>");
    if !h.issuer_lines.is_empty() {
        out.push_str("<td class=\"issuer\">");
        let n = h.issuer_lines.len();
        for (i, l) in h.issuer_lines.iter().enumerate() {
            if i + 1 == n {
                let _ = write!(
                    out,
                    "<div class=\"body\">{}</div><span class=\"rule\"></span>",
                    escape(l)
                );
            } else {
                let _ = write!(out, "<div>{}</div>", escape(l));
            }
        }
        if let Some(num) = &h.number {
            let _ = write!(out, "<div class=\"number\">{}</div>", escape(num));
        }
        out.push_str("</td>");
    }
    out.push_str("<td>");
    if h.national_title {
        let _ = write!(
            out,
            "<div class=\"national\">{}</div><div class=\"motto\">{}</div>",
            escape(NATIONAL_TITLE),
            escape(MOTTO)
        );
    }
    if h.issuer_lines.is_empty() {
        if let Some(num) = &h.number {
            let _ = write!(out, "<div class=\"number\">{}</div>", escape(num));
        }
    }
    if let Some(pd) = &h.place_date {
        let cls = if h.issuer_lines.is_empty() {
            "place-date right"
        } else {
            "place-date"
        };
        let _ = write!(out, "<div class=\"{cls}\">{}</div>", escape(&pd.text()));
    }
    out.push_str("</td></tr></table>\n");
}

fn table(out: &mut String, t: &Table, progress: &mut Progress<'_>) -> Result<()> {
    let placed = t.header_layout()?;
    let total: f32 = t.columns.iter().map(|c| c.width.max(0.1)).sum();
    out.push_str("<table class=\"gn-grid\"");
    if let Some(s) = t.font_size {
        let _ = write!(out, " style=\"font-size:{s}pt\"");
    }
    out.push_str("><colgroup>");
    for c in &t.columns {
        let _ = write!(
            out,
            "<col style=\"width:{:.2}%\">",
            c.width.max(0.1) * 100.0 / total
        );
    }
    out.push_str("</colgroup><thead>");
    for r in 0..t.header.len() {
        out.push_str("<tr>");
        for p in placed.iter().filter(|p| p.row == r) {
            out.push_str("<th");
            if p.colspan > 1 {
                let _ = write!(out, " colspan=\"{}\"", p.colspan);
            }
            if p.rowspan > 1 {
                let _ = write!(out, " rowspan=\"{}\"", p.rowspan);
            }
            let _ = write!(out, ">{}</th>", escape(&p.text));
        }
        out.push_str("</tr>");
    }
    out.push_str("</thead>\n<tbody>\n");
    for row in &t.rows {
        progress.row()?;
        let cls = match row.kind {
            RowKind::Data => "row-data",
            RowKind::Member => "row-member",
            RowKind::Group => "row-group",
            RowKind::Subtotal => "row-subtotal",
            RowKind::Total => "row-total",
        };
        let _ = write!(out, "<tr class=\"{cls}\">");
        let mut col = 0usize;
        for cell in &row.cells {
            let span = usize::from(cell.colspan.max(1));
            let align = if span > 1 {
                if row.kind == RowKind::Group {
                    Align::Left
                } else {
                    Align::Center
                }
            } else {
                t.columns[col].align
            };
            let a = match align {
                Align::Left | Align::Justify => "a-left",
                Align::Center => "a-center",
                Align::Right => "a-right",
            };
            out.push_str("<td class=\"");
            out.push_str(a);
            out.push('"');
            if span > 1 {
                let _ = write!(out, " colspan=\"{span}\"");
            }
            let _ = write!(out, ">{}</td>", escape(&cell.value.display()));
            col += span;
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    Ok(())
}

fn signatures(out: &mut String, s: &SignatureBlock) {
    out.push_str("<div class=\"gn-sign\">");
    if !s.recipients.is_empty() {
        out.push_str("<div class=\"recipients\"><b>Nơi nhận:</b>");
        for r in &s.recipients {
            let _ = write!(out, "<div>{}</div>", escape(r));
        }
        out.push_str("</div>");
    }
    let alone = s.signers.len() == 1 && s.recipients.is_empty();
    for g in &s.signers {
        let _ = write!(
            out,
            "<div class=\"signer{}\">",
            if alone { " alone" } else { "" }
        );
        if let Some(pd) = &g.place_date {
            let _ = write!(out, "<div><i>{}</i></div>", escape(&pd.text()));
        }
        for l in &g.title_lines {
            let _ = write!(out, "<div><b>{}</b></div>", escape(l));
        }
        if let Some(n) = &g.note {
            let _ = write!(out, "<div><i>{}</i></div>", escape(n));
        }
        out.push_str("<div class=\"space\"></div>");
        if let Some(n) = &g.name {
            let _ = write!(out, "<div><b>{}</b></div>", escape(n));
        }
        out.push_str("</div>");
    }
    out.push_str("</div>\n");
}

/// The document as an HTML fragment (`<style>` + `<div class="gn-doc">`) to insert into the
/// app's preview pane.
pub fn render_html_fragment(doc: &Document) -> Result<String> {
    render_html_fragment_with(doc, &mut Progress::none())
}

/// The fragment, reporting progress and honouring cancellation.
pub fn render_html_fragment_with(doc: &Document, progress: &mut Progress<'_>) -> Result<String> {
    doc.validate()?;
    let mut out = String::new();
    let _ = write!(
        out,
        "<style>{}</style>\n<div class=\"gn-doc\">\n",
        css(doc.orientation)
    );
    if let Some(h) = &doc.header {
        admin_header(&mut out, h);
    }
    for b in &doc.blocks {
        match b {
            Block::Paragraph(p) => paragraph(&mut out, p),
            Block::Table(t) => table(&mut out, t, progress)?,
            Block::Signatures(s) => signatures(&mut out, s),
            Block::Spacer(mm) => {
                let _ = writeln!(out, "<div style=\"height:{mm}mm\"></div>");
            }
            Block::PageBreak => out.push_str("<div class=\"page-break\"></div>\n"),
            Block::Section(o) => {
                let cls = match o {
                    Orientation::Portrait => "portrait",
                    Orientation::Landscape => "landscape",
                };
                let _ = writeln!(
                    out,
                    "<div class=\"page-break\"></div><div class=\"gn-section {cls}\"></div>"
                );
            }
        }
    }
    out.push_str("</div>\n");
    Ok(out)
}

/// The document as a complete HTML page (print it with the browser's print command).
pub fn render_html(doc: &Document) -> Result<String> {
    render_html_with(doc, &mut Progress::none())
}

/// The complete page, reporting progress and honouring cancellation.
pub fn render_html_with(doc: &Document, progress: &mut Progress<'_>) -> Result<String> {
    let body = render_html_fragment_with(doc, progress)?;
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body style=\"margin:0\">\n{}</body>\n</html>\n",
        escape(&doc.title),
        body
    ))
}
