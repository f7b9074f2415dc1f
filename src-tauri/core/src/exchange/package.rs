//! The package file (gói dữ liệu, `.hhpkg`, SYNC.md §3.5): building it (NDJSON payload, age
//! encryption to the receivers, Ed25519 signature) and opening it (length, structure, receiver,
//! sender, signature and hash checks strictly before any decryption; then the inner manifest).
//!
//! Deliberately absent: what the ops mean, duplicate detection against the package log, applying
//! anything. Op lines are opaque single-line JSON objects to this module.
//!
//! Layout (all integers big-endian):
//! ```text
//! 0      8   magic "HHSPKG\0\x01"
//! 8      2   format_version = 1
//! 10     4   header_len n (≤ 64 KiB)
//! 14     n   header: JSON (serde field order, compact), no personal data
//! 14+n   8   payload_len m (≤ cap)
//! 22+n   m   payload: age v1 binary ciphertext of the NDJSON plaintext
//! ..     32  signer key id = SHA-256(Ed25519 public key)
//! ..     64  Ed25519 signature over SHA-256(bytes[0..14+n] ‖ payload_len ‖ SHA-256(payload))
//! ..     8   trailer magic "HHSEND\0\x01"
//! ```
//! Plaintext NDJSON: line 1 the inner manifest; then `op_count` op lines; then zero or more
//! section lines `{"section": NAME, "data": …}`; last line `{"end": op_count}`.
//! `ops_sha256` = SHA-256 of the op lines, each followed by `\n`, concatenated.

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::keys::{parse_verifying_key, validate_node_id, NodeKeys, PublicKeys};
use super::PackageError;
use crate::error::{Error, Result};

/// Leading magic bytes.
pub const MAGIC: &[u8; 8] = b"HHSPKG\x00\x01";
/// Trailing magic bytes.
pub const TRAILER: &[u8; 8] = b"HHSEND\x00\x01";
/// The binary layout version this code writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Largest accepted clear header.
pub const MAX_HEADER_LEN: u32 = 64 * 1024;
/// Largest accepted payload line (op, manifest or section).
pub const MAX_OP_LINE_BYTES: usize = 1024 * 1024;
/// Default cap on a whole package file.
pub const DEFAULT_MAX_PACKAGE_BYTES: u64 = 512 * 1024 * 1024;
/// Bytes of the fixed-size parts: magic, version, header_len, payload_len, key id, signature,
/// trailer.
const FIXED_BYTES: u64 = 8 + 2 + 4 + 8 + 32 + 64 + 8;
/// The smallest possible package: the fixed parts and a header of at least `{}`.
pub const MIN_PACKAGE_BYTES: u64 = FIXED_BYTES + 2;

/// What a package is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageKind {
    /// Ops from a commune device (or a relay) to its officer or the office.
    Data,
    /// From the office back to a commune device: relayed ops, acks, certificates, rulesets.
    Return,
    /// A device asking to be enrolled (self-signed; carries an [`super::EnrolmentRequest`]).
    EnrolRequest,
    /// The office's answer carrying a [`super::DeviceCertificate`].
    EnrolResponse,
    /// The office announcing new keys, signed by the old key.
    KeyRollover,
}

impl PackageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageKind::Data => "data",
            PackageKind::Return => "return",
            PackageKind::EnrolRequest => "enrol_request",
            PackageKind::EnrolResponse => "enrol_response",
            PackageKind::KeyRollover => "key_rollover",
        }
    }
}

/// The clear header: routing and integrity only, never personal data. Serialised in this field
/// order, compact, as the signed header bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageHeader {
    /// UUIDv7, unique per package.
    pub package_id: String,
    pub kind: PackageKind,
    /// Node id of the sender (UUID or 32 hex, see [`super::validate_node_id`]).
    pub sender_node: String,
    /// Serial of the sender's device certificate; `None` for the office and for enrolment
    /// requests.
    pub sender_cert_serial: Option<u64>,
    /// Node id of the addressee.
    pub receiver_node: String,
    /// Sequence number per (sender, receiver), from 1.
    pub pkg_seq: u64,
    /// SHA-256 (hex) of the previous package file of this (sender, receiver) pair.
    pub prev_pkg_sha256: Option<String>,
    pub schema_ver: u32,
    pub app_version: String,
    /// Return packages: the oldest application that may apply this package.
    pub min_app_version: Option<String>,
    /// SHA-256 (hex) of the ciphertext payload.
    pub payload_sha256: String,
    /// origin node id → `[first seq, last seq]` of the ops inside.
    pub op_ranges: BTreeMap<String, [u64; 2]>,
    pub audit_head_sha256: Option<String>,
    pub sender_lamport: u64,
    /// The sender's clock when building (RFC 3339), for display only.
    pub device_time: String,
    /// Only in enrolment requests: the Ed25519 key (hex) the package is self-signed with.
    pub sender_sign_pk: Option<String>,
    /// `Some("deflate")`: the plaintext was deflate-compressed before encryption. Absent in
    /// uncompressed packages (their header bytes are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
}

/// The only compression this version writes and reads.
pub const COMPRESSION_DEFLATE: &str = "deflate";

/// Everything the caller decides about a package; the payload hash is computed by
/// [`build_package`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSpec {
    pub package_id: uuid::Uuid,
    pub kind: PackageKind,
    pub sender_node: String,
    pub sender_cert_serial: Option<u64>,
    pub receiver_node: String,
    pub pkg_seq: u64,
    pub prev_pkg_sha256: Option<String>,
    pub schema_ver: u32,
    pub app_version: String,
    pub min_app_version: Option<String>,
    pub op_ranges: BTreeMap<String, [u64; 2]>,
    pub audit_head_sha256: Option<String>,
    pub sender_lamport: u64,
    /// From the caller's `Clock`, RFC 3339.
    pub device_time: String,
}

/// A named, optional part of the payload after the ops (`acks`, `resend_requests`,
/// `certificates`, `revocations`, `rulesets`, `enrolment_request`, `certificate`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub section: String,
    pub data: serde_json::Value,
}

impl Section {
    pub fn new(name: &str, data: serde_json::Value) -> Self {
        Section {
            section: name.to_string(),
            data,
        }
    }
}

/// The plaintext content of a package.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackagePayload {
    /// One JSON object per entry, on one line (no `\n`), ≤ 1 MiB, sorted by the caller.
    pub ops: Vec<String>,
    pub sections: Vec<Section>,
}

/// Line 1 of the plaintext: repeats the header's identity fields so that a signature cannot be
/// stripped and replaced by another enrolled device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InnerManifest {
    pub package_id: String,
    pub kind: PackageKind,
    pub sender: String,
    pub receiver: String,
    pub pkg_seq: u64,
    pub schema_ver: u32,
    pub op_count: u64,
    pub ops_sha256: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndLine {
    end: u64,
}

/// Caps applied when opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file.
    pub max_package_bytes: u64,
    /// Largest accepted plaintext line.
    pub max_line_bytes: usize,
    /// Newest `schema_ver` this application can apply; newer packages are refused.
    pub supported_schema_ver: u32,
}

impl Limits {
    /// Default caps (512 MiB per file, 1 MiB per line) for an application at `schema_ver`.
    pub fn for_schema(supported_schema_ver: u32) -> Self {
        Limits {
            max_package_bytes: DEFAULT_MAX_PACKAGE_BYTES,
            max_line_bytes: MAX_OP_LINE_BYTES,
            supported_schema_ver,
        }
    }
}

/// What the receiver knows about a sender: its accepted signing keys (current first; during a
/// key-rollover grace period the previous one too) and, for devices, its current certificate
/// serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownSender {
    pub sign_pks: Vec<String>,
    /// `Some(serial)`: the header's `sender_cert_serial` must equal it. `None` (a pinned office):
    /// not checked.
    pub cert_serial: Option<u64>,
}

impl KnownSender {
    /// A sender pinned by its public keys (the office, or a commune officer for a reviewer).
    pub fn pinned(keys: &PublicKeys) -> Self {
        KnownSender {
            sign_pks: vec![keys.sign_pk.clone()],
            cert_serial: None,
        }
    }

    /// An enrolled device, known through its certificate.
    pub fn certified(cert: &super::DeviceCertificate) -> Self {
        KnownSender {
            sign_pks: vec![cert.sign_pk.clone()],
            cert_serial: Some(cert.serial),
        }
    }
}

/// The node opening a package.
#[derive(Clone, Copy)]
pub struct LocalNode<'a> {
    pub node_id: &'a str,
    pub keys: &'a NodeKeys,
    /// Other addressees whose packages this node may open (a commune officer relaying a reviewer's
    /// package to the office, when the reviewer also encrypted it to the officer).
    pub also_receive_for: &'a [String],
}

/// How the signer was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SenderTrust {
    /// With a key the caller's lookup returned.
    Known,
    /// An enrolment request, signed with the key it carries; only a fingerprint check by a person
    /// makes it trustworthy.
    SelfSigned { sign_pk: String },
}

/// A package whose structure and signature were verified, not decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeekedPackage {
    pub header: PackageHeader,
    /// SHA-256 (hex) of the whole file, for the package log and duplicate detection.
    pub file_sha256: String,
    /// SHA-256 (hex) of the signer's Ed25519 key.
    pub signer_key_id: String,
    pub trust: SenderTrust,
    pub file_bytes: u64,
}

/// A fully verified and decrypted package.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenedPackage {
    pub header: PackageHeader,
    pub file_sha256: String,
    pub signer_key_id: String,
    pub trust: SenderTrust,
    pub manifest: InnerManifest,
    /// Op lines as sent (each a JSON object), in the sender's order.
    pub ops: OpLines,
    pub sections: Vec<Section>,
    /// The plaintext as it travelled inside the encryption (deflated when the header says so):
    /// what the op log keeps of an imported package (`op_pack`). Op `i` is line `i + 1`.
    pub plaintext: StoredPlaintext,
}

/// The op lines of an opened package: the decrypted plaintext kept whole, with each op line's
/// byte range (no copy per line; a 5,000-household package has ~40,000 lines, ~30 MB). The
/// text is wiped when dropped, as the rest of the plaintext is once parsed.
#[derive(Debug, Clone)]
pub struct OpLines {
    text: String,
    ranges: Vec<(usize, usize)>,
}

impl OpLines {
    pub fn len(&self) -> usize {
        self.ranges.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.ranges.iter().map(|&(a, b)| &self.text[a..b])
    }
}

/// Equal when the lines are (whatever else the plaintext held around them).
impl PartialEq for OpLines {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

/// Equal to the lines a package was built from ([`PackagePayload::ops`]).
impl PartialEq<Vec<String>> for OpLines {
    fn eq(&self, other: &Vec<String>) -> bool {
        self.iter().eq(other.iter().map(String::as_str))
    }
}

impl Drop for OpLines {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.text);
    }
}

/// A package's plaintext as kept by the op log (`op_pack`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPlaintext {
    /// `Some("deflate")` or `None` (plain text).
    pub compression: Option<String>,
    pub content: Vec<u8>,
}

impl OpenedPackage {
    /// The first section with this name.
    pub fn section(&self, name: &str) -> Option<&serde_json::Value> {
        self.sections
            .iter()
            .find(|s| s.section == name)
            .map(|s| &s.data)
    }
}

/// Lower-case hex SHA-256 of a whole file (`OpenedPackage::file_sha256`).
pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn invalid(msg: &str) -> Error {
    Error::Invalid(msg.to_string())
}

/// A short, harmless token (version numbers): letters, digits, `.`, `-`, `+`, at most 32.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-+".contains(&b))
}

fn validate_spec(spec: &PackageSpec) -> Result<()> {
    validate_node_id(&spec.sender_node)?;
    validate_node_id(&spec.receiver_node)?;
    if spec.sender_node == spec.receiver_node {
        return Err(invalid(
            "Bên gửi và bên nhận của gói không được trùng nhau.",
        ));
    }
    if spec.package_id.get_version_num() != 7 {
        return Err(invalid("Mã gói phải là UUID phiên bản 7."));
    }
    if spec.pkg_seq == 0 {
        return Err(invalid("Số thứ tự gói phải bắt đầu từ 1."));
    }
    if !is_token(&spec.app_version) || !spec.min_app_version.as_deref().is_none_or(is_token) {
        return Err(invalid("Số phiên bản phần mềm trong gói không hợp lệ."));
    }
    for h in [&spec.prev_pkg_sha256, &spec.audit_head_sha256]
        .into_iter()
        .flatten()
    {
        if !is_hex64(h) {
            return Err(invalid(
                "Mã băm trong phần đầu gói phải là 64 chữ số hex thường.",
            ));
        }
    }
    if chrono::DateTime::parse_from_rfc3339(&spec.device_time).is_err() {
        return Err(invalid("Thời điểm tạo gói phải theo định dạng RFC 3339."));
    }
    for (origin, [from, to]) in &spec.op_ranges {
        validate_node_id(origin)?;
        if from > to {
            return Err(invalid("Khoảng số thứ tự thao tác trong gói không hợp lệ."));
        }
    }
    Ok(())
}

fn validate_op_line(i: usize, line: &str) -> Result<()> {
    if line.len() > MAX_OP_LINE_BYTES {
        return Err(Error::Invalid(format!(
            "Thao tác thứ {} dài quá giới hạn {} byte.",
            i + 1,
            MAX_OP_LINE_BYTES
        )));
    }
    if line.contains(['\n', '\r']) || !line.trim_start().starts_with('{') {
        return Err(Error::Invalid(format!(
            "Thao tác thứ {} phải là một đối tượng JSON trên một dòng.",
            i + 1
        )));
    }
    serde_json::from_str::<serde::de::IgnoredAny>(line)
        .map_err(|_| Error::Invalid(format!("Thao tác thứ {} không phải JSON hợp lệ.", i + 1)))?;
    Ok(())
}

fn ops_digest<'a>(ops: impl Iterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for op in ops {
        h.update(op.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// The digest the Ed25519 signature covers.
fn signed_digest(prefix: &[u8], payload_len: u64, payload_hash: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prefix);
    h.update(payload_len.to_be_bytes());
    h.update(payload_hash);
    h.finalize().into()
}

/// Builds a complete `.hhpkg` file in memory: NDJSON plaintext, age-encrypted to every
/// `recipients` entry (`age1…` strings — the receiver, and for reviewer packages also the commune
/// officer; never the sender itself), signed by `sender`.
///
/// Errors (Vietnamese) if the spec is malformed, an op line is not a single-line JSON object of
/// at most 1 MiB, there is no recipient, or the header would exceed 64 KiB. Enrolment requests
/// carry the sender's public signing key in the clear header (it is not personal data).
pub fn build_package(
    spec: &PackageSpec,
    payload: &PackagePayload,
    sender: &NodeKeys,
    recipients: &[&str],
) -> Result<Vec<u8>> {
    build(spec, payload, sender, recipients, false)
}

/// [`build_package`] with the plaintext deflate-compressed before encryption (flag `compression`
/// in the signed header). Op logs compress several times over.
pub fn build_package_compressed(
    spec: &PackageSpec,
    payload: &PackagePayload,
    sender: &NodeKeys,
    recipients: &[&str],
) -> Result<Vec<u8>> {
    build(spec, payload, sender, recipients, true)
}

fn build(
    spec: &PackageSpec,
    payload: &PackagePayload,
    sender: &NodeKeys,
    recipients: &[&str],
    compress: bool,
) -> Result<Vec<u8>> {
    validate_spec(spec)?;
    for (i, op) in payload.ops.iter().enumerate() {
        validate_op_line(i, op)?;
    }
    for s in &payload.sections {
        if !is_token(&s.section) {
            return Err(invalid("Tên phần dữ liệu trong gói không hợp lệ."));
        }
    }
    if recipients.is_empty() {
        return Err(invalid("Gói phải được mã hoá cho ít nhất một bên nhận."));
    }
    if spec.kind == PackageKind::EnrolRequest && !payload.ops.is_empty() {
        return Err(invalid(
            "Gói yêu cầu đăng ký không được chứa thao tác dữ liệu.",
        ));
    }
    let own = sender.public().enc_recipient;
    if recipients.iter().any(|r| r.trim() == own) {
        // A lost stick must not be readable with a key that sits on the sending laptop.
        return Err(invalid("Không được mã hoá gói cho chính bên gửi."));
    }
    let mut age_recipients = Vec::with_capacity(recipients.len());
    for r in recipients {
        let pk = PublicKeys {
            sign_pk: String::new(),
            enc_recipient: r.to_string(),
        };
        age_recipients.push(pk.recipient()?);
    }

    // Plaintext.
    let op_count = payload.ops.len() as u64;
    let manifest = InnerManifest {
        package_id: spec.package_id.to_string(),
        kind: spec.kind,
        sender: spec.sender_node.clone(),
        receiver: spec.receiver_node.clone(),
        pkg_seq: spec.pkg_seq,
        schema_ver: spec.schema_ver,
        op_count,
        ops_sha256: ops_digest(payload.ops.iter().map(String::as_str)),
    };
    let approx: usize = payload.ops.iter().map(|o| o.len() + 1).sum::<usize>() + 1024;
    let mut plain = Vec::with_capacity(approx);
    let json_err = |_| invalid("Không tạo được nội dung gói (JSON).");
    serde_json::to_writer(&mut plain, &manifest).map_err(json_err)?;
    plain.push(b'\n');
    for op in &payload.ops {
        plain.extend_from_slice(op.as_bytes());
        plain.push(b'\n');
    }
    for s in &payload.sections {
        let start = plain.len();
        serde_json::to_writer(&mut plain, s).map_err(json_err)?;
        if plain.len() - start > MAX_OP_LINE_BYTES {
            return Err(Error::Invalid(format!(
                "Phần “{}” của gói dài quá giới hạn {} byte.",
                s.section, MAX_OP_LINE_BYTES
            )));
        }
        plain.push(b'\n');
    }
    serde_json::to_writer(&mut plain, &EndLine { end: op_count }).map_err(json_err)?;
    plain.push(b'\n');
    if compress {
        let packed = miniz_oxide::deflate::compress_to_vec(&plain, 6);
        zeroize::Zeroize::zeroize(&mut plain);
        plain = packed;
    }

    // Encrypt.
    let encryptor =
        age::Encryptor::with_recipients(age_recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|_| invalid("Không mã hoá được gói cho bên nhận."))?;
    let mut ciphertext = Vec::with_capacity(plain.len() + plain.len() / 64 + 512);
    let enc_err = |_| invalid("Không mã hoá được gói.");
    let mut w = encryptor.wrap_output(&mut ciphertext).map_err(enc_err)?;
    w.write_all(&plain).map_err(enc_err)?;
    w.finish().map_err(enc_err)?;
    zeroize::Zeroize::zeroize(&mut plain);

    // Header.
    let payload_hash: [u8; 32] = Sha256::digest(&ciphertext).into();
    let header = PackageHeader {
        package_id: spec.package_id.to_string(),
        kind: spec.kind,
        sender_node: spec.sender_node.clone(),
        sender_cert_serial: spec.sender_cert_serial,
        receiver_node: spec.receiver_node.clone(),
        pkg_seq: spec.pkg_seq,
        prev_pkg_sha256: spec.prev_pkg_sha256.clone(),
        schema_ver: spec.schema_ver,
        app_version: spec.app_version.clone(),
        min_app_version: spec.min_app_version.clone(),
        payload_sha256: hex::encode(payload_hash),
        op_ranges: spec.op_ranges.clone(),
        audit_head_sha256: spec.audit_head_sha256.clone(),
        sender_lamport: spec.sender_lamport,
        device_time: spec.device_time.clone(),
        sender_sign_pk: (spec.kind == PackageKind::EnrolRequest).then(|| sender.public().sign_pk),
        compression: compress.then(|| COMPRESSION_DEFLATE.to_owned()),
    };
    let header_bytes = serde_json::to_vec(&header).map_err(json_err)?;
    let header_len = u32::try_from(header_bytes.len())
        .ok()
        .filter(|n| *n <= MAX_HEADER_LEN)
        .ok_or_else(|| invalid("Phần đầu gói quá lớn (giới hạn 64 KiB)."))?;

    let payload_len = ciphertext.len() as u64;
    let mut out = Vec::with_capacity(ciphertext.len() + header_bytes.len() + FIXED_BYTES as usize);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_be_bytes());
    out.extend_from_slice(&header_len.to_be_bytes());
    out.extend_from_slice(&header_bytes);
    let digest = signed_digest(&out, payload_len, &payload_hash);
    out.extend_from_slice(&payload_len.to_be_bytes());
    out.extend_from_slice(&ciphertext);
    out.extend_from_slice(&sender.key_id());
    out.extend_from_slice(&sender.sign(&digest));
    out.extend_from_slice(TRAILER);
    Ok(out)
}

/// The verified outer structure: header, where the payload is, and the authenticated signer.
struct Authenticated<'b> {
    peeked: PeekedPackage,
    payload: &'b [u8],
}

fn be_u16(b: &[u8]) -> u16 {
    let mut a = [0u8; 2];
    a.copy_from_slice(&b[..2]);
    u16::from_be_bytes(a)
}
fn be_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_be_bytes(a)
}
fn be_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

/// Steps A1–A5 of SYNC.md §3.7 plus the schema check: nothing is decrypted, memory use is the
/// file itself.
fn authenticate<'b>(
    bytes: &'b [u8],
    me: &LocalNode<'_>,
    senders: &dyn Fn(&str) -> Option<KnownSender>,
    limits: &Limits,
) -> Result<Authenticated<'b>, PackageError> {
    use PackageError as E;
    let size = bytes.len() as u64;
    // 1. Size and structure.
    if size > limits.max_package_bytes {
        return Err(E::TooLarge {
            bytes: size,
            cap: limits.max_package_bytes,
        });
    }
    if size < MIN_PACKAGE_BYTES {
        if size >= 8 && &bytes[..8] != MAGIC {
            return Err(E::Corrupt(
                "đây không phải tệp gói của Sổ Giảm Nghèo.".into(),
            ));
        }
        return Err(E::Truncated);
    }
    if &bytes[..8] != MAGIC {
        return Err(E::Corrupt(
            "đây không phải tệp gói của Sổ Giảm Nghèo.".into(),
        ));
    }
    let version = be_u16(&bytes[8..]);
    if version > FORMAT_VERSION {
        return Err(E::NewerFormat { found: version });
    }
    if version != FORMAT_VERSION {
        return Err(E::Corrupt("phiên bản định dạng không hợp lệ.".into()));
    }
    let header_len = be_u32(&bytes[10..]);
    if header_len > MAX_HEADER_LEN {
        return Err(E::Corrupt(
            "độ dài phần đầu gói vượt giới hạn 64 KiB.".into(),
        ));
    }
    let header_end = 14 + u64::from(header_len);
    if header_end + 8 + 32 + 64 + 8 > size {
        return Err(E::Truncated);
    }
    let header_end = header_end as usize;
    let payload_len = be_u64(&bytes[header_end..]);
    let expected = (header_end as u64 + 8)
        .checked_add(payload_len)
        .and_then(|v| v.checked_add(32 + 64 + 8));
    match expected {
        Some(e) if e == size => {}
        Some(e) if e > size => return Err(E::Truncated),
        None => return Err(E::Truncated),
        Some(_) => {
            return Err(E::Corrupt(
                "độ dài tệp không khớp với cấu trúc gói (thừa dữ liệu).".into(),
            ))
        }
    }
    let payload_start = header_end + 8;
    let payload_end = payload_start + payload_len as usize;
    if &bytes[bytes.len() - 8..] != TRAILER {
        return Err(E::Truncated);
    }
    // 2. Header and receiver.
    let header: PackageHeader = serde_json::from_slice(&bytes[14..header_end])
        .map_err(|_| E::Corrupt("phần đầu gói không đọc được.".into()))?;
    if header.receiver_node != me.node_id && !me.also_receive_for.contains(&header.receiver_node) {
        return Err(E::WrongReceiver);
    }
    // 3. Sender known (or a self-signed enrolment request).
    let (accepted, trust) = if header.kind == PackageKind::EnrolRequest {
        let pk = header.sender_sign_pk.clone().ok_or(E::BadSignature)?;
        (vec![pk.clone()], SenderTrust::SelfSigned { sign_pk: pk })
    } else {
        let known = senders(&header.sender_node).ok_or(E::UnknownSender)?;
        if known.cert_serial.is_some() && known.cert_serial != header.sender_cert_serial {
            return Err(E::UnknownCertificate);
        }
        (known.sign_pks, SenderTrust::Known)
    };
    // 4. Signature, by the key named in the key id, which must be one the sender may use.
    let key_id_bytes = &bytes[payload_end..payload_end + 32];
    let mut sig = [0u8; 64];
    sig.copy_from_slice(&bytes[payload_end + 32..payload_end + 96]);
    let vk = accepted
        .iter()
        .filter_map(|pk| parse_verifying_key(pk).ok())
        .find(|vk| Sha256::digest(vk.as_bytes()).as_slice() == key_id_bytes)
        .ok_or(E::BadSignature)?;
    let payload = &bytes[payload_start..payload_end];
    let payload_hash: [u8; 32] = Sha256::digest(payload).into();
    let digest = signed_digest(
        &bytes[..14 + header_len as usize],
        payload_len,
        &payload_hash,
    );
    vk.verify_strict(&digest, &ed25519_dalek::Signature::from_bytes(&sig))
        .map_err(|_| E::BadSignature)?;
    // 5. Payload hash as declared in the (now authenticated) header.
    if header.payload_sha256 != hex::encode(payload_hash) {
        return Err(E::HashMismatch);
    }
    // Newer schema: refused before decrypting; the sender's next cumulative export carries the
    // same ops once this application is updated.
    if header.schema_ver > limits.supported_schema_ver {
        return Err(E::NewerSchema {
            found: header.schema_ver,
            supported: limits.supported_schema_ver,
        });
    }
    Ok(Authenticated {
        peeked: PeekedPackage {
            file_sha256: sha256_hex(bytes),
            signer_key_id: hex::encode(key_id_bytes),
            header,
            trust,
            file_bytes: size,
        },
        payload,
    })
}

/// The clear header, parsed WITHOUT any verification: only for recording a package that is set
/// aside (unknown sender) in the package log. Never trust its content.
pub fn read_header_unverified(bytes: &[u8]) -> Option<PackageHeader> {
    if bytes.len() < 14 || &bytes[..8] != MAGIC {
        return None;
    }
    let n = be_u32(&bytes[10..]);
    if n > MAX_HEADER_LEN || 14 + n as usize > bytes.len() {
        return None;
    }
    serde_json::from_slice(&bytes[14..14 + n as usize]).ok()
}

/// Verifies structure, receiver, sender, signature and payload hash without decrypting (dry runs,
/// duplicate detection by `package_id` / file hash before any work).
pub fn peek_header(
    bytes: &[u8],
    me: &LocalNode<'_>,
    senders: &dyn Fn(&str) -> Option<KnownSender>,
    limits: &Limits,
) -> Result<PeekedPackage, PackageError> {
    authenticate(bytes, me, senders, limits).map(|a| a.peeked)
}

/// Opens a package held in memory: every check of [`peek_header`], then age decryption with
/// `me.keys`, then the inner manifest against the header, op count and hash, the end line and the
/// line caps. No op is interpreted: each op line is only checked to be one JSON object's text
/// (`{…}`); the importer parses every one and refuses the package on the first that is not an op.
pub fn open_package(
    bytes: &[u8],
    me: &LocalNode<'_>,
    senders: &dyn Fn(&str) -> Option<KnownSender>,
    limits: &Limits,
) -> Result<OpenedPackage, PackageError> {
    let Authenticated { peeked, payload } = authenticate(bytes, me, senders, limits)?;
    let mut plain = decrypt(payload, me.keys)?;
    let stored = StoredPlaintext {
        compression: peeked.header.compression.clone(),
        content: plain.clone(),
    };
    match stored.compression.as_deref() {
        None => {}
        Some(COMPRESSION_DEFLATE) => {
            // Bounded: a compressed package never inflates beyond four times the file cap.
            let cap =
                usize::try_from(limits.max_package_bytes.saturating_mul(4)).unwrap_or(usize::MAX);
            let inflated = inflate(&plain, cap);
            zeroize::Zeroize::zeroize(&mut plain);
            plain = inflated.map_err(|_| {
                PackageError::BadPayload("phần nén không giải nén được hoặc quá lớn.".into())
            })?;
        }
        Some(_) => {
            zeroize::Zeroize::zeroize(&mut plain);
            return Err(PackageError::BadPayload(
                "gói dùng kiểu nén chưa được hỗ trợ: cần cập nhật phần mềm.".into(),
            ));
        }
    }
    let (manifest, ops, sections) = parse_plaintext(plain, &peeked.header, limits)?;
    if matches!(peeked.trust, SenderTrust::SelfSigned { .. }) && !ops.is_empty() {
        // A self-signed package is trusted for its enrolment request only, never for data.
        return Err(PackageError::BadPayload(
            "gói yêu cầu đăng ký không được chứa thao tác dữ liệu.".into(),
        ));
    }
    Ok(OpenedPackage {
        header: peeked.header,
        file_sha256: peeked.file_sha256,
        signer_key_id: peeked.signer_key_id,
        trust: peeked.trust,
        manifest,
        ops,
        sections,
        plaintext: stored,
    })
}

/// Reads a package file (refusing files above the cap before reading them) and opens it.
pub fn open_package_file(
    path: &Path,
    me: &LocalNode<'_>,
    senders: &dyn Fn(&str) -> Option<KnownSender>,
    limits: &Limits,
) -> Result<OpenedPackage, PackageError> {
    let bytes = read_capped(path, limits)?;
    open_package(&bytes, me, senders, limits)
}

/// Inflates raw-deflate `input` into at most `cap` bytes. The buffer starts at sixteen times the
/// input (packages deflate ~14:1) instead of twice, as `decompress_to_vec` does: each doubling
/// copied what was inflated so far into fresh memory, three or four times per package.
///
/// zlib-rs (through `flate2`, already built for `zip`) inflates into reserved memory, which
/// nothing zeroes first: miniz_oxide's inflate needs an initialised buffer, and zeroing ~33 MB
/// per package of which ~29 MB get written cost ~0.1 s of CPU over 30 packages, plus the page
/// faults of memory never used (BENCHMARKS.md, session 13). Both inflate at the same speed here;
/// miniz_oxide still deflates what this node sends (raw DEFLATE, RFC 1951, either way).
pub(crate) fn inflate(input: &[u8], cap: usize) -> Result<Vec<u8>, ()> {
    use flate2::{Decompress, FlushDecompress, Status};
    let mut out: Vec<u8> = Vec::with_capacity(input.len().saturating_mul(16).clamp(1, cap.max(1)));
    let mut stream = Decompress::new(false);
    let outcome = loop {
        let consumed = usize::try_from(stream.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        match stream.decompress_vec(rest, &mut out, FlushDecompress::Finish) {
            Ok(Status::StreamEnd) if out.len() <= cap => break Ok(()),
            // Out of room: grow up to the cap, or refuse (a bomb, or more than allowed).
            Ok(Status::Ok | Status::BufError) if out.len() == out.capacity() && out.len() < cap => {
                let grown = out.capacity().saturating_mul(2).min(cap);
                out.reserve_exact(grown - out.len());
            }
            // Room left but no end: the stream is cut short; or it is broken.
            _ => break Err(()),
        }
    };
    match outcome {
        Ok(()) => Ok(out),
        Err(()) => {
            zeroize::Zeroize::zeroize(&mut out);
            Err(())
        }
    }
}

/// Reads a file of at most `limits.max_package_bytes`.
pub fn read_capped(path: &Path, limits: &Limits) -> Result<Vec<u8>, PackageError> {
    let io = |e: std::io::Error| PackageError::Io(crate::error::describe_io_error(&e));
    let f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    if len > limits.max_package_bytes {
        return Err(PackageError::TooLarge {
            bytes: len,
            cap: limits.max_package_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    f.take(limits.max_package_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limits.max_package_bytes {
        return Err(PackageError::TooLarge {
            bytes: bytes.len() as u64,
            cap: limits.max_package_bytes,
        });
    }
    Ok(bytes)
}

fn decrypt(payload: &[u8], keys: &NodeKeys) -> Result<Vec<u8>, PackageError> {
    let decryptor =
        age::Decryptor::new_buffered(payload).map_err(|_| PackageError::DecryptFailed)?;
    let mut reader = decryptor
        .decrypt(std::iter::once(keys.identity() as &dyn age::Identity))
        .map_err(|_| PackageError::DecryptFailed)?;
    // The plaintext is never longer than the (authenticated, capped) ciphertext.
    let mut plain = Vec::with_capacity(payload.len());
    (&mut reader)
        .take(payload.len() as u64)
        .read_to_end(&mut plain)
        .map_err(|_| PackageError::DecryptFailed)?;
    Ok(plain)
}

/// Checks the plaintext line by line and keeps it as the package's op lines (the manifest and
/// sections parsed). On an error the plaintext is wiped.
fn parse_plaintext(
    plain: Vec<u8>,
    header: &PackageHeader,
    limits: &Limits,
) -> Result<(InnerManifest, OpLines, Vec<Section>), PackageError> {
    let text = match String::from_utf8(plain) {
        Ok(text) => text,
        Err(e) => {
            zeroize::Zeroize::zeroize(&mut e.into_bytes());
            return Err(PackageError::BadPayload("có dòng không phải UTF-8.".into()));
        }
    };
    // Dropping `OpLines` wipes the text, on every path out of here.
    let mut lines = OpLines {
        text,
        ranges: Vec::new(),
    };
    let (manifest, ranges, sections) = parse_lines(&lines.text, header, limits)?;
    lines.ranges = ranges;
    Ok((manifest, lines, sections))
}

type ParsedLines = (InnerManifest, Vec<(usize, usize)>, Vec<Section>);

fn parse_lines(
    plain: &str,
    header: &PackageHeader,
    limits: &Limits,
) -> Result<ParsedLines, PackageError> {
    use PackageError as E;
    let bad = |m: &str| E::BadPayload(m.to_string());
    let mut lines = plain.split_inclusive('\n').enumerate();
    let mut offset = 0usize;
    let mut next_line = || -> Result<Option<(u64, usize, &str)>, PackageError> {
        let Some((i, raw)) = lines.next() else {
            return Ok(None);
        };
        let n = i as u64 + 1;
        let start = offset;
        offset += raw.len();
        let Some(body) = raw.strip_suffix('\n') else {
            return Err(bad("dòng cuối không kết thúc đúng cách (gói bị cắt)."));
        };
        if body.len() > limits.max_line_bytes {
            return Err(E::LineTooLarge {
                line: n,
                cap: limits.max_line_bytes as u64,
            });
        }
        Ok(Some((n, start, body)))
    };
    let (_, _, first) = next_line()?.ok_or_else(|| bad("thiếu dòng mô tả (manifest)."))?;
    let manifest: InnerManifest =
        serde_json::from_str(first).map_err(|_| bad("dòng mô tả (manifest) không hợp lệ."))?;
    let checks: [(&'static str, bool); 6] = [
        ("package_id", manifest.package_id == header.package_id),
        ("kind", manifest.kind == header.kind),
        ("sender", manifest.sender == header.sender_node),
        ("receiver", manifest.receiver == header.receiver_node),
        ("pkg_seq", manifest.pkg_seq == header.pkg_seq),
        ("schema_ver", manifest.schema_ver == header.schema_ver),
    ];
    if let Some((field, _)) = checks.iter().find(|(_, ok)| !ok) {
        return Err(E::ManifestMismatch { field });
    }
    let op_count = usize::try_from(manifest.op_count).map_err(|_| bad("số thao tác quá lớn."))?;
    let mut ops = Vec::with_capacity(op_count.min(plain.len() / 2 + 1));
    let mut hasher = Sha256::new();
    for _ in 0..op_count {
        let (n, start, line) = next_line()?.ok_or(E::ManifestMismatch { field: "op_count" })?;
        // Only the shape is checked here: every importer parses each op line fully
        // (`sync::parse_op`) and refuses the package on the first that is not an op.
        if !line.trim_start().starts_with('{') || !line.trim_end().ends_with('}') {
            return Err(E::BadPayload(format!(
                "dòng {n} không phải một thao tác JSON hợp lệ."
            )));
        }
        hasher.update(&plain.as_bytes()[start..start + line.len() + 1]);
        ops.push((start, start + line.len()));
    }
    if hex::encode(hasher.finalize()) != manifest.ops_sha256 {
        return Err(E::ManifestMismatch {
            field: "ops_sha256",
        });
    }
    let mut sections = Vec::new();
    loop {
        let (n, _, line) = next_line()?.ok_or_else(|| bad("thiếu dòng kết thúc (gói bị cắt)."))?;
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|_| E::BadPayload(format!("dòng {n} không phải JSON hợp lệ.")))?;
        if v.get("end").is_some() {
            let end: EndLine =
                serde_json::from_value(v).map_err(|_| bad("dòng kết thúc không hợp lệ."))?;
            if end.end != manifest.op_count {
                return Err(E::ManifestMismatch { field: "end" });
            }
            break;
        }
        let s: Section = serde_json::from_value(v)
            .map_err(|_| E::BadPayload(format!("dòng {n} không phải một phần dữ liệu hợp lệ.")))?;
        sections.push(s);
    }
    if next_line()?.is_some() {
        return Err(bad("có dữ liệu sau dòng kết thúc."));
    }
    Ok((manifest, ops, sections))
}

/// For callers reading from any `BufRead` (rarely needed: files go through
/// [`open_package_file`]). Reads at most the cap.
pub fn read_package<R: BufRead>(reader: R, limits: &Limits) -> Result<Vec<u8>, PackageError> {
    let mut bytes = Vec::new();
    reader
        .take(limits.max_package_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| PackageError::Io(crate::error::describe_io_error(&e)))?;
    if bytes.len() as u64 > limits.max_package_bytes {
        return Err(PackageError::TooLarge {
            bytes: bytes.len() as u64,
            cap: limits.max_package_bytes,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::inflate;

    #[test]
    fn inflate_grows_past_its_first_guess_and_refuses_a_bomb_or_a_broken_stream() {
        // Zeros deflate ~1000:1, far beyond the first guess of 16:1: the buffer must grow.
        let plain: Vec<u8> = (0..3_000_000u32)
            .map(|i| if i % 1000 == 0 { (i / 1000) as u8 } else { 0 })
            .collect();
        let packed = miniz_oxide::deflate::compress_to_vec(&plain, 6);
        assert!(packed.len() * 16 < plain.len());
        assert_eq!(inflate(&packed, usize::MAX), Ok(plain.clone()));
        // Exactly at the cap is fine; one byte under is a refusal, not a truncated result.
        assert_eq!(inflate(&packed, plain.len()), Ok(plain.clone()));
        assert_eq!(inflate(&packed, plain.len() - 1), Err(()));
        // A cut or damaged stream is refused.
        assert_eq!(inflate(&packed[..packed.len() / 2], usize::MAX), Err(()));
        assert_eq!(inflate(&[], usize::MAX), Err(()));
        let mut bad = packed.clone();
        bad[0] ^= 0xff;
        bad[1] ^= 0xff;
        assert!(inflate(&bad, usize::MAX) != Ok(plain));
        // Text that deflates poorly (the first guess is enough) comes back whole too.
        let text: Vec<u8> = (0..200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let packed = miniz_oxide::deflate::compress_to_vec(&text, 6);
        assert_eq!(inflate(&packed, usize::MAX), Ok(text));
    }
}
