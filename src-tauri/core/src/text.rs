//! Vietnamese text for search and sorting: folding (case, diacritics, đ/Đ) and a collation key
//! that follows the Vietnamese alphabet (a ă â b c d đ e ê … o ô ơ … u ư …) with tones as a
//! secondary difference. Owns no storage; the ledger stores the results as derived columns.

use unicode_normalization::UnicodeNormalization;

const BREVE: char = '\u{0306}';
const CIRCUMFLEX: char = '\u{0302}';
const HORN: char = '\u{031B}';

/// Tone marks in the conventional Vietnamese order: ngang (none), huyền, hỏi, ngã, sắc, nặng.
fn tone_rank(c: char) -> Option<u8> {
    match c {
        '\u{0300}' => Some(1), // huyền
        '\u{0309}' => Some(2), // hỏi
        '\u{0303}' => Some(3), // ngã
        '\u{0301}' => Some(4), // sắc
        '\u{0323}' => Some(5), // nặng
        _ => None,
    }
}

/// Lower-case, strip every diacritic and map đ to d: "Nông Thị Phương" → "nong thi phuong",
/// "Đặng" → "dang". Whitespace runs become one space; the result is trimmed.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_space = true;
    for c in s.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        out.extend(c.to_lowercase());
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Position of a base letter (with its vowel modifier) in the Vietnamese alphabet, extended with
/// the Latin letters f j w z where they would fall in Latin order.
fn letter_rank(base: char, modifier: Option<char>) -> Option<u8> {
    const ORDER: [(&str, char); 33] = [
        ("a", 'a'),
        ("ă", 'a'),
        ("â", 'a'),
        ("b", 'b'),
        ("c", 'c'),
        ("d", 'd'),
        ("đ", 'đ'),
        ("e", 'e'),
        ("ê", 'e'),
        ("f", 'f'),
        ("g", 'g'),
        ("h", 'h'),
        ("i", 'i'),
        ("j", 'j'),
        ("k", 'k'),
        ("l", 'l'),
        ("m", 'm'),
        ("n", 'n'),
        ("o", 'o'),
        ("ô", 'o'),
        ("ơ", 'o'),
        ("p", 'p'),
        ("q", 'q'),
        ("r", 'r'),
        ("s", 's'),
        ("t", 't'),
        ("u", 'u'),
        ("ư", 'u'),
        ("v", 'v'),
        ("w", 'w'),
        ("x", 'x'),
        ("y", 'y'),
        ("z", 'z'),
    ];
    let wanted: String = match (base, modifier) {
        ('a', Some(BREVE)) => "ă".into(),
        ('a', Some(CIRCUMFLEX)) => "â".into(),
        ('e', Some(CIRCUMFLEX)) => "ê".into(),
        ('o', Some(CIRCUMFLEX)) => "ô".into(),
        ('o', Some(HORN)) => "ơ".into(),
        ('u', Some(HORN)) => "ư".into(),
        (b, _) => b.to_string(),
    };
    ORDER
        .iter()
        .position(|(s, _)| *s == wanted)
        .map(|i| i as u8)
}

/// A key whose plain byte order is Vietnamese dictionary order: letters first by the Vietnamese
/// alphabet, ties broken by tone (ngang < huyền < hỏi < ngã < sắc < nặng). Case is ignored.
pub fn collation_key(s: &str) -> String {
    let mut primary = String::with_capacity(s.len() + 4);
    let mut tones = String::new();
    let lower: String = s.to_lowercase();
    let mut chars = lower.nfd().peekable();
    while let Some(c) = chars.next() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue; // stray mark without a base letter
        }
        let mut modifier = None;
        let mut tone = 0u8;
        while let Some(&m) = chars.peek() {
            if !unicode_normalization::char::is_combining_mark(m) {
                break;
            }
            if let Some(t) = tone_rank(m) {
                tone = t;
            } else if matches!(m, BREVE | CIRCUMFLEX | HORN) {
                modifier = Some(m);
            }
            chars.next();
        }
        if let Some(rank) = letter_rank(c, modifier) {
            primary.push(char::from(b'A' + rank));
            tones.push(char::from(b'0' + tone));
        } else if c.is_whitespace() {
            primary.push(' ');
        } else if c.is_ascii_digit() {
            primary.push(c);
        } else if c.is_alphabetic() {
            // Letters outside the Vietnamese alphabet sort after it, in code-point order.
            primary.push('~');
            primary.push(c);
        }
        // Punctuation is ignored for ordering.
    }
    primary.push('\u{1}');
    primary.push_str(&tones);
    primary
}

/// Key for sorting people the Vietnamese way: by given name (the last word), then by the full
/// name — the order of official lists ("xếp theo tên").
pub fn name_sort_key(full_name: &str) -> String {
    let given = full_name.split_whitespace().last().unwrap_or("");
    format!("{}\u{0}{}", collation_key(given), collation_key(full_name))
}

/// The words of a search query, folded; a record matches when its folded text contains them all.
pub fn search_terms(query: &str) -> Vec<String> {
    fold(query)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_case_diacritics_and_d_stroke() {
        for (input, want) in [
            ("Nông Thị Phương", "nong thi phuong"),
            ("ĐẶNG VĂN ĐỨC", "dang van duc"),
            ("Giàng A Páo", "giang a pao"),
            ("  Hoàng   Thị\tMỷ ", "hoang thi my"),
            ("Xóm Khưa Lốm", "xom khua lom"),
            ("", ""),
        ] {
            assert_eq!(fold(input), want, "{input}");
        }
    }

    #[test]
    fn folding_treats_decomposed_and_precomposed_input_alike() {
        let decomposed: String = "Phương".nfd().collect();
        assert_eq!(fold(&decomposed), fold("Phương"));
    }

    fn sorted(words: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        v.sort_by_key(|w| collation_key(w));
        v
    }

    #[test]
    fn collation_follows_the_vietnamese_alphabet() {
        assert_eq!(sorted(&["đa", "da", "dz", "e"]), ["da", "dz", "đa", "e"]);
        assert_eq!(sorted(&["ơ", "ô", "o", "p"]), ["o", "ô", "ơ", "p"]);
        assert_eq!(sorted(&["ư", "u", "v"]), ["u", "ư", "v"]);
        assert_eq!(sorted(&["ă", "â", "a", "b"]), ["a", "ă", "â", "b"]);
    }

    #[test]
    fn collation_orders_tones_after_letters() {
        assert_eq!(
            sorted(&["mạ", "má", "mã", "mả", "mà", "ma"]),
            ["ma", "mà", "mả", "mã", "má", "mạ"]
        );
        // A tone never outranks a letter: "mà" < "mb".
        assert_eq!(sorted(&["mb", "mà"]), ["mà", "mb"]);
    }

    #[test]
    fn collation_ignores_case() {
        assert_eq!(collation_key("Đặng"), collation_key("đặng"));
    }

    #[test]
    fn names_sort_by_given_name_first() {
        let mut names = vec!["Nông Thị Phương", "Hoàng Văn An", "Lục Thị Bình"];
        names.sort_by_key(|n| name_sort_key(n));
        assert_eq!(names, ["Hoàng Văn An", "Lục Thị Bình", "Nông Thị Phương"]);
    }

    #[test]
    fn search_terms_are_folded_words() {
        assert_eq!(search_terms(" Nông  THỊ "), ["nong", "thi"]);
        assert!(search_terms("   ").is_empty());
    }
}
