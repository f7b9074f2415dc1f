//! The catalogue of Vietnam's 54 ethnic groups (`Ethnicity` — dân tộc) with their official
//! two-digit codes, lookup by code and by name (ignoring case, diacritics, spaces, hyphens and
//! apostrophes), and the ethnic-minority test. Deliberately not here: storage, the
//! household-level "ethnic-minority household" flag (the register decides that from its members),
//! and sub-group names beyond the common spellings listed as aliases.
//!
//! Codes follow the GSO catalogue "Danh mục các thành phần dân tộc Việt Nam" (Quyết định
//! 121-TCTK/PPCĐ, 02/03/1979), which is the numbering used by the national population database
//! and on civil-status forms: 01 Kinh … 52 Brâu, 53 Ơ Đu, 54 Rơ Măm, plus 55 for foreigners.
//! (The later GSO list 1019/QĐ-TCTK of 2008 re-ordered the codes; it is NOT used here.)
//! Names use today's common official spelling (e.g. "Gia Rai", "Ê Đê", "Mông"); the older
//! hyphenated spellings are accepted as aliases.

use serde::Serialize;

/// One ethnic group (dân tộc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ethnicity {
    /// Two-digit official code, "01" … "54" ("55" = foreigner).
    pub code: &'static str,
    /// Name with full diacritics.
    pub name: &'static str,
    /// Other accepted spellings (older hyphenated forms, common variants).
    #[serde(skip)]
    pub aliases: &'static [&'static str],
}

/// Code of the Kinh (Việt) majority.
pub const KINH: &str = "01";
/// Code used for a person who is a foreigner (người nước ngoài); not an ethnic group of Vietnam.
pub const FOREIGNER: &str = "55";

const fn e(code: &'static str, name: &'static str, aliases: &'static [&'static str]) -> Ethnicity {
    Ethnicity {
        code,
        name,
        aliases,
    }
}

static ALL: [Ethnicity; 55] = [
    e("01", "Kinh", &["Việt", "Kinh (Việt)"]),
    e("02", "Tày", &[]),
    e("03", "Thái", &[]),
    e("04", "Hoa", &["Hán", "Hoa (Hán)"]),
    e("05", "Khmer", &["Khơ-me", "Khơ Me", "Khơme"]),
    e("06", "Mường", &[]),
    e("07", "Nùng", &[]),
    e(
        "08",
        "Mông",
        &["H'Mông", "Hmông", "H'mông", "HMông", "Mông (H'Mông)"],
    ),
    e("09", "Dao", &[]),
    e("10", "Gia Rai", &["Gia-rai", "Giarai", "Jrai"]),
    e("11", "Ngái", &[]),
    e("12", "Ê Đê", &["Ê-đê", "Êđê"]),
    e("13", "Ba Na", &["Ba-na", "Bana", "Bahnar"]),
    e("14", "Xơ Đăng", &["Xơ-đăng"]),
    e(
        "15",
        "Sán Chay",
        &["Cao Lan", "Sán Chỉ", "Cao Lan - Sán Chỉ"],
    ),
    e("16", "Cơ Ho", &["Cơ-ho", "K'Ho", "Kơ Ho"]),
    e("17", "Chăm", &["Chàm"]),
    e("18", "Sán Dìu", &[]),
    e("19", "Hrê", &["H'rê"]),
    e("20", "Mnông", &["M'Nông", "Mơ Nông"]),
    e("21", "Ra Glai", &["Ra-glai", "Raglai"]),
    e("22", "Xtiêng", &["X'tiêng", "Stiêng", "Xtiêng"]),
    e("23", "Bru - Vân Kiều", &["Bru-Vân Kiều", "Vân Kiều", "Bru"]),
    e("24", "Thổ", &[]),
    e("25", "Giáy", &[]),
    e("26", "Cơ Tu", &["Cơ-tu", "Ka Tu", "Cờ Tu"]),
    e(
        "27",
        "Giẻ Triêng",
        &["Gié-Triêng", "Gié Triêng", "Giẻ-Triêng"],
    ),
    e("28", "Mạ", &[]),
    e("29", "Khơ Mú", &["Khơ-mú", "Khmu"]),
    e("30", "Co", &[]),
    e("31", "Tà Ôi", &["Tà-ôi", "Ta-ôi", "Pa Cô"]),
    e("32", "Chơ Ro", &["Chơ-ro", "Chơro"]),
    e("33", "Kháng", &[]),
    e("34", "Xinh Mun", &["Xinh-mun"]),
    e("35", "Hà Nhì", &[]),
    e("36", "Chu Ru", &["Chu-ru", "Churu"]),
    e("37", "Lào", &[]),
    e("38", "La Chí", &[]),
    e("39", "La Ha", &[]),
    e("40", "Phù Lá", &[]),
    e("41", "La Hủ", &[]),
    e("42", "Lự", &[]),
    e("43", "Lô Lô", &[]),
    e("44", "Chứt", &[]),
    e("45", "Mảng", &[]),
    e("46", "Pà Thẻn", &[]),
    e("47", "Cơ Lao", &["Cờ Lao"]),
    e("48", "Cống", &[]),
    e("49", "Bố Y", &[]),
    e("50", "Si La", &[]),
    e("51", "Pu Péo", &[]),
    e("52", "Brâu", &[]),
    e("53", "Ơ Đu", &[]),
    e("54", "Rơ Măm", &["Rơ-măm"]),
    e("55", "Người nước ngoài", &["Nước ngoài"]),
];

/// The 54 ethnic groups of Vietnam, in code order ("01" Kinh … "54" Rơ Măm).
pub fn ethnicities() -> &'static [Ethnicity] {
    &ALL[..54]
}

/// The 54 groups followed by "55 Người nước ngoài" (for member forms that must record foreigners).
pub fn ethnicities_with_foreigners() -> &'static [Ethnicity] {
    &ALL[..]
}

/// Looks up a code; accepts "8", "08" and surrounding spaces. Includes "55" (foreigner).
pub fn by_code(code: &str) -> Option<&'static Ethnicity> {
    let code = code.trim();
    if code.is_empty() || code.len() > 2 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: usize = code.parse().ok()?;
    if (1..=55).contains(&n) {
        Some(&ALL[n - 1])
    } else {
        None
    }
}

/// Looks up a name or alias, ignoring case, diacritics (including đ/Đ), spaces, hyphens and
/// apostrophes: "H'Mông", "Hmông", "hmong", "Mông" and "mong" all find code "08". A leading
/// "dân tộc" is ignored. Includes "55" (foreigner).
pub fn by_name(name: &str) -> Option<&'static Ethnicity> {
    let mut key = fold_key(name);
    if let Some(rest) = key.strip_prefix("dantoc") {
        if !rest.is_empty() {
            key = rest.to_string();
        }
    }
    if key.is_empty() {
        return None;
    }
    ALL.iter()
        .find(|e| fold_key(e.name) == key || e.aliases.iter().any(|a| fold_key(a) == key))
}

/// True for the 53 ethnic minorities (codes "02" … "54"); false for Kinh, for foreigners ("55")
/// and for unknown codes.
pub fn is_minority(code: &str) -> bool {
    matches!(by_code(code), Some(e) if e.code != KINH && e.code != FOREIGNER)
}

/// The comparison key used by [`by_name`]: lower case, without diacritics, đ → d, keeping only
/// letters and digits.
pub fn fold_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue; // combining marks of decomposed input
        }
        let base = fold_char(c);
        for l in base.to_lowercase() {
            if l.is_alphanumeric() {
                out.push(l);
            }
        }
    }
    out
}

/// Maps one Vietnamese letter to its base Latin letter (case kept); other characters unchanged.
pub(crate) fn fold_char(c: char) -> char {
    const GROUPS: &[(&str, char)] = &[
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬ", 'A'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ÈÉẺẼẸÊỀẾỂỄỆ", 'E'),
        ("ìíỉĩị", 'i'),
        ("ÌÍỈĨỊ", 'I'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢ", 'O'),
        ("ùúủũụưừứửữự", 'u'),
        ("ÙÚỦŨỤƯỪỨỬỮỰ", 'U'),
        ("ỳýỷỹỵ", 'y'),
        ("ỲÝỶỸỴ", 'Y'),
        ("đ", 'd'),
        ("Đ", 'D'),
    ];
    if c.is_ascii() {
        return c;
    }
    for (set, base) in GROUPS {
        if set.contains(c) {
            return *base;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_four_groups_with_consecutive_codes() {
        let list = ethnicities();
        assert_eq!(list.len(), 54);
        for (i, e) in list.iter().enumerate() {
            assert_eq!(e.code, format!("{:02}", i + 1));
            assert!(!e.name.is_empty());
        }
        assert_eq!(ethnicities_with_foreigners().len(), 55);
        assert_eq!(ethnicities_with_foreigners()[54].name, "Người nước ngoài");
        let mut names: Vec<String> = list.iter().map(|e| fold_key(e.name)).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 54, "folded names must be unique");
    }

    #[test]
    fn known_codes() {
        let cases = [
            ("01", "Kinh"),
            ("02", "Tày"),
            ("03", "Thái"),
            ("04", "Hoa"),
            ("05", "Khmer"),
            ("06", "Mường"),
            ("07", "Nùng"),
            ("08", "Mông"),
            ("09", "Dao"),
            ("10", "Gia Rai"),
            ("11", "Ngái"),
            ("12", "Ê Đê"),
            ("15", "Sán Chay"),
            ("18", "Sán Dìu"),
            ("23", "Bru - Vân Kiều"),
            ("25", "Giáy"),
            ("29", "Khơ Mú"),
            ("35", "Hà Nhì"),
            ("40", "Phù Lá"),
            ("46", "Pà Thẻn"),
            ("51", "Pu Péo"),
            ("52", "Brâu"),
            ("53", "Ơ Đu"),
            ("54", "Rơ Măm"),
            ("55", "Người nước ngoài"),
        ];
        for (code, name) in cases {
            assert_eq!(by_code(code).map(|e| e.name), Some(name), "{code}");
        }
        assert_eq!(by_code("8").map(|e| e.code), Some("08"));
        assert_eq!(by_code(" 07 ").map(|e| e.code), Some("07"));
        for bad in ["", "0", "00", "56", "100", "x1", "-1"] {
            assert_eq!(by_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn lookup_by_name_ignores_case_diacritics_and_punctuation() {
        let cases = [
            ("H'Mông", "08"),
            ("Hmông", "08"),
            ("HMONG", "08"),
            ("Mông", "08"),
            ("mong", "08"),
            ("H’mông", "08"),
            ("tay", "02"),
            ("Tày", "02"),
            ("TÀY", "02"),
            ("nung", "07"),
            ("dao", "09"),
            ("kinh", "01"),
            ("Việt", "01"),
            ("khmer", "05"),
            ("Khơ-me", "05"),
            ("gia-rai", "10"),
            ("ede", "12"),
            ("Ê-đê", "12"),
            ("o du", "53"),
            ("Ơ Đu", "53"),
            ("ro mam", "54"),
            ("dân tộc Tày", "02"),
            ("Cờ Lao", "47"),
            ("Bru-Vân Kiều", "23"),
            // decomposed (NFD) input: "Tày" written with a combining grave accent
            ("Ta\u{300}y", "02"),
            ("nguoi nuoc ngoai", "55"),
        ];
        for (name, code) in cases {
            assert_eq!(by_name(name).map(|e| e.code), Some(code), "{name}");
        }
        for bad in ["", "  ", "Mèo Vạc", "Kinh Tày", "dân tộc"] {
            assert_eq!(by_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn minority_test() {
        assert!(!is_minority("01"));
        assert!(!is_minority("1"));
        for e in &ethnicities()[1..] {
            assert!(is_minority(e.code), "{}", e.name);
        }
        assert!(!is_minority("55"));
        assert!(!is_minority("99"));
        assert!(!is_minority(""));
    }

    #[test]
    fn fold_key_handles_d_stroke() {
        assert_eq!(fold_key("Đặng Thị Đào"), "dangthidao");
        assert_eq!(fold_key("Nông Thị Phương"), "nongthiphuong");
    }
}
