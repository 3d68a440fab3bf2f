//! The designer pre-check pages and API (设计自检): choose a parcel on the map of the
//! site package, upload an IFC (streamed, sniffed, size-limited), read the report in
//! the page, download it as HTML, JSON or BCF. Scoped to the enterprise in
//! `zhishen_app::precheck`.

use crate::guard::Ctx;
use crate::pages::{render, Page, PageError};
use crate::problem::{ApiError, Problem};
use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use zhishen_app::precheck::{self, PrecheckInput};
use zhishen_app::upload::UploadKind;
use zhishen_app::AppError;
use zhishen_store::PrecheckRow;

#[derive(Template)]
#[template(path = "precheck.html")]
struct PrecheckTpl {
    page: Page,
    map: String,
    parcels: Vec<String>,
    chosen: String,
    rows: Vec<PrecheckRow>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    pub parcel: String,
}

fn no_site() -> AppError {
    AppError::refused(
        "no_site",
        "服务未配置场地数据包，无法自检",
        "the server has no site package configured; no pre-check possible",
    )
}

pub async fn page(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let e = |x| PageError(x, ctx.lang);
    let p = ctx.user().map_err(e)?;
    let site = s.site.as_ref().ok_or_else(|| e(no_site()))?;
    let rows = precheck::list(&s.store, p).await.map_err(e)?;
    let chosen = if site.map.ids.contains(&q.parcel) {
        q.parcel
    } else {
        site.default_parcel.clone()
    };
    Ok(render(&PrecheckTpl {
        page: Page::new(&ctx, "设计自检", "Design pre-check"),
        map: site.map.svg.clone(),
        parcels: site.map.ids.clone(),
        chosen,
        rows,
    }))
}

#[derive(Deserialize, Default)]
pub struct RunQuery {
    #[serde(default)]
    pub parcel: String,
    pub place: Option<String>,
    #[serde(rename = "use")]
    pub declared_use: Option<String>,
    /// 申报指标 `gfa=…,far_area=…,height=…,storeys_above=…,storeys_below=…,footprint=…,use=…`.
    pub declared: Option<String>,
}

/// Upload and check now.
#[utoipa::path(post, path = "/api/precheck", tag = "reviews",
    params(("parcel" = String, Query), ("place" = Option<String>, Query), ("use" = Option<String>, Query), ("declared" = Option<String>, Query, description = "申报指标 gfa=…,height=…")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "IFC (ISO-10303-21), streamed"),
    responses(
        (status = 201, description = "已核验 checked; the report is filed"),
        (status = 400, description = "输入无效 wrong type, truncated, unknown parcel", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "超过上限 over the upload limit", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "未登录 sign in first", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "角色无权 the role may not", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn run(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<RunQuery>,
    body: Body,
) -> Result<(axum::http::StatusCode, Json<PrecheckRow>), ApiError> {
    let p = ctx.user()?.clone();
    let site = s.site.as_ref().ok_or_else(no_site)?;
    if !site.map.ids.contains(&q.parcel) {
        return Err(AppError::BadInput(format!(
            "parcel {:?}: not a parcel of the site package",
            q.parcel
        ))
        .into());
    }
    let declared = zhishen_app::review::parse_declared(q.declared.as_deref())?;
    let stored = crate::api_cases::receive(&s, UploadKind::Ifc, body).await?;
    let row = precheck::run(
        &s.store,
        &p,
        PrecheckInput {
            model_sha256: stored.sha256,
            site: site.dir.clone(),
            parcel: q.parcel,
            place: q.place.filter(|x| !x.trim().is_empty()),
            declared_use: q.declared_use.filter(|x| !x.trim().is_empty()),
            declared,
        },
    )
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(row)))
}

/// The report, in the page (its own strict policy) or as a download.
pub async fn report(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p = ctx.user().map_err(|x| PageError(x, ctx.lang))?;
    let (_, r) = precheck::get(&s.store, p, &id)
        .await
        .map_err(|x| PageError(x, ctx.lang))?;
    Ok(crate::pages::report_response(&r))
}

pub async fn download(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((id, format)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let pe = |x| PageError(x, ctx.lang);
    let p = ctx.user().map_err(pe)?;
    let (row, r) = precheck::get(&s.store, p, &id).await.map_err(pe)?;
    let (bytes, ty, ext) = match format.as_str() {
        "html" => (
            zhishen_report::html::to_html(&r).into_bytes(),
            "text/html; charset=utf-8",
            "html",
        ),
        "json" => (
            serde_json::to_vec_pretty(&r).map_err(|x| pe(AppError::Internal(x.to_string())))?,
            "application/json",
            "json",
        ),
        "bcf" => (
            zhishen_report::bcf::to_bcf(&r, &row.created_at, &row.user_id)
                .map_err(|x| pe(AppError::Internal(x.to_string())))?,
            "application/octet-stream",
            "bcfzip",
        ),
        f => {
            return Err(pe(AppError::NotFound(format!(
                "format {f:?}: html, json or bcf"
            ))))
        }
    };
    let disposition = format!("attachment; filename=\"{id}.{ext}\"");
    Ok((
        [
            (header::CONTENT_TYPE, ty.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CONTENT_SECURITY_POLICY,
                crate::pages::REPORT_CSP.to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
