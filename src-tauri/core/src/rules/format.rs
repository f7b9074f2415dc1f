//! Vietnamese number formatting for explanations ("1.500.000 đồng", "6,7 m²"). Only formatting;
//! no parsing and no locale machinery.

/// Groups an integer by thousands with dots: 1500000 → "1.500.000".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    let first = digits.len() % 3;
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (i + 3 - first).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// An amount of money: 1500000 → "1.500.000 đồng".
pub fn dong(n: i64) -> String {
    format!("{} đồng", thousands(n))
}

/// A decimal number with at most one decimal, comma as separator: 6.666 → "6,7"; 8.0 → "8".
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let tenths = (x * 10.0).round() as i64;
    let whole = tenths / 10;
    let frac = (tenths % 10).abs();
    let sign = if tenths < 0 && whole == 0 { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{}", thousands(whole))
    } else {
        format!("{sign}{},{frac}", thousands(whole))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_vietnamese_way() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1.000");
        assert_eq!(thousands(1_500_000), "1.500.000");
        assert_eq!(thousands(12_345_678), "12.345.678");
        assert_eq!(thousands(-2_000), "-2.000");
        assert_eq!(dong(2_200_000), "2.200.000 đồng");
        assert_eq!(number(8.0), "8");
        assert_eq!(number(20.0 / 3.0), "6,7");
        assert_eq!(number(1234.5), "1.234,5");
        assert_eq!(number(-0.5), "-0,5");
    }
}
