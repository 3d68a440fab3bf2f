//! Signed tree heads in the C2SP `tlog-checkpoint` signed-note text form:
//!
//! ```text
//! <origin>
//! <tree size>
//! <base64 root hash>
//! time <RFC 3339 time>          (extension line)
//!
//! — <key name> <base64(key hash[4] || signature)>
//! ```

use crate::sign::note_key_hash;
use crate::{AuditError, Signer, TrustedKeys};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde::{Deserialize, Serialize};

/// A tree head: the log `origin` had `size` leaves with Merkle `root` at `time`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    #[serde(with = "hex32")]
    pub root: [u8; 32],
    pub time: DateTime<FixedOffset>,
}

mod hex32 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::hex(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let t = String::deserialize(d)?;
        crate::unhex(&t)
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| D::Error::custom("expected 64 hex digits"))
    }
}

const DASH: &str = "\u{2014} ";
const MAX_NOTE: usize = 1 << 20;

impl Checkpoint {
    /// The signed note body (the text that signatures cover), ending with a newline.
    pub fn to_body(&self) -> String {
        format!(
            "{}\n{}\n{}\ntime {}\n",
            self.origin,
            self.size,
            B64.encode(self.root),
            self.time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
        )
    }

    fn parse_body(body: &str) -> Result<Checkpoint, AuditError> {
        let f = |field: &str, reason: &str| AuditError::format("checkpoint note", field, reason);
        let mut lines = body.strip_suffix('\n').unwrap_or(body).split('\n');
        let origin = lines.next().unwrap_or("");
        if origin.is_empty() {
            return Err(f("origin", "empty origin line"));
        }
        let size_s = lines.next().ok_or_else(|| f("size", "missing"))?;
        if size_s.is_empty()
            || (size_s.len() > 1 && size_s.starts_with('0'))
            || !size_s.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(f("size", "not a decimal number without leading zeros"));
        }
        let size: u64 = size_s.parse().map_err(|_| f("size", "out of range"))?;
        let root_s = lines.next().ok_or_else(|| f("root", "missing"))?;
        let root: [u8; 32] = B64
            .decode(root_s)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| f("root", "not base64 of 32 bytes"))?;
        let mut time = None;
        for l in lines {
            if l.is_empty() {
                return Err(f("body", "blank line inside the note text"));
            }
            if let Some(t) = l.strip_prefix("time ") {
                time =
                    Some(DateTime::parse_from_rfc3339(t).map_err(|e| f("time", &e.to_string()))?);
            }
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            time: time.ok_or_else(|| f("time", "missing `time` line"))?,
        })
    }
}

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_hash: [u8; 4],
    pub sig: Vec<u8>,
}

/// A checkpoint with its note signatures. Verification always runs over the exact body text
/// that was parsed, never a re-rendering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub signatures: Vec<NoteSignature>,
    body: String,
}

impl SignedCheckpoint {
    /// Signs a checkpoint with one or more signers (e.g. SM2 for 密评 and Ed25519 for witnesses).
    pub fn sign(checkpoint: Checkpoint, signers: &[&dyn Signer]) -> SignedCheckpoint {
        let body = checkpoint.to_body();
        let mut sc = SignedCheckpoint {
            checkpoint,
            signatures: Vec::new(),
            body,
        };
        for s in signers {
            sc.cosign(*s);
        }
        sc
    }

    /// Adds one more signature (a witness cosignature over the same body).
    pub fn cosign(&mut self, signer: &dyn Signer) {
        let name = signer.key_id();
        self.signatures.push(NoteSignature {
            key_hash: note_key_hash(&name, signer.alg(), &signer.public_key()),
            sig: signer.sign(self.body.as_bytes()),
            name,
        });
    }

    /// The signed body text.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The full note text.
    pub fn to_note(&self) -> String {
        let mut s = self.body.clone();
        s.push('\n');
        for sig in &self.signatures {
            let mut blob = sig.key_hash.to_vec();
            blob.extend_from_slice(&sig.sig);
            s.push_str(DASH);
            s.push_str(&sig.name);
            s.push(' ');
            s.push_str(&B64.encode(blob));
            s.push('\n');
        }
        s
    }

    /// Parses a note; does not verify it (see [`SignedCheckpoint::verify`]).
    pub fn from_note(text: &str) -> Result<SignedCheckpoint, AuditError> {
        let f = |field: &str, reason: &str| AuditError::format("checkpoint note", field, reason);
        if text.len() > MAX_NOTE {
            return Err(f("note", "longer than 1 MiB"));
        }
        let split = text
            .find("\n\n")
            .ok_or_else(|| f("note", "no blank line before the signatures"))?;
        let body = &text[..split + 1];
        let checkpoint = Checkpoint::parse_body(body)?;
        let sig_text = &text[split + 2..];
        if !sig_text.ends_with('\n') {
            return Err(f("signatures", "note must end with a newline"));
        }
        let mut signatures = Vec::new();
        for (i, line) in sig_text[..sig_text.len() - 1].split('\n').enumerate() {
            let field = format!("signature line {}", i + 1);
            let rest = line
                .strip_prefix(DASH)
                .ok_or_else(|| f(&field, "must start with '— '"))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| f(&field, "expected '— <name> <base64>'"))?;
            if name.is_empty() || name.contains('+') || b64.contains(' ') {
                return Err(f(&field, "bad key name or extra field"));
            }
            let blob = B64
                .decode(b64)
                .map_err(|_| f(&field, "signature is not base64"))?;
            if blob.len() < 5 {
                return Err(f(&field, "signature shorter than the key hash"));
            }
            signatures.push(NoteSignature {
                name: name.to_string(),
                key_hash: [blob[0], blob[1], blob[2], blob[3]],
                sig: blob[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(f("signatures", "no signature lines"));
        }
        Ok(SignedCheckpoint {
            checkpoint,
            signatures,
            body: body.to_string(),
        })
    }

    /// Verifies the note: every signature by a trusted key (same name and key hash) must be
    /// valid and at least one must exist. Unknown signers are ignored, as C2SP prescribes
    /// (they may be witnesses this verifier does not know). Returns the verified key names.
    pub fn verify(&self, keys: &TrustedKeys) -> Result<Vec<String>, AuditError> {
        let mut ok = Vec::new();
        for s in &self.signatures {
            let Some(k) = keys.get(&s.name) else { continue };
            if note_key_hash(&k.key_id, k.alg, &k.public_key) != s.key_hash {
                continue;
            }
            k.verify(self.body.as_bytes(), &s.sig).map_err(|_| {
                AuditError::BadSignature(format!(
                    "checkpoint {} size {}: signature by `{}` does not verify",
                    self.checkpoint.origin, self.checkpoint.size, s.name
                ))
            })?;
            ok.push(s.name.clone());
        }
        if ok.is_empty() {
            return Err(AuditError::BadSignature(format!(
                "checkpoint {} size {}: no signature from a trusted key",
                self.checkpoint.origin, self.checkpoint.size
            )));
        }
        Ok(ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{merkle, Ed25519Signer, Sm2Signer};

    fn cp() -> Checkpoint {
        Checkpoint {
            origin: "zhishen.example/audit/v1".into(),
            size: 8,
            root: merkle::root(&[merkle::leaf_hash(b"a")]),
            time: DateTime::parse_from_rfc3339("2026-02-12T09:30:00+08:00").unwrap(),
        }
    }

    #[test]
    fn note_text_form() {
        let ed = Ed25519Signer::from_seed("zhishen-log", &[3; 32]);
        let sc = SignedCheckpoint::sign(cp(), &[&ed]);
        let note = sc.to_note();
        let mut lines = note.lines();
        assert_eq!(lines.next(), Some("zhishen.example/audit/v1"));
        assert_eq!(lines.next(), Some("8"));
        assert_eq!(lines.next(), Some(B64.encode(cp().root).as_str()));
        assert_eq!(lines.next(), Some("time 2026-02-12T09:30:00+08:00"));
        assert_eq!(lines.next(), Some(""));
        let sig_line = lines.next().unwrap();
        assert!(sig_line.starts_with("— zhishen-log "));
        let blob = B64.decode(sig_line.rsplit(' ').next().unwrap()).unwrap();
        assert_eq!(blob.len(), 4 + 64);
        assert_eq!(
            blob[..4],
            note_key_hash("zhishen-log", crate::SigAlg::Ed25519, &ed.public_key())
        );
        assert_eq!(lines.next(), None);
    }

    #[test]
    fn round_trip_and_verify_with_both_algorithms() {
        let ed = Ed25519Signer::from_seed("zhishen-log", &[3; 32]);
        let sm = Sm2Signer::from_seed("zhishen-log-sm2", &[4; 32]);
        let sc = SignedCheckpoint::sign(cp(), &[&sm, &ed]);
        let back = SignedCheckpoint::from_note(&sc.to_note()).unwrap();
        assert_eq!(back, sc);
        let mut keys = TrustedKeys::from_signer(&ed);
        keys.add_signer(&sm);
        assert_eq!(
            back.verify(&keys).unwrap(),
            vec!["zhishen-log-sm2", "zhishen-log"]
        );
        // Only the SM2 key trusted: the Ed25519 line is ignored.
        assert_eq!(
            back.verify(&TrustedKeys::from_signer(&sm)).unwrap(),
            vec!["zhishen-log-sm2"]
        );
    }

    #[test]
    fn forged_notes_rejected() {
        let ed = Ed25519Signer::from_seed("zhishen-log", &[3; 32]);
        let keys = TrustedKeys::from_signer(&ed);
        let note = SignedCheckpoint::sign(cp(), &[&ed]).to_note();
        // Bigger size with the old signature.
        let forged = note.replacen("\n8\n", "\n9\n", 1);
        let e = SignedCheckpoint::from_note(&forged)
            .unwrap()
            .verify(&keys)
            .unwrap_err();
        assert!(e.to_string().contains("size 9"), "{e}");
        // Same key name, a different (attacker) key: key hash differs, so no trusted signature.
        let evil = Ed25519Signer::from_seed("zhishen-log", &[66; 32]);
        let e = SignedCheckpoint::sign(cp(), &[&evil])
            .verify(&keys)
            .unwrap_err();
        assert!(
            e.to_string().contains("no signature from a trusted key"),
            "{e}"
        );
        // Malformed text names the field.
        let e = SignedCheckpoint::from_note(&note.replacen("\n8\n", "\n08\n", 1)).unwrap_err();
        assert!(e.to_string().contains("size"), "{e}");
        let e = SignedCheckpoint::from_note("o\n1\nAAAA\ntime x\n\n").unwrap_err();
        assert!(e.to_string().contains("root"), "{e}");
        let e = SignedCheckpoint::from_note(note.trim_end()).unwrap_err();
        assert!(e.to_string().contains("newline"), "{e}");
        assert!(SignedCheckpoint::from_note(&note.replace('—', "-")).is_err());
    }
}
