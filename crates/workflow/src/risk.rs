//! Risk warning 风险预警: which cases need a supervisor's eye, and why.
//!
//! Why rules as data: what counts as a risk is a local policy that changes, and every
//! warning must say which published rule raised it and on what facts. A rule set is
//! versioned TOML ([`RiskRules`]); [`assess`] is a pure function of a case, the rules
//! and a [`RiskContext`] (today, the calendar, the history of the same items, the
//! applicant's credit grade) and returns the level with one explained reason per rule
//! that fired. The store keeps the result as a projection: when it changes, a
//! `risk_changed` event (`Command::RecordRisk`, system only) enters the case's
//! hash-chained log.

use crate::calendar::Calendar;
use crate::clock::{counted_days, remaining_days};
use crate::error::WorkflowError;
use crate::model::{Case, CheckStatus, FindingStatus, ItemCase};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How much attention a case needs. Ordered: `None` < `Low` < `Medium` < `High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    None,
    Low,
    Medium,
    High,
}

impl RiskLevel {
    pub const ALL: [RiskLevel; 4] = [
        RiskLevel::None,
        RiskLevel::Low,
        RiskLevel::Medium,
        RiskLevel::High,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::None => "none",
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            RiskLevel::None => "无风险",
            RiskLevel::Low => "低风险",
            RiskLevel::Medium => "中风险",
            RiskLevel::High => "高风险",
        }
    }
}

/// What makes a rule fire. One variant per kind of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// An item whose clock runs is expected to need more working days than it has
    /// left: the mean counted duration of the same item in concluded cases, less the
    /// days already counted, exceeds the days remaining. Needs `min_samples` history.
    PredictedOverdue { min_samples: u32 },
    /// `at_least` 补正 on one item.
    Supplements { at_least: u32 },
    /// The latest review of an item has a failed `declared_*` check (申报指标不符).
    DeclaredMismatch,
    /// The latest review of an item has a failed planning check.
    ReviewFailed,
    /// A 告知承诺 履诺核查 is due (or past due) without its result.
    CommitmentCheckOverdue,
    /// The applicant's credit grade is one of `grades` (e.g. ["C", "D"]).
    CreditGrade { grades: Vec<String> },
}

/// One published rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskRule {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The basis the rule is published under.
    pub clause: String,
    pub level: RiskLevel,
    pub when: Condition,
}

/// A versioned rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskRules {
    pub id: String,
    pub version: String,
    pub rules: Vec<RiskRule>,
}

impl RiskRules {
    pub fn from_toml(text: &str) -> Result<RiskRules, WorkflowError> {
        let r: RiskRules = toml::from_str(text).map_err(|e| WorkflowError::Toml {
            doc: "risk rules".into(),
            message: e.to_string(),
        })?;
        let doc = format!("risk rules {} {}", r.id, r.version);
        let mut seen = std::collections::BTreeSet::new();
        for rule in &r.rules {
            if rule.code.is_empty() || !seen.insert(rule.code.as_str()) {
                return Err(WorkflowError::field(
                    &doc,
                    format!("rules[{}].code", rule.code),
                    "empty or duplicate code",
                ));
            }
            if rule.level == RiskLevel::None || rule.clause.trim().is_empty() {
                return Err(WorkflowError::field(
                    &doc,
                    format!("rules[{}]", rule.code),
                    "needs a level above none and a clause",
                ));
            }
        }
        Ok(r)
    }
}

/// Mean counted duration (working days on the limit clock) of each item code over
/// concluded items, from the case history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Item code → (samples, total counted working days).
    by_item: BTreeMap<String, (u32, i64)>,
}

impl History {
    pub fn from_cases(cases: &[Case], cal: &Calendar) -> Result<History, WorkflowError> {
        let mut h = History::default();
        for it in cases.iter().flat_map(|c| &c.items) {
            let Some(end) = it.concluded_on else { continue };
            if it.accepted_on.is_none() {
                continue;
            }
            let n = counted_days(&it.clock, cal, end)?;
            let e = h.by_item.entry(it.code.clone()).or_default();
            e.0 += 1;
            e.1 += n;
        }
        Ok(h)
    }

    /// (samples, mean counted working days) of an item code.
    pub fn mean(&self, item: &str) -> Option<(u32, f64)> {
        self.by_item
            .get(item)
            .filter(|(n, _)| *n > 0)
            .map(|(n, s)| (*n, *s as f64 / f64::from(*n)))
    }
}

/// What an assessment reads besides the case.
pub struct RiskContext<'a> {
    pub today: NaiveDate,
    pub calendar: &'a Calendar,
    pub history: &'a History,
    /// The applicant's credit grade (A–D), when graded.
    pub credit_grade: Option<&'a str>,
}

/// One rule that fired, with the facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskReason {
    pub rule: String,
    pub level: RiskLevel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    pub clause: String,
    pub text_zh: String,
    pub text_en: String,
}

/// A case's risk: the highest level of the reasons (`None` when no rule fired).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskAssessment {
    pub level: RiskLevel,
    /// `id@version` of the rule set.
    pub rules: String,
    pub reasons: Vec<RiskReason>,
}

impl RiskAssessment {
    /// Same level and the same reasons (the rule set's version aside).
    pub fn same_as(&self, other: &RiskAssessment) -> bool {
        self.level == other.level && self.reasons == other.reasons
    }
}

/// Assesses one case. Ended cases carry no risk.
pub fn assess(
    case: &Case,
    rules: &RiskRules,
    ctx: &RiskContext,
) -> Result<RiskAssessment, WorkflowError> {
    let mut reasons = Vec::new();
    if case.status == crate::model::CaseStatus::Open {
        for rule in &rules.rules {
            fire(case, rule, ctx, &mut reasons)?;
        }
    }
    Ok(RiskAssessment {
        level: reasons
            .iter()
            .map(|r| r.level)
            .max()
            .unwrap_or(RiskLevel::None),
        rules: format!("{}@{}", rules.id, rules.version),
        reasons,
    })
}

fn reason(rule: &RiskRule, item: Option<&str>, zh: String, en: String) -> RiskReason {
    RiskReason {
        rule: rule.code.clone(),
        level: rule.level,
        item: item.map(str::to_string),
        clause: rule.clause.clone(),
        text_zh: format!("{}：{zh}", rule.name_zh),
        text_en: format!("{}: {en}", rule.name_en),
    }
}

fn failed_checks(it: &ItemCase, declared: bool) -> Vec<&str> {
    it.reviews
        .last()
        .map(|r| {
            r.findings
                .iter()
                .filter(|f| f.status == FindingStatus::Fail)
                .filter(|f| f.check_id.starts_with("declared_") == declared)
                .map(|f| f.check_id.as_str())
                .collect()
        })
        .unwrap_or_default()
}

fn fire(
    case: &Case,
    rule: &RiskRule,
    ctx: &RiskContext,
    out: &mut Vec<RiskReason>,
) -> Result<(), WorkflowError> {
    match &rule.when {
        Condition::PredictedOverdue { min_samples } => {
            for it in case.items.iter().filter(|i| i.state.clock_running()) {
                let Some((n, mean)) = ctx.history.mean(&it.code) else {
                    continue;
                };
                if n < *min_samples {
                    continue;
                }
                let counted = counted_days(&it.clock, ctx.calendar, ctx.today)?;
                let left = remaining_days(&it.clock, ctx.calendar, ctx.today)?;
                let needed = (mean - counted as f64).max(1.0);
                if needed > left as f64 {
                    out.push(reason(
                        rule,
                        Some(&it.code),
                        format!("事项 {} 已计 {counted} 个工作日，剩余 {left} 个；同类事项平均需 {mean:.1} 个（{n} 件），预计还需 {needed:.1} 个", it.code),
                        format!("item {} has counted {counted} working days with {left} left; the same item took {mean:.1} on average ({n} cases), so {needed:.1} more are expected", it.code),
                    ));
                }
            }
        }
        Condition::Supplements { at_least } => {
            for it in case.items.iter().filter(|i| i.supplements >= *at_least) {
                out.push(reason(
                    rule,
                    Some(&it.code),
                    format!("事项 {} 已补正 {} 次", it.code, it.supplements),
                    format!(
                        "item {} has had {} supplements (补正)",
                        it.code, it.supplements
                    ),
                ));
            }
        }
        Condition::DeclaredMismatch | Condition::ReviewFailed => {
            let declared = rule.when == Condition::DeclaredMismatch;
            for it in &case.items {
                let ids = failed_checks(it, declared);
                if ids.is_empty() {
                    continue;
                }
                let (zh, en) = if declared {
                    (
                        "最近一次自动审查发现申报指标不符",
                        "the latest automatic review found declared figures that do not match:",
                    )
                } else {
                    (
                        "最近一次自动审查不通过",
                        "the latest automatic review failed",
                    )
                };
                out.push(reason(
                    rule,
                    Some(&it.code),
                    format!("事项 {} {zh}：{}", it.code, ids.join("、")),
                    format!("item {}: {en} {}", it.code, ids.join(", ")),
                ));
            }
        }
        Condition::CommitmentCheckOverdue => {
            for it in &case.items {
                let Some(c) = &it.commitment_check else {
                    continue;
                };
                let open = matches!(c.status, CheckStatus::Armed | CheckStatus::Due);
                if open && c.due <= ctx.today {
                    out.push(reason(
                        rule,
                        Some(&it.code),
                        format!("事项 {} 的告知承诺核查 {} 到期，尚无结果", it.code, c.due),
                        format!(
                            "item {}: the 告知承诺 check fell due on {} and has no result",
                            it.code, c.due
                        ),
                    ));
                }
            }
        }
        Condition::CreditGrade { grades } => {
            if let Some(g) = ctx.credit_grade.filter(|g| grades.iter().any(|x| x == g)) {
                out.push(reason(
                    rule,
                    None,
                    format!("申请人 {} 信用等级为 {g}", case.applicant),
                    format!("applicant {} has credit grade {g}", case.applicant),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Event;
    use crate::model::Finding;

    /// A demo case folded from hand-made events: JSGCGHXK with two 补正 and a review
    /// failing `declared_gfa` and `setback_road`.
    fn case() -> Case {
        let defs = crate::demo::definitions().unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        let finding = |id: &str, status| Finding {
            check_id: id.into(),
            status,
            message: String::new(),
        };
        let supplement = Event::SupplementRequested {
            item: "JSGCGHXK".into(),
            materials: vec!["ZPT".into()],
            note: String::new(),
            before_acceptance: false,
            at,
        };
        let events = [
            Event::CaseCreated {
                case_id: "C1".into(),
                project_code: "P".into(),
                project_name: "P".into(),
                applicant: "a1".into(),
                process_id: defs.process.id.clone(),
                process_version: defs.process.version.clone(),
                catalogue_id: defs.catalogue.id.clone(),
                catalogue_version: defs.catalogue.version.clone(),
                calendar_version: defs.calendar.version().to_string(),
                at,
            },
            supplement.clone(),
            supplement,
            Event::ReviewRecorded {
                item: "JSGCGHXK".into(),
                report_sha256: "0".repeat(64),
                findings: vec![
                    finding("declared_gfa", FindingStatus::Fail),
                    finding("setback_road", FindingStatus::Fail),
                    finding("far", FindingStatus::Unverifiable),
                ],
                diff: None,
                at,
            },
        ];
        events
            .iter()
            .fold(None, |c, e| Some(crate::apply(c, e, &defs)))
            .unwrap()
    }

    #[test]
    fn each_rule_names_its_item_and_facts() {
        let rules = crate::demo::risk_rules().unwrap();
        let cal = crate::demo::calendar().unwrap();
        let history = History::default();
        let ctx = RiskContext {
            today: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            calendar: &cal,
            history: &history,
            credit_grade: Some("D"),
        };
        let a = assess(&case(), &rules, &ctx).unwrap();
        let got: Vec<(&str, Option<&str>, RiskLevel)> = a
            .reasons
            .iter()
            .map(|r| (r.rule.as_str(), r.item.as_deref(), r.level))
            .collect();
        assert_eq!(
            got,
            [
                ("repeated_supplements", Some("JSGCGHXK"), RiskLevel::Medium),
                ("declared_mismatch", Some("JSGCGHXK"), RiskLevel::High),
                ("review_failed", Some("JSGCGHXK"), RiskLevel::Medium),
                ("low_credit", None, RiskLevel::Medium),
            ]
        );
        assert_eq!(a.level, RiskLevel::High);
        // The failed review reason lists the planning check, not the declared one, and
        // an unverifiable check is not a failure.
        assert!(
            a.reasons[2].text_en.ends_with("failed setback_road"),
            "{}",
            a.reasons[2].text_en
        );
        assert!(a.reasons[1].text_zh.contains("declared_gfa"));
        assert!(a.reasons[0].text_zh.contains("已补正 2 次"));
    }

    #[test]
    fn rule_files_are_checked() {
        let bad = "id = \"r\"\nversion = \"1\"\n[[rules]]\ncode = \"x\"\nname_zh = \"x\"\nname_en = \"x\"\nclause = \"\"\nlevel = \"high\"\nwhen = \"review_failed\"\n";
        assert!(RiskRules::from_toml(bad)
            .unwrap_err()
            .to_string()
            .contains("clause"));
        let unknown = bad
            .replace("review_failed", "moon_phase")
            .replace("clause = \"\"", "clause = \"c\"");
        assert!(RiskRules::from_toml(&unknown).is_err());
    }
}
