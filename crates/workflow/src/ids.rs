//! Identifiers shared by every layer above the domain, as types rather than `&str`, so a
//! case id cannot be passed where an item code is meant, and a digest is checked once,
//! where it enters. They live here, in the domain crate, because both the store and the
//! application layer take and return them; serde is transparent, so stored JSON and
//! database text are exactly the plain strings they were before.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a text is not a valid id or digest; the message names the kind and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(String);

macro_rules! text_id {
    ($name:ident, $what:literal) => {
        #[doc = concat!("A ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks that the id is not empty and holds no control characters.
            pub fn new(s: impl Into<String>) -> Result<$name, IdError> {
                let s = s.into();
                if s.trim().is_empty() || s.chars().any(char::is_control) || s.len() > 200 {
                    return Err(IdError(format!(
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

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<$name, IdError> {
                $name::new(s)
            }
        }
    };
}

text_id!(CaseId, "case id 案件编号");
text_id!(ItemCode, "item code 事项编码");
text_id!(RequestId, "request id");
text_id!(EnterpriseId, "enterprise id 企业标识");

/// A SHA-256 digest as 64 lowercase hex digits: the address of a stored blob.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sha256(String);

impl Sha256 {
    pub fn parse(s: &str) -> Result<Sha256, IdError> {
        let ok = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if ok {
            Ok(Sha256(s.to_string()))
        } else {
            Err(IdError(format!(
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

impl AsRef<str> for Sha256 {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Sha256 {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Sha256, IdError> {
        Sha256::parse(s)
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
        assert_eq!(Sha256::parse(d.as_str()), Ok(d.clone()));
        assert_eq!(d.as_str().parse::<Sha256>(), Ok(d.clone()));
        assert!(Sha256::parse(&d.as_str().to_uppercase()).is_err());
        assert!(Sha256::parse("abc").is_err());
        assert!(Sha256::parse(&format!("{}0", d.as_str())).is_err());
        assert!(Sha256::parse(&d.as_str().replace('a', "g")).is_err());
        assert!(Sha256::parse("").is_err());
    }

    #[test]
    fn text_ids_refuse_empty_long_and_control_text() {
        assert_eq!(CaseId::new("C-2026-001").unwrap().as_str(), "C-2026-001");
        assert!(CaseId::new(" ").is_err());
        assert!(CaseId::new("").is_err());
        assert!(CaseId::new("x".repeat(201)).is_err());
        assert!(CaseId::new("x".repeat(200)).is_ok());
        assert!(ItemCode::new("JSGCGHXK\n").is_err());
        assert!(ItemCode::new("JSGCGHXK").is_ok());
        assert!(RequestId::new("r\u{7}").is_err());
        assert!(RequestId::new("timer:C1:overdue:X:1").is_ok());
        assert_eq!("C1".parse::<CaseId>().unwrap().to_string(), "C1");
        let e = CaseId::new(" ").unwrap_err();
        assert!(e.to_string().starts_with("case id 案件编号"), "{e}");
    }

    #[test]
    fn serde_is_the_plain_string() {
        let c = CaseId::new("C-1").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"C-1\"");
        let back: CaseId = serde_json::from_str("\"C-1\"").unwrap();
        assert_eq!(back, c);
        let d = Sha256::of(b"");
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            format!("\"{}\"", d.as_str())
        );
    }
}
