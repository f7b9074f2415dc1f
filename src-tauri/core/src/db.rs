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

use rusqlite::{Connection, OpenFlags};
use std::io::Read;
use std::path::Path;

/// Page size of a new ledger file (bytes): 8 KiB instead of SQLite's 4 KiB. An office ledger of
/// 30 communes holds ~1 M rows in indexes keyed by ids, personal ID numbers and names; larger
/// pages mean fewer page splits and shallower trees, and a folder import ~10 % faster
/// (BENCHMARKS.md). A file made before keeps its page size.
pub const PAGE_SIZE: u32 = 8192;

/// `PRAGMA application_id` of a Sổ Giảm Nghèo ledger ("GNG1").
pub const APPLICATION_ID: i32 = 0x474E_4731;

/// The migrations, in order. Append only: a shipped migration is never edited.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_review.sql")),
    (3, include_str!("../migrations/0003_exchange.sql")),
    (4, include_str!("../migrations/0004_sync.sql")),
    (5, include_str!("../migrations/0005_poverty_causes.sql")),
    (6, include_str!("../migrations/0006_key_rollover.sql")),
    (7, include_str!("../migrations/0007_office.sql")),
    (8, include_str!("../migrations/0008_compact_log.sql")),
    (9, include_str!("../migrations/0009_op_pack.sql")),
    (
        10,
        include_str!("../migrations/0010_drop_birth_date_index.sql"),
    ),
];

/// The schema version this build writes.
pub fn latest_schema_version() -> i64 {
    MIGRATIONS.last().map(|(v, _)| *v).unwrap_or(0)
}

/// Open (creating if missing) and migrate a ledger file. A file that is not SQLite, belongs to
/// another program, has a newer schema or is locked is refused with a Vietnamese message and is
/// left byte-for-byte untouched: every check happens before anything is written.
pub fn open(path: &Path) -> Result<Connection, Error> {
    let exists = path.exists();
    if exists {
        check_sqlite_header(path)?;
    } else if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() && !dir.exists() {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::Io(format!(
                    "Không tạo được thư mục chứa cơ sở dữ liệu {}: {}",
                    dir.display(),
                    crate::error::describe_io_error(&e)
                ))
            })?;
        }
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| describe_sqlite_error(&e))?;
    conn.busy_timeout(std::time::Duration::from_millis(1500))?;

    // Read-only checks first.
    let table_count: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| describe_sqlite_error(&e))?;
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if table_count > 0 && app_id != APPLICATION_ID {
        return Err(Error::Database(format!(
            "Tệp {} là cơ sở dữ liệu SQLite của một chương trình khác, không phải của Sổ Giảm Nghèo. Tệp không bị thay đổi.",
            path.display()
        )));
    }
    if version > latest_schema_version() {
        return Err(Error::Database(format!(
            "Cơ sở dữ liệu {} được tạo bởi phiên bản mới hơn của Sổ Giảm Nghèo (lược đồ {} > {}). Hãy cập nhật phần mềm; tệp không bị thay đổi.",
            path.display(),
            version,
            latest_schema_version()
        )));
    }
    if table_count == 0 {
        // Only a new file, before its first write transaction: SQLite fixes the page size when
        // it writes the first page (changing it later takes a VACUUM out of WAL mode).
        conn.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE};"))?;
    }
    // Is another process holding the write lock? Find out before changing anything.
    conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")
        .map_err(|e| match describe_sqlite_error(&e) {
            Error::Database(m) => Error::Database(format!("{m} ({})", path.display())),
            other => other,
        })?;

    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;",
    )?;
    migrate(&conn, version)?;
    Ok(conn)
}

fn check_sqlite_header(path: &Path) -> Result<(), Error> {
    let mut f = std::fs::File::open(path).map_err(|e| {
        Error::Io(format!(
            "Không mở được tệp {}: {}",
            path.display(),
            crate::error::describe_io_error(&e)
        ))
    })?;
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match f.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(Error::Io(crate::error::describe_io_error(&e))),
        }
    }
    if read == 0 {
        return Ok(()); // an empty file: SQLite treats it as a new database
    }
    if read < 16 || &head != b"SQLite format 3\0" {
        return Err(Error::Database(format!(
            "Tệp {} không phải là cơ sở dữ liệu SQLite (có thể chọn nhầm tệp hoặc tệp đã hỏng). Tệp không bị thay đổi.",
            path.display()
        )));
    }
    Ok(())
}

fn migrate(conn: &Connection, from: i64) -> Result<(), Error> {
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > from) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        if *version == 8 {
            crate::ledger::reencode_revs(&tx)?;
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.commit()?;
    }
    Ok(())
}

/// The schema as text (tables, indexes, triggers in name order), for the snapshot test.
pub fn schema_dump(conn: &Connection) -> Result<String, Error> {
    let mut stmt = conn.prepare(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(format!(
            "-- {} {}\n{};\n",
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?
        ))
    })?;
    let mut out = String::new();
    for r in rows {
        out.push_str(&r?);
    }
    Ok(out)
}
