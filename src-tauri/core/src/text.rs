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
///
/// Each character is decomposed on its own (canonical decomposition, as NFD does; ASCII has
/// none): the same result as folding the string's NFD, because NFD only reorders
/// combining marks (every character of a non-zero combining class is a mark) and folding drops
/// them all — without NFD's buffer and reordering, for the 150,000 households of an import.
pub fn fold(s: &str) -> String {
    let mut out = Folded::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.take(c);
            continue;
        }
        unicode_normalization::char::decompose_canonical(c, |d| {
            if !unicode_normalization::char::is_combining_mark(d) {
                out.take(d);
            }
        });
    }
    out.finish()
}

/// The text [`fold`] builds, one base character (no combining mark) at a time.
struct Folded {
    out: String,
    last_space: bool,
}

impl Folded {
    fn with_capacity(n: usize) -> Self {
        Folded {
            out: String::with_capacity(n),
            last_space: true,
        }
    }

    /// Adds one character: đ/Đ as d, whitespace runs as one space, the rest lower-cased.
    fn take(&mut self, c: char) {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !self.last_space {
                self.out.push(' ');
            }
            self.last_space = true;
            return;
        }
        self.last_space = false;
        match c.is_ascii() {
            true => self.out.push(c.to_ascii_lowercase()),
            false => self.out.extend(c.to_lowercase()),
        }
    }

    /// The text without a trailing space.
    fn finish(mut self) -> String {
        if self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out
    }
}

/// Position of a base letter (with its vowel modifier) in the Vietnamese alphabet, extended with
/// the Latin letters f j w z where they would fall in Latin order:
/// a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z.
fn letter_rank(base: char, modifier: Option<char>) -> Option<u8> {
    Some(match (base, modifier) {
        ('a', Some(BREVE)) | ('ă', _) => 1,
        ('a', Some(CIRCUMFLEX)) | ('â', _) => 2,
        ('a', _) => 0,
        ('b', _) => 3,
        ('c', _) => 4,
        ('d', _) => 5,
        ('đ', _) => 6,
        ('e', Some(CIRCUMFLEX)) | ('ê', _) => 8,
        ('e', _) => 7,
        (c @ 'f'..='n', _) => 9 + (c as u8 - b'f'),
        ('o', Some(CIRCUMFLEX)) | ('ô', _) => 19,
        ('o', Some(HORN)) | ('ơ', _) => 20,
        ('o', _) => 18,
        ('u', Some(HORN)) | ('ư', _) => 27,
        (c @ 'p'..='u', _) => 21 + (c as u8 - b'p'),
        (c @ 'v'..='z', _) => 28 + (c as u8 - b'v'),
        _ => return None,
    })
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

    /// Folding as first written: the whole string's NFD (decomposed and its marks reordered),
    /// marks dropped.
    fn fold_by_nfd(s: &str) -> String {
        let mut out = Folded::with_capacity(s.len());
        for c in s.nfd() {
            if !unicode_normalization::char::is_combining_mark(c) {
                out.take(c);
            }
        }
        out.finish()
    }

    #[test]
    fn folding_char_by_char_is_folding_the_strings_nfd() {
        // Every character of the first two planes alone, after a letter and before a mark …
        for c in (0..0x2_0000u32).filter_map(char::from_u32) {
            for s in [
                c.to_string(),
                format!("Ta{c}"),
                format!("{c}\u{0323}\u{0301} x"),
            ] {
                assert_eq!(fold(&s), fold_by_nfd(&s), "{s:?}");
            }
        }
        // … and marks in every order after Vietnamese letters, decomposed or not.
        let marks = [
            '\u{0300}', '\u{0301}', '\u{0303}', '\u{0309}', '\u{0323}', BREVE, CIRCUMFLEX, HORN,
        ];
        for base in ["a", "Ư", "ơ", "Đ", "  ", "ễ"] {
            for m1 in marks {
                for m2 in marks {
                    let s = format!(" {base}{m1}{m2}{base} ");
                    assert_eq!(fold(&s), fold_by_nfd(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn letter_ranks_follow_the_alphabet_string() {
        // The alphabet as a list of letters, each with the modifier NFD gives it.
        let alphabet = "a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z";
        let letters: Vec<(char, Option<char>)> = alphabet
            .split(' ')
            .map(|l| {
                let mut d = l.nfd();
                (d.next().unwrap(), d.next())
            })
            .collect();
        let rank = |base: char, modifier: Option<char>| {
            let exact = letters.iter().position(|l| *l == (base, modifier));
            exact
                .or_else(|| letters.iter().position(|l| *l == (base, None)))
                .map(|i| i as u8)
        };
        for base in (0..0x2000u32).filter_map(char::from_u32) {
            for modifier in [
                None,
                Some(BREVE),
                Some(CIRCUMFLEX),
                Some(HORN),
                Some('\u{0301}'),
            ] {
                let want = match base {
                    // Precomposed letters (never left by NFD) rank as their letter.
                    'ă' => Some(1),
                    'â' => Some(2),
                    'ê' => Some(8),
                    'ô' => Some(19),
                    'ơ' => Some(20),
                    'ư' => Some(27),
                    _ => rank(base, modifier),
                };
                assert_eq!(letter_rank(base, modifier), want, "{base:?} {modifier:?}");
            }
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
