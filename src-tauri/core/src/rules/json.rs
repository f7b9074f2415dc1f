//! Turning serde/JSON errors into precise Vietnamese messages (which field, what is wrong). Used by
//! the rule-set loader and by the `classify` CLI; it does not decide what is valid, serde does.

use serde::de::DeserializeOwned;

/// Parses `text` as JSON into `T`, reporting syntax errors with line/column and type errors with
/// the path of the offending field, in Vietnamese.
pub fn from_str_vi<T: DeserializeOwned>(text: &str) -> std::result::Result<T, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| syntax_message(&e))?;
    from_value_vi(value)
}

/// Deserializes an already parsed JSON value into `T`, naming the failing field in Vietnamese.
pub fn from_value_vi<T: DeserializeOwned>(
    value: serde_json::Value,
) -> std::result::Result<T, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = translate(&e.inner().to_string());
        if path.is_empty() || path == "." {
            inner
        } else {
            format!("trường «{path}»: {inner}")
        }
    })
}

/// A Vietnamese description of a JSON syntax error.
pub fn syntax_message(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "dữ liệu JSON bị cắt cụt (thiếu dấu đóng)",
        Category::Syntax => "sai cú pháp JSON",
        Category::Data => "dữ liệu JSON không hợp lệ",
        Category::Io => "lỗi đọc dữ liệu",
    };
    format!("{what} tại dòng {}, cột {}", e.line(), e.column())
}

/// Translates serde's English messages (missing field, unknown field, invalid type, …).
fn translate(msg: &str) -> String {
    // serde appends " at line X column Y" for from_str; from_value has no position.
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    if let Some(name) = between(msg, "missing field `", "`") {
        return format!("thiếu trường bắt buộc «{name}»");
    }
    if let Some(name) = between(msg, "unknown field `", "`") {
        return format!("trường «{name}» không được hỗ trợ (có thể viết sai tên)");
    }
    if let Some(name) = between(msg, "unknown variant `", "`") {
        let expected = msg
            .split("expected ")
            .nth(1)
            .unwrap_or("")
            .replace('`', "")
            .replace("one of ", "")
            .replace(" or ", " hoặc ");
        return format!("giá trị «{name}» không hợp lệ; giá trị được chấp nhận: {expected}");
    }
    if let Some(name) = between(msg, "duplicate field `", "`") {
        return format!("trường «{name}» xuất hiện hai lần");
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        let (got, expected) = split_expected(rest);
        return format!(
            "sai kiểu dữ liệu: nhận {}, cần {}",
            describe_got(got),
            describe_expected(expected)
        );
    }
    if let Some(rest) = msg.strip_prefix("invalid value: ") {
        let (got, expected) = split_expected(rest);
        return format!(
            "giá trị không hợp lệ: {}, cần {}",
            describe_got(got),
            describe_expected(expected)
        );
    }
    if msg.starts_with("premature end of input")
        || msg.starts_with("input contains invalid characters")
    {
        return format!("ngày không hợp lệ (cần dạng YYYY-MM-DD, ví dụ 2026-09-01): {msg}");
    }
    if msg.contains("input is out of range")
        || msg.contains("input is not enough")
        || msg.contains("trailing input")
    {
        return "ngày không hợp lệ (cần dạng YYYY-MM-DD, ví dụ 2026-09-01)".to_string();
    }
    format!("dữ liệu không hợp lệ ({msg})")
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

fn split_expected(rest: &str) -> (&str, &str) {
    match rest.split_once(", expected ") {
        Some((a, b)) => (a, b),
        None => (rest, ""),
    }
}

fn describe_got(got: &str) -> String {
    if let Some(v) = got.strip_prefix("string ") {
        format!("chuỗi {v}")
    } else if let Some(v) = got.strip_prefix("integer ") {
        format!("số nguyên {}", v.replace('`', ""))
    } else if let Some(v) = got.strip_prefix("floating point ") {
        format!("số thực {}", v.replace('`', ""))
    } else if let Some(v) = got.strip_prefix("boolean ") {
        format!("giá trị đúng/sai {}", v.replace('`', ""))
    } else if got == "null" {
        "null".to_string()
    } else if got == "map" {
        "đối tượng".to_string()
    } else if got == "sequence" {
        "danh sách".to_string()
    } else {
        got.to_string()
    }
}

fn describe_expected(expected: &str) -> String {
    let e = expected.trim();
    if e.contains("i64")
        || e.contains("i32")
        || e.contains("u32")
        || e.contains("u64")
        || e.contains("integer")
    {
        "số nguyên".to_string()
    } else if e.contains("f64") || e.contains("f32") {
        "số".to_string()
    } else if e.contains("bool") {
        "true hoặc false".to_string()
    } else if e.contains("date") || e.contains("NaiveDate") {
        "ngày dạng YYYY-MM-DD".to_string()
    } else if e.contains("string") {
        "chuỗi".to_string()
    } else if e.contains("sequence") {
        "danh sách".to_string()
    } else if e.contains("struct") || e.contains("map") {
        "đối tượng".to_string()
    } else {
        e.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        a: i64,
        b: Option<bool>,
    }

    #[test]
    fn messages_name_the_field_in_vietnamese() {
        let e = from_str_vi::<Sample>(r#"{"b": true}"#).unwrap_err();
        assert_eq!(e, "thiếu trường bắt buộc «a»");
        let e = from_str_vi::<Sample>(r#"{"a": "x"}"#).unwrap_err();
        assert!(e.starts_with("trường «a»: sai kiểu dữ liệu"), "{e}");
        assert!(e.contains("số nguyên"), "{e}");
        let e = from_str_vi::<Sample>(r#"{"a": 1, "c": 2}"#).unwrap_err();
        assert!(e.contains("«c» không được hỗ trợ"), "{e}");
        let e = from_str_vi::<Sample>(r#"{"a": 1"#).unwrap_err();
        assert!(e.contains("dòng 1"), "{e}");
    }
}
