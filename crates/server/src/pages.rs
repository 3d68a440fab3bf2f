//! Server-rendered pages (askama templates, escaped by default; htmx and one small
//! script vendored under `static/`; no inline script, so the CSP forbids it all).
//! Chinese first with an English switch (`?lang=en`, remembered in a cookie).
//!
//! Handlers are adapters: they take the guard's [`Ctx`], call `zhishen-app`, and
//! fill a template. What a role may do on a case is decided by the workflow; the
//! forms only offer the actions that fit the role.

use crate::guard::{Ctx, Lang};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use zhishen_app::auth::{Principal, WebRole};
use zhishen_app::cases::{self, ScopedCase};
use zhishen_app::AppError;
use zhishen_workflow::model::ItemFlag;

/// What every page shows around its content.
pub struct Page {
    pub lang: Lang,
    pub user: Option<Principal>,
    pub csrf: String,
    pub title: String,
}

impl Page {
    pub fn new(ctx: &Ctx, zh: &str, en: &str) -> Page {
        Page {
            lang: ctx.lang,
            user: ctx.principal.clone(),
            csrf: ctx.csrf.clone(),
            title: match ctx.lang {
                Lang::Zh => zh.to_string(),
                Lang::En => en.to_string(),
            },
        }
    }
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
    pub fn lang_tag(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        }
    }
    pub fn role_label(&self) -> &'static str {
        self.user.as_ref().map_or("", |u| match self.lang {
            Lang::Zh => u.role.label_zh(),
            Lang::En => u.role.label_en(),
        })
    }
    /// The role's own pages.
    pub fn nav(&self) -> Vec<(&'static str, &'static str, &'static str)> {
        let Some(u) = &self.user else { return vec![] };
        match u.role {
            WebRole::Applicant | WebRole::Agent => {
                vec![("/precheck", "设计自检", "Design pre-check")]
            }
            WebRole::Supervisor => vec![("/supervision", "效能监察", "Supervision")],
            WebRole::Auditor | WebRole::AuditAdmin => vec![("/audit", "审计", "Audit")],
            WebRole::SysAdmin => vec![("/admin/users", "用户与角色", "Users and roles")],
            WebRole::SecAdmin => vec![("/admin/security", "账户安全", "Account security")],
            _ => vec![],
        }
    }
}

/// An error rendered as a page, with the status of the one mapping.
pub struct PageError(pub AppError, pub Lang);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        error_page(self.0, self.1)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTpl {
    page: Page,
    status: u16,
    message: String,
}

pub fn error_page(e: AppError, lang: Lang) -> Response {
    let status = e.http_status();
    let message = match &e {
        AppError::Internal(m) => {
            tracing::error!(error = %m, "internal error");
            "内部错误，请查看服务日志 internal error, see the server log".to_string()
        }
        e => e.to_string(),
    };
    let page = Page {
        lang,
        user: None,
        csrf: String::new(),
        title: match lang {
            Lang::Zh => "出错了".into(),
            Lang::En => "Error".into(),
        },
    };
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        render(&ErrorTpl {
            page,
            status,
            message,
        }),
    )
        .into_response()
}

pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(s) => Html(s).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn pe(lang: Lang) -> impl Fn(AppError) -> PageError {
    move |e| PageError(e, lang)
}

// ------------------------------------------------------------------------ home

pub struct CatalogueRow {
    pub code: String,
    pub name: String,
    pub dept: String,
    pub days: String,
    pub materials: String,
}

#[derive(Clone)]
pub struct CaseRow {
    pub id: String,
    pub title: String,
    pub enterprise: String,
    pub status: String,
    pub updated: String,
    pub todo: String,
    /// The latest finished review job, whose twin the inbox links.
    pub twin_job: Option<i64>,
    /// 风险预警 for staff: (css class, level label, the reasons), `None` for the
    /// applicant's side and for cases without risk.
    pub risk: Option<(&'static str, String, String)>,
}

/// The recorded risk of a case as the inbox shows it to staff.
fn risk_cell(
    case: &zhishen_workflow::Case,
    p: &Principal,
) -> Option<(&'static str, String, String)> {
    use zhishen_workflow::risk::RiskLevel;
    if matches!(p.role, WebRole::Applicant | WebRole::Agent) {
        return None;
    }
    let r = case.risk.as_ref().filter(|r| r.level != RiskLevel::None)?;
    let class = match r.level {
        RiskLevel::High => "fail",
        RiskLevel::Medium => "yellow",
        _ => "muted",
    };
    let reasons: Vec<&str> = r.reasons.iter().map(|x| x.text_zh.as_str()).collect();
    Some((class, r.level.name_zh().to_string(), reasons.join("；")))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTpl {
    page: Page,
    can_file: bool,
    shows_cases: bool,
    catalogue: Vec<CatalogueRow>,
    inbox: Vec<CaseRow>,
    cases: Vec<CaseRow>,
}

/// Item states that wait for a role's action.
fn waits_for(role: WebRole, dept: Option<&str>, it: &zhishen_workflow::ItemCase) -> bool {
    use zhishen_workflow::ItemState as S;
    let mine = dept.is_none_or(|d| d == it.department);
    match role {
        WebRole::Clerk | WebRole::Coordinator => matches!(it.state, S::Received),
        WebRole::Reviewer => mine && matches!(it.state, S::Accepted | S::Processing),
        WebRole::Approver => mine && matches!(it.state, S::Processing),
        WebRole::Applicant | WebRole::Agent => matches!(it.state, S::Supplementing { .. }),
        _ => false,
    }
}

fn case_row(sc: &ScopedCase, p: &Principal) -> CaseRow {
    let todo: Vec<&str> = sc
        .case
        .items
        .iter()
        .filter(|it| waits_for(p.role, p.dept.as_deref(), it))
        .map(|it| it.code.as_str())
        .collect();
    CaseRow {
        id: sc.case.id.clone(),
        title: sc.scope.title.clone(),
        enterprise: sc.scope.enterprise.clone(),
        status: format!("{:?}", sc.case.status),
        updated: sc.case.updated_at.format("%Y-%m-%d %H:%M").to_string(),
        todo: todo.join(", "),
        twin_job: None,
        risk: risk_cell(&sc.case, p),
    }
}

pub async fn home(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Response, PageError> {
    let e = pe(ctx.lang);
    let p = ctx.user().map_err(&e)?.clone();
    let can_file = matches!(p.role, WebRole::Applicant | WebRole::Agent);
    let shows_cases = p.role.domain_role().is_some();
    let visible = cases::list_cases(&s.store, &p).await.map_err(&e)?;
    let rows: Vec<CaseRow> = visible.iter().map(|sc| case_row(sc, &p)).collect();
    let mut inbox: Vec<CaseRow> = rows
        .iter()
        .filter(|r| !r.todo.is_empty())
        .cloned()
        .collect();
    for r in &mut inbox {
        r.twin_job = latest_twin(&s, &r.id).await.map_err(&e)?;
    }
    let catalogue = if can_file {
        catalogue_rows(&s).await.map_err(&e)?
    } else {
        vec![]
    };
    Ok(render(&HomeTpl {
        page: Page::new(&ctx, "工作台", "Home"),
        can_file,
        shows_cases,
        catalogue,
        inbox,
        cases: rows,
    }))
}

/// The case's latest finished review job (the one with a twin), if any.
async fn latest_twin(s: &AppState, case_id: &str) -> Result<Option<i64>, AppError> {
    let id = zhishen_app::CaseId::new(case_id)?;
    Ok(s.store
        .review_jobs(&id)
        .await?
        .iter()
        .rev()
        .find(|j| j.status == zhishen_store::ReviewStatus::Done)
        .map(|j| j.id))
}

async fn catalogue_rows(s: &AppState) -> Result<Vec<CatalogueRow>, AppError> {
    let defs = s.store.latest_definitions().await?;
    Ok(defs
        .catalogue
        .items
        .iter()
        .map(|it| CatalogueRow {
            code: it.code.clone(),
            name: it.name_zh.clone(),
            dept: it.department_name.clone(),
            days: format!("{} ({})", it.statutory_limit_wd, it.promised_limit_wd),
            materials: it
                .materials
                .iter()
                .map(|m| m.name_zh.clone())
                .collect::<Vec<_>>()
                .join("、"),
        })
        .collect())
}

#[derive(Deserialize)]
pub struct NewCaseForm {
    pub project_code: String,
    pub project_name: String,
    #[serde(default)]
    pub request_id: Option<String>,
}

pub async fn create_case(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Form(f): Form<NewCaseForm>,
) -> Result<Response, PageError> {
    let e = pe(ctx.lang);
    let p = ctx.user().map_err(&e)?;
    let rid = request_id(f.request_id.as_deref()).map_err(&e)?;
    let id = cases::create_case(
        &s.store,
        p,
        &cases::NewCase {
            project_code: f.project_code,
            project_name: f.project_name,
        },
        &rid,
    )
    .await
    .map_err(&e)?;
    Ok(Redirect::to(&format!("/cases/{id}")).into_response())
}

/// The form's request id (idempotent resubmission) or a fresh one.
pub fn request_id(given: Option<&str>) -> Result<zhishen_app::RequestId, AppError> {
    let id = match given.filter(|g| !g.is_empty()) {
        Some(g) => g.to_string(),
        None => format!("web-{}", zhishen_app::auth::random_token()?),
    };
    Ok(zhishen_app::RequestId::new(id)?)
}

// ------------------------------------------------------------------- the case

pub struct ItemRow {
    pub code: String,
    pub name: String,
    pub dept: String,
    pub state: String,
    pub deadline: String,
    pub light: &'static str,
    pub light_label: &'static str,
    pub licence: String,
}

pub struct ReviewRow {
    pub item: String,
    pub at: String,
    pub sha: String,
    /// (status, check id, message); the twin numbers them from 1 in this order.
    pub findings: Vec<(String, String, String)>,
    /// The finished job that wrote the report: its twin shows the findings.
    pub twin_job: Option<i64>,
}

/// A review job as the case page lists it.
pub struct JobRow {
    pub id: i64,
    pub item: String,
    pub status: String,
    pub error: String,
    /// Finished: it has a twin.
    pub done: bool,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CaseTpl {
    page: Page,
    id: String,
    title: String,
    project_code: String,
    enterprise: String,
    status: String,
    message: Option<String>,
    message_class: &'static str,
    items: Vec<ItemRow>,
    reviews: Vec<ReviewRow>,
    jobs: Vec<JobRow>,
    licences: Vec<(String, String, String)>,
    actions: Vec<(&'static str, &'static str, &'static str)>,
    request_id: String,
    can_upload: bool,
    review_items: Vec<String>,
    default_parcel: String,
    events: Vec<(String, String, String)>,
    materials: Vec<MaterialRow>,
    /// `ITEM/CODE` of every material of an open item, for the upload form; empty when
    /// the role hands in no files.
    material_choices: Vec<(String, String)>,
}

/// One catalogue material of an item of an open stage, with where it stands (材料核验).
struct MaterialRow {
    item: String,
    code: String,
    name: String,
    /// `pass` (in), `fail` (missing, required), `muted` (missing, optional or 容缺).
    class: &'static str,
    status: String,
}

fn material_rows(
    case: &zhishen_workflow::Case,
    defs: &zhishen_workflow::Definitions,
    page: &Page,
) -> Vec<MaterialRow> {
    use zhishen_workflow::{Attachment, MaterialStatus as S, StageStatus};
    let open = |it: &zhishen_workflow::ItemCase| {
        case.stages
            .get(it.stage)
            .is_some_and(|s| s.status == StageStatus::Open)
    };
    let mut rows = Vec::new();
    for it in case.items.iter().filter(|it| open(it)) {
        let Some(def) = defs.catalogue.item(&it.code) else {
            continue;
        };
        for l in zhishen_workflow::materials::status(def, it) {
            let (class, status) = match &l.status {
                S::Attached {
                    attachment:
                        Attachment::File {
                            kind,
                            pages,
                            sha256,
                        },
                } => (
                    "pass",
                    format!(
                        "{} {}{} · {}",
                        page.t("已上传", "uploaded"),
                        kind.as_str(),
                        pages.map(|p| format!(" {p}p")).unwrap_or_default(),
                        &sha256[..12]
                    ),
                ),
                S::Attached {
                    attachment: Attachment::Licence { kind, number, .. },
                } => (
                    "pass",
                    format!(
                        "{} {kind} {number}",
                        page.t("电子证照复用", "licence reused")
                    ),
                ),
                S::Declared => ("pass", page.t("收件时已提交", "handed in at 收件").into()),
                S::Committed => ("pass", page.t("告知承诺", "by commitment").into()),
                S::Missing {
                    required: true,
                    rongque: false,
                } => ("fail", page.t("缺少（必备）", "missing (required)").into()),
                S::Missing {
                    required: true,
                    rongque: true,
                } => (
                    "muted",
                    page.t("缺少（可容缺）", "missing (容缺 allowed)").into(),
                ),
                S::Missing { .. } => (
                    "muted",
                    page.t("未提交（可选）", "not handed in (optional)").into(),
                ),
            };
            rows.push(MaterialRow {
                item: it.code.clone(),
                code: l.code,
                name: page.t(&l.name_zh, &l.name_en).to_string(),
                class,
                status,
            });
        }
    }
    rows
}

/// The commands a role is offered on the case page.
fn actions_of(role: WebRole) -> Vec<(&'static str, &'static str, &'static str)> {
    match role {
        WebRole::Applicant | WebRole::Agent => vec![
            ("submit", "提交材料（收件）", "Hand in materials"),
            ("supplement_done", "补正完成", "Supplement done"),
            ("supply_materials", "补齐容缺材料", "Supply 容缺 materials"),
            ("withdraw", "撤回", "Withdraw"),
            ("rate", "好差评", "Rate the service"),
        ],
        WebRole::Clerk | WebRole::Coordinator => vec![
            ("accept", "受理", "Accept"),
            (
                "request_supplement",
                "一次告知补正",
                "Ask for missing materials (一次告知)",
            ),
            ("reject", "不予受理", "Reject"),
            ("submit", "代为收件", "Receive materials"),
        ],
        WebRole::Reviewer => vec![
            ("start_processing", "开始办理", "Start processing"),
            ("request_supplement", "退回补正", "Return for 补正"),
            ("conclude", "审查结论", "Conclude"),
        ],
        WebRole::Approver => vec![
            ("conclude", "审批决定", "Decide"),
            ("revoke", "撤销", "Revoke"),
        ],
        WebRole::Supervisor => vec![("revoke", "撤销（督办）", "Revoke")],
        _ => vec![],
    }
}

/// An item state in words (Chinese, English).
pub fn state_label(st: zhishen_workflow::ItemState) -> &'static str {
    use zhishen_workflow::ItemState as S;
    use zhishen_workflow::Outcome as O;
    match st {
        S::Waiting => "未收件 waiting",
        S::Received => "已收件 received",
        S::Cancelled => "已撤件 cancelled",
        S::Accepted => "已受理 accepted",
        S::NotAccepted => "不予受理 not accepted",
        S::Supplementing { .. } => "补正中 supplementing",
        S::Processing => "办理中 processing",
        S::Special { .. } => "特别程序 special procedure",
        S::Concluded { outcome: O::Pass } => "办结·通过 concluded: pass",
        S::Concluded {
            outcome: O::PassRongque,
        } => "办结·容缺通过 concluded: pass (容缺)",
        S::Concluded { outcome: O::Fail } => "办结·不通过 concluded: fail",
        S::Withdrawn => "已撤回 withdrawn",
        S::Revoked => "已撤销 revoked",
    }
}

/// The 红黄灯 light of an item whose clock runs, by the workflow's own rule
/// (`clock::item_warning`: yellow within the process's warning share of the limit,
/// red past it); the Overdue flag is red whatever the clock says.
pub fn light_of(
    it: &zhishen_workflow::ItemCase,
    defs: &zhishen_workflow::Definitions,
    today: chrono::NaiveDate,
) -> (&'static str, &'static str) {
    use zhishen_workflow::WarningLevel as W;
    if it.flags.contains(&ItemFlag::Overdue) {
        return ("red", "红 red");
    }
    let share = defs.process.warning_share;
    match zhishen_workflow::clock::item_warning(it, &defs.calendar, today, share) {
        Ok(Some(W::Red)) => ("red", "红 red"),
        Ok(Some(W::Yellow)) => ("yellow", "黄 yellow"),
        Ok(Some(W::Green)) => ("ok", "绿 green"),
        Ok(None) => ("", ""),
        // A date outside the calendar: say so rather than show green.
        Err(_) => ("yellow", "? 日历未覆盖 calendar does not cover it"),
    }
}

fn item_row(
    it: &zhishen_workflow::ItemCase,
    name: String,
    light: (&'static str, &'static str),
) -> ItemRow {
    let (light, light_label) = light;
    ItemRow {
        code: it.code.clone(),
        name,
        dept: it.department.clone(),
        state: state_label(it.state).to_string(),
        deadline: it.deadline.map(|d| d.to_string()).unwrap_or_default(),
        light,
        light_label,
        // The signed e-licence, with its number, is listed under 电子证照; here only
        // what the decision carries (the workflow's reference is not a licence number).
        licence: it
            .licence
            .as_ref()
            .map(|l| format!("{} ({})", l.kind, text_of(&l.status)))
            .unwrap_or_default(),
    }
}

#[derive(Deserialize, Default)]
pub struct CaseQuery {
    #[serde(default)]
    pub done: Option<String>,
}

/// The automatic reviews of every item, newest last, each with the finished job that
/// wrote its report (by the report's hash).
fn review_rows(case: &zhishen_workflow::Case, jobs: &[zhishen_store::ReviewJob]) -> Vec<ReviewRow> {
    case.items
        .iter()
        .flat_map(|it| {
            it.reviews.iter().map(|r| ReviewRow {
                item: it.code.clone(),
                at: r.at.format("%Y-%m-%d %H:%M").to_string(),
                sha: r.report_sha256.clone(),
                twin_job: twin_job_of(jobs, &r.report_sha256),
                findings: r
                    .findings
                    .iter()
                    .map(|f| (text_of(&f.status), f.check_id.clone(), f.message.clone()))
                    .collect(),
            })
        })
        .collect()
}

/// The finished job that wrote the report `sha` (its twin shows that review).
fn twin_job_of(jobs: &[zhishen_store::ReviewJob], sha: &str) -> Option<i64> {
    jobs.iter()
        .rev()
        .find(|j| {
            j.status == zhishen_store::ReviewStatus::Done
                && j.report_sha256.as_ref().is_some_and(|r| r.as_str() == sha)
        })
        .map(|j| j.id)
}

/// A serde enum's stored text (`fail`, `running`).
pub fn text_of<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The QR code's URL of a filed licence (number and signature digest), on this server.
async fn licence_href(s: &AppState, l: &zhishen_store::IssuedLicence) -> String {
    let mut href = format!("/licence/verify?no={}", urlencode(&l.number));
    if let Ok(Some(signed)) = zhishen_app::licences::by_number(&s.store, &l.number).await {
        href.push_str(&format!("&d={}", signed.signature_digest()));
    }
    href
}

/// Jobs, licences and the timeline: what the case page reads beside the case.
struct CaseExtras {
    raw_jobs: Vec<zhishen_store::ReviewJob>,
    jobs: Vec<JobRow>,
    licences: Vec<(String, String, String)>,
    events: Vec<(String, String, String)>,
}

async fn case_extras(s: &AppState, case_id: &zhishen_app::CaseId) -> Result<CaseExtras, AppError> {
    let raw_jobs = s.store.review_jobs(case_id).await?;
    let jobs = raw_jobs
        .iter()
        .map(|j| JobRow {
            id: j.id,
            item: j.item.as_str().to_string(),
            status: text_of(&j.status),
            error: j.error.clone().unwrap_or_default(),
            done: j.status == zhishen_store::ReviewStatus::Done,
        })
        .collect();
    let mut licences = Vec::new();
    for l in s.store.licences_of_case(case_id.as_str()).await? {
        licences.push((l.number.clone(), l.item.clone(), licence_href(s, &l).await));
    }
    let events = s
        .store
        .event_summaries(case_id)
        .await?
        .into_iter()
        .map(|ev| {
            let at: String = ev.occurred_at.chars().take(16).collect();
            let who = format!("{} ({})", ev.actor_id, ev.actor_role);
            (at.replace('T', " "), ev.kind.as_str().to_string(), who)
        })
        .collect();
    Ok(CaseExtras {
        raw_jobs,
        jobs,
        licences,
        events,
    })
}

/// The case status in words.
fn case_status(st: zhishen_workflow::model::CaseStatus) -> &'static str {
    use zhishen_workflow::model::CaseStatus as C;
    match st {
        C::Open => "办理中 open",
        C::Completed => "已办结 completed",
        C::Terminated => "已终止 terminated",
    }
}

pub async fn case_page(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Result<Response, PageError> {
    let e = pe(ctx.lang);
    let p = ctx.user().map_err(&e)?.clone();
    let sc = cases::visible_case(&s.store, &p, &id).await.map_err(&e)?;
    let defs = s
        .store
        .case_definitions(&sc.case)
        .await
        .map_err(|x| e(x.into()))?;
    let today = s.store.now().date_naive();
    let name_of = |code: &str| {
        defs.catalogue
            .item(code)
            .map(|d| d.name_zh.clone())
            .unwrap_or_default()
    };
    let items: Vec<ItemRow> = sc
        .case
        .items
        .iter()
        .map(|it| item_row(it, name_of(&it.code), light_of(it, &defs, today)))
        .collect();
    let case_id = zhishen_app::CaseId::new(sc.case.id.clone()).map_err(|x| e(x.into()))?;
    let extras = case_extras(&s, &case_id).await.map_err(&e)?;
    let review_items: Vec<String> = sc
        .case
        .items
        .iter()
        .filter(|it| defs.catalogue.item(&it.code).is_some_and(|d| d.bim_review))
        .map(|it| it.code.clone())
        .collect();
    let can_upload = matches!(p.role, WebRole::Applicant | WebRole::Agent)
        && !review_items.is_empty()
        && s.site.is_some();
    let page = Page::new(&ctx, &sc.scope.title, &sc.scope.title);
    let materials = material_rows(&sc.case, &defs, &page);
    let material_choices = if matches!(p.role, WebRole::Applicant | WebRole::Agent | WebRole::Clerk)
    {
        materials
            .iter()
            .map(|m| {
                (
                    format!("{}/{}", m.item, m.code),
                    format!("{} · {} {}", m.item, m.code, m.name),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let message = q
        .done
        .as_deref()
        .map(|k| format!("{} ✓ {k}", page.t("已办理", "Done")));
    Ok(render(&CaseTpl {
        page,
        id: sc.case.id.clone(),
        title: sc.scope.title.clone(),
        project_code: sc.case.project_code.clone(),
        enterprise: sc.scope.enterprise.clone(),
        status: case_status(sc.case.status).to_string(),
        message_class: if message.is_some() { "pass" } else { "" },
        message,
        items,
        reviews: review_rows(&sc.case, &extras.raw_jobs),
        jobs: extras.jobs,
        licences: extras.licences,
        actions: actions_of(p.role),
        request_id: request_id(None).map_err(&e)?.as_str().to_string(),
        can_upload,
        review_items,
        default_parcel: s
            .site
            .as_ref()
            .map(|x| x.default_parcel.clone())
            .unwrap_or_default(),
        events: extras.events,
        materials,
        material_choices,
    }))
}

/// Percent-encodes a query value (licence numbers hold Chinese characters).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The command form: one form, the fields a kind needs.
#[derive(Deserialize)]
pub struct CommandForm {
    pub kind: String,
    #[serde(default)]
    pub item: String,
    #[serde(default)]
    pub materials: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub score: String,
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Builds the workflow command of a form; unknown kinds and bad values name the field.
pub fn command_of(f: &CommandForm) -> Result<zhishen_workflow::Command, AppError> {
    use zhishen_workflow::Command as C;
    let item = f.item.clone();
    let materials: Vec<String> = f
        .materials
        .split([',', '，', '、'])
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect();
    let text = f.text.clone();
    Ok(match f.kind.as_str() {
        "submit" => C::Submit {
            item,
            materials,
            commitments: vec![],
        },
        "accept" => C::Accept { item },
        "reject" => C::Reject { item, reason: text },
        "request_supplement" => C::RequestSupplement {
            item,
            materials,
            note: text,
        },
        "supplement_done" => C::SupplementDone { item, materials },
        "supply_materials" => C::SupplyMaterials { item, materials },
        "start_processing" => C::StartProcessing { item },
        "conclude" => C::Conclude {
            item,
            outcome: serde_json::from_value(serde_json::Value::String(f.outcome.clone())).map_err(
                |_| {
                    AppError::BadInput(format!(
                        "outcome {:?}: pass, pass_rongque or fail",
                        f.outcome
                    ))
                },
            )?,
            opinion: text,
        },
        "withdraw" => C::Withdraw { item, reason: text },
        "revoke" => C::Revoke { item, reason: text },
        "rate" => C::Rate {
            score: f
                .score
                .trim()
                .parse()
                .map_err(|_| AppError::BadInput(format!("score {:?}: 1 to 5", f.score)))?,
            comment: text,
        },
        k => {
            return Err(AppError::BadInput(format!(
                "kind {k:?}: not a command of this form"
            )))
        }
    })
}

pub async fn case_command(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(f): Form<CommandForm>,
) -> Result<Response, PageError> {
    let e = pe(ctx.lang);
    let p = ctx.user().map_err(&e)?.clone();
    let cmd = command_of(&f).map_err(&e)?;
    let rid = request_id(f.request_id.as_deref()).map_err(&e)?;
    crate::api_cases::act_and_issue(&s, &p, &id, &cmd, &rid)
        .await
        .map_err(&e)?;
    Ok(Redirect::to(&format!("/cases/{id}?done={}", f.kind)).into_response())
}

/// A stored review report of a visible case, with the review job it came from (the
/// job that holds its twin), if any.
async fn stored_report(
    s: &AppState,
    p: &Principal,
    id: &str,
    sha: &str,
) -> Result<(zhishen_report::Report, Option<i64>), AppError> {
    let sc = cases::visible_case(&s.store, p, id).await?;
    let known = sc
        .case
        .items
        .iter()
        .flat_map(|it| &it.reviews)
        .any(|r| r.report_sha256 == sha);
    if !known {
        return Err(AppError::NotFound(format!("report {sha}")));
    }
    let digest = zhishen_app::Sha256::parse(sha)?;
    let bytes = s.store.get_blob(&digest).await?;
    let report: zhishen_report::Report = serde_json::from_slice(&bytes)
        .map_err(|x| AppError::Internal(format!("report {sha}: {x}")))?;
    let case_id = zhishen_app::CaseId::new(sc.case.id.clone())?;
    let jobs = s.store.review_jobs(&case_id).await?;
    Ok((report, twin_job_of(&jobs, sha)))
}

/// The twin's snapshots of a job, when they can be drawn here; a report stands without.
async fn pictures(
    s: &AppState,
    job: Option<i64>,
) -> Option<std::sync::Arc<zhishen_report::Pictures>> {
    let id = job?;
    match zhishen_app::snapshot::pictures_of_job(&s.store, id).await {
        Ok(p) => Some(p),
        Err(err) => {
            tracing::warn!(job = id, error = %err, "report shown without snapshots");
            None
        }
    }
}

/// A stored review report, as HTML, under a policy of its own: its inline style is
/// allowed, scripts and everything else are not.
pub async fn report_page(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let e = pe(ctx.lang);
    let p = ctx.user().map_err(&e)?.clone();
    let (report, job) = stored_report(&s, &p, &id, &sha).await.map_err(&e)?;
    let twin = job.map(|id| format!("/twin/{id}"));
    let pictures = pictures(&s, job).await;
    Ok(report_response_with(
        &report,
        twin.as_deref(),
        pictures.as_deref(),
    ))
}

/// A stored review report as BCF 2.1 for the designer's BIM tool: one topic per failed
/// check, each with its snapshot and a link to the finding in the twin (an absolute URL
/// on the service's public address, since BCF is opened outside it).
pub async fn report_bcf(
    State(s): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Path((id, sha)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let e = pe(ctx.lang);
    let p = ctx.user().map_err(&e)?.clone();
    let (report, job) = stored_report(&s, &p, &id, &sha).await.map_err(&e)?;
    let twin = job.map(|j| format!("{}/twin/{j}", s.public_url.trim_end_matches('/')));
    let pictures = pictures(&s, job).await;
    let opts = zhishen_report::bcf::BcfOptions {
        twin_url: twin.as_deref(),
        pictures: pictures.as_deref(),
    };
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let bytes = zhishen_report::bcf::to_bcf_with(&report, &now, "zhishen", &opts)
        .map_err(|x| e(AppError::Internal(format!("BCF: {x}"))))?;
    let name = format!(
        "attachment; filename=\"{}-{}.bcf\"",
        id,
        &sha[..12.min(sha.len())]
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}

/// A stored report's own page policy: its inline style is allowed, scripts and
/// everything else are not, and it runs sandboxed.
pub const REPORT_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox";

/// A review report as an HTML page under [`REPORT_CSP`].
pub fn report_response(report: &zhishen_report::Report) -> Response {
    report_response_with(report, None, None)
}

/// The same, linking the review's twin (a relative URL: the page is this server's).
pub fn report_response_with(
    report: &zhishen_report::Report,
    twin_url: Option<&str>,
    pictures: Option<&zhishen_report::Pictures>,
) -> Response {
    let opts = zhishen_report::html::HtmlOptions { twin_url, pictures };
    let html = zhishen_report::html::to_html_with(report, &opts);
    ([(header::CONTENT_SECURITY_POLICY, REPORT_CSP)], Html(html)).into_response()
}
