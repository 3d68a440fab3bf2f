//! 信用分级 over HTTP: an enterprise's applicants and agents read their own credit
//! grade and its stream, an applicant files an 异议 objection, a supervisor reads any
//! enterprise's and decides the objection. The enterprise of an applicant is always the
//! account's, never the caller's word; the rules of the credit stream decide the rest
//! (`zhishen_app::credit`).

use crate::guard::Ctx;
use crate::problem::{ApiError, Problem};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use serde::Deserialize;
use zhishen_app::credit::{CreditView, Decide};
use zhishen_app::{RequestId, Sha256};
use zhishen_store::CreditExecuted;

#[derive(Debug, Deserialize)]
pub struct CreditQuery {
    /// 企业标识: for supervisors and auditors; an enterprise's own users see their own.
    pub enterprise: Option<String>,
}

/// An enterprise's credit grade, assessment, open objection and stream.
#[utoipa::path(get, path = "/api/credit", tag = "credit", params(("enterprise" = Option<String>, Query, description = "企业标识 (supervisor, auditor)")), responses((status = 200, description = "信用等级与记录 grade and its events"), (status = 400, description = "未指明企业 no enterprise named", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not", body = Problem, content_type = "application/problem+json")))]
pub async fn show(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<CreditQuery>,
) -> Result<Json<CreditView>, ApiError> {
    let p = ctx.user()?;
    Ok(Json(
        zhishen_app::credit::view(&s.store, p, q.enterprise.as_deref()).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ObjectionBody {
    /// 异议理由
    pub reason: String,
}

/// 异议: an applicant objects to its enterprise's current grade (one open at a time).
#[utoipa::path(post, path = "/api/credit/objection", tag = "credit", request_body = ObjectionBody, responses((status = 200, description = "已记录 recorded in the enterprise's credit stream"), (status = 422, description = "信用流程拒绝 refused (no grade, an objection already open, no reason)", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn object(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Json(b): Json<ObjectionBody>,
) -> Result<Json<CreditExecuted>, ApiError> {
    let p = ctx.user()?;
    // A resent request (same user, text and stream position) replays, never records twice.
    let seq = zhishen_app::credit::view(&s.store, p, None)
        .await?
        .state
        .seq;
    let key = Sha256::of(format!("{}\n{seq}\n{}", p.user_id, b.reason).as_bytes());
    let rid = RequestId::new(format!("credit-objection:{key}"))?;
    Ok(Json(
        zhishen_app::credit::object(&s.store, p, &b.reason, &rid).await?,
    ))
}

/// 异议处理: a supervisor upholds the grade or amends it.
#[utoipa::path(post, path = "/api/credit/{enterprise}/decision", tag = "credit", params(("enterprise" = String, Path, description = "企业标识")), request_body(content = Object, description = "{\"decision\": \"uphold\", \"reason\": \"…\"} or {\"decision\": \"amend\", \"grade\": \"B\", \"reason\": \"…\"}"), responses((status = 200, description = "已决定 decided and recorded"), (status = 422, description = "信用流程拒绝 refused (no open objection, no reason)", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn decide(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(enterprise): Path<String>,
    Json(d): Json<Decide>,
) -> Result<Json<CreditExecuted>, ApiError> {
    let p = ctx.user()?;
    // A resent decision on the same stream position replays, never records twice.
    let seq = zhishen_app::credit::view(&s.store, p, Some(&enterprise))
        .await?
        .state
        .seq;
    let key = Sha256::of(format!("{enterprise}\n{seq}\n{:?}\n{}", d.decision, d.reason).as_bytes());
    let rid = RequestId::new(format!("credit-decision:{key}"))?;
    Ok(Json(
        zhishen_app::credit::decide(&s.store, p, &enterprise, &d, &rid).await?,
    ))
}
