//! Writing a package to a USB stick (ghi gói ra USB) so that a pulled stick or a full disk never
//! leaves a valid-looking `.hhpkg`: temp file, flush + `sync_all`, rename, directory sync, read
//! back and compare the hash (SYNC.md §3.6 steps 2–4). File names carry no personal data.
//!
//! Deliberately absent: building the package bytes and recording the export in the ledger. The
//! file system is reached only through [`StickIo`], so tests can fail or "kill" any single call.

use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{describe_io_error, Error, Result};

/// Extension of a finished package.
pub const PACKAGE_EXT: &str = "hhpkg";
/// Suffix of a package being written.
pub const TMP_SUFFIX: &str = ".tmp";
/// Size of each write call.
const CHUNK: usize = 64 * 1024;

/// Result of a verified write: what the UI shows before "you may remove the stick".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WrittenPackage {
    pub path: PathBuf,
    pub file_name: String,
    pub bytes: u64,
    /// SHA-256 of the file as read back, hex.
    pub sha256: String,
    /// First 8 hex digits of `sha256`.
    pub short_hash: String,
}

/// `HHS_<sender-short>_to_<receiver-short>_<pkgseq:06>.hhpkg`. Short codes are the
/// office-assigned codes (e.g. `H05-X12-L03`): letters, digits and `-` only, at most 24
/// characters, so the name holds no personal data and no path separator.
pub fn package_file_name(sender_short: &str, receiver_short: &str, pkg_seq: u64) -> Result<String> {
    let ok = |s: &str| {
        !s.is_empty() && s.len() <= 24 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !ok(sender_short) || !ok(receiver_short) {
        return Err(Error::Invalid(
            "Mã ngắn của đơn vị chỉ được gồm chữ cái không dấu, chữ số và dấu gạch ngang (tối đa 24 ký tự)."
                .into(),
        ));
    }
    Ok(format!(
        "HHS_{sender_short}_to_{receiver_short}_{pkg_seq:06}.{PACKAGE_EXT}"
    ))
}

fn is_our_package_name(name: &str) -> bool {
    name.starts_with("HHS_")
        && name.contains("_to_")
        && name.ends_with(".hhpkg")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn is_our_tmp_name(name: &str) -> bool {
    name.strip_suffix(TMP_SUFFIX)
        .is_some_and(is_our_package_name)
}

/// The file-system calls the stick writer makes. [`RealIo`] is the real thing; [`FaultyIo`]
/// fails a chosen call.
pub trait StickIo {
    /// Creates (or truncates) `path` and makes it the file the next `write`/`sync` go to.
    fn create(&mut self, path: &Path) -> io::Result<()>;
    /// Writes to the current file; may write less than `buf`.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize>;
    /// Flushes and `sync_all`s the current file, then closes it.
    fn sync(&mut self) -> io::Result<()>;
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()>;
    /// Makes the rename durable (fsync of the directory where the platform allows it).
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()>;
    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>>;
    fn remove(&mut self, path: &Path) -> io::Result<()>;
    /// File names (not paths) in `dir`.
    fn list(&mut self, dir: &Path) -> io::Result<Vec<String>>;
}

/// The real file system.
#[derive(Debug, Default)]
pub struct RealIo {
    file: Option<std::fs::File>,
}

impl StickIo for RealIo {
    fn create(&mut self, path: &Path) -> io::Result<()> {
        self.file = Some(std::fs::File::create(path)?);
        Ok(())
    }
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        use std::io::Write;
        match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Err(io::Error::new(ErrorKind::NotConnected, "no open file")),
        }
    }
    fn sync(&mut self) -> io::Result<()> {
        use std::io::Write;
        match self.file.take() {
            Some(mut f) => {
                f.flush()?;
                f.sync_all()
            }
            None => Err(io::Error::new(ErrorKind::NotConnected, "no open file")),
        }
    }
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        #[cfg(unix)]
        {
            std::fs::File::open(dir)?.sync_all()
        }
        #[cfg(not(unix))]
        {
            // Windows cannot open a directory for syncing; NTFS/exFAT renames are journalled or
            // flushed with the file's own sync.
            let _ = dir;
            Ok(())
        }
    }
    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn remove(&mut self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }
    fn list(&mut self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            if let Some(n) = entry?.file_name().to_str() {
                names.push(n.to_string());
            }
        }
        Ok(names)
    }
}

/// Which call of a [`FaultyIo`] fails and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    /// 1-based index of the failing call, counted over every [`StickIo`] method.
    pub at_call: usize,
    /// The error returned (e.g. `StorageFull`).
    pub kind: ErrorKind,
    /// `true`: the process "dies" — this call and every later one fail, so no clean-up runs
    /// (a pulled stick or a killed process). `false`: only this call fails.
    pub kill: bool,
    /// `true`: a failing `write` returns `Ok(0)` instead of an error (a full disk as seen through
    /// a short write).
    pub zero_write: bool,
}

impl FaultPlan {
    pub fn error_at(at_call: usize, kind: ErrorKind) -> Self {
        FaultPlan {
            at_call,
            kind,
            kill: false,
            zero_write: false,
        }
    }
    pub fn kill_at(at_call: usize) -> Self {
        FaultPlan {
            at_call,
            kind: ErrorKind::BrokenPipe,
            kill: true,
            zero_write: false,
        }
    }
    pub fn zero_write_at(at_call: usize) -> Self {
        FaultPlan {
            at_call,
            kind: ErrorKind::WriteZero,
            kill: false,
            zero_write: true,
        }
    }
}

/// The real file system with one injected failure (tests of failure cases 16 and 18).
#[derive(Debug)]
pub struct FaultyIo {
    inner: RealIo,
    plan: FaultPlan,
    /// Calls made so far.
    pub calls: usize,
    /// Whether the planned failure happened.
    pub fired: bool,
}

impl FaultyIo {
    pub fn new(plan: FaultPlan) -> Self {
        FaultyIo {
            inner: RealIo::default(),
            plan,
            calls: 0,
            fired: false,
        }
    }

    /// `Some(err)` when this call must fail.
    fn tick(&mut self, is_write: bool) -> Option<io::Result<usize>> {
        self.calls += 1;
        let dead = self.plan.kill && self.calls > self.plan.at_call;
        if self.calls == self.plan.at_call || dead {
            self.fired = true;
            if self.plan.zero_write && is_write {
                return Some(Ok(0));
            }
            return Some(Err(io::Error::new(self.plan.kind, "lỗi giả lập")));
        }
        None
    }
}

macro_rules! faulty {
    ($self:ident, $call:expr) => {
        match $self.tick(false) {
            Some(Err(e)) => Err(e),
            _ => $call,
        }
    };
}

impl StickIo for FaultyIo {
    fn create(&mut self, path: &Path) -> io::Result<()> {
        faulty!(self, self.inner.create(path))
    }
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.tick(true) {
            Some(r) => r,
            None => self.inner.write(buf),
        }
    }
    fn sync(&mut self) -> io::Result<()> {
        faulty!(self, self.inner.sync())
    }
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        faulty!(self, self.inner.rename(from, to))
    }
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        faulty!(self, self.inner.sync_dir(dir))
    }
    fn read(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        faulty!(self, self.inner.read(path))
    }
    fn remove(&mut self, path: &Path) -> io::Result<()> {
        faulty!(self, self.inner.remove(path))
    }
    fn list(&mut self, dir: &Path) -> io::Result<Vec<String>> {
        faulty!(self, self.inner.list(dir))
    }
}

/// Removes leftover `HHS_…hhpkg.tmp` files of earlier interrupted exports from `dir`. Returns how
/// many were removed; files of other programs are never touched.
pub fn remove_stale_tmp(io: &mut dyn StickIo, dir: &Path) -> Result<usize> {
    let names = io.list(dir).map_err(|e| write_error(&e))?;
    let mut removed = 0;
    for name in names.iter().filter(|n| is_our_tmp_name(n)) {
        if io.remove(&dir.join(name)).is_ok() {
            removed += 1;
        }
    }
    Ok(removed)
}

fn write_error(e: &io::Error) -> Error {
    let hint = match e.kind() {
        ErrorKind::StorageFull | ErrorKind::WriteZero => {
            " USB (hoặc ổ đĩa) đã đầy hoặc đã bị rút ra: hãy giải phóng chỗ trống hoặc dùng USB khác rồi xuất lại."
        }
        _ => " Hãy kiểm tra USB rồi xuất lại.",
    };
    Error::Io(format!(
        "Không ghi được gói ra USB — {}. Không có gói nào được để lại trên USB.{hint}",
        describe_io_error(e)
    ))
}

/// Writes `bytes` as `dir/file_name` through the real file system. See [`write_package_with`].
pub fn write_package(dir: &Path, file_name: &str, bytes: &[u8]) -> Result<WrittenPackage> {
    write_package_with(&mut RealIo::default(), dir, file_name, bytes)
}

/// Writes a package atomically: stale temp files removed, `<name>.tmp` written in 64 KiB chunks,
/// flushed and synced, renamed to `<name>`, directory synced, read back and its SHA-256 compared
/// with the bytes given. On any failure the temp file and the final file are removed (as far as
/// the device still allows) and a Vietnamese error is returned. An existing file of the same name
/// (a re-export of the same package sequence) is replaced only once the new one is complete.
pub fn write_package_with(
    io: &mut dyn StickIo,
    dir: &Path,
    file_name: &str,
    bytes: &[u8],
) -> Result<WrittenPackage> {
    if !is_our_package_name(file_name) {
        return Err(Error::Invalid(
            "Tên tệp gói không đúng mẫu HHS_…_to_….hhpkg.".into(),
        ));
    }
    // Stale temp files are harmless; failing to list them must not block the export.
    let _ = remove_stale_tmp(io, dir);
    let final_path = dir.join(file_name);
    let tmp_path = dir.join(format!("{file_name}{TMP_SUFFIX}"));
    let expected = hex::encode(Sha256::digest(bytes));

    let mut renamed = false;
    let result = (|| -> io::Result<Vec<u8>> {
        io.create(&tmp_path)?;
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = io.write(&rest[..rest.len().min(CHUNK)])?;
            if n == 0 {
                return Err(io::Error::new(ErrorKind::WriteZero, "ghi được 0 byte"));
            }
            rest = &rest[n..];
        }
        io.sync()?;
        io.rename(&tmp_path, &final_path)?;
        renamed = true;
        io.sync_dir(dir)?;
        io.read(&final_path)
    })();

    let cleanup = |io: &mut dyn StickIo, renamed: bool| {
        let _ = io.remove(&tmp_path);
        if renamed {
            let _ = io.remove(&final_path);
        }
    };
    match result {
        Ok(read_back) => {
            let actual = hex::encode(Sha256::digest(&read_back));
            if actual != expected || read_back.len() != bytes.len() {
                cleanup(io, true);
                return Err(Error::Io(
                    "Gói đọc lại từ USB không khớp với gói vừa ghi (USB có thể bị lỗi). Không có gói nào được để lại; hãy dùng USB khác rồi xuất lại."
                        .into(),
                ));
            }
            Ok(WrittenPackage {
                path: final_path.clone(),
                file_name: file_name.to_string(),
                bytes: read_back.len() as u64,
                short_hash: actual[..8].to_string(),
                sha256: actual,
            })
        }
        Err(e) => {
            cleanup(io, renamed);
            Err(write_error(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_follows_the_pattern_and_refuses_unsafe_codes() {
        assert_eq!(
            package_file_name("H05-X12-L03", "T05", 7).expect("name"),
            "HHS_H05-X12-L03_to_T05_000007.hhpkg"
        );
        for bad in ["", "../x", "a/b", "Nguyễn", "a b", &"x".repeat(25)] {
            assert!(package_file_name(bad, "T05", 1).is_err(), "{bad}");
        }
        assert!(is_our_tmp_name("HHS_A_to_B_000001.hhpkg.tmp"));
        assert!(!is_our_tmp_name("notes.tmp"));
        assert!(!is_our_tmp_name("HHS_A_to_B_000001.hhpkg"));
    }
}
