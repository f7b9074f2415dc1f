//! Checks of the personal ID number (`IdCheck` — số định danh cá nhân / số CCCD, and the legacy
//! 9-digit số chứng minh nhân dân). Owns: normalisation, the hard format errors, and the warnings
//! that compare the number with the recorded sex and birth year (digits 1–3 = old province code of
//! the birth registration, digit 4 = century + sex, digits 5–6 = birth year, per Điều 7 TT
//! 07/2016/TT-BCA, kept by TT 59/2021/TT-BCA). Deliberately not here: any database lookup, any
//! uniqueness check, and the new 34-province codes (ID numbers keep the OLD 63-province prefix).
//!
//! Warnings never block saving: data-entry mistakes in sex or birth year are common, and the
//! reviewer decides which field is wrong.

use serde::Serialize;

/// The kind of number that was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// 12-digit personal ID number (số định danh cá nhân, printed on the thẻ căn cước / CCCD).
    Personal12,
    /// 9-digit legacy identity card number (số chứng minh nhân dân, CMND).
    LegacyCmnd9,
}

/// Stable machine tag of one finding, so the UI and tests do not parse messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdIssueCode {
    /// Nothing but spaces was entered.
    Empty,
    /// A character other than a digit (after removing spaces, dots and hyphens).
    NotDigits,
    /// Digits, but neither 12 nor 9 of them.
    WrongLength,
    /// A 9-digit legacy CMND number: accepted, should be replaced.
    LegacyNumber,
    /// Digits 1–3 are not one of the 63 old province codes.
    UnknownProvince,
    /// Digit 4 says male/female but the member is recorded as the other sex.
    SexMismatch,
    /// Digit 4 gives a century that does not contain the recorded birth year.
    CenturyMismatch,
    /// Digits 5–6 differ from the last two digits of the recorded birth year.
    BirthYearMismatch,
}

/// One error or warning with its Vietnamese message (full diacritics, ready to show).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdIssue {
    pub code: IdIssueCode,
    pub message: String,
}

/// The result of [`check_id_number`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdCheck {
    /// The input without spaces, dots and hyphens: the value to store when `error` is `None`.
    pub normalized: String,
    /// What kind of number it is, when the format is acceptable.
    pub kind: Option<IdKind>,
    /// A hard error: the number must not be stored as it is.
    pub error: Option<IdIssue>,
    /// Warnings: the number may be stored; show them next to the field.
    pub warnings: Vec<IdIssue>,
    /// Name of the province of birth registration from digits 1–3 (12-digit numbers only).
    pub province: Option<&'static str>,
    /// Sex encoded in digit 4 (`"male"` / `"female"`), 12-digit numbers only.
    pub encoded_sex: Option<&'static str>,
    /// Birth year encoded in digits 4–6, 12-digit numbers only.
    pub encoded_birth_year: Option<i32>,
}

impl IdCheck {
    /// True when the number may be stored (warnings allowed).
    pub fn is_acceptable(&self) -> bool {
        self.error.is_none()
    }
}

/// Province codes of the birth registration (mã tỉnh nơi đăng ký khai sinh), digits 1–3 of the
/// personal ID number: the 63 pre-2025 provinces with their GSO codes (Phụ lục, TT 07/2016/TT-BCA,
/// replaced without change of codes by TT 59/2021/TT-BCA). These codes do not change with the 2025
/// province mergers.
pub const BIRTH_REGISTRATION_PROVINCES: &[(&str, &str)] = &[
    ("001", "Hà Nội"),
    ("002", "Hà Giang"),
    ("004", "Cao Bằng"),
    ("006", "Bắc Kạn"),
    ("008", "Tuyên Quang"),
    ("010", "Lào Cai"),
    ("011", "Điện Biên"),
    ("012", "Lai Châu"),
    ("014", "Sơn La"),
    ("015", "Yên Bái"),
    ("017", "Hòa Bình"),
    ("019", "Thái Nguyên"),
    ("020", "Lạng Sơn"),
    ("022", "Quảng Ninh"),
    ("024", "Bắc Giang"),
    ("025", "Phú Thọ"),
    ("026", "Vĩnh Phúc"),
    ("027", "Bắc Ninh"),
    ("030", "Hải Dương"),
    ("031", "Hải Phòng"),
    ("033", "Hưng Yên"),
    ("034", "Thái Bình"),
    ("035", "Hà Nam"),
    ("036", "Nam Định"),
    ("037", "Ninh Bình"),
    ("038", "Thanh Hóa"),
    ("040", "Nghệ An"),
    ("042", "Hà Tĩnh"),
    ("044", "Quảng Bình"),
    ("045", "Quảng Trị"),
    ("046", "Thừa Thiên Huế"),
    ("048", "Đà Nẵng"),
    ("049", "Quảng Nam"),
    ("051", "Quảng Ngãi"),
    ("052", "Bình Định"),
    ("054", "Phú Yên"),
    ("056", "Khánh Hòa"),
    ("058", "Ninh Thuận"),
    ("060", "Bình Thuận"),
    ("062", "Kon Tum"),
    ("064", "Gia Lai"),
    ("066", "Đắk Lắk"),
    ("067", "Đắk Nông"),
    ("068", "Lâm Đồng"),
    ("070", "Bình Phước"),
    ("072", "Tây Ninh"),
    ("074", "Bình Dương"),
    ("075", "Đồng Nai"),
    ("077", "Bà Rịa - Vũng Tàu"),
    ("079", "Thành phố Hồ Chí Minh"),
    ("080", "Long An"),
    ("082", "Tiền Giang"),
    ("083", "Bến Tre"),
    ("084", "Trà Vinh"),
    ("086", "Vĩnh Long"),
    ("087", "Đồng Tháp"),
    ("089", "An Giang"),
    ("091", "Kiên Giang"),
    ("092", "Cần Thơ"),
    ("093", "Hậu Giang"),
    ("094", "Sóc Trăng"),
    ("095", "Bạc Liêu"),
    ("096", "Cà Mau"),
];

/// The province name for a 3-digit birth-registration code, e.g. `"004"` → `"Cao Bằng"`.
pub fn birth_registration_province(code: &str) -> Option<&'static str> {
    BIRTH_REGISTRATION_PROVINCES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// Digit 4 of a personal ID number for a sex (`"male"` / `"female"`) and a birth year, or `None`
/// when the year is outside 1900–2399 or the sex is not one of the two values.
pub fn century_sex_digit(sex: &str, birth_year: i32) -> Option<u8> {
    if !(1900..=2399).contains(&birth_year) {
        return None;
    }
    let century = ((birth_year - 1900) / 100) as u8; // 0 = 1900s … 4 = 2300s
    let female = match sex {
        "male" => 0,
        "female" => 1,
        _ => return None,
    };
    Some(century * 2 + female)
}

/// Builds a 12-digit personal ID number from its parts: a 3-digit province code, sex, birth year
/// and a 6-digit serial (taken modulo 1,000,000). `None` when the parts cannot be encoded. Used by
/// the demo generator; real numbers are issued by the police, never by this app.
pub fn compose_id_number(
    province: &str,
    sex: &str,
    birth_year: i32,
    serial: u32,
) -> Option<String> {
    if province.len() != 3 || !province.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digit = century_sex_digit(sex, birth_year)?;
    let mut s = String::with_capacity(12);
    s.push_str(province);
    s.push(char::from(b'0' + digit));
    let yy = birth_year.rem_euclid(100) as u32;
    push_padded(&mut s, yy, 2);
    push_padded(&mut s, serial % 1_000_000, 6);
    Some(s)
}

fn push_padded(s: &mut String, value: u32, width: u32) {
    let mut div = 10u32.pow(width - 1);
    while div > 0 {
        s.push(char::from(b'0' + ((value / div) % 10) as u8));
        div /= 10;
    }
}

fn sex_label(sex: &str) -> &'static str {
    if sex == "female" {
        "nữ"
    } else {
        "nam"
    }
}

fn century_label(century_start: i32) -> String {
    format!("{}–{}", century_start, century_start + 99)
}

/// Checks a personal ID number as typed.
///
/// * `raw`: the text entered; spaces (any Unicode white space), dots and hyphens are removed.
/// * `sex`: the recorded sex, `"male"` or `"female"`; any other value (or `None`) skips the check.
/// * `birth_year`: the recorded birth year, if known.
///
/// Hard errors: empty input, a character other than a digit, a length other than 12 or 9.
/// Warnings: a legacy 9-digit CMND number; an unknown province code; digit 4 disagreeing with the
/// sex or with the century of the birth year; digits 5–6 disagreeing with the birth year. An empty
/// number is an error here: callers that allow a missing number (young children) should not call
/// this function for an empty field.
pub fn check_id_number(raw: &str, sex: Option<&str>, birth_year: Option<i32>) -> IdCheck {
    let normalized: String = raw
        .chars()
        .filter(|c| !(c.is_whitespace() || *c == '.' || *c == '-'))
        .collect();
    let mut check = IdCheck {
        normalized,
        kind: None,
        error: None,
        warnings: Vec::new(),
        province: None,
        encoded_sex: None,
        encoded_birth_year: None,
    };
    if check.normalized.is_empty() {
        check.error = Some(IdIssue {
            code: IdIssueCode::Empty,
            message: "Chưa nhập số định danh cá nhân.".to_string(),
        });
        return check;
    }
    if let Some(bad) = check.normalized.chars().find(|c| !c.is_ascii_digit()) {
        check.error = Some(IdIssue {
            code: IdIssueCode::NotDigits,
            message: format!("Số định danh cá nhân chỉ gồm chữ số; ký tự «{bad}» không hợp lệ."),
        });
        return check;
    }
    let len = check.normalized.len(); // ASCII digits only: bytes == characters
    match len {
        12 => {}
        9 => {
            check.kind = Some(IdKind::LegacyCmnd9);
            check.warnings.push(IdIssue {
                code: IdIssueCode::LegacyNumber,
                message: "Đây là số chứng minh nhân dân cũ (9 chữ số); nên cập nhật số định danh \
                          cá nhân 12 chữ số."
                    .to_string(),
            });
            return check;
        }
        n => {
            check.error = Some(IdIssue {
                code: IdIssueCode::WrongLength,
                message: format!(
                    "Số định danh cá nhân phải gồm 12 chữ số (số chứng minh nhân dân cũ gồm 9 chữ \
                     số); số đã nhập có {n} chữ số."
                ),
            });
            return check;
        }
    }
    check.kind = Some(IdKind::Personal12);
    let digits = check.normalized.as_bytes();
    let prefix = &check.normalized[0..3];
    check.province = birth_registration_province(prefix);
    if check.province.is_none() {
        check.warnings.push(IdIssue {
            code: IdIssueCode::UnknownProvince,
            message: format!(
                "Ba chữ số đầu «{prefix}» không phải mã tỉnh, thành phố nơi đăng ký khai sinh \
                 (từ 001 Hà Nội đến 096 Cà Mau)."
            ),
        });
    }
    let d4 = digits[3] - b'0';
    let yy = i32::from(digits[4] - b'0') * 10 + i32::from(digits[5] - b'0');
    let encoded_sex = if d4 & 1 == 0 { "male" } else { "female" };
    let century_start = 1900 + 100 * i32::from(d4 / 2);
    let encoded_year = century_start + yy;
    check.encoded_sex = Some(encoded_sex);
    check.encoded_birth_year = Some(encoded_year);

    if let Some(recorded) = sex.filter(|s| *s == "male" || *s == "female") {
        if recorded != encoded_sex {
            check.warnings.push(IdIssue {
                code: IdIssueCode::SexMismatch,
                message: format!(
                    "Chữ số thứ 4 của số định danh là «{d4}» (giới tính {}), nhưng giới tính đã ghi \
                     là {}.",
                    sex_label(encoded_sex),
                    sex_label(recorded)
                ),
            });
        }
    }
    if let Some(year) = birth_year {
        let year_century_start = 1900 + 100 * (year - 1900).div_euclid(100);
        if year_century_start != century_start {
            check.warnings.push(IdIssue {
                code: IdIssueCode::CenturyMismatch,
                message: format!(
                    "Chữ số thứ 4 của số định danh là «{d4}» (sinh trong các năm {}), nhưng năm \
                     sinh đã ghi là {year}.",
                    century_label(century_start)
                ),
            });
        }
        if year.rem_euclid(100) != yy {
            check.warnings.push(IdIssue {
                code: IdIssueCode::BirthYearMismatch,
                message: format!(
                    "Chữ số thứ 5–6 của số định danh là «{yy:02}» (năm sinh {encoded_year}), nhưng \
                     năm sinh đã ghi là {year}."
                ),
            });
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(c: &IdCheck) -> Vec<IdIssueCode> {
        c.warnings.iter().map(|w| w.code).collect()
    }

    #[test]
    fn province_table_has_the_63_old_provinces() {
        assert_eq!(BIRTH_REGISTRATION_PROVINCES.len(), 63);
        let mut seen = std::collections::HashSet::new();
        for (code, name) in BIRTH_REGISTRATION_PROVINCES {
            assert_eq!(code.len(), 3);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
            assert!(seen.insert(*code), "duplicate {code}");
            assert!(!name.is_empty());
        }
        assert_eq!(birth_registration_province("001"), Some("Hà Nội"));
        assert_eq!(birth_registration_province("004"), Some("Cao Bằng"));
        assert_eq!(
            birth_registration_province("079"),
            Some("Thành phố Hồ Chí Minh")
        );
        assert_eq!(birth_registration_province("096"), Some("Cà Mau"));
        assert_eq!(birth_registration_province("003"), None);
        assert_eq!(birth_registration_province("097"), None);
    }

    #[test]
    fn table_driven_checks() {
        use IdIssueCode::*;
        // (input, sex, birth year, normalized, error, warnings)
        #[allow(clippy::type_complexity)]
        let cases: &[(
            &str,
            Option<&str>,
            Option<i32>,
            &str,
            Option<IdIssueCode>,
            &[IdIssueCode],
        )] = &[
            (
                "004085012345",
                Some("male"),
                Some(1985),
                "004085012345",
                None,
                &[],
            ),
            (
                "004 185 012 345",
                Some("female"),
                Some(1985),
                "004185012345",
                None,
                &[],
            ),
            (
                "004.210.012345",
                Some("male"),
                Some(2010),
                "004210012345",
                None,
                &[],
            ),
            (
                "004-315-000001",
                Some("female"),
                Some(2015),
                "004315000001",
                None,
                &[],
            ),
            ("004085012345", None, None, "004085012345", None, &[]),
            (
                "004085012345",
                Some("female"),
                Some(1985),
                "004085012345",
                None,
                &[SexMismatch],
            ),
            (
                "004185012345",
                Some("male"),
                None,
                "004185012345",
                None,
                &[SexMismatch],
            ),
            (
                "004085012345",
                Some("male"),
                Some(1986),
                "004085012345",
                None,
                &[BirthYearMismatch],
            ),
            (
                "004285012345",
                Some("male"),
                Some(1985),
                "004285012345",
                None,
                &[CenturyMismatch],
            ),
            (
                "004285012345",
                Some("female"),
                Some(1990),
                "004285012345",
                None,
                &[SexMismatch, CenturyMismatch, BirthYearMismatch],
            ),
            (
                "003085012345",
                Some("male"),
                Some(1985),
                "003085012345",
                None,
                &[UnknownProvince],
            ),
            (
                "999085012345",
                None,
                None,
                "999085012345",
                None,
                &[UnknownProvince],
            ),
            (
                "085123456",
                Some("male"),
                Some(1960),
                "085123456",
                None,
                &[LegacyNumber],
            ),
            ("", None, None, "", Some(Empty), &[]),
            ("   ", None, None, "", Some(Empty), &[]),
            (
                "00408501234A",
                None,
                None,
                "00408501234A",
                Some(NotDigits),
                &[],
            ),
            (
                "００4085012345",
                None,
                None,
                "００4085012345",
                Some(NotDigits),
                &[],
            ),
            (
                "00408501234",
                None,
                None,
                "00408501234",
                Some(WrongLength),
                &[],
            ),
            (
                "0040850123456",
                None,
                None,
                "0040850123456",
                Some(WrongLength),
                &[],
            ),
            (
                "1234567890",
                None,
                None,
                "1234567890",
                Some(WrongLength),
                &[],
            ),
            // sex values other than male/female skip the sex check
            (
                "004085012345",
                Some("unknown"),
                None,
                "004085012345",
                None,
                &[],
            ),
        ];
        for (input, sex, year, normalized, error, warnings) in cases {
            let c = check_id_number(input, *sex, *year);
            assert_eq!(c.normalized, *normalized, "normalized of {input:?}");
            assert_eq!(
                c.error.as_ref().map(|e| e.code),
                *error,
                "error of {input:?}"
            );
            assert_eq!(codes(&c), warnings.to_vec(), "warnings of {input:?}");
            assert_eq!(c.is_acceptable(), error.is_none());
        }
    }

    #[test]
    fn messages_are_precise_vietnamese() {
        let c = check_id_number("12345", None, None);
        assert_eq!(
            c.error.map(|e| e.message).unwrap_or_default(),
            "Số định danh cá nhân phải gồm 12 chữ số (số chứng minh nhân dân cũ gồm 9 chữ số); \
             số đã nhập có 5 chữ số."
        );
        let c = check_id_number("0041850x2345", None, None);
        assert_eq!(
            c.error.map(|e| e.message).unwrap_or_default(),
            "Số định danh cá nhân chỉ gồm chữ số; ký tự «x» không hợp lệ."
        );
        let c = check_id_number("004185012345", Some("male"), Some(1984));
        assert_eq!(
            c.warnings[0].message,
            "Chữ số thứ 4 của số định danh là «1» (giới tính nữ), nhưng giới tính đã ghi là nam."
        );
        assert_eq!(
            c.warnings[1].message,
            "Chữ số thứ 5–6 của số định danh là «85» (năm sinh 1985), nhưng năm sinh đã ghi là \
             1984."
        );
        let c = check_id_number("004305012345", Some("female"), Some(1905));
        assert_eq!(
            c.warnings[0].message,
            "Chữ số thứ 4 của số định danh là «3» (sinh trong các năm 2000–2099), nhưng năm sinh \
             đã ghi là 1905."
        );
        let c = check_id_number("097185012345", None, None);
        assert!(c.warnings[0].message.contains("«097»"));
    }

    #[test]
    fn decodes_parts() {
        let c = check_id_number("004305000123", None, None);
        assert_eq!(c.kind, Some(IdKind::Personal12));
        assert_eq!(c.province, Some("Cao Bằng"));
        assert_eq!(c.encoded_sex, Some("female"));
        assert_eq!(c.encoded_birth_year, Some(2005));
        let c = check_id_number("001899000123", None, None);
        assert_eq!(c.encoded_sex, Some("male"));
        assert_eq!(c.encoded_birth_year, Some(2399));
    }

    #[test]
    fn century_digit_table() {
        let cases = [
            ("male", 1900, Some(0)),
            ("female", 1999, Some(1)),
            ("male", 2000, Some(2)),
            ("female", 2099, Some(3)),
            ("male", 2100, Some(4)),
            ("female", 2150, Some(5)),
            ("male", 2200, Some(6)),
            ("female", 2200, Some(7)),
            ("male", 2300, Some(8)),
            ("female", 2399, Some(9)),
            ("male", 1899, None),
            ("female", 2400, None),
            ("other", 2000, None),
        ];
        for (sex, year, digit) in cases {
            assert_eq!(century_sex_digit(sex, year), digit, "{sex} {year}");
        }
    }

    #[test]
    fn composed_numbers_pass_the_check() {
        for (sex, year, serial) in [
            ("male", 1931, 7u32),
            ("female", 2024, 999_999),
            ("male", 2000, 1_234_567),
        ] {
            let id = compose_id_number("004", sex, year, serial).unwrap_or_default();
            assert_eq!(id.len(), 12);
            let c = check_id_number(&id, Some(sex), Some(year));
            assert!(c.error.is_none() && c.warnings.is_empty(), "{id}: {c:?}");
        }
        assert_eq!(
            compose_id_number("004", "female", 1985, 42).as_deref(),
            Some("004185000042")
        );
        assert_eq!(compose_id_number("04", "male", 1985, 1), None);
        assert_eq!(compose_id_number("004", "male", 1850, 1), None);
    }
}
