//! Node keys (khoá của thiết bị/đơn vị): one Ed25519 signing key and one age X25519 identity per
//! installed database, their public half, the keys file an office hands to communes, and the
//! fingerprint read aloud during enrolment.
//!
//! Deliberately absent: storing keys (the ledger persists the secret string this module produces)
//! and any passphrase wrapping of the secret (key slots come with encryption at rest).

use std::str::FromStr;

use age::secrecy::ExposeSecret;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};

/// Prefix of the secret-key string, so a wrong string in the database is recognised at once.
const SECRET_PREFIX: &str = "giamngheo-node-secret-v1";
/// Domain separation for the fingerprint hash.
const FINGERPRINT_DOMAIN: &[u8] = b"giamngheo/fingerprint/v1\n";
/// Format tag of the public keys file.
pub const KEYS_FILE_FORMAT: &str = "giamngheo-public-keys/1";

/// The secret keys of one node. Both secrets are wiped from memory when this value is dropped
/// (`ed25519-dalek` and `x25519-dalek` zeroize on drop).
pub struct NodeKeys {
    signing: SigningKey,
    identity: age::x25519::Identity,
}

impl std::fmt::Debug for NodeKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets, only the public half.
        f.debug_struct("NodeKeys")
            .field("public", &self.public())
            .finish()
    }
}

impl NodeKeys {
    /// Fresh keys from the operating system's random number generator.
    pub fn generate() -> Self {
        let signing = SigningKey::generate(&mut rand_core::OsRng);
        let identity = age::x25519::Identity::generate();
        NodeKeys { signing, identity }
    }

    /// The public half, safe to publish.
    pub fn public(&self) -> PublicKeys {
        PublicKeys {
            sign_pk: hex::encode(self.signing.verifying_key().as_bytes()),
            enc_recipient: self.identity.to_public().to_string(),
        }
    }

    /// SHA-256 of the Ed25519 public key: the signer key id written into every package.
    pub fn key_id(&self) -> [u8; 32] {
        Sha256::digest(self.signing.verifying_key().as_bytes()).into()
    }

    /// Ed25519 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// The age identity, for decrypting packages addressed to this node.
    pub(crate) fn identity(&self) -> &age::x25519::Identity {
        &self.identity
    }

    /// Both secrets as one line for storage in the database:
    /// `giamngheo-node-secret-v1:<64 hex Ed25519 seed>:<AGE-SECRET-KEY-1…>`.
    /// The returned string is wiped from memory when dropped.
    pub fn to_secret_string(&self) -> Zeroizing<String> {
        let mut seed = self.signing.to_bytes();
        let mut seed_hex = hex::encode(seed);
        seed.zeroize();
        let age_secret = self.identity.to_string();
        let out = Zeroizing::new(format!(
            "{SECRET_PREFIX}:{seed_hex}:{}",
            age_secret.expose_secret()
        ));
        seed_hex.zeroize();
        out
    }

    /// Reads the string written by [`NodeKeys::to_secret_string`].
    pub fn from_secret_string(s: &str) -> Result<Self> {
        let bad =
            || Error::Invalid("Khoá bí mật của thiết bị bị hỏng hoặc không đúng định dạng.".into());
        let mut parts = s.trim().splitn(3, ':');
        let (Some(prefix), Some(seed_hex), Some(age_secret)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if prefix != SECRET_PREFIX || seed_hex.len() != 64 {
            return Err(bad());
        }
        let mut seed = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(seed_hex, seed.as_mut()).map_err(|_| bad())?;
        let signing = SigningKey::from_bytes(&seed);
        let identity = age::x25519::Identity::from_str(age_secret).map_err(|_| bad())?;
        Ok(NodeKeys { signing, identity })
    }
}

/// The public keys of a node: Ed25519 verifying key (64 hex digits) and age recipient (`age1…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeys {
    pub sign_pk: String,
    pub enc_recipient: String,
}

impl PublicKeys {
    /// Checks both keys parse; returns them in canonical (lower-case) form.
    pub fn validated(&self) -> Result<PublicKeys> {
        let vk = self.verifying_key()?;
        let r = self.recipient()?;
        Ok(PublicKeys {
            sign_pk: hex::encode(vk.as_bytes()),
            enc_recipient: r.to_string(),
        })
    }

    /// The Ed25519 verifying key.
    pub fn verifying_key(&self) -> Result<VerifyingKey> {
        parse_verifying_key(&self.sign_pk)
    }

    /// The age recipient to encrypt to.
    pub fn recipient(&self) -> Result<age::x25519::Recipient> {
        age::x25519::Recipient::from_str(self.enc_recipient.trim()).map_err(|_| {
            Error::Invalid("Khoá mã hoá (age) của đơn vị không đúng định dạng.".into())
        })
    }

    /// SHA-256 of the Ed25519 public key, as in a package's signer key id.
    pub fn key_id(&self) -> Result<[u8; 32]> {
        Ok(Sha256::digest(self.verifying_key()?.as_bytes()).into())
    }

    /// Verifies an Ed25519 signature with `verify_strict` (rejects small-order keys and
    /// non-canonical signatures).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        let vk = self.verifying_key()?;
        vk.verify_strict(message, &Signature::from_bytes(signature))
            .map_err(|_| Error::Invalid("Chữ ký không hợp lệ.".into()))
    }
}

pub(crate) fn parse_verifying_key(hex_pk: &str) -> Result<VerifyingKey> {
    let bad = || Error::Invalid("Khoá ký (Ed25519) của đơn vị không đúng định dạng.".into());
    let mut b = [0u8; 32];
    hex::decode_to_slice(hex_pk.trim(), &mut b).map_err(|_| bad())?;
    VerifyingKey::from_bytes(&b).map_err(|_| bad())
}

/// The fingerprint of a node's public keys, read aloud or written on the enrolment form:
/// six groups of five decimal digits, e.g. `04718 99210 31337 00042 51515 86420`.
///
/// Derivation (stable, part of the exchange contract):
/// `h = SHA-256("giamngheo/fingerprint/v1\n" ‖ sign_pk (32 raw bytes) ‖ enc_recipient (the
/// lower-case `age1…` string as UTF-8))`; group *i* (0‥5) = the big-endian integer of
/// `h[5i .. 5i+5]` (40 bits) modulo 100 000, printed with five digits. 30 digits ≈ 99.7 bits;
/// the modulo bias (2⁴⁰ mod 10⁵ / 2⁴⁰ < 10⁻⁷) is negligible.
pub fn fingerprint(keys: &PublicKeys) -> Result<String> {
    let canonical = keys.validated()?;
    let vk = canonical.verifying_key()?;
    let mut h = Sha256::new();
    h.update(FINGERPRINT_DOMAIN);
    h.update(vk.as_bytes());
    h.update(canonical.enc_recipient.as_bytes());
    let digest = h.finalize();
    let groups: Vec<String> = (0..6)
        .map(|i| {
            let v = digest[5 * i..5 * i + 5]
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            format!("{:05}", v % 100_000)
        })
        .collect();
    Ok(groups.join(" "))
}

/// Compares a fingerprint typed by a person (spaces, dashes or dots anywhere) with the expected
/// one. Only digits count.
pub fn fingerprint_matches(expected: &str, typed: &str) -> bool {
    let digits = |s: &str| s.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
    let (e, t) = (digits(expected), digits(typed));
    e.len() == 30
        && e == t
        && typed
            .chars()
            .all(|c| c.is_ascii_digit() || " -.\t".contains(c))
}

/// The public keys file (`giamngheo keys --out FILE`): what a commune installation pins for its
/// office, and what a reviewer laptop pins for its commune officer. No secrets, no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysFile {
    /// Always [`KEYS_FILE_FORMAT`].
    pub format: String,
    /// The node id the keys belong to (see [`validate_node_id`]).
    pub node_id: String,
    pub keys: PublicKeys,
    /// [`fingerprint`] of `keys`; checked when the file is read.
    pub fingerprint: String,
    /// The node's short code (e.g. `VP04`), used in package file names; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_code: Option<String>,
    /// The office's province name, the default for communes set up with this file (so both
    /// sides write the same province row); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub province_name: Option<String>,
}

impl KeysFile {
    pub fn new(node_id: &str, keys: &PublicKeys) -> Result<Self> {
        validate_node_id(node_id)?;
        let keys = keys.validated()?;
        let fingerprint = fingerprint(&keys)?;
        Ok(KeysFile {
            format: KEYS_FILE_FORMAT.into(),
            node_id: node_id.into(),
            keys,
            fingerprint,
            short_code: None,
            province_name: None,
        })
    }

    /// Pretty JSON for the file.
    pub fn to_json(&self) -> String {
        // Serialising a struct of strings cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses and checks a keys file: format, key syntax, and that the fingerprint printed in
    /// the file is the fingerprint of the keys in it.
    pub fn from_json(text: &str) -> Result<Self> {
        let f: KeysFile = serde_json::from_str(text).map_err(|_| {
            Error::Invalid("Tệp khoá công khai không đúng định dạng của Sổ Giảm Nghèo.".into())
        })?;
        if f.format != KEYS_FILE_FORMAT {
            return Err(Error::Invalid(
                "Tệp khoá công khai thuộc phiên bản khác; cần cập nhật phần mềm.".into(),
            ));
        }
        validate_node_id(&f.node_id)?;
        let keys = f.keys.validated()?;
        if fingerprint(&keys)? != f.fingerprint {
            return Err(Error::Invalid(
                "Dấu vân tay trong tệp khoá không khớp với khoá: tệp đã bị sửa.".into(),
            ));
        }
        Ok(KeysFile { keys, ..f })
    }
}

/// A node id as the ledger writes it: a lower-case UUID (`0192f0c2-7a1b-7c3d-9e4f-…`) or 32 hex
/// digits — lower-case hex digits and `-`, 16 to 64 characters. Never personal data.
pub fn validate_node_id(node_id: &str) -> Result<()> {
    let n = node_id.len();
    if (16..=64).contains(&n)
        && node_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'-')
        && node_id.bytes().filter(u8::is_ascii_hexdigit).count() >= 16
    {
        Ok(())
    } else {
        Err(Error::Invalid(
            "Mã thiết bị (node id) không hợp lệ: cần mã UUID hoặc 32 chữ số hex viết thường."
                .into(),
        ))
    }
}

/// A fresh random node id (16 bytes from the operating system, 32 hex digits).
pub fn new_node_id() -> String {
    use rand_core::RngCore;
    let mut b = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_string_round_trips_and_keeps_the_same_public_keys() {
        let k = NodeKeys::generate();
        let s = k.to_secret_string();
        assert!(s.starts_with(SECRET_PREFIX));
        let back = NodeKeys::from_secret_string(&s).expect("parse");
        assert_eq!(back.public(), k.public());
        assert_eq!(back.key_id(), k.key_id());
    }

    #[test]
    fn damaged_secret_string_is_refused_with_a_vietnamese_message() {
        let k = NodeKeys::generate();
        let s = k.to_secret_string();
        for bad in [&s[..40], "", "x:y:z", &s.replace(SECRET_PREFIX, "other")] {
            let e = NodeKeys::from_secret_string(bad).expect_err("must fail");
            assert!(e.to_string().contains("Khoá bí mật"));
        }
    }

    #[test]
    fn debug_output_does_not_leak_secrets() {
        let k = NodeKeys::generate();
        let s = k.to_secret_string();
        let seed_hex = s.split(':').nth(1).expect("seed");
        let dbg = format!("{k:?}");
        assert!(!dbg.contains(seed_hex));
        assert!(!dbg.to_uppercase().contains("AGE-SECRET-KEY"));
    }

    #[test]
    fn fingerprint_is_six_groups_of_five_digits_and_differs_between_nodes() {
        let a = fingerprint(&NodeKeys::generate().public()).expect("fp");
        let b = fingerprint(&NodeKeys::generate().public()).expect("fp");
        assert_ne!(a, b);
        let groups: Vec<&str> = a.split(' ').collect();
        assert_eq!(groups.len(), 6);
        assert!(groups
            .iter()
            .all(|g| g.len() == 5 && g.chars().all(|c| c.is_ascii_digit())));
        assert!(fingerprint_matches(&a, &a.replace(' ', "-")));
        assert!(!fingerprint_matches(&a, &b));
    }

    #[test]
    fn fingerprint_changes_when_either_key_changes() {
        let a = NodeKeys::generate().public();
        let b = NodeKeys::generate().public();
        let mixed1 = PublicKeys {
            sign_pk: a.sign_pk.clone(),
            enc_recipient: b.enc_recipient.clone(),
        };
        let mixed2 = PublicKeys {
            sign_pk: b.sign_pk.clone(),
            enc_recipient: a.enc_recipient.clone(),
        };
        let fa = fingerprint(&a).expect("fp");
        assert_ne!(fa, fingerprint(&mixed1).expect("fp"));
        assert_ne!(fa, fingerprint(&mixed2).expect("fp"));
    }

    #[test]
    fn node_ids_are_uuids_or_hex_and_nothing_else() {
        assert!(validate_node_id(&new_node_id()).is_ok());
        assert!(validate_node_id("0192f0c2-7a1b-7c3d-9e4f-0123456789ab").is_ok());
        for bad in [
            "",
            "short",
            "0192F0C2-7A1B-7C3D-9E4F-0123456789AB",
            "nguyen-van-a-1234567",
            "../../etc/passwd",
        ] {
            assert!(validate_node_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_file_round_trips_and_detects_an_edited_key() {
        let k = NodeKeys::generate();
        let node = new_node_id();
        let f = KeysFile::new(&node, &k.public()).expect("file");
        let json = f.to_json();
        assert_eq!(KeysFile::from_json(&json).expect("parse"), f);
        let other = NodeKeys::generate().public();
        let edited = json.replace(&k.public().sign_pk, &other.sign_pk);
        assert!(KeysFile::from_json(&edited).is_err());
        assert!(KeysFile::from_json("{}").is_err());
    }
}
