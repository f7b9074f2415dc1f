//! The error a command sends to the UI: `{kind, message, fields}`, the same shape as
//! `giamngheo_core::Error` serialises to, plus the shell's own kinds (`open_failed`, `internal`).
//! Deliberately does not invent messages for core errors: the core's Vietnamese text is passed on.

use std::path::Path;

use giamngheo_core::error::FieldError;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ShellError {
    pub kind: String,
    pub message: String,
    pub fields: Vec<FieldError>,
    /// For `open_failed`: the database file that could not be opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl ShellError {
    pub fn internal(message: &str) -> ShellError {
        ShellError {
            kind: "internal".into(),
            message: message.into(),
            fields: Vec::new(),
            path: None,
        }
    }

    pub fn open_failed(path: &Path, message: &str) -> ShellError {
        ShellError {
            kind: "open_failed".into(),
            message: message.into(),
            fields: Vec::new(),
            path: Some(path.display().to_string()),
        }
    }
}

impl From<giamngheo_core::Error> for ShellError {
    fn from(e: giamngheo_core::Error) -> ShellError {
        ShellError {
            kind: e.kind().into(),
            message: e.to_string(),
            fields: e.field_errors(),
            path: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_field_errors_keep_kind_message_and_fields() {
        let e: ShellError = giamngheo_core::Error::Fields(vec![FieldError {
            field: "members[1].id_number".into(),
            message: "Số định danh phải có 12 chữ số.".into(),
        }])
        .into();
        let v = serde_json::to_value(&e).expect("serialises");
        assert_eq!(v["kind"], "validation");
        assert_eq!(v["fields"][0]["field"], "members[1].id_number");
        assert_eq!(v["message"], "Số định danh phải có 12 chữ số.");
        assert!(v.get("path").is_none());
    }

    #[test]
    fn open_failure_names_the_file() {
        let e =
            ShellError::open_failed(Path::new("/x/y.db"), "Tệp này không phải là cơ sở dữ liệu.");
        let v = serde_json::to_value(&e).expect("serialises");
        assert_eq!(v["kind"], "open_failed");
        assert_eq!(v["path"], "/x/y.db");
    }
}
