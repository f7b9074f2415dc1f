//! The USB exchange's cryptographic layer (trao đổi dữ liệu qua USB): node keys and fingerprints,
//! the signed and encrypted package file (`.hhpkg`, SYNC.md §3.5), atomic writing to a stick
//! (§3.6) and the enrolment documents (§3.10).
//!
//! Deliberately absent: the database. This module never reads or writes the ledger, the op log,
//! watermarks or the package log; the caller feeds it op lines (NDJSON) and persists keys,
//! certificates and results. Ops are opaque JSON objects here.

pub mod atomic;
pub mod enrol;
pub mod keys;
pub mod package;

pub use atomic::{
    package_file_name, remove_stale_tmp, write_package, write_package_with, FaultPlan, FaultyIo,
    RealIo, StickIo, WrittenPackage,
};
pub use enrol::{
    CertificateAssignment, DeviceCertificate, DeviceRole, EnrolmentRequest, KeyRollover,
};
pub use keys::{
    fingerprint, fingerprint_matches, new_node_id, validate_node_id, KeysFile, NodeKeys, PublicKeys,
};
pub use package::{
    build_package, build_package_compressed, open_package, open_package_file, peek_header,
    read_capped, read_header_unverified, KnownSender, Limits, LocalNode, OpLines, OpenedPackage,
    PackageHeader, PackageKind, PackagePayload, PackageSpec, PeekedPackage, Section, SenderTrust,
    StoredPlaintext, COMPRESSION_DEFLATE, FORMAT_VERSION, MAX_HEADER_LEN, MAX_OP_LINE_BYTES,
};

use std::fmt;

/// What the importer does with a package that failed a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Refused outright: broken, forged, misaddressed, too large or too new.
    Rejected,
    /// Authentic-looking but not (yet) trusted: set aside for the officer to look at.
    Quarantined,
}

/// Why a package file was refused. `Display` is the Vietnamese reason for the person importing;
/// [`PackageError::kind`] is a stable tag for programs; [`PackageError::disposition`] says
/// whether the package is rejected or set aside in quarantine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageError {
    /// Shorter than the structure says, or the trailer is missing.
    Truncated,
    /// Not a package, or its structure is broken (`detail` is Vietnamese).
    Corrupt(String),
    /// The file or its payload is larger than the configured cap.
    TooLarge { bytes: u64, cap: u64 },
    /// One line of the payload is longer than the per-line cap.
    LineTooLarge { line: u64, cap: u64 },
    /// The file format version is newer than this application understands.
    NewerFormat { found: u16 },
    /// Addressed to another node.
    WrongReceiver,
    /// The sender node is not enrolled here.
    UnknownSender,
    /// The sender is known but the certificate serial in the header is not its current one.
    UnknownCertificate,
    /// The Ed25519 signature does not verify with the sender's key.
    BadSignature,
    /// The payload's SHA-256 differs from the signed header's.
    HashMismatch,
    /// The package's schema version is newer than this application supports.
    NewerSchema { found: u32, supported: u32 },
    /// The payload could not be decrypted with this node's key.
    DecryptFailed,
    /// The inner manifest disagrees with the signed header (`field` names the field).
    ManifestMismatch { field: &'static str },
    /// The payload's content is malformed (`detail` is Vietnamese).
    BadPayload(String),
    /// The file could not be read.
    Io(String),
}

impl PackageError {
    /// A stable machine-readable tag.
    pub fn kind(&self) -> &'static str {
        match self {
            PackageError::Truncated => "truncated",
            PackageError::Corrupt(_) => "corrupt",
            PackageError::TooLarge { .. } => "too_large",
            PackageError::LineTooLarge { .. } => "line_too_large",
            PackageError::NewerFormat { .. } => "newer_format",
            PackageError::WrongReceiver => "wrong_receiver",
            PackageError::UnknownSender => "unknown_sender",
            PackageError::UnknownCertificate => "unknown_certificate",
            PackageError::BadSignature => "bad_signature",
            PackageError::HashMismatch => "hash_mismatch",
            PackageError::NewerSchema { .. } => "newer_schema",
            PackageError::DecryptFailed => "decrypt_failed",
            PackageError::ManifestMismatch { .. } => "manifest_mismatch",
            PackageError::BadPayload(_) => "bad_payload",
            PackageError::Io(_) => "io",
        }
    }

    /// Rejected, or set aside in quarantine (unknown sender or certificate: the package may be
    /// genuine and become importable once the device is enrolled).
    pub fn disposition(&self) -> Disposition {
        match self {
            PackageError::UnknownSender | PackageError::UnknownCertificate => {
                Disposition::Quarantined
            }
            _ => Disposition::Rejected,
        }
    }
}

impl fmt::Display for PackageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackageError::Truncated => f.write_str("Tệp gói bị cắt cụt hoặc hỏng."),
            PackageError::Corrupt(d) => write!(f, "Tệp gói bị cắt cụt hoặc hỏng: {d}"),
            PackageError::TooLarge { bytes, cap } => write!(
                f,
                "Gói quá lớn ({bytes} byte, giới hạn {cap} byte); bên gửi cần xuất lại dạng ảnh chụp."
            ),
            PackageError::LineTooLarge { line, cap } => write!(
                f,
                "Dòng dữ liệu thứ {line} trong gói dài quá giới hạn {cap} byte; gói bị từ chối."
            ),
            PackageError::NewerFormat { found } => write!(
                f,
                "Gói dùng định dạng phiên bản {found}, mới hơn phần mềm này: cần cập nhật phần mềm."
            ),
            PackageError::WrongReceiver => f.write_str("Gói gửi cho đơn vị khác, không phải đơn vị này."),
            PackageError::UnknownSender => f.write_str(
                "Thiết bị gửi chưa được đăng ký; gói được để riêng (cách ly) chờ kiểm tra.",
            ),
            PackageError::UnknownCertificate => f.write_str(
                "Chứng thư của thiết bị gửi không phải chứng thư hiện hành; gói được để riêng (cách ly) chờ kiểm tra.",
            ),
            PackageError::BadSignature => {
                f.write_str("Gói đã bị sửa đổi hoặc không phải do bên gửi ký.")
            }
            PackageError::HashMismatch => {
                f.write_str("Gói đã bị sửa đổi: mã băm nội dung không khớp với phần đầu gói.")
            }
            PackageError::NewerSchema { found, supported } => write!(
                f,
                "Gói được tạo bởi phiên bản phần mềm mới hơn (lược đồ {found}, máy này hỗ trợ đến {supported}): cần cập nhật phần mềm."
            ),
            PackageError::DecryptFailed => f.write_str(
                "Không giải mã được gói bằng khoá của đơn vị này (gói mã hoá cho đơn vị khác hoặc bị hỏng).",
            ),
            PackageError::ManifestMismatch { field } => write!(
                f,
                "Nội dung gói không khớp với phần đầu đã ký (trường {field}): gói bị từ chối."
            ),
            PackageError::BadPayload(d) => write!(f, "Nội dung gói không hợp lệ: {d}"),
            PackageError::Io(d) => write!(f, "Không đọc được tệp gói: {d}"),
        }
    }
}

impl std::error::Error for PackageError {}

/// `{kind, disposition, message}` for the import report and the UI.
impl serde::Serialize for PackageError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("PackageError", 3)?;
        st.serialize_field("kind", self.kind())?;
        st.serialize_field("disposition", &self.disposition())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

impl From<PackageError> for crate::Error {
    fn from(e: PackageError) -> Self {
        match e {
            PackageError::Io(m) => crate::Error::Io(m),
            other => crate::Error::Invalid(other.to_string()),
        }
    }
}
