//! Credit grading 信用分级 use cases: regrade an enterprise from its cases' events
//! and the facts in its credit stream, and record its standing on a case. Why
//! here: reading the enterprise's cases (scopes, events) is IO; the grading itself
//! is `zhishen_workflow::credit`.

use crate::AppError;
use std::collections::HashMap;
use zhishen_store::{CreditExecuted, CreditRecord, Executed, Store};
use zhishen_workflow::credit::{
    inputs_from_cases, CaseHistory, CreditActor, CreditCommand, CreditRules, CreditState, Grade,
};
use zhishen_workflow::{Actor, CaseId, Command, EnterpriseId, Event, RequestId, Role};

/// Reads every case filed by `enterprise` (`case_scope`), counts its 履诺核查 and
/// 补正 inputs as of the store's today, and regrades it (an event only when the
/// grade changes).
pub async fn regrade(
    store: &Store,
    enterprise: &EnterpriseId,
    rules: &CreditRules,
    actor: &CreditActor,
    request_id: &RequestId,
) -> Result<CreditExecuted, AppError> {
    let defs = store.latest_definitions().await?;
    let mut logs: Vec<Vec<Event>> = Vec::new();
    for scope in store.case_scopes().await? {
        if scope.enterprise != enterprise.as_str() {
            continue;
        }
        let id = CaseId::new(scope.case_id).map_err(|e| AppError::BadInput(e.to_string()))?;
        let mut evs = Vec::new();
        for r in store.events(&id).await? {
            let e: Event = serde_json::from_value(r.payload)
                .map_err(|e| AppError::Internal(format!("case {id} seq {}: {e}", r.seq)))?;
            evs.push(e);
        }
        logs.push(evs);
    }
    let hist: Vec<CaseHistory<'_>> = logs.iter().map(|l| CaseHistory { events: l }).collect();
    let today = zhishen_workflow::clock::local_date(store.now());
    let history = inputs_from_cases(&hist, today, &defs.calendar, rules.supplement_on_time_wd)
        .map_err(|e| AppError::BadInput(e.to_string()))?;
    Ok(store
        .credit_execute(
            enterprise,
            &CreditCommand::Regrade { history },
            actor,
            rules,
            request_id,
        )
        .await?)
}

/// Records the enterprise's current grade on a case (`apply_credit`), so the
/// case's 告知承诺, 容缺受理 and approvals honour it. Refused (`no_grade`) when the
/// enterprise has not been graded.
pub async fn apply_to_case(
    store: &Store,
    case_id: &CaseId,
    enterprise: &EnterpriseId,
    rules: &CreditRules,
    actor: &Actor,
    request_id: &RequestId,
) -> Result<Executed, AppError> {
    let (state, _) = store.credit(enterprise).await?;
    let Some(grade) = state.grade else {
        return Err(AppError::refused(
            "no_grade",
            format!("企业 {enterprise} 尚无信用等级"),
            format!("enterprise {enterprise} has no grade yet"),
        ));
    };
    let cmd = Command::ApplyCredit {
        credit: rules.standing(enterprise.clone(), grade),
    };
    Ok(store.execute(case_id, &cmd, actor, request_id).await?)
}

/// The shipped credit rules (`assets/credit/rules.toml`).
pub fn rules() -> Result<CreditRules, AppError> {
    CreditRules::demo().map_err(|e| AppError::Internal(format!("credit rules: {e}")))
}

/// The credit actor for `id` acting as `role`: the enterprise is the account's
/// (`user.enterprise`), never the caller's word, so only an applicant of that
/// enterprise can object to its grade. An id that is no account has none.
pub async fn actor_of(store: &Store, id: &str, role: Role) -> Result<CreditActor, AppError> {
    let enterprise = match store.user(id).await?.and_then(|u| u.enterprise) {
        Some(e) => Some(EnterpriseId::new(e).map_err(|e| AppError::BadInput(e.to_string()))?),
        None => None,
    };
    Ok(CreditActor {
        id: id.to_string(),
        role,
        enterprise,
    })
}

/// Decides and records one credit command (record a fact, regrade with given
/// inputs, object, decide an objection); the stream decides who may.
pub async fn execute(
    store: &Store,
    enterprise: &EnterpriseId,
    cmd: &CreditCommand,
    actor: &CreditActor,
    request_id: &RequestId,
) -> Result<CreditExecuted, AppError> {
    let rules = rules()?;
    Ok(store
        .credit_execute(enterprise, cmd, actor, &rules, request_id)
        .await?)
}

/// The enterprise's credit state and its events.
pub async fn show(
    store: &Store,
    enterprise: &EnterpriseId,
) -> Result<(CreditState, Vec<CreditRecord>), AppError> {
    Ok(store.credit(enterprise).await?)
}

/// The current grade of each case's enterprise (`case_scope.enterprise`), by case
/// id, for the risk sweep's `low_credit` rule. Cases of ungraded enterprises are
/// absent.
pub async fn case_grades(store: &Store) -> Result<HashMap<String, Grade>, AppError> {
    let grades = store.credit_grades().await?;
    Ok(store
        .case_scopes()
        .await?
        .into_iter()
        .filter_map(|s| grades.get(&s.enterprise).map(|g| (s.case_id, *g)))
        .collect())
}

/// What a signed-in user may see of an enterprise's credit: the enterprise's own
/// applicants and agents their own (the account's enterprise, whatever they name);
/// supervisors and auditors any enterprise they name. Anyone else is refused.
pub async fn view(
    store: &Store,
    p: &crate::auth::Principal,
    named: Option<&str>,
) -> Result<CreditView, AppError> {
    use crate::auth::WebRole;
    let enterprise = match p.role {
        WebRole::Applicant | WebRole::Agent => own_enterprise(p)?,
        WebRole::Supervisor | WebRole::Auditor => {
            let e = named.ok_or_else(|| {
                AppError::BadInput("enterprise: 需指明企业 name the enterprise".into())
            })?;
            EnterpriseId::new(e).map_err(|e| AppError::BadInput(e.to_string()))?
        }
        _ => return Err(AppError::Forbidden("信用信息 credit standing".into())),
    };
    let (state, events) = show(store, &enterprise).await?;
    Ok(CreditView {
        enterprise: enterprise.as_str().to_string(),
        state,
        events,
    })
}

/// An enterprise's credit standing and its stream.
#[derive(Debug, serde::Serialize)]
pub struct CreditView {
    pub enterprise: String,
    pub state: CreditState,
    pub events: Vec<CreditRecord>,
}

fn own_enterprise(p: &crate::auth::Principal) -> Result<EnterpriseId, AppError> {
    let e = p.enterprise.as_deref().ok_or_else(|| {
        AppError::Forbidden("账户未关联企业 the account belongs to no enterprise".into())
    })?;
    EnterpriseId::new(e).map_err(|e| AppError::BadInput(e.to_string()))
}

/// 异议: an applicant of the enterprise objects to its current grade. The enterprise
/// is the account's; the credit stream refuses a second open objection.
pub async fn object(
    store: &Store,
    p: &crate::auth::Principal,
    reason: &str,
    request_id: &RequestId,
) -> Result<CreditExecuted, AppError> {
    let enterprise = own_enterprise(p)?;
    let actor = actor_of(store, &p.user_id, Role::Applicant).await?;
    let cmd = CreditCommand::Object {
        reason: reason.to_string(),
    };
    execute(store, &enterprise, &cmd, &actor, request_id).await
}

/// A supervisor's decision on an enterprise's open objection.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Decide {
    #[serde(flatten)]
    pub decision: zhishen_workflow::credit::ObjectionDecision,
    pub reason: String,
}

/// 异议处理: a supervisor decides the enterprise's open objection.
pub async fn decide(
    store: &Store,
    p: &crate::auth::Principal,
    enterprise: &str,
    d: &Decide,
    request_id: &RequestId,
) -> Result<CreditExecuted, AppError> {
    let enterprise =
        EnterpriseId::new(enterprise).map_err(|e| AppError::BadInput(e.to_string()))?;
    let actor = actor_of(store, &p.user_id, Role::Supervisor).await?;
    let cmd = CreditCommand::DecideObjection {
        decision: d.decision,
        reason: d.reason.clone(),
    };
    execute(store, &enterprise, &cmd, &actor, request_id).await
}
