//! The JSON API. Every handler is a thin adapter: it reads the request, calls the
//! application layer or the store, and maps the result; errors go out as
//! `application/problem+json`. The OpenAPI 3.1 description is generated from these
//! handlers (`utoipa`), so it cannot drift from the code.

use crate::problem::{ApiError, Problem};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use zhishen_workflow::catalogue::{ItemDef, MaterialDef};

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the store answers.
    pub status: String,
    pub version: String,
}

/// Liveness and store reachability.
#[utoipa::path(get, path = "/healthz", responses(
    (status = 200, description = "服务正常 the service and its store answer", body = Health),
    (status = 500, description = "存储不可用 the store does not answer", body = Problem, content_type = "application/problem+json"),
))]
pub async fn health(State(s): State<AppState>) -> Result<Json<Health>, ApiError> {
    let probe = zhishen_app::RequestId::new("healthz").map_err(zhishen_app::AppError::from)?;
    s.store.request_known(&probe).await?;
    Ok(Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct MaterialView {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// 必备材料
    pub required: bool,
    /// 可容缺受理
    pub rongque: bool,
    /// 可告知承诺
    pub commitment: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ItemView {
    /// 事项编码
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// 审批阶段: land_use_planning, engineering_permit, construction_permit, completion_acceptance
    pub stage: String,
    pub department: String,
    pub department_name: String,
    /// 设定依据
    pub legal_basis: Vec<String>,
    /// 法定办结时限 (working days)
    pub statutory_limit_wd: u32,
    /// 承诺办结时限 (working days)
    pub promised_limit_wd: u32,
    /// 受理条件
    pub conditions: Vec<String>,
    pub materials: Vec<MaterialView>,
    /// 需 BIM 模型审查
    pub bim_review: bool,
    /// 办结发放的证照
    pub licence: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CatalogueView {
    pub id: String,
    pub version: String,
    /// 行政区划代码
    pub region: String,
    pub items: Vec<ItemView>,
}

fn material(m: &MaterialDef) -> MaterialView {
    MaterialView {
        code: m.code.clone(),
        name_zh: m.name_zh.clone(),
        name_en: m.name_en.clone(),
        required: m.required,
        rongque: m.rongque,
        commitment: m.commitment,
    }
}

fn item(i: &ItemDef) -> ItemView {
    ItemView {
        code: i.code.clone(),
        name_zh: i.name_zh.clone(),
        name_en: i.name_en.clone(),
        stage: serde_json::to_value(i.stage)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        department: i.department.clone(),
        department_name: i.department_name.clone(),
        legal_basis: i.legal_basis.clone(),
        statutory_limit_wd: i.statutory_limit_wd,
        promised_limit_wd: i.promised_limit_wd,
        conditions: i.conditions.clone(),
        materials: i.materials.iter().map(material).collect(),
        bim_review: i.bim_review,
        licence: i.licence.clone(),
    }
}

/// The published item catalogue 事项清单 (public: conditions, materials, time limits).
#[utoipa::path(get, path = "/api/catalogue", responses(
    (status = 200, description = "最新发布的事项清单 the latest published catalogue", body = CatalogueView),
    (status = 404, description = "尚未发布 nothing published yet", body = Problem, content_type = "application/problem+json"),
))]
pub async fn catalogue(State(s): State<AppState>) -> Result<Json<CatalogueView>, ApiError> {
    let defs = s.store.latest_definitions().await?;
    let c = &defs.catalogue;
    Ok(Json(CatalogueView {
        id: c.id.clone(),
        version: c.version.clone(),
        region: c.region.clone(),
        items: c.items.iter().map(item).collect(),
    }))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "智审 zhishen API",
        description = "BIM+GIS planning review and the approval workflow (工程建设项目审批)."
    ),
    paths(
        health,
        catalogue,
        me,
        crate::api_cases::list,
        crate::api_cases::get,
        crate::api_cases::events,
        crate::api_cases::create,
        crate::api_cases::command,
        crate::api_cases::upload_model,
        crate::api_cases::material_status,
        crate::api_cases::upload_material,
        crate::api_credit::show,
        crate::api_credit::object,
        crate::api_credit::decide,
        crate::api_cases::upload_site_package,
        crate::api_cases::job,
        crate::api_cases::job_events,
        crate::twin::glb,
        crate::precheck::run,
        crate::admin::metrics_api,
        crate::admin::audit_verify_api,
        crate::admin::audit_search_api
    ),
    components(schemas(
        Health,
        CatalogueView,
        ItemView,
        MaterialView,
        Problem,
        crate::api_cases::NewCaseBody,
        crate::api_cases::Created,
        crate::api_cases::Acted,
        crate::api_credit::ObjectionBody
    ))
)]
pub struct ApiDoc;

/// Who is signed in (for machine clients checking their token).
#[utoipa::path(get, path = "/api/me", tag = "session", responses((status = 200, description = "当前用户 the signed-in user"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn me(
    axum::Extension(ctx): axum::Extension<crate::guard::Ctx>,
) -> Result<Json<zhishen_app::auth::Principal>, ApiError> {
    Ok(Json(ctx.user()?.clone()))
}
