//! Identifiers that cross the application boundary, as types rather than `&str`, so a
//! case id cannot be passed where an item code is meant, and a digest is checked once,
//! where it enters.

use crate::AppError;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! text_id {
    ($name:ident, $what:literal) => {
        #[doc = concat!("A ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks that the id is not empty and holds no control characters.
            pub fn new(s: impl Into<String>) -> Result<$name, AppError> {
                let s = s.into();
                if s.trim().is_empty() || s.chars().any(char::is_control) || s.len() > 200 {
                    return Err(AppError::BadInput(format!(
                        concat!($what, " {:?}: empty, too long or has control characters"),
                        s
                    )));
                }
                Ok($name(s))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_id!(CaseId, "case id 案件编号");
text_id!(ItemCode, "item code 事项编码");
text_id!(RequestId, "request id");

/// A SHA-256 digest as 64 lowercase hex digits: the address of a stored blob.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sha256(String);

impl Sha256 {
    pub fn parse(s: &str) -> Result<Sha256, AppError> {
        let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(Sha256(s.to_string()))
        } else {
            Err(AppError::BadInput(format!(
                "{s:?} is not a SHA-256 digest (64 lowercase hex digits)"
            )))
        }
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256 {
        use sha2::Digest;
        Sha256(hex::encode(sha2::Sha256::digest(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked_where_they_enter() {
        let d = Sha256::of(b"abc");
        assert_eq!(
            d.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(Sha256::parse(d.as_str()).is_ok());
        assert!(Sha256::parse(&d.as_str().to_uppercase()).is_err());
        assert!(Sha256::parse("abc").is_err());
        assert!(CaseId::new("C-2026-001").is_ok());
        assert!(CaseId::new(" ").is_err());
        assert!(ItemCode::new("JSGCGHXK\n").is_err());
    }
}
