//! The core's error type. Every variant carries a Vietnamese message for the person at the
//! keyboard; `kind()` is a stable English tag for programs (CLI exit codes, the UI's `{kind, message}`).

use std::fmt;

/// An error the core reports. `Display` is the Vietnamese message shown to the user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input the user typed or a file supplied is not acceptable; nothing was changed.
    #[error("{0}")]
    Invalid(String),
    /// One field of a form is wrong: `field` names it so the UI can show the message next to it.
    #[error("{message}")]
    Field { field: String, message: String },
    /// Several fields are wrong at once.
    #[error("{}", join_fields(.0))]
    Fields(Vec<FieldError>),
    /// A record that was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The database file cannot be used (not SQLite, newer schema, locked, corrupt).
    #[error("{0}")]
    Database(String),
    /// The operation is not allowed in the current state (for example a locked round).
    #[error("{0}")]
    Conflict(String),
    /// Reading or writing a file failed.
    #[error("{0}")]
    Io(String),
}

/// A message attached to one field of a form.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn join_fields(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// A stable machine-readable tag.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::Field { .. } | Error::Fields(_) => "validation",
            Error::NotFound(_) => "not_found",
            Error::Database(_) => "database",
            Error::Conflict(_) => "conflict",
            Error::Io(_) => "io",
        }
    }

    /// The per-field messages, if this error is about form fields.
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Error::Field { field, message } => {
                vec![FieldError {
                    field: field.clone(),
                    message: message.clone(),
                }]
            }
            Error::Fields(v) => v.clone(),
            _ => Vec::new(),
        }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Field {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        crate::db::describe_sqlite_error(&e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(crate::error::describe_io_error(&e))
    }
}

/// A Vietnamese description of an I/O failure (full disk, permissions, missing file).
pub fn describe_io_error(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    let what = match e.kind() {
        NotFound => "không tìm thấy tệp hoặc thư mục",
        PermissionDenied => "không có quyền truy cập",
        StorageFull => "ổ đĩa đã đầy",
        AlreadyExists => "tệp đã tồn tại",
        UnexpectedEof => "tệp bị cắt cụt (kết thúc sớm)",
        WriteZero => "không ghi được dữ liệu (ổ đĩa đầy hoặc đã bị rút ra)",
        ReadOnlyFilesystem => "ổ đĩa chỉ cho phép đọc",
        _ => "lỗi đọc/ghi tệp",
    };
    format!("Lỗi tệp: {what} ({e})")
}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Error", 3)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("message", &self.to_string())?;
        st.serialize_field("fields", &self.field_errors())?;
        st.end()
    }
}

/// Shorthand used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
