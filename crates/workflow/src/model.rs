//! The case projection: what `apply` builds from the events of one case.

use crate::catalogue::StageKind;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// National item-instance state codes (办理状态 BLZT) of the data-exchange standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateCode {
    /// 1 收件
    Received,
    /// 2 撤件
    Cancelled,
    /// 3 受理
    Accepted,
    /// 4 不受理
    NotAccepted,
    /// 6 补正（开始）
    SupplementStarted,
    /// 7 补正（结束）
    SupplementEnded,
    /// 8 部门办理
    Processing,
    /// 9 特别程序（开始）
    SpecialStarted,
    /// 10 特别程序（结束）
    SpecialEnded,
    /// 11 办结（通过）
    ConcludedPass,
    /// 12 办结（容缺通过）
    ConcludedRongque,
    /// 13 办结（不通过）
    ConcludedFail,
    /// 14 撤回
    Withdrawn,
    /// 15 撤销
    Revoked,
}

impl StateCode {
    pub const ALL: [StateCode; 14] = [
        StateCode::Received,
        StateCode::Cancelled,
        StateCode::Accepted,
        StateCode::NotAccepted,
        StateCode::SupplementStarted,
        StateCode::SupplementEnded,
        StateCode::Processing,
        StateCode::SpecialStarted,
        StateCode::SpecialEnded,
        StateCode::ConcludedPass,
        StateCode::ConcludedRongque,
        StateCode::ConcludedFail,
        StateCode::Withdrawn,
        StateCode::Revoked,
    ];

    /// The numeric code used by the national exchange (BLZT).
    pub fn code(self) -> u8 {
        match self {
            StateCode::Received => 1,
            StateCode::Cancelled => 2,
            StateCode::Accepted => 3,
            StateCode::NotAccepted => 4,
            StateCode::SupplementStarted => 6,
            StateCode::SupplementEnded => 7,
            StateCode::Processing => 8,
            StateCode::SpecialStarted => 9,
            StateCode::SpecialEnded => 10,
            StateCode::ConcludedPass => 11,
            StateCode::ConcludedRongque => 12,
            StateCode::ConcludedFail => 13,
            StateCode::Withdrawn => 14,
            StateCode::Revoked => 15,
        }
    }

    pub fn from_code(c: u8) -> Option<StateCode> {
        StateCode::ALL.into_iter().find(|s| s.code() == c)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            StateCode::Received => "收件",
            StateCode::Cancelled => "撤件",
            StateCode::Accepted => "受理",
            StateCode::NotAccepted => "不受理",
            StateCode::SupplementStarted => "补正（开始）",
            StateCode::SupplementEnded => "补正（结束）",
            StateCode::Processing => "部门办理",
            StateCode::SpecialStarted => "特别程序（开始）",
            StateCode::SpecialEnded => "特别程序（结束）",
            StateCode::ConcludedPass => "办结（通过）",
            StateCode::ConcludedRongque => "办结（容缺通过）",
            StateCode::ConcludedFail => "办结（不通过）",
            StateCode::Withdrawn => "撤回",
            StateCode::Revoked => "撤销",
        }
    }
}

/// How an item is concluded (办结).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 通过
    Pass,
    /// 容缺通过: approved while 容缺 materials are still outstanding
    PassRongque,
    /// 不通过 (不予许可)
    Fail,
}

impl Outcome {
    pub fn is_pass(self) -> bool {
        matches!(self, Outcome::Pass | Outcome::PassRongque)
    }
    pub fn state_code(self) -> StateCode {
        match self {
            Outcome::Pass => StateCode::ConcludedPass,
            Outcome::PassRongque => StateCode::ConcludedRongque,
            Outcome::Fail => StateCode::ConcludedFail,
        }
    }
}

/// Where an item returns to after a 补正 or 特别程序.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Received,
    Accepted,
    Processing,
}

impl Phase {
    pub fn state(self) -> ItemState {
        match self {
            Phase::Received => ItemState::Received,
            Phase::Accepted => ItemState::Accepted,
            Phase::Processing => ItemState::Processing,
        }
    }
}

/// The current state of an item instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ItemState {
    /// Not received yet (its stage may not be open). No national code.
    Waiting,
    Received,
    Cancelled,
    Accepted,
    NotAccepted,
    Supplementing {
        resume: Phase,
    },
    Processing,
    Special {
        resume: Phase,
    },
    Concluded {
        outcome: Outcome,
    },
    Withdrawn,
    Revoked,
}

impl ItemState {
    /// National state code of the state (None for `Waiting`).
    pub fn code(self) -> Option<StateCode> {
        Some(match self {
            ItemState::Waiting => return None,
            ItemState::Received => StateCode::Received,
            ItemState::Cancelled => StateCode::Cancelled,
            ItemState::Accepted => StateCode::Accepted,
            ItemState::NotAccepted => StateCode::NotAccepted,
            ItemState::Supplementing { .. } => StateCode::SupplementStarted,
            ItemState::Processing => StateCode::Processing,
            ItemState::Special { .. } => StateCode::SpecialStarted,
            ItemState::Concluded { outcome } => outcome.state_code(),
            ItemState::Withdrawn => StateCode::Withdrawn,
            ItemState::Revoked => StateCode::Revoked,
        })
    }

    /// No further state transition except a revocation of a pass.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ItemState::Cancelled
                | ItemState::NotAccepted
                | ItemState::Concluded { .. }
                | ItemState::Withdrawn
                | ItemState::Revoked
        )
    }

    /// Concluded with 通过 or 容缺通过 (and not revoked).
    pub fn is_passed(self) -> bool {
        matches!(self, ItemState::Concluded { outcome } if outcome.is_pass())
    }

    /// The limit clock is counting (accepted, not paused, not ended).
    pub fn clock_running(self) -> bool {
        matches!(self, ItemState::Accepted | ItemState::Processing)
    }
}

/// Why the clock does not count an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseCause {
    /// 补正 under the `pause` rule
    Supplement,
    /// 特别程序 (行政许可法 Art. 45)
    Special,
}

/// Working days in `(from, to]` are not counted; `to = None` while still open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub cause: PauseCause,
}

impl Interval {
    pub fn contains(&self, d: NaiveDate) -> bool {
        d > self.from && self.to.is_none_or(|t| d <= t)
    }
}

/// A 补正 restart (顺延): the clock's baseline moved to `on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restart {
    pub on: NaiveDate,
    /// Working days that had been counted before the restart.
    pub counted_before: i64,
}

/// The item's time-limit ledger. Day 1 is the first working day after `baseline`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemClock {
    /// 受理 date, or the day a restart-rule 补正 completed.
    pub baseline: Option<NaiveDate>,
    /// 承诺办结时限 in working days.
    pub limit_wd: u32,
    /// Sum of approved extensions.
    pub extension_wd: u32,
    /// Excluded intervals since the current baseline.
    pub excluded: Vec<Interval>,
    /// Excluded intervals dropped by a restart (kept for the record).
    pub history: Vec<Interval>,
    pub restarts: Vec<Restart>,
    /// Day the clock stopped (办结, 撤回).
    pub stopped_on: Option<NaiveDate>,
}

impl ItemClock {
    pub fn total_limit(&self) -> u32 {
        self.limit_wd + self.extension_wd
    }
    pub fn paused(&self) -> bool {
        self.excluded.iter().any(|i| i.to.is_none())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecialKind {
    /// 听证
    Hearing,
    /// 检验、检测、检疫
    Testing,
    /// 鉴定
    Appraisal,
    /// 专家评审
    ExpertReview,
    /// 实地核查
    SiteInspection,
    /// 招标、拍卖
    Tender,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialRecord {
    pub kind: SpecialKind,
    pub reason: String,
    /// Time the applicant was told it will take (Art. 45), working days.
    pub limit_wd: Option<u32>,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub result: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    pub days: u32,
    pub reason: String,
    pub requested_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub days: u32,
    pub reason: String,
    pub approved_on: NaiveDate,
}

/// 容缺 follow-up: materials accepted as missing, and by when they must arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RongqueFollowUp {
    pub missing: BTreeSet<String>,
    /// Last day to supply them.
    pub due: NaiveDate,
    pub overdue: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Timer armed, check not yet due.
    Armed,
    /// 核查 due; waiting for its result.
    Due,
    Compliant,
    Breached,
}

/// 告知承诺 post-approval check (履诺核查).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentCheck {
    pub materials: BTreeSet<String>,
    pub due: NaiveDate,
    pub status: CheckStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Pass,
    Fail,
    Unverifiable,
    NotApplicable,
}

/// One machine-review finding attached to an item (advisory; humans decide).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub check_id: String,
    pub status: FindingStatus,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub report_sha256: String,
    pub findings: Vec<Finding>,
    pub at: DateTime<FixedOffset>,
    /// Difference to the previous review of the item (absent for the first one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<FindingsDiff>,
}

/// How a review's open findings (fail / unverifiable) differ from the previous
/// review's, by check id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingsDiff {
    pub previous_report_sha256: String,
    /// Open now, not open before.
    pub added: Vec<String>,
    /// Open before, not open now (resolved by the resubmission).
    pub resolved: Vec<String>,
    /// Open before and now.
    pub unchanged: Vec<String>,
}

impl FindingsDiff {
    /// Compares the open findings (fail or unverifiable) of two reviews by check id.
    pub fn between(previous: &Review, findings: &[Finding]) -> FindingsDiff {
        let open = |fs: &[Finding]| -> BTreeSet<String> {
            fs.iter()
                .filter(|f| matches!(f.status, FindingStatus::Fail | FindingStatus::Unverifiable))
                .map(|f| f.check_id.clone())
                .collect()
        };
        let before = open(&previous.findings);
        let now = open(findings);
        FindingsDiff {
            previous_report_sha256: previous.report_sha256.clone(),
            added: now.difference(&before).cloned().collect(),
            resolved: before.difference(&now).cloned().collect(),
            unchanged: now.intersection(&before).cloned().collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceStatus {
    Issued,
    /// 容缺通过: held back until the 容缺 materials arrive.
    Withheld,
    Revoked,
}

/// The licence (证照) an item issues on 通过.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Licence {
    /// Licence type, e.g. 建设工程规划许可证.
    pub kind: String,
    pub number: String,
    pub status: LicenceStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemFlag {
    /// 容缺 deadline passed without the material.
    RongqueOverdue,
    /// Promised limit exceeded (红灯).
    Overdue,
    /// 告知承诺 check found a breach.
    CommitmentBreached,
}

/// One item instance (事项实例) of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemCase {
    pub code: String,
    /// Index into `Case::stages`.
    pub stage: usize,
    pub department: String,
    pub state: ItemState,
    /// Latest national code reported for the item (7 and 10 appear here).
    pub last_code: Option<StateCode>,
    pub received_on: Option<NaiveDate>,
    /// Start of the 5-working-day acceptance window (收件, or the end of a pre-acceptance 补正).
    pub acceptance_window_from: Option<NaiveDate>,
    /// Last day of that window (5 working days); 视为受理 the day after.
    pub acceptance_due: Option<NaiveDate>,
    /// 一次告知 issued before acceptance.
    pub notice_issued: bool,
    pub accepted_on: Option<NaiveDate>,
    /// 视为受理 (Art. 32): accepted by the timer.
    pub deemed_accepted: bool,
    pub materials: BTreeSet<String>,
    /// Materials replaced by a written commitment 告知承诺书.
    pub commitments: BTreeSet<String>,
    /// Materials asked for in the open 补正.
    pub requested: Vec<String>,
    pub supplements: u32,
    pub clock: ItemClock,
    /// Current deadline (last counted day) or None while paused / not started.
    pub deadline: Option<NaiveDate>,
    /// Why the deadline could not be computed (calendar not covering it).
    pub deadline_error: Option<String>,
    pub pending_extension: Option<ExtensionRequest>,
    pub extensions: Vec<Extension>,
    pub rongque: Option<RongqueFollowUp>,
    pub commitment_check: Option<CommitmentCheck>,
    pub specials: Vec<SpecialRecord>,
    pub reviews: Vec<Review>,
    pub opinion: Option<String>,
    pub concluded_on: Option<NaiveDate>,
    pub licence: Option<Licence>,
    pub flags: BTreeSet<ItemFlag>,
    /// Materials on record with their file or licence reference (材料核验).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub attachments: std::collections::BTreeMap<String, crate::materials::Attachment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    Pending,
    Open,
    Joined,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageCase {
    pub kind: StageKind,
    pub lead_department: String,
    pub status: StageStatus,
    pub opened_on: Option<NaiveDate>,
    pub joined_on: Option<NaiveDate>,
    /// Stage limit 阶段时限 (SPJDSX) in working days, from the process.
    #[serde(default)]
    pub limit_wd: Option<u32>,
    /// Last working day of the stage limit, extended by the working days on
    /// which any of its items was in 特别程序; `None` while one still is (the
    /// stage clock waits), when the stage has no limit, or is not open.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// The stage ran past its deadline (阶段超期, 红灯 督办).
    #[serde(default)]
    pub overdue: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Open,
    /// Every stage joined.
    Completed,
    /// A stage can no longer join (a required item ended without 通过).
    Terminated,
}

/// 好差评 five levels; score 5 is best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingLevel {
    /// 非常不满意 (score 1)
    VeryDissatisfied,
    /// 不满意 (2)
    Dissatisfied,
    /// 基本满意 (3)
    Neutral,
    /// 满意 (4)
    Satisfied,
    /// 非常满意 (5)
    VerySatisfied,
}

impl RatingLevel {
    pub fn from_score(score: u8) -> Option<RatingLevel> {
        Some(match score {
            1 => RatingLevel::VeryDissatisfied,
            2 => RatingLevel::Dissatisfied,
            3 => RatingLevel::Neutral,
            4 => RatingLevel::Satisfied,
            5 => RatingLevel::VerySatisfied,
            _ => return None,
        })
    }
    pub fn score(self) -> u8 {
        self as u8 + 1
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            RatingLevel::VeryDissatisfied => "非常不满意",
            RatingLevel::Dissatisfied => "不满意",
            RatingLevel::Neutral => "基本满意",
            RatingLevel::Satisfied => "满意",
            RatingLevel::VerySatisfied => "非常满意",
        }
    }
    /// 不满意 and below must be verified and rectified.
    pub fn is_bad(self) -> bool {
        self <= RatingLevel::Dissatisfied
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub level: RatingLevel,
    pub comment: String,
    pub at: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 容缺 deadline missed
    RongqueOverdue,
    /// item overdue (红灯 督办)
    Overdue,
    /// 告知承诺 核查 due
    CommitmentCheckDue,
    /// 告知承诺 breached
    CommitmentBreached,
}

/// A supervision notice 督办 addressed to the supervisor role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub item: String,
    pub kind: NoticeKind,
    pub at: DateTime<FixedOffset>,
}

/// One approval case (a project's run through the process).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: String,
    /// Number of events applied.
    pub seq: u64,
    pub process_id: String,
    pub process_version: String,
    pub catalogue_id: String,
    pub catalogue_version: String,
    pub calendar_version: String,
    /// 项目代码 (GB/T 40058)
    pub project_code: String,
    pub project_name: String,
    /// Actor id of the applicant.
    pub applicant: String,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub status: CaseStatus,
    pub ended_on: Option<NaiveDate>,
    pub stages: Vec<StageCase>,
    pub items: Vec<ItemCase>,
    pub rating: Option<Rating>,
    pub notices: Vec<Notice>,
    /// The applicant's credit standing (信用等级), once recorded; absent from
    /// the stored projection until then, so older projections are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<crate::credit::CaseCredit>,
    /// The latest risk assessment 风险预警 recorded (`risk_changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<crate::risk::RiskAssessment>,
}

impl Case {
    pub fn item(&self, code: &str) -> Option<&ItemCase> {
        self.items.iter().find(|i| i.code == code)
    }
    pub(crate) fn item_mut(&mut self, code: &str) -> Option<&mut ItemCase> {
        self.items.iter_mut().find(|i| i.code == code)
    }
    /// The stage currently open, if any.
    pub fn open_stage(&self) -> Option<usize> {
        self.stages
            .iter()
            .position(|s| s.status == StageStatus::Open)
    }
}
