//! The risk sweep 风险预警: assesses every case against the published rules and records
//! each change in its case's log.
//!
//! Why a sweep and not part of each command: a risk depends on more than the case —
//! the history of the same items across all cases, the applicant's credit grade and
//! today's date — so it is recomputed over the store (by the server's worker, or
//! `zhishen case risk`) and only a change is written, as `RecordRisk` from the system,
//! so the chain holds every level a case was ever at and why.

use crate::AppError;
use crate::RequestId;
use serde::Serialize;
use zhishen_store::Store;
use zhishen_workflow::risk::{assess, History, RiskAssessment, RiskContext, RiskLevel, RiskRules};
use zhishen_workflow::{Actor, Command};

/// The shipped rule set (`assets/risk/rules.toml`).
pub fn rules() -> Result<RiskRules, AppError> {
    zhishen_workflow::demo::risk_rules().map_err(|e| AppError::Internal(format!("risk rules: {e}")))
}

/// One case whose assessment changed in a sweep.
#[derive(Debug, Clone, Serialize)]
pub struct RiskChange {
    pub case_id: String,
    pub previous: RiskLevel,
    pub assessment: RiskAssessment,
}

/// The credit grade of the enterprise that filed a case, by case id, when graded
/// ([`crate::credit::case_grades`]); until an enterprise is graded, no credit rule
/// fires for its cases. Why by case: an applicant account may act for one
/// enterprise, but the case's scope is what names who filed it.
pub type GradeOf<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// The sweep with each case's enterprise's current credit grade, so `low_credit`
/// can fire (what the server's worker and `zhishen case risk` run).
pub async fn sweep_graded(store: &Store, rules: &RiskRules) -> Result<Vec<RiskChange>, AppError> {
    let grades = crate::credit::case_grades(store).await?;
    let grade_of = |case_id: &str| grades.get(case_id).map(|g| g.as_str().to_string());
    sweep(store, rules, &grade_of).await
}

/// Assesses every case and records the changed ones; returns the changes.
pub async fn sweep(
    store: &Store,
    rules: &RiskRules,
    grade_of: GradeOf<'_>,
) -> Result<Vec<RiskChange>, AppError> {
    let cases = store.cases().await?;
    let defs = store.latest_definitions().await?;
    let cal = &defs.calendar;
    let history = History::from_cases(&cases, cal)
        .map_err(|e| AppError::Internal(format!("risk history: {e}")))?;
    let today = store.now().date_naive();
    let mut out = Vec::new();
    for case in &cases {
        let grade = grade_of(&case.id);
        let ctx = RiskContext {
            today,
            calendar: cal,
            history: &history,
            credit_grade: grade.as_deref(),
        };
        let a = match assess(case, rules, &ctx) {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(case = %case.id, error = %e, "risk not assessed");
                continue;
            }
        };
        let previous = case.risk.as_ref();
        let unchanged = previous.map_or(a.level == RiskLevel::None, |p| p.same_as(&a));
        if unchanged {
            continue;
        }
        let id = crate::CaseId::new(case.id.clone())?;
        // One request id per (case, position in its log): a rerun replays, never doubles.
        let rid = RequestId::new(format!("risk:{}:{}", case.id, case.seq))?;
        let cmd = Command::RecordRisk {
            assessment: a.clone(),
        };
        match store.execute(&id, &cmd, &Actor::system(), &rid).await {
            Ok(ex) if !ex.replayed => out.push(RiskChange {
                case_id: case.id.clone(),
                previous: previous.map_or(RiskLevel::None, |p| p.level),
                assessment: a,
            }),
            Ok(_) => {}
            Err(zhishen_store::StoreError::Refused(r)) => {
                tracing::info!(case = %case.id, code = %r.code, "risk not recorded")
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !out.is_empty() {
        tracing::info!(changed = out.len(), "risk sweep");
    }
    Ok(out)
}
