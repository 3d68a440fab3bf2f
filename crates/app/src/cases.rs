//! Cases as a signed-in user sees them (数据范围): who may see which case, creating a
//! case with its scope, and acting on one. Every path that reads or changes a case
//! for a user comes through here, so the scoping rule is written once:
//!
//! - applicants and agents see their own enterprise's cases;
//! - clerks, coordinators and supervisors see the cases filed in their region;
//! - reviewers and approvers see the cases of their region that hold an item of
//!   their department;
//! - auditors see every case, read-only; administrators see none.
//!
//! A case the user may not see is "not found", exactly like one that does not
//! exist, so guessing ids tells nothing. Before a command is decided, the case's
//! stored projection is replayed from its events: a forged projection is refused and
//! raised as an alert instead of being acted on.

use crate::auth::{Principal, WebRole};
use crate::AppError;
use serde::Serialize;
use zhishen_store::{CaseScope, Executed, Store};
use zhishen_workflow::{Case, CaseId, Command, RequestId};

/// A case with the scope it was filed under.
#[derive(Debug, Clone, Serialize)]
pub struct ScopedCase {
    pub case: Case,
    pub scope: CaseScope,
}

/// Whether `p` may see the case.
pub fn can_see(p: &Principal, scope: &CaseScope, case: &Case) -> bool {
    match p.role {
        WebRole::Applicant | WebRole::Agent => p.enterprise.as_deref() == Some(&scope.enterprise),
        WebRole::Clerk | WebRole::Coordinator | WebRole::Supervisor => p.region == scope.region,
        WebRole::Reviewer | WebRole::Approver => {
            p.region == scope.region
                && p.dept
                    .as_deref()
                    .is_some_and(|d| case.items.iter().any(|i| i.department == d))
        }
        WebRole::Auditor => true,
        WebRole::SysAdmin | WebRole::SecAdmin | WebRole::AuditAdmin => false,
    }
}

fn not_found(id: &str) -> AppError {
    AppError::NotFound(format!("案件 case {id}"))
}

/// The case if `p` may see it; otherwise not found (never "forbidden").
pub async fn visible_case(store: &Store, p: &Principal, id: &str) -> Result<ScopedCase, AppError> {
    let case_id = CaseId::new(id).map_err(|_| not_found(id))?;
    let Some((case, scope)) = store.case_with_scope(case_id.as_str()).await? else {
        return Err(not_found(id));
    };
    if !can_see(p, &scope, &case) {
        return Err(not_found(id));
    }
    Ok(ScopedCase { case, scope })
}

/// Every case `p` may see, newest first.
pub async fn list_cases(store: &Store, p: &Principal) -> Result<Vec<ScopedCase>, AppError> {
    if matches!(
        p.role,
        WebRole::SysAdmin | WebRole::SecAdmin | WebRole::AuditAdmin
    ) {
        return Ok(Vec::new());
    }
    // The database narrows by enterprise or region (the scope's columns); `can_see`
    // stays the one rule and is applied to every row.
    let (enterprise, region) = match p.role {
        WebRole::Applicant | WebRole::Agent => match p.enterprise.as_deref() {
            Some(e) => (Some(e), None),
            None => return Ok(Vec::new()),
        },
        WebRole::Clerk
        | WebRole::Coordinator
        | WebRole::Supervisor
        | WebRole::Reviewer
        | WebRole::Approver => (None, Some(p.region.as_str())),
        WebRole::Auditor | WebRole::SysAdmin | WebRole::SecAdmin | WebRole::AuditAdmin => {
            (None, None)
        }
    };
    let mut out: Vec<ScopedCase> = store
        .scoped_cases(enterprise, region)
        .await?
        .into_iter()
        .filter(|(case, scope)| can_see(p, scope, case))
        .map(|(case, scope)| ScopedCase { case, scope })
        .collect();
    out.sort_by_key(|sc| std::cmp::Reverse(sc.case.created_at));
    Ok(out)
}

/// What an applicant fills in to open a case.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewCase {
    /// 项目代码
    pub project_code: String,
    /// 项目名称
    pub project_name: String,
}

/// Opens a case for `p`'s enterprise in `p`'s region. The id is random, not
/// sequential, and the request id makes a resubmitted form open no second case.
pub async fn create_case(
    store: &Store,
    p: &Principal,
    n: &NewCase,
    request_id: &RequestId,
) -> Result<CaseId, AppError> {
    let Some(enterprise) = p
        .enterprise
        .clone()
        .filter(|_| matches!(p.role, WebRole::Applicant | WebRole::Agent))
    else {
        return Err(AppError::Forbidden(format!(
            "{} ({}) cannot open a case",
            p.user_id,
            p.role.as_str()
        )));
    };
    for (field, v, max) in [
        ("project_code", &n.project_code, 64),
        ("project_name", &n.project_name, 200),
    ] {
        if v.trim().is_empty() || v.chars().count() > max {
            return Err(AppError::BadInput(format!(
                "{field}: 1–{max} characters required"
            )));
        }
    }
    zhishen_audit::licence::check_project_code(n.project_code.trim())
        .map_err(|e| AppError::BadInput(format!("project_code: {e}")))?;
    let stamp = store.now().format("%Y%m%d");
    let rand = hex::encode(crate::auth::random_bytes(5)?);
    let case_id = CaseId::new(format!("ZS-{stamp}-{rand}"))?;
    let cmd = Command::CreateCase {
        case_id: case_id.as_str().to_string(),
        project_code: n.project_code.trim().to_string(),
        project_name: n.project_name.trim().to_string(),
        applicant: p.user_id.clone(),
    };
    // The scope first: a case never exists without one (a scope without a case is
    // harmless and invisible).
    store
        .insert_case_scope(&CaseScope {
            case_id: case_id.as_str().to_string(),
            enterprise,
            region: p.region.clone(),
            title: n.project_name.trim().to_string(),
        })
        .await?;
    match store.execute(&case_id, &cmd, &p.actor()?, request_id).await {
        Ok(_) => Ok(case_id),
        // A retried request (a timeout, another server behind the load balancer)
        // gets the case it opened the first time; the store refused it for the new
        // id, whose scope stays behind, invisible without a case. Looked up only
        // here, so a first request pays no extra read.
        Err(e) => match opened_by(store, p, request_id).await? {
            Some(id) => Ok(id),
            None => Err(e.into()),
        },
    }
}

/// The case an earlier `CreateCase` with this request id opened, when `p` may see
/// it; a request id used for anything else, or for a case `p` cannot see, is refused
/// without naming the case.
async fn opened_by(
    store: &Store,
    p: &Principal,
    request_id: &RequestId,
) -> Result<Option<CaseId>, AppError> {
    let Some(id) = store.request_case(request_id).await? else {
        return Ok(None);
    };
    let reused = || {
        AppError::BadInput(format!(
            "request id {request_id} was already used / 请求编号已被使用"
        ))
    };
    let sc = visible_case(store, p, &id).await.map_err(|_| reused())?;
    let first = store
        .events(&CaseId::new(sc.case.id.clone())?)
        .await?
        .into_iter()
        .next();
    if first.is_none_or(|e| e.request_id.as_str() != request_id.as_str()) {
        return Err(reused());
    }
    Ok(Some(CaseId::new(sc.case.id)?))
}

/// One command addressed to a case, with its idempotency key.
pub struct Act<'a> {
    pub case_id: &'a str,
    pub command: &'a Command,
    pub request_id: &'a RequestId,
}

/// Decides and stores one command on a visible case, as `p`.
pub async fn act(
    store: &Store,
    p: &Principal,
    case_id: &str,
    cmd: &Command,
    request_id: &RequestId,
) -> Result<Executed, AppError> {
    // A file attachment is only recorded by the upload that checked the file
    // (`materials::attach`): a command naming a hash and a kind would skip the check.
    if matches!(
        cmd,
        Command::CreateCase { .. }
            | Command::FireTimer { .. }
            | Command::AttachMaterial { .. }
            | Command::RecordRisk { .. }
    ) {
        visible_case(store, p, case_id).await?;
        return Err(AppError::Forbidden(format!(
            "{} is not a user command",
            cmd.kind()
        )));
    }
    execute_visible(store, p, case_id, cmd, request_id).await
}

/// Decides and stores a command on a case `p` can see, as `p` (no check of which
/// commands a user may send: callers do that).
pub(crate) async fn execute_visible(
    store: &Store,
    p: &Principal,
    case_id: &str,
    cmd: &Command,
    request_id: &RequestId,
) -> Result<Executed, AppError> {
    let sc = visible_case(store, p, case_id).await?;
    let id = CaseId::new(sc.case.id.clone())?;
    if let Some(m) = store.verify_projection(&id).await? {
        tracing::error!(
            alert = "projection_forged",
            case = %m.case_id,
            path = %m.path,
            "ALERT: the stored case projection differs from its events; refusing to act"
        );
        return Err(AppError::refused(
            "projection_forged",
            format!(
                "案件 {} 的存储状态与事件记录不符（{}），已拒绝操作并告警",
                m.case_id, m.path
            ),
            format!(
                "case {}: the stored state differs from its events at {}; refused and alerted",
                m.case_id, m.path
            ),
        ));
    }
    // An agent acts for the case's applicant (its enterprise's, as scoping ensured);
    // the event keeps both: the agent as actor, the applicant as on_behalf_of.
    let actor = match p.role {
        WebRole::Agent => zhishen_workflow::Actor::agent(&p.user_id, &sc.case.applicant),
        _ => p.actor()?,
    };
    Ok(store.execute(&id, cmd, &actor, request_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: WebRole, enterprise: Option<&str>, dept: Option<&str>, region: &str) -> Principal {
        Principal {
            user_id: "u".into(),
            display_name: "u".into(),
            role,
            enterprise: enterprise.map(str::to_string),
            dept: dept.map(str::to_string),
            region: region.into(),
        }
    }

    /// The case of the demo definitions: items of fgw, zrzy, zjj, rfb.
    fn case() -> Case {
        let defs = zhishen_workflow::demo::definitions().unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        let cmd = Command::CreateCase {
            case_id: "C1".into(),
            project_code: "2603-440300-04-01-000001".into(),
            project_name: "P".into(),
            applicant: "a1".into(),
        };
        let actor = zhishen_workflow::Actor::new("a1", zhishen_workflow::Role::Applicant, None);
        let evs = zhishen_workflow::decide(None, &cmd, &actor, now, &defs).unwrap();
        evs.iter()
            .fold(None, |c, e| Some(zhishen_workflow::apply(c, e, &defs)))
            .unwrap()
    }

    #[test]
    fn each_role_sees_what_its_scope_allows() {
        let c = case();
        let scope = CaseScope {
            case_id: "C1".into(),
            enterprise: "甲".into(),
            region: "440300".into(),
            title: "P".into(),
        };
        let cases = [
            (who(WebRole::Applicant, Some("甲"), None, "440300"), true),
            (who(WebRole::Applicant, Some("乙"), None, "440300"), false),
            (who(WebRole::Agent, Some("甲"), None, "110000"), true),
            (who(WebRole::Agent, Some("乙"), None, "440300"), false),
            (who(WebRole::Clerk, None, None, "440300"), true),
            (who(WebRole::Clerk, None, None, "440100"), false),
            (who(WebRole::Coordinator, None, None, "440300"), true),
            (who(WebRole::Reviewer, None, Some("zrzy"), "440300"), true),
            (who(WebRole::Reviewer, None, Some("zrzy"), "440100"), false),
            (who(WebRole::Reviewer, None, Some("gaj"), "440300"), false),
            (who(WebRole::Approver, None, Some("fgw"), "440300"), true),
            (who(WebRole::Approver, None, None, "440300"), false),
            (who(WebRole::Supervisor, None, None, "440300"), true),
            (who(WebRole::Supervisor, None, None, "440100"), false),
            (who(WebRole::Auditor, None, None, "000000"), true),
            (who(WebRole::SysAdmin, None, None, "440300"), false),
            (who(WebRole::SecAdmin, None, None, "440300"), false),
            (who(WebRole::AuditAdmin, None, None, "440300"), false),
        ];
        for (p, expect) in cases {
            assert_eq!(can_see(&p, &scope, &c), expect, "{p:?}");
        }
    }
}
