use thiserror::Error;

/// Errors of the audit crate. Each names the thing that failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AuditError {
    /// A signature did not verify (tampered message, wrong key or forged signature).
    #[error("签名无效 invalid signature: {0}")]
    BadSignature(String),
    /// A key could not be decoded.
    #[error("密钥无效 invalid key `{key}`: {reason}")]
    BadKey { key: String, reason: String },
    /// The key id is not in the trusted key list.
    #[error("未知密钥 unknown key `{0}` (not in the trusted keys)")]
    UnknownKey(String),
    /// Text in one of our formats could not be parsed; `field` names where.
    #[error("格式错误 malformed {what}, field `{field}`: {reason}")]
    Format {
        what: &'static str,
        field: String,
        reason: String,
    },
    /// A signed e-licence does not match its signature: content changed after issue.
    #[error("证照已被篡改 licence tampered: {0}")]
    Tampered(String),
}

impl AuditError {
    pub(crate) fn format(
        what: &'static str,
        field: impl Into<String>,
        reason: impl ToString,
    ) -> Self {
        AuditError::Format {
            what,
            field: field.into(),
            reason: reason.to_string(),
        }
    }
}
