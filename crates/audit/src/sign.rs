//! Signatures: Ed25519 (default) and SM2 with SM3 (国密, GB/T 32918 / GM/T 0003), and the
//! trusted public key list.

use crate::{AuditError, HashAlg};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// Signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SigAlg {
    /// Ed25519 (RFC 8032); public key 32 bytes, signature 64 bytes.
    Ed25519,
    /// SM2 signature over SM3 with the user ID [`SM2_DEFAULT_USER_ID`]; public key SEC1
    /// (65 bytes uncompressed), signature 64 bytes `r || s` (DER accepted on verify).
    Sm2,
}

impl SigAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigAlg::Ed25519 => "ed25519",
            SigAlg::Sm2 => "sm2",
        }
    }
}

impl std::fmt::Display for SigAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Default SM2 distinguishing identifier (GM/T 0009), as OpenSSL and most 国密 products use.
pub const SM2_DEFAULT_USER_ID: &str = "1234567812345678";

/// Something that signs: a software key here, an HSM / 密码机 (GM/T 0018 SDF) in production.
pub trait Signer {
    fn alg(&self) -> SigAlg;
    /// Key name; also the signed-note key name, so no whitespace and no `+`.
    fn key_id(&self) -> String;
    fn sign(&self, msg: &[u8]) -> Vec<u8>;
    /// Raw public key bytes (Ed25519: 32 bytes; SM2: SEC1 uncompressed).
    fn public_key(&self) -> Vec<u8>;
}

/// Ed25519 software signer.
#[derive(Clone)]
pub struct Ed25519Signer {
    key_id: String,
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ed25519Signer({})", self.key_id)
    }
}

impl Ed25519Signer {
    /// From the 32-byte secret key (RFC 8032 "private key"); deterministic, used by tests.
    pub fn from_seed(key_id: &str, seed: &[u8; 32]) -> Ed25519Signer {
        Ed25519Signer {
            key_id: key_id.to_string(),
            key: ed25519_dalek::SigningKey::from_bytes(seed),
        }
    }

    /// From secret key bytes (32).
    pub fn from_bytes(key_id: &str, secret: &[u8]) -> Result<Ed25519Signer, AuditError> {
        let seed: &[u8; 32] = secret.try_into().map_err(|_| AuditError::BadKey {
            key: key_id.to_string(),
            reason: format!("Ed25519 secret key must be 32 bytes, got {}", secret.len()),
        })?;
        Ok(Ed25519Signer::from_seed(key_id, seed))
    }

    /// From a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8_pem(key_id: &str, pem: &str) -> Result<Ed25519Signer, AuditError> {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        let key =
            ed25519_dalek::SigningKey::from_pkcs8_pem(pem).map_err(|e| AuditError::BadKey {
                key: key_id.to_string(),
                reason: e.to_string(),
            })?;
        Ok(Ed25519Signer {
            key_id: key_id.to_string(),
            key,
        })
    }

    /// Secret key bytes (32).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// PKCS#8 PEM of the private key.
    pub fn to_pkcs8_pem(&self) -> Result<String, AuditError> {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        use sm2::pkcs8::LineEnding;
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|z| z.to_string())
            .map_err(|e| self.bad(e))
    }

    /// SubjectPublicKeyInfo PEM of the public key.
    pub fn public_key_pem(&self) -> Result<String, AuditError> {
        use ed25519_dalek::pkcs8::EncodePublicKey;
        use sm2::pkcs8::LineEnding;
        self.key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| self.bad(e))
    }

    fn bad(&self, e: impl ToString) -> AuditError {
        AuditError::BadKey {
            key: self.key_id.clone(),
            reason: e.to_string(),
        }
    }
}

impl Signer for Ed25519Signer {
    fn alg(&self) -> SigAlg {
        SigAlg::Ed25519
    }
    fn key_id(&self) -> String {
        self.key_id.clone()
    }
    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        use ed25519_dalek::Signer as _;
        self.key.sign(msg).to_bytes().to_vec()
    }
    fn public_key(&self) -> Vec<u8> {
        self.key.verifying_key().to_bytes().to_vec()
    }
}

/// SM2 software signer (SM3 digest, user ID [`SM2_DEFAULT_USER_ID`], RFC 6979 nonces).
#[derive(Clone)]
pub struct Sm2Signer {
    key_id: String,
    key: sm2::dsa::SigningKey,
}

impl std::fmt::Debug for Sm2Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sm2Signer({})", self.key_id)
    }
}

impl Sm2Signer {
    /// Deterministic key from a 32-byte seed (tests and demos). The seed is the scalar when
    /// it is in range, else it is re-hashed with SM3 until it is.
    pub fn from_seed(key_id: &str, seed: &[u8; 32]) -> Sm2Signer {
        let mut s = *seed;
        loop {
            if let Ok(key) = sm2::dsa::SigningKey::from_slice(SM2_DEFAULT_USER_ID, &s) {
                return Sm2Signer {
                    key_id: key_id.to_string(),
                    key,
                };
            }
            s = HashAlg::Sm3.digest(&s);
        }
    }

    /// From the 32-byte secret scalar.
    pub fn from_bytes(key_id: &str, secret: &[u8]) -> Result<Sm2Signer, AuditError> {
        let key = sm2::dsa::SigningKey::from_slice(SM2_DEFAULT_USER_ID, secret).map_err(|e| {
            AuditError::BadKey {
                key: key_id.to_string(),
                reason: format!("SM2 secret key: {e}"),
            }
        })?;
        Ok(Sm2Signer {
            key_id: key_id.to_string(),
            key,
        })
    }

    /// From a PKCS#8 PEM private key.
    pub fn from_pkcs8_pem(key_id: &str, pem: &str) -> Result<Sm2Signer, AuditError> {
        use sm2::pkcs8::DecodePrivateKey;
        let bad = |e: String| AuditError::BadKey {
            key: key_id.to_string(),
            reason: e,
        };
        let sk = sm2::SecretKey::from_pkcs8_pem(pem).map_err(|e| bad(e.to_string()))?;
        let key =
            sm2::dsa::SigningKey::new(SM2_DEFAULT_USER_ID, &sk).map_err(|e| bad(e.to_string()))?;
        Ok(Sm2Signer {
            key_id: key_id.to_string(),
            key,
        })
    }

    /// Secret scalar bytes (32).
    pub fn to_bytes(&self) -> [u8; 32] {
        let b = self.key.to_bytes();
        let mut out = [0u8; 32];
        out.copy_from_slice(&b);
        out
    }

    /// PKCS#8 PEM of the private key.
    pub fn to_pkcs8_pem(&self) -> Result<String, AuditError> {
        use sm2::pkcs8::{EncodePrivateKey, LineEnding};
        let sk = sm2::SecretKey::from_slice(&self.to_bytes()).map_err(|e| self.bad(e))?;
        sk.to_pkcs8_pem(LineEnding::LF)
            .map(|z| z.to_string())
            .map_err(|e| self.bad(e))
    }

    /// SubjectPublicKeyInfo PEM of the public key.
    pub fn public_key_pem(&self) -> Result<String, AuditError> {
        use sm2::pkcs8::{EncodePublicKey, LineEnding};
        self.key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| self.bad(e))
    }

    fn bad(&self, e: impl ToString) -> AuditError {
        AuditError::BadKey {
            key: self.key_id.clone(),
            reason: e.to_string(),
        }
    }
}

impl Signer for Sm2Signer {
    fn alg(&self) -> SigAlg {
        SigAlg::Sm2
    }
    fn key_id(&self) -> String {
        self.key_id.clone()
    }
    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        use sm2::dsa::signature::Signer as _;
        let sig: sm2::dsa::Signature = self.key.sign(msg);
        sig.to_bytes().to_vec()
    }
    fn public_key(&self) -> Vec<u8> {
        self.key.verifying_key().to_sec1_bytes().to_vec()
    }
}

/// Verifies `sig` over `msg` with a raw public key (Ed25519: 32 bytes; SM2: SEC1).
pub fn verify_signature(
    alg: SigAlg,
    public_key: &[u8],
    msg: &[u8],
    sig: &[u8],
) -> Result<(), AuditError> {
    let bad_key = |reason: String| AuditError::BadKey {
        key: alg.to_string(),
        reason,
    };
    match alg {
        SigAlg::Ed25519 => {
            let pk: &[u8; 32] = public_key.try_into().map_err(|_| {
                bad_key(format!(
                    "Ed25519 public key must be 32 bytes, got {}",
                    public_key.len()
                ))
            })?;
            let vk =
                ed25519_dalek::VerifyingKey::from_bytes(pk).map_err(|e| bad_key(e.to_string()))?;
            let s = ed25519_dalek::Signature::from_slice(sig).map_err(|_| {
                AuditError::BadSignature(format!(
                    "Ed25519 signature must be 64 bytes, got {}",
                    sig.len()
                ))
            })?;
            vk.verify_strict(msg, &s)
                .map_err(|_| AuditError::BadSignature("Ed25519 verification failed".into()))
        }
        SigAlg::Sm2 => {
            use sm2::dsa::signature::Verifier as _;
            let vk = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DEFAULT_USER_ID, public_key)
                .map_err(|e| bad_key(format!("SM2 public key: {e}")))?;
            let s = if sig.len() == 64 {
                sm2::dsa::Signature::from_slice(sig)
            } else {
                sm2::dsa::Signature::from_der(sig)
            }
            .map_err(|_| {
                AuditError::BadSignature(format!("SM2 signature malformed ({} bytes)", sig.len()))
            })?;
            vk.verify(msg, &s)
                .map_err(|_| AuditError::BadSignature("SM2 verification failed".into()))
        }
    }
}

/// C2SP signed-note key hash: the first 4 bytes of `SHA-256(name || 0x0A || type || key)`.
/// Ed25519 uses type byte 0x01 (the standard); SM2 has no assigned byte, so it uses the
/// extension form 0xFF followed by the name `sm2-sm3`.
pub fn note_key_hash(name: &str, alg: SigAlg, public_key: &[u8]) -> [u8; 4] {
    let mut buf = Vec::with_capacity(name.len() + 10 + public_key.len());
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'\n');
    match alg {
        SigAlg::Ed25519 => buf.push(0x01),
        SigAlg::Sm2 => {
            buf.push(0xff);
            buf.extend_from_slice(b"sm2-sm3");
        }
    }
    buf.extend_from_slice(public_key);
    let h = HashAlg::Sha256.digest(&buf);
    [h[0], h[1], h[2], h[3]]
}

/// One trusted public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    pub key_id: String,
    pub alg: SigAlg,
    /// Raw public key bytes (decoded from base64 or PEM at load).
    pub public_key: Vec<u8>,
}

impl TrustedKey {
    /// Checks a signature made with this key.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), AuditError> {
        verify_signature(self.alg, &self.public_key, msg, sig)
    }
}

#[derive(Serialize, Deserialize)]
struct KeyEntry {
    key_id: String,
    alg: SigAlg,
    public_key: String,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    keys: Vec<KeyEntry>,
}

/// The list of public keys a verifier trusts (TOML `[[keys]]` or JSON `{"keys": [...]}` /
/// a bare JSON array), each `{key_id, alg, public_key}` with the key in base64 or PEM.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedKeys {
    keys: Vec<TrustedKey>,
}

impl TrustedKeys {
    pub fn new() -> TrustedKeys {
        TrustedKeys::default()
    }

    /// Trusts the public key of `signer`.
    pub fn from_signer(signer: &dyn Signer) -> TrustedKeys {
        let mut k = TrustedKeys::new();
        k.add_signer(signer);
        k
    }

    pub fn add_signer(&mut self, signer: &dyn Signer) {
        self.keys.push(TrustedKey {
            key_id: signer.key_id(),
            alg: signer.alg(),
            public_key: signer.public_key(),
        });
    }

    /// Adds a key after checking it decodes as a public key of `alg`.
    pub fn add(&mut self, key: TrustedKey) -> Result<(), AuditError> {
        check_public_key(&key.key_id, key.alg, &key.public_key)?;
        self.keys.push(key);
        Ok(())
    }

    /// Parses TOML, or JSON when the text starts with `{` or a single `[`.
    pub fn parse(text: &str) -> Result<TrustedKeys, AuditError> {
        let t = text.trim_start();
        if t.starts_with('{') || (t.starts_with('[') && !t.starts_with("[[")) {
            TrustedKeys::from_json(text)
        } else {
            TrustedKeys::from_toml(text)
        }
    }

    pub fn from_toml(text: &str) -> Result<TrustedKeys, AuditError> {
        let f: KeyFile = toml::from_str(text)
            .map_err(|e| AuditError::format("trusted keys TOML", "keys", e.message()))?;
        TrustedKeys::from_entries(f.keys)
    }

    pub fn from_json(text: &str) -> Result<TrustedKeys, AuditError> {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| AuditError::format("trusted keys JSON", "", e))?;
        let list = if v.is_array() {
            v
        } else {
            v.get("keys").cloned().unwrap_or(serde_json::Value::Null)
        };
        let entries: Vec<KeyEntry> = serde_json::from_value(list)
            .map_err(|e| AuditError::format("trusted keys JSON", "keys", e))?;
        TrustedKeys::from_entries(entries)
    }

    fn from_entries(entries: Vec<KeyEntry>) -> Result<TrustedKeys, AuditError> {
        let mut out = TrustedKeys::new();
        for (i, e) in entries.into_iter().enumerate() {
            if e.key_id.is_empty()
                || e.key_id.contains(char::is_whitespace)
                || e.key_id.contains('+')
            {
                return Err(AuditError::format(
                    "trusted keys",
                    format!("keys[{i}].key_id"),
                    "must be non-empty without whitespace or '+'",
                ));
            }
            let public_key = decode_public_key(&e.key_id, e.alg, &e.public_key)?;
            out.add(TrustedKey {
                key_id: e.key_id,
                alg: e.alg,
                public_key,
            })?;
        }
        Ok(out)
    }

    /// TOML text of the list (public keys in base64).
    pub fn to_toml(&self) -> String {
        let f = KeyFile {
            keys: self
                .keys
                .iter()
                .map(|k| KeyEntry {
                    key_id: k.key_id.clone(),
                    alg: k.alg,
                    public_key: B64.encode(&k.public_key),
                })
                .collect(),
        };
        toml::to_string(&f).unwrap_or_default()
    }

    /// The key with this id, if trusted.
    pub fn get(&self, key_id: &str) -> Option<&TrustedKey> {
        self.keys.iter().find(|k| k.key_id == key_id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &TrustedKey> {
        self.keys.iter()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Decodes a public key given as base64 (raw bytes) or SubjectPublicKeyInfo PEM.
pub(crate) fn decode_public_key(
    key_id: &str,
    alg: SigAlg,
    text: &str,
) -> Result<Vec<u8>, AuditError> {
    let bad = |reason: String| AuditError::BadKey {
        key: key_id.to_string(),
        reason,
    };
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        match alg {
            SigAlg::Ed25519 => {
                use ed25519_dalek::pkcs8::DecodePublicKey;
                ed25519_dalek::VerifyingKey::from_public_key_pem(t)
                    .map(|k| k.to_bytes().to_vec())
                    .map_err(|e| bad(format!("PEM: {e}")))
            }
            SigAlg::Sm2 => {
                use sm2::pkcs8::DecodePublicKey;
                sm2::PublicKey::from_public_key_pem(t)
                    .map(|k| k.to_sec1_bytes().to_vec())
                    .map_err(|e| bad(format!("PEM: {e}")))
            }
        }
    } else {
        B64.decode(t).map_err(|e| bad(format!("base64: {e}")))
    }
}

fn check_public_key(key_id: &str, alg: SigAlg, pk: &[u8]) -> Result<(), AuditError> {
    let bad = |reason: String| AuditError::BadKey {
        key: key_id.to_string(),
        reason,
    };
    match alg {
        SigAlg::Ed25519 => {
            let b: &[u8; 32] = pk.try_into().map_err(|_| {
                bad(format!(
                    "Ed25519 public key must be 32 bytes, got {}",
                    pk.len()
                ))
            })?;
            ed25519_dalek::VerifyingKey::from_bytes(b).map_err(|e| bad(e.to_string()))?;
        }
        SigAlg::Sm2 => {
            sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_DEFAULT_USER_ID, pk)
                .map_err(|_| bad("not a valid SM2 SEC1 public key".into()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{hex, unhex};

    #[test]
    fn rfc8032_test_1() {
        let sk: [u8; 32] =
            unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let s = Ed25519Signer::from_seed("rfc8032", &sk);
        assert_eq!(
            hex(&s.public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = s.sign(b"");
        assert_eq!(
            hex(&sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        verify_signature(SigAlg::Ed25519, &s.public_key(), b"", &sig).unwrap();
        assert!(matches!(
            verify_signature(SigAlg::Ed25519, &s.public_key(), b"x", &sig),
            Err(AuditError::BadSignature(_))
        ));
    }

    #[test]
    fn sm2_round_trip_and_tamper() {
        let s = Sm2Signer::from_seed("sm2-test", &[7; 32]);
        let pk = s.public_key();
        assert_eq!(pk.len(), 65);
        assert_eq!(pk[0], 4);
        let msg = "建设工程规划许可证".as_bytes();
        let sig = s.sign(msg);
        assert_eq!(sig.len(), 64);
        verify_signature(SigAlg::Sm2, &pk, msg, &sig).unwrap();
        // Deterministic (RFC 6979) so signing twice gives the same bytes.
        assert_eq!(sig, s.sign(msg));
        let mut tampered = msg.to_vec();
        tampered[0] ^= 1;
        assert!(matches!(
            verify_signature(SigAlg::Sm2, &pk, &tampered, &sig),
            Err(AuditError::BadSignature(_))
        ));
        let mut bad_sig = sig.clone();
        bad_sig[10] ^= 1;
        assert!(verify_signature(SigAlg::Sm2, &pk, msg, &bad_sig).is_err());
        // Another key does not verify it; the wrong algorithm is refused.
        let other = Sm2Signer::from_seed("sm2-other", &[8; 32]);
        assert!(verify_signature(SigAlg::Sm2, &other.public_key(), msg, &sig).is_err());
        assert!(verify_signature(SigAlg::Ed25519, &pk, msg, &sig).is_err());
    }

    #[test]
    fn sm2_seed_out_of_range_is_rehashed() {
        // 0xff.. exceeds the group order, zero is not a scalar: both still give keys.
        let a = Sm2Signer::from_seed("a", &[0xff; 32]);
        let b = Sm2Signer::from_seed("b", &[0; 32]);
        assert_ne!(a.public_key(), b.public_key());
        assert_eq!(
            a.public_key(),
            Sm2Signer::from_seed("a", &[0xff; 32]).public_key()
        );
    }

    #[test]
    fn pem_round_trips() {
        let e = Ed25519Signer::from_seed("e", &[1; 32]);
        let e2 = Ed25519Signer::from_pkcs8_pem("e", &e.to_pkcs8_pem().unwrap()).unwrap();
        assert_eq!(e2.to_bytes(), e.to_bytes());
        let pem = e.public_key_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(
            decode_public_key("e", SigAlg::Ed25519, &pem).unwrap(),
            e.public_key()
        );

        let s = Sm2Signer::from_seed("s", &[2; 32]);
        let s2 = Sm2Signer::from_pkcs8_pem("s", &s.to_pkcs8_pem().unwrap()).unwrap();
        assert_eq!(s2.to_bytes(), s.to_bytes());
        let pem = s.public_key_pem().unwrap();
        assert_eq!(
            decode_public_key("s", SigAlg::Sm2, &pem).unwrap(),
            s.public_key()
        );
        assert!(Sm2Signer::from_pkcs8_pem(
            "s",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        )
        .is_err());
        assert!(Ed25519Signer::from_bytes("e", &[0; 31]).is_err());
    }

    #[test]
    fn trusted_keys_toml_json_and_errors() {
        let e = Ed25519Signer::from_seed("zhishen-demo", &[1; 32]);
        let s = Sm2Signer::from_seed("zhishen-sm2", &[2; 32]);
        let toml_text = format!(
            "[[keys]]\nkey_id = \"zhishen-demo\"\nalg = \"ed25519\"\npublic_key = \"{}\"\n\n[[keys]]\nkey_id = \"zhishen-sm2\"\nalg = \"sm2\"\npublic_key = '''\n{}'''\n",
            B64.encode(e.public_key()),
            s.public_key_pem().unwrap()
        );
        let k = TrustedKeys::parse(&toml_text).unwrap();
        assert_eq!(k.len(), 2);
        assert_eq!(k.get("zhishen-sm2").unwrap().public_key, s.public_key());
        assert_eq!(TrustedKeys::parse(&k.to_toml()).unwrap(), k);
        let json = format!(
            r#"[{{"key_id":"zhishen-demo","alg":"ed25519","public_key":"{}"}}]"#,
            B64.encode(e.public_key())
        );
        assert_eq!(
            TrustedKeys::parse(&json)
                .unwrap()
                .get("zhishen-demo")
                .unwrap()
                .alg,
            SigAlg::Ed25519
        );

        let short = r#"{"keys":[{"key_id":"k1","alg":"ed25519","public_key":"AAAA"}]}"#;
        let err = TrustedKeys::parse(short).unwrap_err().to_string();
        assert!(err.contains("k1") && err.contains("32 bytes"), "{err}");
        let bad_alg = r#"{"keys":[{"key_id":"k1","alg":"rsa","public_key":"AAAA"}]}"#;
        assert!(TrustedKeys::parse(bad_alg)
            .unwrap_err()
            .to_string()
            .contains("keys"));
        let spaced = r#"{"keys":[{"key_id":"a b","alg":"ed25519","public_key":"AAAA"}]}"#;
        assert!(TrustedKeys::parse(spaced)
            .unwrap_err()
            .to_string()
            .contains("keys[0].key_id"));
    }

    #[test]
    fn note_key_hash_differs_by_alg_and_name() {
        let pk = [9u8; 32];
        assert_ne!(
            note_key_hash("a", SigAlg::Ed25519, &pk),
            note_key_hash("b", SigAlg::Ed25519, &pk)
        );
        assert_ne!(
            note_key_hash("a", SigAlg::Ed25519, &pk),
            note_key_hash("a", SigAlg::Sm2, &pk)
        );
        let mut buf = b"a\n\x01".to_vec();
        buf.extend_from_slice(&pk);
        assert_eq!(
            note_key_hash("a", SigAlg::Ed25519, &pk),
            HashAlg::Sha256.digest(&buf)[..4]
        );
    }
}
