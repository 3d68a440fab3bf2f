//! The case API (JSON): list, read, open and act on cases, upload a model for a BIM
//! review, and follow a review job (JSON or server-sent events). Scoping and the
//! projection check live in `zhishen_app::cases`; uploads in `zhishen_app::upload`.

use crate::guard::Ctx;
use crate::problem::{ApiError, Problem};
use crate::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::{Extension, Json};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::time::Duration;
use zhishen_app::auth::Principal;
use zhishen_app::cases::{self, NewCase, ScopedCase};
use zhishen_app::upload::{UploadKind, UploadSink};
use zhishen_app::{licences, AppError, CaseId, ItemCode, RequestId};
use zhishen_store::{EventRecord, ReviewJob, ReviewStatus};
use zhishen_workflow::Command;

/// Acts on a case; the licences a decision issues are signed with the server's key.
pub async fn act_and_issue(
    s: &AppState,
    p: &Principal,
    case_id: &str,
    cmd: &Command,
    rid: &RequestId,
) -> Result<zhishen_store::Executed, AppError> {
    let issuer = licences::Issuer {
        signer: s.signer.as_ref(),
        name: &s.issuer_name,
        verify_url: &format!("{}/licence/verify", s.public_url),
    };
    let act = cases::Act {
        case_id,
        command: cmd,
        request_id: rid,
    };
    licences::act_and_issue(&s.store, p, &act, &issuer).await
}

#[utoipa::path(get, path = "/api/cases", tag = "cases", responses((status = 200, description = "调用者可见的案件 the cases the caller may see, newest first"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Vec<ScopedCase>>, ApiError> {
    Ok(Json(cases::list_cases(&s.store, ctx.user()?).await?))
}

#[utoipa::path(get, path = "/api/cases/{id}", tag = "cases", params(("id" = String, Path, description = "案件编号 case id")), responses((status = 200, description = "案件及其范围 the case and its scope"), (status = 404, description = "无此案件或不在权限范围内 no such case, or not in the caller's scope", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<Json<ScopedCase>, ApiError> {
    Ok(Json(cases::visible_case(&s.store, ctx.user()?, &id).await?))
}

#[utoipa::path(get, path = "/api/cases/{id}/events", tag = "cases", params(("id" = String, Path)), responses((status = 200, description = "哈希链事件 the case's hash-chained events"), (status = 404, description = "无此案件或不在权限范围内 no such case, or not in the caller's scope", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn events(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<Json<Vec<EventRecord>>, ApiError> {
    let sc = cases::visible_case(&s.store, ctx.user()?, &id).await?;
    let case_id = CaseId::new(sc.case.id).map_err(AppError::from)?;
    Ok(Json(s.store.events(&case_id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewCaseBody {
    pub project_code: String,
    pub project_name: String,
    pub request_id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub case_id: String,
}

#[utoipa::path(post, path = "/api/cases", tag = "cases", request_body = NewCaseBody, responses((status = 201, description = "已创建 opened", body = Created), (status = 400, description = "字段无效 a field is invalid (named)", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Json(b): Json<NewCaseBody>,
) -> Result<(axum::http::StatusCode, Json<Created>), ApiError> {
    let rid = crate::pages::request_id(b.request_id.as_deref())?;
    let n = NewCase {
        project_code: b.project_code,
        project_name: b.project_name,
    };
    let id = cases::create_case(&s.store, ctx.user()?, &n, &rid).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(Created {
            case_id: id.as_str().to_string(),
        }),
    ))
}

#[derive(Deserialize)]
pub struct CommandBody {
    pub request_id: String,
    pub command: Command,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Acted {
    pub case_id: String,
    pub events: usize,
    pub replayed: bool,
}

#[utoipa::path(post, path = "/api/cases/{id}/commands", tag = "cases", params(("id" = String, Path)), request_body(content = Object, description = "{\"request_id\": \"…\", \"command\": {\"type\": \"accept\", \"item\": \"XMBA\"}}"), responses((status = 200, description = "已办理 decided and stored", body = Acted), (status = 422, description = "流程拒绝 refused by the workflow (code named)", body = Problem, content_type = "application/problem+json"), (status = 404, description = "无此案件或不在权限范围内 no such case, or not in the caller's scope", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn command(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Json(b): Json<CommandBody>,
) -> Result<Json<Acted>, ApiError> {
    let rid = RequestId::new(b.request_id).map_err(AppError::from)?;
    let ex = act_and_issue(&s, ctx.user()?, &id, &b.command, &rid).await?;
    Ok(Json(Acted {
        case_id: id,
        events: ex.events.len(),
        replayed: ex.replayed,
    }))
}

#[derive(Deserialize, Default)]
pub struct ModelQuery {
    pub parcel: Option<String>,
    pub place: Option<String>,
    #[serde(rename = "use")]
    pub declared_use: Option<String>,
    /// 申报指标 `gfa=…,far_area=…,height=…,storeys_above=…,storeys_below=…,footprint=…,use=…`.
    pub declared: Option<String>,
}

/// Streams the body into the blob store (size limit, type sniffed), then queues the
/// review against the server's site package. A bad upload leaves nothing stored.
#[utoipa::path(post, path = "/api/cases/{id}/items/{item}/model", tag = "reviews", params(("id" = String, Path), ("item" = String, Path), ("parcel" = Option<String>, Query), ("place" = Option<String>, Query, description = "E,N,rot[,elev]"), ("use" = Option<String>, Query), ("declared" = Option<String>, Query, description = "申报指标 gfa=…,far_area=…,height=…,storeys_above=…,storeys_below=…,footprint=…,use=…")), request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "IFC (ISO-10303-21), streamed"), responses((status = 202, description = "已排队 stored and queued"), (status = 400, description = "类型不符或文件截断 wrong type or truncated", body = Problem, content_type = "application/problem+json"), (status = 413, description = "超过上限 over the upload limit", body = Problem, content_type = "application/problem+json"), (status = 404, description = "无此案件或不在权限范围内 no such case, or not in the caller's scope", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn upload_model(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((id, item)): Path<(String, String)>,
    Query(q): Query<ModelQuery>,
    body: Body,
) -> Result<(axum::http::StatusCode, Json<zhishen_app::review::Queued>), ApiError> {
    let p = ctx.user()?;
    let sc = cases::visible_case(&s.store, p, &id).await?;
    let site = s.site.as_ref().ok_or_else(|| {
        AppError::refused(
            "no_site",
            "服务未配置场地数据包，无法审查",
            "the server has no site package configured; no review possible",
        )
    })?;
    let item = ItemCode::new(item)?;
    let case_id = CaseId::new(sc.case.id.clone())?;
    // Refuse before reading the body when the item takes no model.
    zhishen_app::review::needs_bim_review(&s.store, &case_id, &item).await?;
    let declared = zhishen_app::review::parse_declared(q.declared.as_deref())?;
    let stored = receive(&s, UploadKind::Ifc, body).await?;
    let queued = zhishen_app::review::enqueue_stored(
        &s.store,
        zhishen_app::review::StoredInputs {
            case_id,
            item,
            model_sha256: stored.sha256,
            site_sha256: site.sha256.clone(),
            parcel: q.parcel.unwrap_or_else(|| site.default_parcel.clone()),
            place: q.place.filter(|p| !p.is_empty()),
            declared_use: q.declared_use.filter(|u| !u.is_empty()),
            declared,
        },
    )
    .await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(queued)))
}

/// A material's file on record: what was stored and the event that records it.
#[derive(Serialize)]
pub struct AttachedMaterial {
    pub material: String,
    pub sha256: String,
    pub kind: UploadKind,
    pub pages: Option<u32>,
    pub replayed: bool,
}

/// 材料核验: the item's catalogue materials against what the case holds — attached (a
/// checked file, or a licence of the case by reference 电子证照复用), declared at 收件,
/// replaced by a commitment, or missing (required or not, 容缺 or not).
#[utoipa::path(get, path = "/api/cases/{id}/items/{item}/materials", tag = "cases", params(("id" = String, Path), ("item" = String, Path)), responses((status = 200, description = "每项材料的状态 each material's status"), (status = 404, description = "无此案件或不在权限范围内 no such case, or not in the caller's scope", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not", body = Problem, content_type = "application/problem+json")))]
pub async fn material_status(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((id, item)): Path<(String, String)>,
) -> Result<Json<Vec<zhishen_workflow::MaterialLine>>, ApiError> {
    let item = ItemCode::new(item)?;
    Ok(Json(
        zhishen_app::materials::status(&s.store, ctx.user()?, &id, &item).await?,
    ))
}

/// Streams a material's file; its type must be the catalogue's (sniffed from the
/// content; a PDF must open and have pages, an IFC pass the pre-scan). Nothing of a
/// refused upload is kept; the same file again replays.
#[utoipa::path(post, path = "/api/cases/{id}/items/{item}/materials/{code}", tag = "cases", params(("id" = String, Path), ("item" = String, Path), ("code" = String, Path, description = "材料编码 material code")), request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file, streamed"), responses((status = 201, description = "已存档 stored and recorded"), (status = 400, description = "类型不符、无法打开或截断 wrong type, does not open, truncated", body = Problem, content_type = "application/problem+json"), (status = 422, description = "业务规则拒绝 refused by the workflow (item closed, not the applicant)", body = Problem, content_type = "application/problem+json"), (status = 413, description = "超过上限 over the upload limit", body = Problem, content_type = "application/problem+json"), (status = 404, description = "无此案件、事项或材料 no such case, item or material", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn upload_material(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((id, item, code)): Path<(String, String, String)>,
    body: Body,
) -> Result<(axum::http::StatusCode, Json<AttachedMaterial>), ApiError> {
    let p = ctx.user()?;
    let item = ItemCode::new(item)?;
    let m = zhishen_app::materials::MaterialRef {
        case_id: &id,
        item: &item,
        material: &code,
    };
    // Refuse before reading the body when the case, item or material is not there.
    let kind = zhishen_app::materials::upload_kind(&s.store, p, &m).await?;
    let stored = receive(&s, kind, body).await?;
    let rid = RequestId::new(format!("material:{id}:{item}:{code}:{}", stored.sha256))?;
    let ex = zhishen_app::materials::attach(&s.store, p, &m, &stored, &rid).await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(AttachedMaterial {
            material: code,
            sha256: stored.sha256.as_str().to_string(),
            kind: stored.kind,
            pages: stored.pages,
            replayed: ex.replayed,
        }),
    ))
}

/// Streams a request body into an upload sink; any failure (a limit, a dropped
/// connection, the wrong type) drops the sink, which removes what was written.
pub async fn receive(
    s: &AppState,
    kind: UploadKind,
    body: Body,
) -> Result<zhishen_app::upload::StoredUpload, AppError> {
    let mut sink = UploadSink::new(&s.store, kind, s.upload_limits)?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| AppError::BadInput(format!("upload interrupted: {e}")))?;
        sink.write(&chunk).await?;
    }
    sink.finish().await
}

/// A site package (zip of planning layers) for the reviews; zip bombs and escaping
/// names are refused by the upload checks, and nothing of a refused one is kept.
#[utoipa::path(post, path = "/api/site-packages", tag = "reviews", request_body(content = Vec<u8>, content_type = "application/zip"), responses((status = 201, description = "已存储 stored"), (status = 400, description = "zip 炸弹或越界路径 zip bomb or escaping entry name", body = Problem, content_type = "application/problem+json"), (status = 413, description = "超过上限 over the limit", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn upload_site_package(
    State(s): State<AppState>,
    body: Body,
) -> Result<
    (
        axum::http::StatusCode,
        Json<zhishen_app::upload::StoredUpload>,
    ),
    ApiError,
> {
    let stored = receive(&s, UploadKind::SitePackageZip, body).await?;
    Ok((axum::http::StatusCode::CREATED, Json(stored)))
}

/// A job the caller may see (through its case).
async fn visible_job(s: &AppState, p: &Principal, id: i64) -> Result<ReviewJob, AppError> {
    let nf = || AppError::NotFound(format!("job {id}"));
    let job = s.store.review_job(id).await?.ok_or_else(nf)?;
    cases::visible_case(&s.store, p, job.case_id.as_str())
        .await
        .map_err(|_| nf())?;
    Ok(job)
}

#[utoipa::path(get, path = "/api/jobs/{id}", tag = "reviews", params(("id" = i64, Path)), responses((status = 200, description = "审查任务 the review job"), (status = 404, description = "无此任务 no such job in the caller's scope", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn job(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
) -> Result<Json<ReviewJob>, ApiError> {
    Ok(Json(visible_job(&s, ctx.user()?, id).await?))
}

fn status_label(j: &ReviewJob) -> String {
    let stage = match j.stage.as_deref() {
        Some("parse+mesh") => "解析与网格 parse and mesh the model",
        Some("site") => "读取场地数据 read the site package",
        Some("place") => "落位 place the building",
        Some("check") => "核验 check the planning conditions",
        Some("report") => "生成报告 write the report",
        _ => "开始 starting",
    };
    match j.status {
        ReviewStatus::Queued => "排队中 queued".into(),
        ReviewStatus::Running => format!("审查中 running: {stage}"),
        ReviewStatus::Done => "已完成 done".into(),
        ReviewStatus::Failed => format!("失败 failed: {}", j.error.clone().unwrap_or_default()),
    }
}

/// Server-sent events: one `status` event per change of the job's state, until it
/// is done or failed. Any server process can answer (the state is in the store).
#[utoipa::path(get, path = "/api/jobs/{id}/events", tag = "reviews", params(("id" = i64, Path)), responses((status = 200, description = "服务器推送事件 server-sent `status` events until done or failed", content_type = "text/event-stream"), (status = 404, description = "无此任务 no such job", body = Problem, content_type = "application/problem+json"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn job_events(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<i64>,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let first = visible_job(&s, ctx.user()?, id).await?;
    let stream = futures_util::stream::unfold(
        (s, Some(first), None::<(ReviewStatus, Option<String>)>),
        move |(s, job, last)| async move {
            let mut job = job?;
            loop {
                let now = (job.status, job.stage.clone());
                if Some(&now) != last.as_ref() {
                    let ev = Event::default().event("status").data(
                        serde_json::json!({"status": job.status, "stage": job.stage, "label": status_label(&job)})
                            .to_string(),
                    );
                    let done = matches!(job.status, ReviewStatus::Done | ReviewStatus::Failed);
                    return Some((Ok(ev), (s, (!done).then_some(job), Some(now))));
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                job = s.store.review_job(id).await.ok().flatten()?;
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
