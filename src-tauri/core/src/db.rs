//! Opening the ledger file: checks that it is ours, applies append-only migrations, sets WAL and
//! foreign keys. Owns the mapping of SQLite failures to Vietnamese messages. Does not own any
//! table's contents: every write goes through [`crate::ledger`].

use crate::error::Error;

/// Turn a SQLite error into a Vietnamese message a commune officer can act on.
pub fn describe_sqlite_error(e: &rusqlite::Error) -> Error {
    use rusqlite::ffi::ErrorCode;
    if let rusqlite::Error::SqliteFailure(f, detail) = e {
        let msg = match f.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                "Cơ sở dữ liệu đang được một chương trình khác sử dụng. Hãy đóng chương trình đó rồi thử lại."
                    .to_string()
            }
            ErrorCode::NotADatabase => {
                "Tệp này không phải là cơ sở dữ liệu SQLite của Sổ Giảm Nghèo (hoặc đã bị hỏng).".to_string()
            }
            ErrorCode::DatabaseCorrupt => {
                "Cơ sở dữ liệu bị hỏng. Hãy khôi phục từ bản sao lưu gần nhất.".to_string()
            }
            ErrorCode::DiskFull => "Ổ đĩa đã đầy: không ghi được dữ liệu. Dữ liệu cũ vẫn còn nguyên.".to_string(),
            ErrorCode::ReadOnly => "Cơ sở dữ liệu chỉ cho phép đọc: không ghi được.".to_string(),
            ErrorCode::CannotOpen => "Không mở được tệp cơ sở dữ liệu (kiểm tra đường dẫn và quyền truy cập).".to_string(),
            ErrorCode::SystemIoFailure => "Lỗi đọc/ghi ổ đĩa khi truy cập cơ sở dữ liệu.".to_string(),
            ErrorCode::ConstraintViolation => format!(
                "Dữ liệu vi phạm ràng buộc của cơ sở dữ liệu{}.",
                detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default()
            ),
            _ => format!(
                "Lỗi cơ sở dữ liệu: {}",
                detail.clone().unwrap_or_else(|| f.to_string())
            ),
        };
        return Error::Database(msg);
    }
    Error::Database(format!("Lỗi cơ sở dữ liệu: {e}"))
}
