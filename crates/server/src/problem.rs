//! Errors as `application/problem+json` (RFC 9457): the status comes from the one
//! mapping in `AppError::http_status`; `title` is bilingual, `detail` names the field
//! or value. Internal errors are logged and answered without their detail.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zhishen_app::AppError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`about:blank` or `urn:zhishen:<code>`).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

/// An error response; build it from an [`AppError`].
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        ApiError(e)
    }
}

impl From<zhishen_app::ids::IdError> for ApiError {
    fn from(e: zhishen_app::ids::IdError) -> ApiError {
        ApiError(e.into())
    }
}

impl From<zhishen_store::StoreError> for ApiError {
    fn from(e: zhishen_store::StoreError) -> ApiError {
        ApiError(e.into())
    }
}

pub fn problem(status: u16, kind: &str, title: &str, detail: String) -> Response {
    let body = Problem {
        kind: kind.to_string(),
        title: title.to_string(),
        status,
        detail,
    };
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let json = serde_json::to_vec(&body).unwrap_or_default();
    (
        code,
        [(header::CONTENT_TYPE, "application/problem+json")],
        json,
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.http_status();
        let (kind, title) = match &self.0 {
            AppError::BadInput(_) => ("urn:zhishen:bad_input", "输入无效 Bad input"),
            AppError::NotFound(_) => ("urn:zhishen:not_found", "未找到 Not found"),
            AppError::Unauthenticated(_) => {
                ("urn:zhishen:unauthenticated", "未登录 Sign-in required")
            }
            AppError::Forbidden(_) => ("urn:zhishen:forbidden", "无权操作 Forbidden"),
            AppError::TooLarge(_) => ("urn:zhishen:too_large", "内容过大 Too large"),
            AppError::Refused { .. } => ("urn:zhishen:refused", "拒绝 Refused"),
            AppError::Conflict(_) => ("urn:zhishen:conflict", "冲突 Conflict"),
            AppError::Internal(_) => ("urn:zhishen:internal", "内部错误 Internal error"),
        };
        let detail = match &self.0 {
            AppError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                "see the server log".to_string()
            }
            AppError::Refused { code, zh, en } => format!("[{code}] {zh} / {en}"),
            e => e.to_string(),
        };
        problem(status, kind, title, detail)
    }
}
