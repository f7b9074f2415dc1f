//! Enrolment documents (đăng ký thiết bị, SYNC.md §3.10): the self-signed request a new laptop
//! writes, and the device certificate the office signs after a person has compared the
//! fingerprint. Both travel inside packages (`enrol_request` / `enrol_response`, section names
//! [`REQUEST_SECTION`] and [`CERTIFICATE_SECTION`]).
//!
//! Deliberately absent: storing certificates, assigning serials and short codes (the office's
//! ledger does), revocation lists.

use serde::{Deserialize, Serialize};

use super::keys::{fingerprint, fingerprint_matches, validate_node_id, NodeKeys, PublicKeys};
use super::package::{OpenedPackage, PackageKind, PackagePayload, Section, SenderTrust};
use crate::error::{Error, Result};

pub const REQUEST_FORMAT: &str = "giamngheo-enrol-request/1";
pub const CERTIFICATE_FORMAT: &str = "giamngheo-device-certificate/1";
/// Payload section of an `enrol_request` package.
pub const REQUEST_SECTION: &str = "enrolment_request";
/// Payload section of an `enrol_response` package (also used for rosters: `certificates`).
pub const CERTIFICATE_SECTION: &str = "certificate";
const REQUEST_DOMAIN: &[u8] = b"giamngheo/enrol-request/v1\n";
const CERTIFICATE_DOMAIN: &[u8] = b"giamngheo/device-certificate/v1\n";

/// The role of an enrolled device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceRole {
    /// A reviewer's laptop (máy rà soát viên).
    Reviewer,
    /// The commune officer's laptop (máy cán bộ xã).
    CommuneOfficer,
    /// The office (phòng/sở).
    Office,
}

/// A laptop's request to be enrolled. No personal data: `device_name` is a label such as
/// "Máy rà soát 3", and the whole request travels encrypted to the office anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentRequest {
    pub format: String,
    pub node_id: String,
    /// The commune the device proposes to work for (the office may assign another).
    pub commune_code: String,
    pub role: DeviceRole,
    pub device_name: String,
    pub app_version: String,
    pub keys: PublicKeys,
    /// Ed25519 signature (hex) by `keys.sign_pk` over the request without this field.
    pub self_signature: String,
}

#[derive(Serialize)]
struct RequestBody<'a> {
    format: &'a str,
    node_id: &'a str,
    commune_code: &'a str,
    role: DeviceRole,
    device_name: &'a str,
    app_version: &'a str,
    keys: &'a PublicKeys,
}

fn signed_bytes(domain: &[u8], body: &impl Serialize) -> Result<Vec<u8>> {
    let mut m = domain.to_vec();
    serde_json::to_writer(&mut m, body)
        .map_err(|_| Error::Invalid("Không tạo được tài liệu đăng ký.".into()))?;
    Ok(m)
}

fn decode_sig(s: &str) -> Option<[u8; 64]> {
    let mut b = [0u8; 64];
    hex::decode_to_slice(s, &mut b).ok().map(|_| b)
}

fn check_code(code: &str, what: &str) -> Result<()> {
    if !code.is_empty()
        && code.len() <= 24
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "{what} chỉ được gồm chữ cái không dấu, chữ số và dấu gạch ngang (tối đa 24 ký tự)."
        )))
    }
}

fn check_label(s: &str) -> Result<()> {
    let n = s.chars().count();
    if (1..=64).contains(&n) && !s.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(Error::Invalid(
            "Tên thiết bị phải có từ 1 đến 64 ký tự và không chứa ký tự điều khiển.".into(),
        ))
    }
}

impl EnrolmentRequest {
    /// Builds and self-signs a request with this node's keys.
    pub fn new(
        node_id: &str,
        commune_code: &str,
        role: DeviceRole,
        device_name: &str,
        app_version: &str,
        keys: &NodeKeys,
    ) -> Result<Self> {
        validate_node_id(node_id)?;
        check_code(commune_code, "Mã xã")?;
        check_label(device_name)?;
        check_code(
            app_version.replace(['.', '+'], "-").as_str(),
            "Số phiên bản",
        )?;
        let mut req = EnrolmentRequest {
            format: REQUEST_FORMAT.into(),
            node_id: node_id.into(),
            commune_code: commune_code.into(),
            role,
            device_name: device_name.into(),
            app_version: app_version.into(),
            keys: keys.public(),
            self_signature: String::new(),
        };
        req.self_signature = hex::encode(keys.sign(&req.message()?));
        Ok(req)
    }

    fn message(&self) -> Result<Vec<u8>> {
        signed_bytes(
            REQUEST_DOMAIN,
            &RequestBody {
                format: &self.format,
                node_id: &self.node_id,
                commune_code: &self.commune_code,
                role: self.role,
                device_name: &self.device_name,
                app_version: &self.app_version,
                keys: &self.keys,
            },
        )
    }

    /// Checks the format, the fields and the self-signature (`verify_strict`).
    pub fn verify(&self) -> Result<()> {
        let refused = || {
            Error::Invalid(
                "Yêu cầu đăng ký đã bị sửa đổi hoặc chữ ký không hợp lệ; từ chối.".into(),
            )
        };
        if self.format != REQUEST_FORMAT {
            return Err(Error::Invalid(
                "Yêu cầu đăng ký thuộc phiên bản khác; cần cập nhật phần mềm.".into(),
            ));
        }
        validate_node_id(&self.node_id)?;
        check_code(&self.commune_code, "Mã xã")?;
        check_label(&self.device_name)?;
        if self.keys.validated()? != self.keys {
            return Err(refused());
        }
        let sig = decode_sig(&self.self_signature).ok_or_else(refused)?;
        self.keys
            .verify(&self.message()?, &sig)
            .map_err(|_| refused())
    }

    /// The fingerprint the laptop shows and the officer writes on the enrolment form.
    pub fn fingerprint(&self) -> Result<String> {
        fingerprint(&self.keys)
    }

    /// The payload of an `enrol_request` package carrying this request.
    pub fn to_payload(&self) -> Result<PackagePayload> {
        let data = serde_json::to_value(self)
            .map_err(|_| Error::Invalid("Không tạo được tài liệu đăng ký.".into()))?;
        Ok(PackagePayload {
            ops: Vec::new(),
            sections: vec![Section::new(REQUEST_SECTION, data)],
        })
    }

    /// Takes the request out of an opened `enrol_request` package and checks that it is the one
    /// the package was signed for: same node as the header's sender, same signing key as the
    /// package signature, valid self-signature.
    pub fn from_package(pkg: &OpenedPackage) -> Result<Self> {
        let refused = || Error::Invalid("Gói không chứa yêu cầu đăng ký hợp lệ; từ chối.".into());
        if pkg.header.kind != PackageKind::EnrolRequest {
            return Err(refused());
        }
        let req: EnrolmentRequest =
            serde_json::from_value(pkg.section(REQUEST_SECTION).ok_or_else(refused)?.clone())
                .map_err(|_| refused())?;
        req.verify()?;
        let SenderTrust::SelfSigned { sign_pk } = &pkg.trust else {
            return Err(refused());
        };
        if req.node_id != pkg.header.sender_node || req.keys.sign_pk != *sign_pk {
            return Err(refused());
        }
        Ok(req)
    }
}

/// What the office decides when it accepts a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateAssignment {
    /// Code used in file names and record codes, e.g. `H05-X12-L03`.
    pub short_code: String,
    pub commune_code: String,
    pub role: DeviceRole,
    /// Office-wide increasing serial; a new certificate for the same node supersedes the old.
    pub serial: u64,
    /// The office's Lamport counter when issuing (no wall clock).
    pub issued_lamport: u64,
}

/// A device certificate signed by the office (chứng thư thiết bị).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCertificate {
    pub format: String,
    pub node_id: String,
    pub short_code: String,
    pub commune_code: String,
    pub role: DeviceRole,
    pub sign_pk: String,
    pub enc_recipient: String,
    pub serial: u64,
    pub issued_lamport: u64,
    /// SHA-256 (hex) of the office signing key that signed this certificate.
    pub issuer_key_id: String,
    /// Ed25519 signature (hex) by the office over the certificate without this field.
    pub signature: String,
}

#[derive(Serialize)]
struct CertificateBody<'a> {
    format: &'a str,
    node_id: &'a str,
    short_code: &'a str,
    commune_code: &'a str,
    role: DeviceRole,
    sign_pk: &'a str,
    enc_recipient: &'a str,
    serial: u64,
    issued_lamport: u64,
    issuer_key_id: &'a str,
}

impl DeviceCertificate {
    /// The office's decision: verifies the request's self-signature and that `typed_fingerprint`
    /// (from the paper form or the phone call) matches the request's keys, then signs.
    pub fn issue(
        request: &EnrolmentRequest,
        typed_fingerprint: &str,
        assignment: &CertificateAssignment,
        office: &NodeKeys,
    ) -> Result<Self> {
        request.verify()?;
        if !fingerprint_matches(&request.fingerprint()?, typed_fingerprint) {
            return Err(Error::Invalid(
                "Dấu vân tay không khớp với yêu cầu đăng ký: không cấp chứng thư. Hãy đối chiếu lại với phiếu đăng ký hoặc gọi điện cho xã."
                    .into(),
            ));
        }
        check_code(&assignment.short_code, "Mã ngắn của thiết bị")?;
        check_code(&assignment.commune_code, "Mã xã")?;
        let mut cert = DeviceCertificate {
            format: CERTIFICATE_FORMAT.into(),
            node_id: request.node_id.clone(),
            short_code: assignment.short_code.clone(),
            commune_code: assignment.commune_code.clone(),
            role: assignment.role,
            sign_pk: request.keys.sign_pk.clone(),
            enc_recipient: request.keys.enc_recipient.clone(),
            serial: assignment.serial,
            issued_lamport: assignment.issued_lamport,
            issuer_key_id: hex::encode(office.key_id()),
            signature: String::new(),
        };
        cert.signature = hex::encode(office.sign(&cert.message()?));
        Ok(cert)
    }

    fn message(&self) -> Result<Vec<u8>> {
        signed_bytes(
            CERTIFICATE_DOMAIN,
            &CertificateBody {
                format: &self.format,
                node_id: &self.node_id,
                short_code: &self.short_code,
                commune_code: &self.commune_code,
                role: self.role,
                sign_pk: &self.sign_pk,
                enc_recipient: &self.enc_recipient,
                serial: self.serial,
                issued_lamport: self.issued_lamport,
                issuer_key_id: &self.issuer_key_id,
            },
        )
    }

    /// Checks the office's signature against the pinned office keys (`verify_strict`).
    pub fn verify(&self, office: &PublicKeys) -> Result<()> {
        let refused = || {
            Error::Invalid(
                "Chứng thư thiết bị không do văn phòng đã ghim khoá ký, hoặc đã bị sửa đổi; từ chối."
                    .into(),
            )
        };
        if self.format != CERTIFICATE_FORMAT {
            return Err(Error::Invalid(
                "Chứng thư thiết bị thuộc phiên bản khác; cần cập nhật phần mềm.".into(),
            ));
        }
        if self.issuer_key_id != hex::encode(office.key_id()?) {
            return Err(refused());
        }
        self.public_keys().validated().map_err(|_| refused())?;
        let sig = decode_sig(&self.signature).ok_or_else(refused)?;
        office.verify(&self.message()?, &sig).map_err(|_| refused())
    }

    /// The commune side's acceptance: signed by the pinned office and about this very device.
    pub fn verify_for_me(
        &self,
        office: &PublicKeys,
        node_id: &str,
        mine: &PublicKeys,
    ) -> Result<()> {
        self.verify(office)?;
        if self.node_id != node_id || self.public_keys() != *mine {
            return Err(Error::Invalid(
                "Chứng thư này cấp cho thiết bị khác (khoá không khớp với máy này); từ chối."
                    .into(),
            ));
        }
        Ok(())
    }

    /// The device's public keys as certified.
    pub fn public_keys(&self) -> PublicKeys {
        PublicKeys {
            sign_pk: self.sign_pk.clone(),
            enc_recipient: self.enc_recipient.clone(),
        }
    }

    /// The payload of an `enrol_response` package carrying this certificate.
    pub fn to_payload(&self) -> Result<PackagePayload> {
        let data = serde_json::to_value(self)
            .map_err(|_| Error::Invalid("Không tạo được chứng thư thiết bị.".into()))?;
        Ok(PackagePayload {
            ops: Vec::new(),
            sections: vec![Section::new(CERTIFICATE_SECTION, data)],
        })
    }

    /// Takes the certificate out of an opened `enrol_response` package (the package itself was
    /// authenticated with the pinned office key by `open_package`) and verifies it for this
    /// device.
    pub fn from_package(
        pkg: &OpenedPackage,
        office: &PublicKeys,
        node_id: &str,
        mine: &PublicKeys,
    ) -> Result<Self> {
        let refused =
            || Error::Invalid("Gói không chứa chứng thư thiết bị hợp lệ; từ chối.".into());
        if pkg.header.kind != PackageKind::EnrolResponse {
            return Err(refused());
        }
        let cert: DeviceCertificate = serde_json::from_value(
            pkg.section(CERTIFICATE_SECTION)
                .ok_or_else(refused)?
                .clone(),
        )
        .map_err(|_| refused())?;
        cert.verify_for_me(office, node_id, mine)?;
        Ok(cert)
    }
}

/// Payload section of a `key_rollover` package.
pub const ROLLOVER_SECTION: &str = "key_rollover";
pub const ROLLOVER_FORMAT: &str = "giamngheo-key-rollover/1";
const ROLLOVER_DOMAIN: &[u8] = b"giamngheo/key-rollover/v1\n";

/// An office announcing its new keys (đổi khoá, SYNC.md §3.10 "Rotation"): signed by the old
/// signing key (what communes have pinned) and by the new one (proof the office holds it).
/// `serial` numbers the office's key generations (the keys made at setup are generation 0, the
/// first rollover introduces generation 1); `grace_until` (RFC 3339, the office's clock) is when
/// the office stops accepting packages encrypted to the old key. Communes verify the statement
/// against their pinned key and re-pin (`sync::rollover`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRollover {
    pub format: String,
    pub node_id: String,
    /// Generation of `new_keys` (≥ 1).
    #[serde(default = "one")]
    pub serial: u64,
    /// Until when packages encrypted to the old key are accepted (office clock, RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_until: Option<String>,
    pub old_sign_pk: String,
    pub new_keys: PublicKeys,
    /// Hex Ed25519 signature by the old key.
    pub old_signature: String,
    /// Hex Ed25519 signature by the new key.
    pub new_signature: String,
}

fn one() -> u64 {
    1
}

#[derive(Serialize)]
struct RolloverBody<'a> {
    format: &'a str,
    node_id: &'a str,
    serial: u64,
    grace_until: &'a Option<String>,
    old_sign_pk: &'a str,
    new_keys: &'a PublicKeys,
}

impl KeyRollover {
    /// The first rollover (generation 1), without a stated grace period.
    pub fn new(node_id: &str, old: &NodeKeys, new: &NodeKeys) -> Result<Self> {
        Self::issue(node_id, 1, None, old, new)
    }

    /// A rollover to key generation `serial`, accepting the old key until `grace_until`.
    pub fn issue(
        node_id: &str,
        serial: u64,
        grace_until: Option<String>,
        old: &NodeKeys,
        new: &NodeKeys,
    ) -> Result<Self> {
        validate_node_id(node_id)?;
        if serial == 0 {
            return Err(Error::Invalid(
                "Số thế hệ khoá mới phải từ 1 trở lên.".into(),
            ));
        }
        if let Some(g) = &grace_until {
            if chrono::DateTime::parse_from_rfc3339(g).is_err() {
                return Err(Error::Invalid(
                    "Hạn chuyển tiếp khoá phải theo định dạng RFC 3339.".into(),
                ));
            }
        }
        let mut r = KeyRollover {
            format: ROLLOVER_FORMAT.into(),
            node_id: node_id.into(),
            serial,
            grace_until,
            old_sign_pk: old.public().sign_pk,
            new_keys: new.public(),
            old_signature: String::new(),
            new_signature: String::new(),
        };
        let m = r.message()?;
        r.old_signature = hex::encode(old.sign(&m));
        r.new_signature = hex::encode(new.sign(&m));
        Ok(r)
    }

    fn message(&self) -> Result<Vec<u8>> {
        signed_bytes(
            ROLLOVER_DOMAIN,
            &RolloverBody {
                format: &self.format,
                node_id: &self.node_id,
                serial: self.serial,
                grace_until: &self.grace_until,
                old_sign_pk: &self.old_sign_pk,
                new_keys: &self.new_keys,
            },
        )
    }

    /// Verifies against the keys currently pinned for `node_id`: both signatures must hold and
    /// the old key must be the pinned one.
    pub fn verify(&self, node_id: &str, pinned: &PublicKeys) -> Result<()> {
        let refused = || {
            Error::Invalid(
                "Thông báo đổi khoá không được ký bằng khoá đã ghim của văn phòng; từ chối.".into(),
            )
        };
        if self.format != ROLLOVER_FORMAT {
            return Err(Error::Invalid(
                "Thông báo đổi khoá thuộc phiên bản khác; cần cập nhật phần mềm.".into(),
            ));
        }
        if self.node_id != node_id || self.old_sign_pk != pinned.sign_pk || self.serial == 0 {
            return Err(refused());
        }
        if self.new_keys.validated().map_err(|_| refused())? != self.new_keys {
            return Err(refused());
        }
        let m = self.message()?;
        let old_sig = decode_sig(&self.old_signature).ok_or_else(refused)?;
        let new_sig = decode_sig(&self.new_signature).ok_or_else(refused)?;
        pinned.verify(&m, &old_sig).map_err(|_| refused())?;
        self.new_keys.verify(&m, &new_sig).map_err(|_| refused())
    }

    /// The payload of a `key_rollover` package (sign that package with the OLD key).
    pub fn to_payload(&self) -> Result<PackagePayload> {
        let data = serde_json::to_value(self)
            .map_err(|_| Error::Invalid("Không tạo được thông báo đổi khoá.".into()))?;
        Ok(PackagePayload {
            ops: Vec::new(),
            sections: vec![Section::new(ROLLOVER_SECTION, data)],
        })
    }

    /// Takes the rollover out of an opened `key_rollover` package from the pinned office and
    /// verifies it.
    pub fn from_package(pkg: &OpenedPackage, pinned: &PublicKeys) -> Result<Self> {
        let refused =
            || Error::Invalid("Gói không chứa thông báo đổi khoá hợp lệ; từ chối.".into());
        if pkg.header.kind != PackageKind::KeyRollover || pkg.trust != SenderTrust::Known {
            return Err(refused());
        }
        let r: KeyRollover =
            serde_json::from_value(pkg.section(ROLLOVER_SECTION).ok_or_else(refused)?.clone())
                .map_err(|_| refused())?;
        if r.node_id != pkg.header.sender_node {
            return Err(refused());
        }
        r.verify(&pkg.header.sender_node, pinned)?;
        Ok(r)
    }
}
