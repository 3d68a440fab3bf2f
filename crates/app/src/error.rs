//! One error type for every application operation, and the two places it is mapped:
//! to a CLI exit code and to an HTTP status. A caller never decides by itself what a
//! missing case or a refusal means.

use zhishen_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that cannot be used; the message names the file, field or value.
    #[error("输入无效 bad input: {0}")]
    BadInput(String),
    /// A case, item, blob or job that does not exist (or that the caller may not see).
    #[error("未找到 not found: {0}")]
    NotFound(String),
    /// No valid session or token: the caller must sign in first.
    #[error("未登录 unauthenticated: {0}")]
    Unauthenticated(String),
    /// The caller's role or scope does not allow it.
    #[error("无权操作 forbidden: {0}")]
    Forbidden(String),
    /// The workflow refused the command (不予受理的操作); nothing was written.
    #[error("拒绝 refused [{code}]: {zh} / {en}")]
    Refused {
        code: String,
        zh: String,
        en: String,
    },
    /// The request contradicts the stored state (a request id reused, a stale lease).
    #[error("冲突 conflict: {0}")]
    Conflict(String),
    /// An upload or body over its configured limit; nothing of it was kept.
    #[error("内容过大 too large: {0}")]
    TooLarge(String),
    /// Infrastructure: database, blob store, IO. Not the caller's fault.
    #[error("内部错误 internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn refused(code: &str, zh: impl Into<String>, en: impl Into<String>) -> AppError {
        AppError::Refused {
            code: code.into(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The CLI's exit code: 2 for input the caller must fix (bad or naming nothing),
    /// 1 for a refusal and for anything else that did not succeed.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::BadInput(_) | AppError::NotFound(_) | AppError::TooLarge(_) => 2,
            AppError::Unauthenticated(_)
            | AppError::Forbidden(_)
            | AppError::Refused { .. }
            | AppError::Conflict(_)
            | AppError::Internal(_) => 1,
        }
    }

    /// The HTTP status of the same error.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::BadInput(_) => 400,
            AppError::NotFound(_) => 404,
            AppError::Unauthenticated(_) => 401,
            AppError::TooLarge(_) => 413,
            AppError::Forbidden(_) => 403,
            AppError::Refused { .. } => 422,
            AppError::Conflict(_) => 409,
            AppError::Internal(_) => 500,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Refused(r) => AppError::Refused {
                code: r.code.to_string(),
                zh: r.message_zh,
                en: r.message_en,
            },
            StoreError::BadInput(m) => AppError::BadInput(m),
            StoreError::NotFound(m) => AppError::NotFound(m),
            StoreError::Workflow(e) => AppError::BadInput(e.to_string()),
            StoreError::Unacknowledged(m) => AppError::Conflict(m),
            e => AppError::Internal(e.to_string()),
        }
    }
}

impl From<zhishen_ifc::IfcError> for AppError {
    fn from(e: zhishen_ifc::IfcError) -> AppError {
        if e.is_bad_input() {
            AppError::BadInput(e.to_string())
        } else {
            AppError::Internal(e.to_string())
        }
    }
}

impl From<zhishen_site::SiteError> for AppError {
    fn from(e: zhishen_site::SiteError) -> AppError {
        AppError::BadInput(e.to_string())
    }
}

impl From<zhishen_rules::RulesError> for AppError {
    fn from(e: zhishen_rules::RulesError) -> AppError {
        AppError::BadInput(e.to_string())
    }
}

impl From<zhishen_rules::ProfileError> for AppError {
    fn from(e: zhishen_rules::ProfileError) -> AppError {
        AppError::BadInput(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mapping_for_exit_codes_and_statuses() {
        let cases = [
            (AppError::BadInput("x".into()), 2, 400),
            (AppError::NotFound("case C1".into()), 2, 404),
            (AppError::Forbidden("x".into()), 1, 403),
            (AppError::Unauthenticated("x".into()), 1, 401),
            (AppError::TooLarge("x".into()), 2, 413),
            (AppError::refused("wrong_state", "z", "e"), 1, 422),
            (AppError::Conflict("x".into()), 1, 409),
            (AppError::Internal("x".into()), 1, 500),
        ];
        for (e, code, status) in cases {
            assert_eq!((e.exit_code(), e.http_status()), (code, status), "{e}");
        }
        // A store's "not found" is the application's, whatever path it came through.
        let e: AppError = StoreError::NotFound("case C9".into()).into();
        assert_eq!(e.exit_code(), 2);
    }
}
