//! The pages and API of supervision (效能监察), audit (审计) and administration
//! (系统/安全管理员), and the public licence verification page the QR code opens.

use crate::guard::Ctx;
use crate::pages::{render, Page, PageError};
use crate::problem::{ApiError, Problem};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use serde::{Deserialize, Serialize};
use zhishen_app::auth::{self, NewUser, WebRole};
use zhishen_app::cases::ScopedCase;
use zhishen_app::{cases, licences, AppError};
use zhishen_store::{AccessRecord, AccessVerdict, ProjectionMismatch};
use zhishen_workflow::Metrics;

fn pe(lang: crate::guard::Lang) -> impl Fn(AppError) -> PageError {
    move |e| PageError(e, lang)
}

// ----------------------------------------------------------------- supervision

/// The metrics of the cases the caller sees (already listed by the caller).
async fn metrics_of(s: &AppState, visible: &[cases::ScopedCase]) -> Result<Metrics, AppError> {
    let cases: Vec<_> = visible.iter().map(|sc| sc.case.clone()).collect();
    let defs = s.store.latest_definitions().await?;
    Ok(zhishen_workflow::metrics(
        &cases,
        s.store.now().date_naive(),
        &defs.calendar,
    ))
}

#[utoipa::path(get, path = "/api/metrics", tag = "supervision", responses((status = 200, description = "效能指标 durations, overdue rates, ratings over the caller's cases"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn metrics_api(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Metrics>, ApiError> {
    let visible = cases::list_cases(&s.store, ctx.user()?).await?;
    Ok(Json(metrics_of(&s, &visible).await?))
}

#[derive(Template)]
#[template(path = "supervision.html")]
struct SupervisionTpl {
    page: Page,
    cases: usize,
    overdue_rate: String,
    satisfaction: String,
    chart: String,
    durations: Vec<(String, u64, String)>,
    red: Vec<String>,
    yellow: Vec<String>,
    /// 风险预警: cases per level (none, low, medium, high) and the cases at medium or
    /// high with their reasons.
    risk_counts: Vec<(&'static str, usize)>,
    risky: Vec<RiskyCase>,
    /// 效能监督报告 of the current period (the year to date, the supervisor's
    /// region): `zhishen_app::supervision::dashboard_fragment`, escaped there.
    report: String,
}

/// The supervision report the dashboard shows: the year to date in the caller's
/// region — the same `zhishen_app::supervision::report` the CLI prints.
async fn current_report(
    s: &AppState,
    p: &auth::Principal,
) -> Result<zhishen_workflow::supervision::SupervisionReport, AppError> {
    use zhishen_app::supervision::{report, SupervisionQuery};
    use zhishen_workflow::chrono::Datelike;
    let to = s.store.now().date_naive();
    let from = to.with_ordinal(1).unwrap_or(to);
    let q = SupervisionQuery {
        from,
        to,
        region: Some(p.region.clone()),
    };
    report(&s.store, &q).await
}

/// A case at medium or high risk on the dashboard.
struct RiskyCase {
    case: String,
    label: &'static str,
    level: &'static str,
    reasons: Vec<String>,
}

/// A horizontal bar chart as SVG (server-rendered; every text escaped).
pub fn bar_chart(rows: &[(String, f64)]) -> String {
    let esc = zhishen_report::html::esc;
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1.0);
    let h = 24 * rows.len().max(1) + 8;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"mean working days per item\" width=\"100%\" viewBox=\"0 0 640 {h}\" id=\"chart\">"
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let y = 4 + 24 * i;
        let w = (v / max * 380.0).round();
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{}</text><rect x=\"200\" y=\"{y}\" width=\"{w}\" height=\"18\" fill=\"#0b5cad\"><title>{}: {v:.1}</title></rect><text x=\"{}\" y=\"{}\" font-size=\"13\">{v:.1}</text>",
            y + 14,
            esc(label),
            esc(label),
            206.0 + w,
            y + 14
        ));
    }
    svg.push_str("</svg>");
    svg
}

pub async fn supervision_page(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, PageError> {
    let e = pe(ctx.lang);
    let p = ctx.user().map_err(&e)?;
    let visible = cases::list_cases(&s.store, p).await.map_err(&e)?;
    let m = metrics_of(&s, &visible).await.map_err(&e)?;
    let today = s.store.now().date_naive();
    let mut red = Vec::new();
    let mut yellow = Vec::new();
    for sc in &visible {
        let defs = s
            .store
            .case_definitions(&sc.case)
            .await
            .map_err(|x| e(x.into()))?;
        for it in &sc.case.items {
            let label = format!(
                "{} {} · {} · {}",
                sc.case.id, sc.scope.title, it.code, it.department
            );
            match crate::pages::light_of(it, &defs, today).0 {
                "red" => red.push(label),
                "yellow" => yellow.push(label),
                _ => {}
            }
        }
    }
    let durations: Vec<(String, u64, String)> = m
        .by_stage
        .iter()
        .map(|(k, d)| {
            (
                format!("阶段 stage {}", crate::pages::text_of(k)),
                d.count,
                format!("{:.1}", d.mean_wd),
            )
        })
        .chain(m.by_item.iter().map(|(k, d)| {
            (
                format!("事项 item {k}"),
                d.count,
                format!("{:.1}", d.mean_wd),
            )
        }))
        .collect();
    let chart_rows: Vec<(String, f64)> = m
        .by_item
        .iter()
        .map(|(k, d)| (k.clone(), d.mean_wd))
        .collect();
    let (risk_counts, risky) = risk_view(&visible);
    let report = current_report(&s, p).await.map_err(&e)?;
    Ok(render(&SupervisionTpl {
        report: zhishen_app::supervision::dashboard_fragment(&report),
        risk_counts,
        risky,
        page: Page::new(&ctx, "效能监察", "Supervision"),
        cases: visible.len(),
        overdue_rate: m
            .overdue_rate
            .map_or("—".into(), |r| format!("{:.1} %", r * 100.0)),
        satisfaction: m.rating_mean.map_or("—".into(), |r| format!("{r:.2} / 5")),
        chart: bar_chart(&chart_rows),
        durations,
        red,
        yellow,
    }))
}

/// Risk levels as recorded on the visible cases: counts per level and the medium and
/// high cases, highest first, with their reasons.
fn risk_view(visible: &[ScopedCase]) -> (Vec<(&'static str, usize)>, Vec<RiskyCase>) {
    use zhishen_workflow::risk::RiskLevel;
    let level = |sc: &ScopedCase| sc.case.risk.as_ref().map_or(RiskLevel::None, |r| r.level);
    let counts = RiskLevel::ALL
        .iter()
        .map(|l| {
            (
                l.name_zh(),
                visible.iter().filter(|sc| level(sc) == *l).count(),
            )
        })
        .collect();
    let mut risky: Vec<&ScopedCase> = visible
        .iter()
        .filter(|sc| level(sc) >= RiskLevel::Medium)
        .collect();
    risky.sort_by_key(|sc| std::cmp::Reverse(level(sc)));
    let rows = risky
        .iter()
        .map(|sc| {
            let r = sc.case.risk.as_ref();
            RiskyCase {
                case: format!("{} {}", sc.case.id, sc.scope.title),
                label: level(sc).name_zh(),
                level: level(sc).as_str(),
                reasons: r
                    .map(|r| {
                        r.reasons
                            .iter()
                            .map(|x| format!("{} [{}]", x.text_zh, x.clause))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    (counts, rows)
}

// ----------------------------------------------------------------------- audit

#[derive(Serialize)]
pub struct AuditStatus {
    pub event_chain_intact: bool,
    pub event_chain_detail: String,
    pub projections: Vec<ProjectionMismatch>,
    pub access: AccessVerdict,
}

async fn audit_status(s: &AppState) -> Result<AuditStatus, AppError> {
    let mut export = s.store.export_log().await?;
    // Checkpoints are checked by `zhishen audit verify --keys`; here the chain and log.
    export.checkpoints.clear();
    export.bad_checkpoints.clear();
    let v = zhishen_store::log_verdict(&export, &zhishen_audit::TrustedKeys::new());
    let detail = match &v.report.first_problem {
        Some(p) => format!("{p:?}"),
        None => format!("{} events, {} cases", v.report.events, v.report.cases),
    };
    Ok(AuditStatus {
        event_chain_intact: v.report.ok && v.missing.is_empty(),
        event_chain_detail: detail,
        projections: s.store.verify_projections().await?,
        access: s.store.verify_access_audit().await?,
    })
}

#[utoipa::path(get, path = "/api/audit/verify", tag = "audit", responses((status = 200, description = "事件链、投影与访问审计的核验 the event chain, projections and access audit"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn audit_verify_api(State(s): State<AppState>) -> Result<Json<AuditStatus>, ApiError> {
    Ok(Json(audit_status(&s).await?))
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
}

#[utoipa::path(get, path = "/api/audit/access", tag = "audit", params(("q" = Option<String>, Query, description = "用户、操作或对象中的文字 text in user, action or target (literal)")), responses((status = 200, description = "最新 200 条 the newest 200 matching entries"), (status = 401, description = "未登录 sign in first (session cookie or Bearer token)", body = Problem, content_type = "application/problem+json"), (status = 403, description = "角色无权 the role may not (or CSRF token missing)", body = Problem, content_type = "application/problem+json")))]
pub async fn audit_search_api(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<AccessRecord>>, ApiError> {
    Ok(Json(s.store.search_access(&q.q, 200).await?))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditTpl {
    page: Page,
    verdicts: Vec<(String, bool, String)>,
    q: String,
    rows: Vec<AccessRecord>,
}

pub async fn audit_page(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let e = pe(ctx.lang);
    let st = audit_status(&s).await.map_err(&e)?;
    let proj_detail = st
        .projections
        .iter()
        .map(|m| format!("{} @ {}", m.case_id, m.path))
        .collect::<Vec<_>>()
        .join("; ");
    let verdicts = vec![
        (
            "事件链与日志 event chain and log".to_string(),
            st.event_chain_intact,
            st.event_chain_detail.clone(),
        ),
        (
            "案件状态投影 case projections".to_string(),
            st.projections.is_empty(),
            proj_detail,
        ),
        (
            "访问审计 access audit".to_string(),
            st.access.intact,
            format!(
                "{} entries{}",
                st.access.size,
                st.access
                    .broken_at
                    .as_ref()
                    .map_or(String::new(), |(n, why)| format!("; #{n}: {why}"))
            ),
        ),
    ];
    let rows = s
        .store
        .search_access(&q.q, 200)
        .await
        .map_err(|x| e(x.into()))?;
    Ok(render(&AuditTpl {
        page: Page::new(&ctx, "审计", "Audit"),
        verdicts,
        q: q.q,
        rows,
    }))
}

// ------------------------------------------------------------------ admin pages

pub struct UserView {
    pub id: String,
    pub name: String,
    pub role: String,
    pub scope: String,
    pub failed: i64,
    pub locked: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersTpl {
    page: Page,
    title: String,
    message: Option<String>,
    users: Vec<UserView>,
    unlock: bool,
    create: bool,
    /// Published definition versions (system administrator's page).
    definitions: Vec<(String, String)>,
    roles: Vec<(&'static str, &'static str, &'static str)>,
}

async fn users_page_of(
    s: &AppState,
    ctx: &Ctx,
    admin: WebRole,
    message: Option<String>,
) -> Result<Response, AppError> {
    let now_ms = s.store.now().timestamp_millis();
    let users = s
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| UserView {
            scope: [u.enterprise.clone(), u.dept.clone(), Some(u.region.clone())]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / "),
            locked: if u.locked_until_ms > now_ms {
                "locked".into()
            } else {
                String::new()
            },
            id: u.id,
            name: u.display_name,
            role: u.role,
            failed: u.failed_logins,
        })
        .collect();
    let (zh, en) = match admin {
        WebRole::SecAdmin => ("账户安全", "Account security"),
        _ => ("用户与角色", "Users and roles"),
    };
    let page = Page::new(ctx, zh, en);
    let definitions = match (admin, s.store.latest_definitions().await) {
        (WebRole::SysAdmin, Ok(d)) => vec![
            (
                "事项清单 catalogue".to_string(),
                format!("{} @ {}", d.catalogue.id, d.catalogue.version),
            ),
            (
                "流程 process".to_string(),
                format!("{} @ {}", d.process.id, d.process.version),
            ),
            (
                "工作日历 calendar".to_string(),
                d.calendar.version().to_string(),
            ),
            (
                "规划条件规则 rule profiles".to_string(),
                "national + city profiles shipped in assets/profiles/ (zhishen check --profile)"
                    .to_string(),
            ),
        ],
        _ => vec![],
    };
    Ok(render(&UsersTpl {
        definitions,
        title: page.title.clone(),
        page,
        message,
        users,
        unlock: admin == WebRole::SecAdmin,
        create: admin == WebRole::SysAdmin,
        roles: WebRole::ALL
            .iter()
            .map(|r| (r.as_str(), r.label_zh(), r.label_en()))
            .collect(),
    }))
}

pub async fn users_page(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, PageError> {
    users_page_of(&s, &ctx, WebRole::SysAdmin, None)
        .await
        .map_err(pe(ctx.lang))
}

pub async fn security_page(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, PageError> {
    users_page_of(&s, &ctx, WebRole::SecAdmin, None)
        .await
        .map_err(pe(ctx.lang))
}

#[derive(Deserialize)]
pub struct NewUserForm {
    pub id: String,
    pub display_name: String,
    pub role: String,
    #[serde(default)]
    pub enterprise: String,
    #[serde(default)]
    pub dept: String,
    pub region: String,
    pub password: String,
}

fn some(s: String) -> Option<String> {
    let t = s.trim().to_string();
    (!t.is_empty()).then_some(t)
}

pub async fn create_user(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<NewUserForm>,
) -> Result<Response, PageError> {
    let e = pe(ctx.lang);
    let u = NewUser {
        id: f.id.trim().to_string(),
        display_name: f.display_name,
        role: WebRole::parse(&f.role).map_err(&e)?,
        enterprise: some(f.enterprise),
        dept: some(f.dept),
        region: f.region.trim().to_string(),
        password: f.password,
        totp_secret: None,
    };
    let secret = auth::create_user(&s.store, &s.auth, &u).await.map_err(&e)?;
    let msg = format!(
        "已创建 {}；请将动态口令密钥交给本人绑定 created; give the TOTP secret to the user in person: {secret}",
        u.id
    );
    users_page_of(&s, &ctx, WebRole::SysAdmin, Some(msg))
        .await
        .map_err(&e)
}

pub async fn unlock_user(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let e = pe(ctx.lang);
    if !s.store.unlock_user(&id).await.map_err(|x| e(x.into()))? {
        return Err(e(AppError::NotFound(format!("user {id}"))));
    }
    Ok(Redirect::to("/admin/security").into_response())
}

// ------------------------------------------------------------ public: licences

#[derive(Template)]
#[template(path = "licence.html")]
struct LicenceTpl {
    page: Page,
    valid: bool,
    verdict: String,
    licence: Option<zhishen_audit::licence::Licence>,
}

#[derive(Deserialize, Default)]
pub struct VerifyQuery {
    #[serde(default)]
    pub no: String,
    /// The signature digest the QR code carries.
    #[serde(default)]
    pub d: String,
}

/// Public: the page the licence QR code opens. Valid only when the number is on
/// record, its signature verifies under the server's key, and the QR digest (when
/// given) matches the signature.
pub async fn licence_verify(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(q): Query<VerifyQuery>,
) -> Result<Response, PageError> {
    let e = pe(ctx.lang);
    let page = Page::new(&ctx, "电子证照核验", "E-licence verification");
    let found = licences::by_number(&s.store, q.no.trim())
        .await
        .map_err(&e)?;
    let (valid, verdict, licence) = match found {
        None => (
            false,
            format!("无此证照 no licence numbered {:?}", q.no),
            None,
        ),
        Some(signed) => {
            let keys = zhishen_audit::TrustedKeys::from_signer(s.signer.as_ref());
            let sig_ok = zhishen_audit::licence::verify(&signed, &keys).is_ok();
            let digest_ok = q.d.is_empty() || q.d == signed.signature_digest();
            match (sig_ok, digest_ok) {
                (true, true) => (
                    true,
                    "有效 valid: 签名核验通过 the signature verifies".to_string(),
                    Some(signed.licence),
                ),
                (false, _) => (
                    false,
                    "无效 invalid: 签名不符 the signature does not verify".to_string(),
                    None,
                ),
                (true, false) => (
                    false,
                    "无效 invalid: 二维码摘要不符 the QR digest does not match".to_string(),
                    None,
                ),
            }
        }
    };
    Ok(render(&LicenceTpl {
        page,
        valid,
        verdict,
        licence,
    }))
}
