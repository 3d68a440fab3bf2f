//! Hash algorithms and the per-case hash chain.

use serde::{Deserialize, Serialize};
use sha2::Digest;

/// Hash algorithm of a chain row; the id is stored in each row so SHA-256 and SM3 can coexist.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlg {
    /// SHA-256 (FIPS 180-4), the default.
    #[default]
    Sha256,
    /// SM3 (GB/T 32905-2016), for 国密 / 密评 deployments.
    Sm3,
}

impl HashAlg {
    /// Stable id as stored in the database: `sha256` or `sm3`.
    pub fn as_str(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sm3 => "sm3",
        }
    }

    /// Parses the stored id.
    pub fn parse(s: &str) -> Option<HashAlg> {
        match s {
            "sha256" => Some(HashAlg::Sha256),
            "sm3" => Some(HashAlg::Sm3),
            _ => None,
        }
    }

    /// Digest of the concatenation of `parts`.
    pub fn digest_parts(self, parts: &[&[u8]]) -> [u8; 32] {
        match self {
            HashAlg::Sha256 => {
                let mut h = sha2::Sha256::new();
                for p in parts {
                    h.update(p);
                }
                h.finalize().into()
            }
            HashAlg::Sm3 => {
                let mut h = sm3::Sm3::new();
                for p in parts {
                    h.update(p);
                }
                h.finalize().into()
            }
        }
    }

    /// Digest of `data`.
    pub fn digest(self, data: &[u8]) -> [u8; 32] {
        self.digest_parts(&[data])
    }
}

impl std::fmt::Display for HashAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Domain tag of event chain hashes; the NUL ends the tag so no event text can extend it.
pub const CHAIN_DOMAIN: &[u8] = b"zhishen.event.v1\0";

/// `prev_hash` of a case's first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// Chain hash of one event: `H("zhishen.event.v1\0" || prev || canonical_event)`.
pub fn chain_hash(alg: HashAlg, prev: &[u8; 32], canonical_event: &[u8]) -> [u8; 32] {
    alg.digest_parts(&[CHAIN_DOMAIN, prev, canonical_event])
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// Parses hex (either case); `None` on odd length or a non-hex character.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    fn nib(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_abc_standard_vector() {
        // GB/T 32905-2016 appendix A example 1.
        assert_eq!(
            hex(&HashAlg::Sm3.digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        // Example 2: "abcd" x 16.
        assert_eq!(
            hex(&HashAlg::Sm3.digest("abcd".repeat(16).as_bytes())),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn sha256_standard_vectors() {
        assert_eq!(
            hex(&HashAlg::Sha256.digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&HashAlg::Sha256.digest(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn chain_hash_is_domain_separated_and_alg_dependent() {
        let a = chain_hash(HashAlg::Sha256, &GENESIS, b"{}");
        let mut manual = Vec::new();
        manual.extend_from_slice(b"zhishen.event.v1\0");
        manual.extend_from_slice(&[0u8; 32]);
        manual.extend_from_slice(b"{}");
        assert_eq!(a, HashAlg::Sha256.digest(&manual));
        assert_ne!(a, HashAlg::Sha256.digest(b"{}"));
        assert_ne!(a, chain_hash(HashAlg::Sm3, &GENESIS, b"{}"));
        assert_ne!(a, chain_hash(HashAlg::Sha256, &[1; 32], b"{}"));
    }

    #[test]
    fn alg_ids_round_trip() {
        for a in [HashAlg::Sha256, HashAlg::Sm3] {
            assert_eq!(HashAlg::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
        }
        assert_eq!(HashAlg::parse("md5"), None);
    }

    #[test]
    fn hex_round_trip_and_rejects() {
        assert_eq!(
            unhex(&hex(&[0, 1, 0xab, 0xff])).unwrap(),
            vec![0, 1, 0xab, 0xff]
        );
        assert_eq!(unhex("ABcd").unwrap(), vec![0xab, 0xcd]);
        assert!(unhex("abc").is_none());
        assert!(unhex("zz").is_none());
    }
}
