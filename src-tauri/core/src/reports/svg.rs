//! SVG charts drawn by the app (biểu đồ) for the dashboard: a horizontal bar chart and a line
//! chart, as self-contained SVG strings (viewBox, escaped text, no scripts, fonts or external
//! resources). It deliberately knows nothing about the ledger: callers pass labels and values,
//! already formatted the Vietnamese way when they want to show them.

use std::fmt::Write;

use super::format::{format_decimal, nfc};

/// Escapes text for SVG character data and attribute values.
pub fn escape(text: &str) -> String {
    let text = nfc(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => {}
            c => out.push(c),
        }
    }
    out
}

/// One bar: a label, its value and the text printed at the end of the bar ("1.234", "12,50%").
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
}

/// One line of a line chart; `None` leaves a gap.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

const PALETTE: &[&str] = &["#b91c1c", "#d97706", "#1d4ed8", "#047857", "#7c3aed"];
const FONT: &str = "font-family=\"'Noto Sans', 'DejaVu Sans', sans-serif\"";

fn finite(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

/// A horizontal bar chart: one row per bar, the label on the left, the value text at the end.
pub fn bar_chart(title: &str, bars: &[Bar]) -> String {
    // Widths from the longest label and value text (≈ 7 px per character at 12 px).
    let chars = |t: &str| t.chars().count() as f64;
    let label_w =
        (bars.iter().map(|b| chars(&b.label)).fold(8.0, f64::max) * 7.0 + 12.0).min(340.0);
    let value_w = bars.iter().map(|b| chars(&b.text)).fold(4.0, f64::max) * 7.0 + 12.0;
    let width = (label_w + value_w + 320.0).max(640.0);
    let row_h = 24.0;
    let top = 36.0;
    let height = top + row_h * bars.len().max(1) as f64 + 12.0;
    let max = bars.iter().map(|b| finite(b.value)).fold(0.0f64, f64::max);
    let plot_w = width - label_w - value_w;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{t}\" {FONT} font-size=\"12\">\
         <title>{t}</title>\
         <text x=\"8\" y=\"20\" font-size=\"14\" font-weight=\"bold\" fill=\"#111\">{t}</text>",
        t = escape(title)
    );
    if bars.is_empty() {
        let _ = write!(
            s,
            "<text x=\"8\" y=\"{}\" fill=\"#555\">Chưa có số liệu.</text>",
            top + 16.0
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let w = if max > 0.0 {
            (finite(b.value).max(0.0) / max) * plot_w
        } else {
            0.0
        };
        let _ = write!(
            s,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" fill=\"#222\">{label}</text>\
             <rect x=\"{bx}\" y=\"{ry}\" width=\"{w:.1}\" height=\"{h}\" fill=\"{c}\"><title>{label}: {text}</title></rect>\
             <text x=\"{vx:.1}\" y=\"{ty}\" fill=\"#222\">{text}</text>",
            lx = label_w - 6.0,
            ty = y + 15.0,
            label = escape(&b.label),
            bx = label_w,
            ry = y + 4.0,
            h = row_h - 8.0,
            c = PALETTE[0],
            vx = label_w + w + 4.0,
            text = escape(&b.text),
        );
    }
    s.push_str("</svg>");
    s
}

/// A line chart over `x_labels` with a legend; the y axis starts at 0 and is labelled with
/// Vietnamese decimals followed by `y_suffix` (e.g. "%").
pub fn line_chart(title: &str, x_labels: &[String], series: &[Series], y_suffix: &str) -> String {
    let (width, height) = (640.0, 300.0);
    let (left, right, top, bottom) = (56.0, 16.0, 40.0, 56.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .map(|v| finite(*v))
        .fold(0.0f64, f64::max);
    let nice = nice_max(max);
    let n = x_labels.len();
    // Points stay 36 px inside the plot so the x labels under them are not cut off.
    let pad = 36.0;
    let x_of = |i: usize| {
        if n <= 1 {
            left + plot_w / 2.0
        } else {
            left + pad + (plot_w - 2.0 * pad) * i as f64 / (n - 1) as f64
        }
    };
    let y_of = |v: f64| top + plot_h - (finite(v).max(0.0) / nice) * plot_h;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{t}\" {FONT} font-size=\"12\">\
         <title>{t}</title>\
         <text x=\"8\" y=\"20\" font-size=\"14\" font-weight=\"bold\" fill=\"#111\">{t}</text>",
        t = escape(title)
    );
    for k in 0..=4 {
        let v = nice * k as f64 / 4.0;
        let y = y_of(v);
        let _ = write!(
            s,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{x2}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\" fill=\"#444\">{label}</text>",
            x2 = left + plot_w,
            tx = left - 4.0,
            ty = y + 4.0,
            label = escape(&format!("{}{y_suffix}", format_decimal(v, 2))),
        );
    }
    for (i, l) in x_labels.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{x:.1}\" y=\"{y}\" text-anchor=\"middle\" fill=\"#444\">{l}</text>",
            x = x_of(i),
            y = top + plot_h + 16.0,
            l = escape(l)
        );
    }
    if series.iter().all(|s| s.values.iter().all(Option::is_none)) {
        let _ = write!(
            s,
            "<text x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" fill=\"#555\">Chưa có số liệu.</text>",
            x = left + plot_w / 2.0,
            y = top + plot_h / 2.0
        );
    }
    for (k, ser) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in ser.values.iter().enumerate().take(n) {
            match v {
                Some(v) => {
                    let _ = write!(
                        path,
                        "{}{:.1} {:.1} ",
                        if pen_down { "L" } else { "M" },
                        x_of(i),
                        y_of(*v)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                s,
                "<path d=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>",
                path.trim_end()
            );
        }
        for (i, v) in ser.values.iter().enumerate().take(n) {
            if let Some(v) = v {
                let _ = write!(
                    s,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{color}\"><title>{}: {}{}</title></circle>",
                    x_of(i),
                    y_of(*v),
                    escape(&format!("{} {}", ser.name, x_labels.get(i).map(String::as_str).unwrap_or(""))),
                    format_decimal(*v, 2),
                    escape(y_suffix)
                );
            }
        }
        let ly = height - 18.0;
        let lx = left + 180.0 * k as f64;
        let _ = write!(
            s,
            "<rect x=\"{lx}\" y=\"{ry}\" width=\"14\" height=\"4\" fill=\"{color}\"/>\
             <text x=\"{tx}\" y=\"{ly}\" fill=\"#222\">{name}</text>",
            ry = ly - 6.0,
            tx = lx + 18.0,
            name = escape(&ser.name)
        );
    }
    s.push_str("</svg>");
    s
}

/// A round upper bound for the y axis (1, 2, 2.5, 5 × 10ⁿ).
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let exp = max.log10().floor();
    let base = 10f64.powf(exp);
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if max <= m * base {
            return m * base;
        }
    }
    10.0 * base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_chart_escapes_and_scales() {
        let svg = bar_chart(
            "Chỉ số <thiếu hụt> & \"khác\"",
            &[
                Bar {
                    label: "Nước sinh hoạt".into(),
                    value: 10.0,
                    text: "10".into(),
                },
                Bar {
                    label: "Nhà tiêu".into(),
                    value: 5.0,
                    text: "5".into(),
                },
            ],
        );
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox="));
        assert!(svg.contains("Chỉ số &lt;thiếu hụt&gt; &amp; &quot;khác&quot;"));
        assert!(!svg.contains("<thiếu"));
        assert!(svg.contains("Nước sinh hoạt"));
        // The longer bar is twice the shorter one.
        let widths: Vec<f64> = svg
            .split("<rect ")
            .skip(1)
            .filter_map(|r| r.split("width=\"").nth(1)?.split('"').next()?.parse().ok())
            .collect();
        assert_eq!(widths.len(), 2);
        assert!((widths[0] - 2.0 * widths[1]).abs() < 0.2, "{widths:?}");
        assert!(!svg.contains("href"));
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn line_chart_has_points_and_vietnamese_axis() {
        let svg = line_chart(
            "Xu hướng",
            &["2024".into(), "2025".into(), "2026".into()],
            &[Series {
                name: "Tỷ lệ hộ nghèo".into(),
                values: vec![Some(12.5), None, Some(8.25)],
            }],
            "%",
        );
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("15,00%") || svg.contains("12,50"), "{svg}");
        assert!(svg.contains("Tỷ lệ hộ nghèo"));
        assert_eq!(nice_max(12.5), 20.0);
        assert_eq!(nice_max(0.44), 0.5);
        let empty = line_chart("X", &[], &[], "");
        assert!(empty.contains("Chưa có số liệu."));
    }
}
