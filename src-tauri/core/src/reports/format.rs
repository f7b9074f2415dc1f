//! Vietnamese number, money, percentage and date formatting (định dạng số, ngày kiểu Việt Nam).
//! Owns only pure text formatting; no locale database, no clock.
//!
//! Dates follow Nghị định 30/2020/NĐ-CP: days below 10 and the months 1 and 2 take a leading zero
//! ("ngày 05 tháng 02 năm 2026", "ngày 15 tháng 3 năm 2026", "ngày 05 tháng 11 năm 2026").

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Text in Unicode NFC (precomposed Vietnamese letters: "ễ" as one code point). Text typed with
/// a decomposed input method would otherwise print, sort and search differently.
pub fn nfc(text: &str) -> Cow<'_, str> {
    match is_nfc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        _ => Cow::Owned(text.nfc().collect()),
    }
}

/// Thousands separator used in Vietnamese documents.
pub const THOUSANDS_SEP: char = '.';
/// Decimal separator used in Vietnamese documents.
pub const DECIMAL_SEP: char = ',';

fn group_digits(digits: &str) -> String {
    let len = digits.len();
    let mut out = String::with_capacity(len + len / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(THOUSANDS_SEP);
        }
        out.push(ch);
    }
    out
}

/// An integer with dot thousands separators: `1500000` → `"1.500.000"`, `-2500` → `"-2.500"`.
pub fn format_int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let grouped = group_digits(&digits);
    if n < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

/// `x ≥ 0` rounded half up (the rounding people expect on paper, not banker's rounding) as
/// "1234.50". A relative nudge of 1e-12 absorbs binary noise such as 2.675 → 2.67499….
fn round_half_up(x: f64, places: u8) -> String {
    let places = places.min(12);
    let factor = 10f64.powi(i32::from(places));
    let y = x * factor;
    let scaled = (y + y * 1e-12).round();
    if scaled >= 9.0e15 {
        return format!("{:.*}", usize::from(places), x);
    }
    let n = scaled as u64;
    if places == 0 {
        return n.to_string();
    }
    let f = factor as u64;
    format!("{}.{:0width$}", n / f, n % f, width = usize::from(places))
}

/// A machine-readable decimal ("1234.50", "-0.13"): dot separator, no grouping, half-up rounding.
pub fn format_plain_decimal(value: f64, places: u8) -> String {
    if !value.is_finite() {
        return String::new();
    }
    let text = round_half_up(value.abs(), places);
    if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("-{text}")
    } else {
        text
    }
}

/// A decimal with `places` digits after a comma: `(0.44, 2)` → `"0,44"`, `(1234.5, 1)` → `"1.234,5"`.
/// Not-a-number and infinities give an empty string (a blank cell, never "NaN" on paper).
pub fn format_decimal(value: f64, places: u8) -> String {
    if !value.is_finite() {
        return String::new();
    }
    let text = round_half_up(value.abs(), places);
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::new();
    let is_zero = text.chars().all(|c| c == '0' || c == '.');
    if value < 0.0 && !is_zero {
        out.push('-');
    }
    out.push_str(&group_digits(int_part));
    if let Some(f) = frac_part {
        out.push(DECIMAL_SEP);
        out.push_str(f);
    }
    out
}

/// A percentage given in percent units: `(12.5, 1)` → `"12,5%"`, `(0.44, 2)` → `"0,44%"`.
pub fn format_percent(percent: f64, places: u8) -> String {
    if !percent.is_finite() {
        return String::new();
    }
    format!("{}%", format_decimal(percent, places))
}

/// `part` as a percentage of `whole` (in percent units), `None` when `whole` is zero.
pub fn percent_of(part: i64, whole: i64) -> Option<f64> {
    if whole == 0 {
        None
    } else {
        Some(part as f64 * 100.0 / whole as f64)
    }
}

/// Money in đồng (whole đồng only): `1500000` → `"1.500.000 đồng"`.
pub fn format_money(dong: i64) -> String {
    format!("{} đồng", format_int(dong))
}

fn day_text(d: u32) -> String {
    format!("{d:02}")
}

fn month_text(m: u32) -> String {
    if m <= 2 {
        format!("{m:02}")
    } else {
        m.to_string()
    }
}

/// The long administrative date: `"ngày 05 tháng 11 năm 2026"`.
pub fn format_date_long(date: NaiveDate) -> String {
    format!(
        "ngày {} tháng {} năm {}",
        day_text(date.day()),
        month_text(date.month()),
        date.year()
    )
}

/// The short date: `"05/11/2026"`.
pub fn format_date_short(date: NaiveDate) -> String {
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

/// The blank date to be filled in by hand.
pub const BLANK_DATE_LONG: &str = "ngày …… tháng …… năm ……";

/// The place-and-date line: `"Sơn Lộ, ngày 05 tháng 11 năm 2026"`, or with blanks when `date` is `None`.
pub fn place_date_line(place: &str, date: Option<NaiveDate>) -> String {
    let date_text = match date {
        Some(d) => format_date_long(d),
        None => BLANK_DATE_LONG.to_string(),
    };
    if place.trim().is_empty() {
        // Capitalise the first letter when there is no place name before it.
        let mut chars = date_text.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => date_text,
        }
    } else {
        format!("{}, {}", place.trim(), date_text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        let cases: &[(i64, &str)] = &[
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1000, "1.000"),
            (1_500_000, "1.500.000"),
            (2_250_000, "2.250.000"),
            (-2500, "-2.500"),
            (123_456_789_012, "123.456.789.012"),
            (i64::MIN, "-9.223.372.036.854.775.808"),
        ];
        for (n, want) in cases {
            assert_eq!(format_int(*n), *want, "{n}");
        }
    }

    #[test]
    fn decimals_and_percentages() {
        let cases: &[(f64, u8, &str)] = &[
            (0.44, 2, "0,44"),
            (1234.5, 1, "1.234,5"),
            (12.0, 0, "12"),
            (-0.001, 2, "0,00"),
            (-3.25, 2, "-3,25"),
            (1_000_000.125, 2, "1.000.000,13"),
            (2.675, 2, "2,68"),
            (0.005, 2, "0,01"),
            (99.995, 2, "100,00"),
            (-0.125, 2, "-0,13"),
        ];
        for (v, p, want) in cases {
            assert_eq!(format_decimal(*v, *p), *want, "{v} {p}");
        }
        assert_eq!(format_decimal(f64::NAN, 2), "");
        assert_eq!(format_plain_decimal(1234.5, 2), "1234.50");
        assert_eq!(format_plain_decimal(-0.125, 2), "-0.13");
        assert_eq!(format_plain_decimal(-0.001, 2), "0.00");
        assert_eq!(format_percent(12.5, 1), "12,5%");
        assert_eq!(format_percent(0.44, 2), "0,44%");
        assert_eq!(format_percent(100.0, 2), "100,00%");
        assert_eq!(percent_of(1, 8), Some(12.5));
        assert_eq!(percent_of(1, 0), None);
        assert_eq!(format_money(1_500_000), "1.500.000 đồng");
    }

    #[test]
    fn nfc_composes_decomposed_vietnamese() {
        let decomposed = "Nguye\u{302}\u{303}n";
        assert_eq!(nfc(decomposed), "Nguyễn");
        assert!(matches!(nfc("Nguyễn"), Cow::Borrowed(_)));
    }

    #[test]
    fn dates() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("valid test date");
        let cases = [
            (d(2026, 11, 5), "ngày 05 tháng 11 năm 2026", "05/11/2026"),
            (d(2026, 2, 28), "ngày 28 tháng 02 năm 2026", "28/02/2026"),
            (d(2026, 1, 1), "ngày 01 tháng 01 năm 2026", "01/01/2026"),
            (d(2025, 3, 15), "ngày 15 tháng 3 năm 2025", "15/03/2025"),
            (d(2025, 12, 31), "ngày 31 tháng 12 năm 2025", "31/12/2025"),
        ];
        for (date, long, short) in cases {
            assert_eq!(format_date_long(date), long);
            assert_eq!(format_date_short(date), short);
        }
        assert_eq!(
            place_date_line("Sơn Lộ", Some(d(2026, 11, 5))),
            "Sơn Lộ, ngày 05 tháng 11 năm 2026"
        );
        assert_eq!(
            place_date_line("Sơn Lộ", None),
            "Sơn Lộ, ngày …… tháng …… năm ……"
        );
        assert_eq!(place_date_line("", None), "Ngày …… tháng …… năm ……");
    }
}
