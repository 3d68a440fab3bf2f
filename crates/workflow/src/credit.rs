//! Enterprise credit grading 信用分级 (issue 12 item 6), pure.
//!
//! Why here: a grade changes what the workflow allows (告知承诺, 容缺受理, an extra
//! review), so the rules that make it must sit beside the rules they change, with
//! no IO and the clock passed in.
//!
//! - **Rules** ([`CreditRules`]) are published data (`assets/credit/rules.toml`,
//!   versioned): a base score, one rule per input with points per occurrence, an
//!   optional grade cap and its clause, and the grades A–D with their score floor
//!   and what each allows. [`CreditRules::assess`] gives the score, the grade and
//!   the rules that fired.
//! - **Inputs** ([`CreditInputs`]): 履诺核查 outcomes and 补正 timeliness come from
//!   the enterprise's case events ([`inputs_from_cases`]); false declarations and
//!   violations are facts a supervisor records in the enterprise's credit stream
//!   ([`CreditCommand::RecordFact`]), because the approval workflow has no step that
//!   finds them.
//! - **Stream** ([`decide_credit`] / [`apply_credit`]): one event stream per
//!   enterprise: facts, grade changes (each with its score inputs and fired
//!   rules), objections 异议 and the supervisor's decision (uphold / amend).
//! - **Cases** carry the applicant's standing ([`CaseCredit`], set by
//!   `Command::ApplyCredit`); `decide` refuses 告知承诺 and 容缺受理 the grade does not
//!   allow and, with `extra_review`, a 通过 concluded by anyone but the department
//!   head (负责人复核).

use crate::calendar::Calendar;
use crate::command::{Event, Refusal, Role};
use crate::error::WorkflowError;
use crate::ids::{CaseId, EnterpriseId};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Credit grade; A is best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    A,
    B,
    C,
    D,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Grade::A, Grade::B, Grade::C, Grade::D];
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }
}

/// What a score rule counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditInputKind {
    /// 告知承诺 履诺核查: compliant
    CommitmentKept,
    /// 告知承诺 履诺核查: breached (失诺)
    CommitmentBroken,
    /// 补正 completed within `supplement_on_time_wd`
    SupplementOnTime,
    /// 补正 completed later, or still open past it
    SupplementLate,
    /// 虚假申报 found (supervisor-recorded fact)
    FalseDeclaration,
    /// 违法违规 found (supervisor-recorded fact)
    Violation,
}

/// Facts a supervisor records; the workflow has no step that finds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// 虚假申报 false declaration
    FalseDeclaration,
    /// 违法违规 violation
    Violation,
}

/// The counted inputs of one assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditInputs {
    pub commitments_kept: u32,
    pub commitments_broken: u32,
    pub supplements_on_time: u32,
    pub supplements_late: u32,
    pub false_declarations: u32,
    pub violations: u32,
}

impl CreditInputs {
    pub fn count(&self, k: CreditInputKind) -> u32 {
        match k {
            CreditInputKind::CommitmentKept => self.commitments_kept,
            CreditInputKind::CommitmentBroken => self.commitments_broken,
            CreditInputKind::SupplementOnTime => self.supplements_on_time,
            CreditInputKind::SupplementLate => self.supplements_late,
            CreditInputKind::FalseDeclaration => self.false_declarations,
            CreditInputKind::Violation => self.violations,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRule {
    pub id: String,
    pub input: CreditInputKind,
    /// Points per occurrence (negative deducts).
    pub points: i32,
    /// When the rule fires, the grade is at most this one.
    #[serde(default)]
    pub cap: Option<Grade>,
    pub clause: String,
    pub reason_zh: String,
    pub reason_en: String,
}

/// One grade and what it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeDef {
    pub grade: Grade,
    pub min_score: i32,
    /// 告知承诺 allowed.
    pub commitment: bool,
    /// 容缺受理 allowed.
    pub rongque: bool,
    /// A 通过 must be signed by the department head (负责人复核).
    pub extra_review: bool,
    pub clause: String,
}

/// Published grading rules (`assets/credit/rules.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditRules {
    pub id: String,
    pub version: String,
    #[serde(default)]
    pub source: String,
    pub base_score: i32,
    pub supplement_on_time_wd: u32,
    pub rules: Vec<ScoreRule>,
    pub grades: Vec<GradeDef>,
}

/// A rule that contributed to an assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredRule {
    pub rule: String,
    pub input: CreditInputKind,
    pub count: u32,
    /// points × count
    pub points: i32,
    pub cap: Option<Grade>,
    pub clause: String,
    pub reason_zh: String,
    pub reason_en: String,
}

/// Score, grade and reasons of one assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub rules_id: String,
    pub rules_version: String,
    pub inputs: CreditInputs,
    pub score: i32,
    pub grade: Grade,
    pub fired: Vec<FiredRule>,
}

impl CreditRules {
    /// Parses and checks the rules: A–D each once, in order, floors strictly
    /// falling, every input kind scored at most once.
    pub fn from_toml(text: &str) -> Result<CreditRules, WorkflowError> {
        let doc = "credit rules";
        let r: CreditRules = toml::from_str(text).map_err(|e| WorkflowError::Toml {
            doc: doc.to_string(),
            message: e.to_string(),
        })?;
        let order: Vec<Grade> = r.grades.iter().map(|g| g.grade).collect();
        if order != Grade::ALL {
            return Err(WorkflowError::field(
                doc,
                "grades",
                format!("须依次为 A, B, C, D must list A, B, C, D in order, got {order:?}"),
            ));
        }
        if r.grades
            .windows(2)
            .any(|w| w[0].min_score <= w[1].min_score)
        {
            return Err(WorkflowError::field(
                doc,
                "grades.min_score",
                "须严格递减 must fall strictly from A to D",
            ));
        }
        let mut seen = BTreeMap::new();
        for (i, rule) in r.rules.iter().enumerate() {
            if seen.insert(rule.input, i).is_some() {
                return Err(WorkflowError::field(
                    doc,
                    format!("rules[{}].input", rule.id),
                    format!("{:?} 重复 is scored twice", rule.input),
                ));
            }
            if rule.clause.trim().is_empty() {
                return Err(WorkflowError::field(
                    doc,
                    format!("rules[{}].clause", rule.id),
                    "不能为空 must not be empty",
                ));
            }
        }
        Ok(r)
    }

    /// The demo rules shipped in `assets/credit/rules.toml`.
    pub fn demo() -> Result<CreditRules, WorkflowError> {
        CreditRules::from_toml(DEMO_RULES)
    }

    pub fn grade_def(&self, g: Grade) -> &GradeDef {
        // from_toml guarantees A..D in order.
        &self.grades[g as usize]
    }

    /// Score = base + Σ points × count; grade = the best whose floor the score
    /// reaches (D below every floor), lowered to the worst cap of a fired rule.
    pub fn assess(&self, inputs: &CreditInputs) -> Assessment {
        let mut score = self.base_score;
        let mut fired = Vec::new();
        let mut cap = Grade::A;
        for r in &self.rules {
            let n = inputs.count(r.input);
            if n == 0 {
                continue;
            }
            let pts = r.points.saturating_mul(n as i32);
            score = score.saturating_add(pts);
            if let Some(c) = r.cap {
                cap = cap.max(c);
            }
            fired.push(FiredRule {
                rule: r.id.clone(),
                input: r.input,
                count: n,
                points: pts,
                cap: r.cap,
                clause: r.clause.clone(),
                reason_zh: r.reason_zh.clone(),
                reason_en: r.reason_en.clone(),
            });
        }
        let by_score = self
            .grades
            .iter()
            .find(|g| score >= g.min_score)
            .map_or(Grade::D, |g| g.grade);
        Assessment {
            rules_id: self.id.clone(),
            rules_version: self.version.clone(),
            inputs: inputs.clone(),
            score,
            grade: by_score.max(cap),
            fired,
        }
    }

    /// What a case of this enterprise may do under grade `g`.
    pub fn standing(&self, enterprise: EnterpriseId, g: Grade) -> CaseCredit {
        let d = self.grade_def(g);
        CaseCredit {
            enterprise,
            grade: g,
            rules_version: format!("{}@{}", self.id, self.version),
            commitment: d.commitment,
            rongque: d.rongque,
            extra_review: d.extra_review,
        }
    }
}

pub const DEMO_RULES: &str = include_str!("../../../assets/credit/rules.toml");

/// The applicant's credit standing as a case records it (`Command::ApplyCredit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseCredit {
    pub enterprise: EnterpriseId,
    pub grade: Grade,
    /// `rules id@version` the grade was given under.
    pub rules_version: String,
    pub commitment: bool,
    pub rongque: bool,
    pub extra_review: bool,
}

/// The events of one case, with the date it is judged on.
pub struct CaseHistory<'a> {
    pub events: &'a [Event],
}

/// 履诺核查 outcomes and 补正 timeliness over the enterprise's cases, as of
/// `today`: a 补正 is on time when completed within `on_time_wd` working days
/// of its request (`(requested, completed]`), late when completed later or
/// still open after that many working days.
pub fn inputs_from_cases(
    cases: &[CaseHistory<'_>],
    today: NaiveDate,
    cal: &Calendar,
    on_time_wd: u32,
) -> Result<CreditInputs, WorkflowError> {
    let mut out = CreditInputs::default();
    for c in cases {
        let mut open: BTreeMap<&str, NaiveDate> = BTreeMap::new();
        for e in c.events {
            match e {
                Event::CommitmentChecked { compliant, .. } => {
                    if *compliant {
                        out.commitments_kept += 1;
                    } else {
                        out.commitments_broken += 1;
                    }
                }
                Event::SupplementRequested { item, at, .. } => {
                    open.insert(item, at.date_naive());
                }
                Event::SupplementCompleted { item, at, .. } => {
                    if let Some(from) = open.remove(item.as_str()) {
                        let wd = cal.working_days_between(from, at.date_naive())?;
                        if wd <= i64::from(on_time_wd) {
                            out.supplements_on_time += 1;
                        } else {
                            out.supplements_late += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        for from in open.values() {
            if cal.working_days_between(*from, today)? > i64::from(on_time_wd) {
                out.supplements_late += 1;
            }
        }
    }
    Ok(out)
}

/// Who acts on a credit stream: the enterprise an applicant belongs to comes
/// from the caller's account, never from the command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditActor {
    pub id: String,
    pub role: Role,
    pub enterprise: Option<EnterpriseId>,
}

/// The supervisor's answer to an objection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ObjectionDecision {
    /// 维持: the grade stands.
    Uphold,
    /// 变更: the grade becomes `grade`.
    Amend { grade: Grade },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CreditCommand {
    /// 记录失信事实 record a finding (supervisor).
    RecordFact {
        fact: FactKind,
        case_id: Option<CaseId>,
        note: String,
    },
    /// 信用评级 grade from the case-history inputs plus the recorded facts
    /// (system or supervisor). Only a changed grade is an event.
    Regrade { history: CreditInputs },
    /// 异议 the enterprise's applicant objects to the current grade.
    Object { reason: String },
    /// 异议处理 the supervisor decides the open objection.
    DecideObjection {
        decision: ObjectionDecision,
        reason: String,
    },
}

/// Why a grade changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum GradeCause {
    /// The rules gave a different grade.
    Assessment { assessment: Assessment },
    /// A supervisor amended the grade on objection `objection`.
    Objection { objection: u32, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CreditEvent {
    /// 失信事实已记录
    FactRecorded {
        fact: FactKind,
        case_id: Option<CaseId>,
        note: String,
        at: DateTime<FixedOffset>,
    },
    /// 信用等级变更, with its reasons.
    GradeChanged {
        from: Option<Grade>,
        to: Grade,
        #[serde(flatten)]
        cause: GradeCause,
        at: DateTime<FixedOffset>,
    },
    /// 异议已提出
    ObjectionFiled {
        objection: u32,
        against: Grade,
        reason: String,
        at: DateTime<FixedOffset>,
    },
    /// 异议已处理
    ObjectionDecided {
        objection: u32,
        decision: ObjectionDecision,
        reason: String,
        at: DateTime<FixedOffset>,
    },
}

impl CreditEvent {
    /// Stable stored kind text.
    pub fn kind(&self) -> &'static str {
        match self {
            CreditEvent::FactRecorded { .. } => "credit_fact_recorded",
            CreditEvent::GradeChanged { .. } => "credit_grade_changed",
            CreditEvent::ObjectionFiled { .. } => "credit_objection_filed",
            CreditEvent::ObjectionDecided { .. } => "credit_objection_decided",
        }
    }
}

/// The credit projection of one enterprise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditState {
    pub seq: u64,
    pub grade: Option<Grade>,
    /// The latest assessment (its score and fired rules).
    pub assessment: Option<Assessment>,
    pub false_declarations: u32,
    pub violations: u32,
    pub objections: u32,
    /// Number of the objection awaiting a decision.
    pub open_objection: Option<u32>,
}

fn refuse<T>(
    code: &'static str,
    zh: impl Into<String>,
    en: impl Into<String>,
) -> Result<T, Refusal> {
    Err(Refusal::new(code, zh, en))
}

fn need(actor: &CreditActor, roles: &[Role]) -> Result<(), Refusal> {
    if roles.contains(&actor.role) {
        return Ok(());
    }
    let list: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    refuse(
        "role_not_allowed",
        format!("角色 {} 不能办理此信用事项", actor.role.as_str()),
        format!(
            "role {} may not do this; allowed: {}",
            actor.role.as_str(),
            list.join(", ")
        ),
    )
}

fn need_reason(s: &str) -> Result<(), Refusal> {
    if s.trim().is_empty() {
        return refuse("missing_reason", "须填写理由", "a reason is required");
    }
    Ok(())
}

/// Decides a credit command for `enterprise` against its state.
pub fn decide_credit(
    enterprise: &EnterpriseId,
    state: &CreditState,
    cmd: &CreditCommand,
    actor: &CreditActor,
    now: DateTime<FixedOffset>,
    rules: &CreditRules,
) -> Result<Vec<CreditEvent>, Refusal> {
    match cmd {
        CreditCommand::RecordFact {
            fact,
            case_id,
            note,
        } => {
            need(actor, &[Role::Supervisor])?;
            need_reason(note)?;
            Ok(vec![CreditEvent::FactRecorded {
                fact: *fact,
                case_id: case_id.clone(),
                note: note.clone(),
                at: now,
            }])
        }
        CreditCommand::Regrade { history } => {
            need(actor, &[Role::Supervisor, Role::System])?;
            let inputs = CreditInputs {
                false_declarations: state.false_declarations,
                violations: state.violations,
                ..history.clone()
            };
            let a = rules.assess(&inputs);
            if state.grade == Some(a.grade) {
                return Ok(vec![]);
            }
            Ok(vec![CreditEvent::GradeChanged {
                from: state.grade,
                to: a.grade,
                cause: GradeCause::Assessment { assessment: a },
                at: now,
            }])
        }
        CreditCommand::Object { reason } => {
            need(actor, &[Role::Applicant])?;
            if actor.enterprise.as_ref() != Some(enterprise) {
                return refuse(
                    "not_enterprise_applicant",
                    format!("只有企业 {enterprise} 的申请人可以对其信用等级提出异议"),
                    format!("only an applicant of enterprise {enterprise} may object to its grade"),
                );
            }
            need_reason(reason)?;
            let Some(g) = state.grade else {
                return refuse(
                    "no_grade",
                    format!("企业 {enterprise} 尚无信用等级"),
                    format!("enterprise {enterprise} has no grade yet"),
                );
            };
            if let Some(n) = state.open_objection {
                return refuse(
                    "objection_open",
                    format!("异议 {n} 尚未处理"),
                    format!("objection {n} is still awaiting a decision"),
                );
            }
            Ok(vec![CreditEvent::ObjectionFiled {
                objection: state.objections + 1,
                against: g,
                reason: reason.clone(),
                at: now,
            }])
        }
        CreditCommand::DecideObjection { decision, reason } => {
            decide_objection(state, *decision, reason, actor, now)
        }
    }
}

fn decide_objection(
    state: &CreditState,
    decision: ObjectionDecision,
    reason: &str,
    actor: &CreditActor,
    now: DateTime<FixedOffset>,
) -> Result<Vec<CreditEvent>, Refusal> {
    need(actor, &[Role::Supervisor])?;
    need_reason(reason)?;
    let Some(n) = state.open_objection else {
        return refuse(
            "no_objection",
            "没有待处理的异议",
            "no objection is awaiting a decision",
        );
    };
    let mut out = vec![CreditEvent::ObjectionDecided {
        objection: n,
        decision,
        reason: reason.to_string(),
        at: now,
    }];
    if let ObjectionDecision::Amend { grade } = decision {
        if state.grade == Some(grade) {
            return refuse(
                "same_grade",
                format!("变更后的等级与现等级相同（{}），应维持", grade.as_str()),
                format!(
                    "the amended grade equals the current one ({}); uphold instead",
                    grade.as_str()
                ),
            );
        }
        out.push(CreditEvent::GradeChanged {
            from: state.grade,
            to: grade,
            cause: GradeCause::Objection {
                objection: n,
                reason: reason.to_string(),
            },
            at: now,
        });
    }
    Ok(out)
}

/// Folds one event into the state (total, deterministic).
pub fn apply_credit(mut s: CreditState, ev: &CreditEvent) -> CreditState {
    s.seq += 1;
    match ev {
        CreditEvent::FactRecorded { fact, .. } => match fact {
            FactKind::FalseDeclaration => s.false_declarations += 1,
            FactKind::Violation => s.violations += 1,
        },
        CreditEvent::GradeChanged { to, cause, .. } => {
            s.grade = Some(*to);
            if let GradeCause::Assessment { assessment } = cause {
                s.assessment = Some(assessment.clone());
            }
        }
        CreditEvent::ObjectionFiled { objection, .. } => {
            s.objections = *objection;
            s.open_objection = Some(*objection);
        }
        CreditEvent::ObjectionDecided { .. } => s.open_objection = None,
    }
    s
}

/// `decide` guard for a case: 告知承诺 at 收件.
pub(crate) fn gate_commitment(
    credit: Option<&CaseCredit>,
    commitments: &[String],
) -> Result<(), Refusal> {
    match credit {
        Some(c) if !c.commitment && !commitments.is_empty() => refuse(
            "credit_commitment_barred",
            format!("申请人信用等级为 {}，不适用告知承诺，须提交原件", c.grade.as_str()),
            format!(
                "the applicant's credit grade is {}: 告知承诺 is not available, hand in the materials",
                c.grade.as_str()
            ),
        ),
        _ => Ok(()),
    }
}

/// `decide` guard for a case: 容缺受理 with materials missing.
pub(crate) fn gate_rongque(credit: Option<&CaseCredit>, missing: &[String]) -> Result<(), Refusal> {
    match credit {
        Some(c) if !c.rongque && !missing.is_empty() => refuse(
            "credit_rongque_barred",
            format!(
                "申请人信用等级为 {}，不适用容缺受理，缺少材料 {} 须一次告知补正",
                c.grade.as_str(),
                missing.join(", ")
            ),
            format!(
                "the applicant's credit grade is {}: no 容缺受理; request a supplement for {}",
                c.grade.as_str(),
                missing.join(", ")
            ),
        ),
        _ => Ok(()),
    }
}

/// `decide` guard for a case: with `extra_review`, only the department head
/// concludes 通过 (负责人复核).
pub(crate) fn gate_extra_review(credit: Option<&CaseCredit>, role: Role) -> Result<(), Refusal> {
    match credit {
        Some(c) if c.extra_review && role != Role::DeptHead => refuse(
            "credit_extra_review",
            format!("申请人信用等级为 {}，通过须由部门负责人复核签发", c.grade.as_str()),
            format!(
                "the applicant's credit grade is {}: an approval must be signed by the department head (extra review)",
                c.grade.as_str()
            ),
        ),
        _ => Ok(()),
    }
}
