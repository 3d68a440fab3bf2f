//! Commands (what someone asks for), events (what happened) and refusals.

use crate::catalogue::{ClockRule, RongqueOverdueAction, StageKind};
use crate::credit::CaseCredit;
use crate::kinds::EventKind;
use crate::materials::Attachment;
use crate::model::{Finding, FindingsDiff, Licence, Outcome, SpecialKind, StateCode};
use crate::risk::{RiskAssessment, RiskLevel};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

/// Who acts. Reviewers and department heads act only on their department's items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    pub role: Role,
    /// Department id (required for Reviewer and DeptHead).
    pub dept: Option<String>,
    /// 帮办代办: the applicant an agent acts for (the agent's own id is `id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

impl Actor {
    pub fn new(id: &str, role: Role, dept: Option<&str>) -> Actor {
        Actor {
            id: id.to_string(),
            role,
            dept: dept.map(str::to_string),
            on_behalf_of: None,
        }
    }

    /// An agent (代办) acting for an applicant.
    pub fn agent(id: &str, applicant: &str) -> Actor {
        Actor {
            on_behalf_of: Some(applicant.to_string()),
            ..Actor::new(id, Role::Applicant, None)
        }
    }
    /// The timer worker.
    pub fn system() -> Actor {
        Actor::new("system", Role::System, None)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 申请人
    Applicant,
    /// 综合窗口 window clerk
    Clerk,
    /// 部门审查人员
    Reviewer,
    /// 部门负责人: approves extensions, may revoke
    DeptHead,
    /// 效能监察 supervisor: receives 督办 notices, may revoke
    Supervisor,
    /// read-only
    Auditor,
    /// timers
    System,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Clerk => "clerk",
            Role::Reviewer => "reviewer",
            Role::DeptHead => "dept_head",
            Role::Supervisor => "supervisor",
            Role::Auditor => "auditor",
            Role::System => "system",
        }
    }
}

/// A request to change a case. `decide` turns it into events or a `Refusal`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// Open a case pinned to the given definitions; the first stage opens.
    CreateCase {
        case_id: String,
        project_code: String,
        project_name: String,
        /// Actor id of the applicant.
        applicant: String,
    },
    /// 收件: materials handed in for one item (state 1).
    Submit {
        item: String,
        materials: Vec<String>,
        /// Materials replaced by a 告知承诺书.
        #[serde(default)]
        commitments: Vec<String>,
    },
    /// 受理 (3). Missing 容缺-allowed materials make it a 容缺受理.
    Accept { item: String },
    /// 不受理 (4).
    Reject { item: String, reason: String },
    /// 补正 start (6). Before 受理 it is the single 一次告知 notice.
    RequestSupplement {
        item: String,
        materials: Vec<String>,
        note: String,
    },
    /// 补正 end (7): the requested materials arrived.
    SupplementDone {
        item: String,
        materials: Vec<String>,
    },
    /// A material's file (or a licence reference 电子证照复用) on record for an item.
    AttachMaterial {
        item: String,
        material: String,
        attachment: Attachment,
    },
    /// Outstanding 容缺 materials handed in (no state change).
    SupplyMaterials {
        item: String,
        materials: Vec<String>,
    },
    /// 部门办理 (8).
    StartProcessing { item: String },
    /// 特别程序 start (9); its time is not counted (Art. 45).
    StartSpecial {
        item: String,
        kind: SpecialKind,
        reason: String,
        /// Expected duration told to the applicant, working days.
        limit_wd: Option<u32>,
    },
    /// 特别程序 end (10).
    EndSpecial { item: String, result: String },
    /// Reviewer asks for more time (Art. 42 +10); no effect until approved.
    RequestExtension {
        item: String,
        days: u32,
        reason: String,
    },
    /// Department head decides on the pending extension.
    ApproveExtension { item: String, approved: bool },
    /// Attach a BIM/GIS machine review report to an item.
    RecordReview {
        item: String,
        report_sha256: String,
        findings: Vec<Finding>,
    },
    /// 办结 (11/12/13).
    Conclude {
        item: String,
        outcome: Outcome,
        opinion: String,
    },
    /// Applicant withdraws: 撤件 (2) before 受理, 撤回 (14) after.
    Withdraw { item: String, reason: String },
    /// 撤销 (15) of a 通过 / 容缺通过 decision.
    Revoke { item: String, reason: String },
    /// Result of a 告知承诺 履诺核查; a breach revokes the approval.
    RecordCheck {
        item: String,
        compliant: bool,
        note: String,
    },
    /// 好差评, score 1 (非常不满意) ..= 5 (非常满意), once, after the case ended.
    Rate { score: u8, comment: String },
    /// Sent by the timer worker when a timer from `timers()` is due.
    FireTimer { timer_id: String },
    /// 信用等级适用: records the applicant's credit standing on the case
    /// (system or supervisor); later 告知承诺, 容缺受理 and 通过 honour it.
    ApplyCredit { credit: CaseCredit },
    /// The risk sweep records a case's changed assessment 风险预警 (system only).
    RecordRisk { assessment: RiskAssessment },
}

impl Command {
    pub fn kind(&self) -> &'static str {
        match self {
            Command::CreateCase { .. } => "create_case",
            Command::Submit { .. } => "submit",
            Command::Accept { .. } => "accept",
            Command::Reject { .. } => "reject",
            Command::RequestSupplement { .. } => "request_supplement",
            Command::SupplementDone { .. } => "supplement_done",
            Command::SupplyMaterials { .. } => "supply_materials",
            Command::AttachMaterial { .. } => "attach_material",
            Command::StartProcessing { .. } => "start_processing",
            Command::StartSpecial { .. } => "start_special",
            Command::EndSpecial { .. } => "end_special",
            Command::RequestExtension { .. } => "request_extension",
            Command::ApproveExtension { .. } => "approve_extension",
            Command::RecordReview { .. } => "record_review",
            Command::Conclude { .. } => "conclude",
            Command::Withdraw { .. } => "withdraw",
            Command::Revoke { .. } => "revoke",
            Command::RecordCheck { .. } => "record_check",
            Command::Rate { .. } => "rate",
            Command::FireTimer { .. } => "fire_timer",
            Command::ApplyCredit { .. } => "apply_credit",
            Command::RecordRisk { .. } => "record_risk",
        }
    }

    /// The item the command addresses, if any.
    pub fn item(&self) -> Option<&str> {
        match self {
            Command::Submit { item, .. }
            | Command::Accept { item }
            | Command::Reject { item, .. }
            | Command::RequestSupplement { item, .. }
            | Command::SupplementDone { item, .. }
            | Command::SupplyMaterials { item, .. }
            | Command::AttachMaterial { item, .. }
            | Command::StartProcessing { item }
            | Command::StartSpecial { item, .. }
            | Command::EndSpecial { item, .. }
            | Command::RequestExtension { item, .. }
            | Command::ApproveExtension { item, .. }
            | Command::RecordReview { item, .. }
            | Command::Conclude { item, .. }
            | Command::Withdraw { item, .. }
            | Command::Revoke { item, .. }
            | Command::RecordCheck { item, .. } => Some(item),
            Command::CreateCase { .. }
            | Command::Rate { .. }
            | Command::FireTimer { .. }
            | Command::ApplyCredit { .. }
            | Command::RecordRisk { .. } => None,
        }
    }
}

/// Something that happened to a case. Past tense; serialised with `type` = `kind()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    CaseCreated {
        case_id: String,
        project_code: String,
        project_name: String,
        applicant: String,
        process_id: String,
        process_version: String,
        catalogue_id: String,
        catalogue_version: String,
        calendar_version: String,
        at: DateTime<FixedOffset>,
    },
    StageOpened {
        stage: usize,
        kind: StageKind,
        at: DateTime<FixedOffset>,
    },
    StageJoined {
        stage: usize,
        kind: StageKind,
        at: DateTime<FixedOffset>,
    },
    /// The open stage passed its limit (阶段超期): a supervision 红灯.
    StageOverdue {
        stage: usize,
        kind: StageKind,
        deadline: NaiveDate,
        at: DateTime<FixedOffset>,
    },
    /// A required (or milestone) item ended without 通过; the stage cannot join.
    StageFailed {
        stage: usize,
        kind: StageKind,
        item: String,
        at: DateTime<FixedOffset>,
    },
    CaseCompleted {
        at: DateTime<FixedOffset>,
    },
    CaseTerminated {
        reason: String,
        at: DateTime<FixedOffset>,
    },
    ItemReceived {
        item: String,
        materials: Vec<String>,
        commitments: Vec<String>,
        at: DateTime<FixedOffset>,
    },
    ItemCancelled {
        item: String,
        reason: String,
        at: DateTime<FixedOffset>,
    },
    ItemAccepted {
        item: String,
        /// Clock baseline; for 视为受理 the day the materials were received (Art. 32).
        accepted_on: NaiveDate,
        /// 视为受理 by the acceptance timer.
        deemed: bool,
        /// 容缺 materials accepted as missing.
        rongque_missing: Vec<String>,
        rongque_due: Option<NaiveDate>,
        at: DateTime<FixedOffset>,
    },
    ItemNotAccepted {
        item: String,
        reason: String,
        at: DateTime<FixedOffset>,
    },
    SupplementRequested {
        item: String,
        materials: Vec<String>,
        note: String,
        /// 一次告知 before 受理 (the clock has not started).
        before_acceptance: bool,
        at: DateTime<FixedOffset>,
    },
    SupplementCompleted {
        item: String,
        materials: Vec<String>,
        /// The clock rule applied (None before 受理).
        rule: Option<ClockRule>,
        at: DateTime<FixedOffset>,
    },
    MaterialsSupplied {
        item: String,
        materials: Vec<String>,
        /// Every outstanding 容缺 material is now in.
        rongque_complete: bool,
        at: DateTime<FixedOffset>,
    },
    /// The case's risk assessment changed (风险预警); `previous` is the level before.
    RiskChanged {
        previous: RiskLevel,
        assessment: RiskAssessment,
        at: DateTime<FixedOffset>,
    },
    /// A material's file, or a licence that satisfies it (电子证照复用), is on record.
    MaterialAttached {
        item: String,
        material: String,
        attachment: Attachment,
        at: DateTime<FixedOffset>,
    },
    ProcessingStarted {
        item: String,
        at: DateTime<FixedOffset>,
    },
    SpecialStarted {
        item: String,
        kind: SpecialKind,
        reason: String,
        limit_wd: Option<u32>,
        at: DateTime<FixedOffset>,
    },
    SpecialEnded {
        item: String,
        result: String,
        at: DateTime<FixedOffset>,
    },
    ExtensionRequested {
        item: String,
        days: u32,
        reason: String,
        at: DateTime<FixedOffset>,
    },
    ExtensionApproved {
        item: String,
        days: u32,
        at: DateTime<FixedOffset>,
    },
    ExtensionDenied {
        item: String,
        at: DateTime<FixedOffset>,
    },
    ReviewRecorded {
        item: String,
        report_sha256: String,
        findings: Vec<Finding>,
        /// Difference to the item's previous review (absent for the first one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        diff: Option<FindingsDiff>,
        at: DateTime<FixedOffset>,
    },
    ItemConcluded {
        item: String,
        outcome: Outcome,
        opinion: String,
        licence: Option<Licence>,
        /// 告知承诺 核查 due date when the approval relied on commitments.
        commitment_check_due: Option<NaiveDate>,
        at: DateTime<FixedOffset>,
    },
    ItemWithdrawn {
        item: String,
        reason: String,
        at: DateTime<FixedOffset>,
    },
    ItemRevoked {
        item: String,
        reason: String,
        at: DateTime<FixedOffset>,
    },
    /// 容缺逾期: the 容缺 deadline passed without the material; supervisor notified.
    RongqueOverdue {
        item: String,
        missing: Vec<String>,
        action: RongqueOverdueAction,
        at: DateTime<FixedOffset>,
    },
    /// 超期 (红灯): the limit passed while the item was still open; supervisor notified.
    ItemOverdue {
        item: String,
        deadline: NaiveDate,
        at: DateTime<FixedOffset>,
    },
    /// 告知承诺 履诺核查 is due.
    CommitmentCheckDue {
        item: String,
        at: DateTime<FixedOffset>,
    },
    CommitmentChecked {
        item: String,
        compliant: bool,
        note: String,
        at: DateTime<FixedOffset>,
    },
    Rated {
        score: u8,
        comment: String,
        at: DateTime<FixedOffset>,
    },
    /// 信用等级适用: the applicant's credit standing now governs the case.
    CreditApplied {
        credit: CaseCredit,
        at: DateTime<FixedOffset>,
    },
}

impl Event {
    /// Stable snake_case name stored with the event.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::CaseCreated { .. } => EventKind::CaseCreated,
            Event::StageOpened { .. } => EventKind::StageOpened,
            Event::StageJoined { .. } => EventKind::StageJoined,
            Event::StageFailed { .. } => EventKind::StageFailed,
            Event::StageOverdue { .. } => EventKind::StageOverdue,
            Event::CaseCompleted { .. } => EventKind::CaseCompleted,
            Event::CaseTerminated { .. } => EventKind::CaseTerminated,
            Event::ItemReceived { .. } => EventKind::ItemReceived,
            Event::ItemCancelled { .. } => EventKind::ItemCancelled,
            Event::ItemAccepted { .. } => EventKind::ItemAccepted,
            Event::ItemNotAccepted { .. } => EventKind::ItemNotAccepted,
            Event::SupplementRequested { .. } => EventKind::SupplementRequested,
            Event::SupplementCompleted { .. } => EventKind::SupplementCompleted,
            Event::MaterialsSupplied { .. } => EventKind::MaterialsSupplied,
            Event::MaterialAttached { .. } => EventKind::MaterialAttached,
            Event::RiskChanged { .. } => EventKind::RiskChanged,
            Event::ProcessingStarted { .. } => EventKind::ProcessingStarted,
            Event::SpecialStarted { .. } => EventKind::SpecialStarted,
            Event::SpecialEnded { .. } => EventKind::SpecialEnded,
            Event::ExtensionRequested { .. } => EventKind::ExtensionRequested,
            Event::ExtensionApproved { .. } => EventKind::ExtensionApproved,
            Event::ExtensionDenied { .. } => EventKind::ExtensionDenied,
            Event::ReviewRecorded { .. } => EventKind::ReviewRecorded,
            Event::ItemConcluded { .. } => EventKind::ItemConcluded,
            Event::ItemWithdrawn { .. } => EventKind::ItemWithdrawn,
            Event::ItemRevoked { .. } => EventKind::ItemRevoked,
            Event::RongqueOverdue { .. } => EventKind::RongqueOverdue,
            Event::ItemOverdue { .. } => EventKind::ItemOverdue,
            Event::CommitmentCheckDue { .. } => EventKind::CommitmentCheckDue,
            Event::CommitmentChecked { .. } => EventKind::CommitmentChecked,
            Event::Rated { .. } => EventKind::Rated,
            Event::CreditApplied { .. } => EventKind::CreditApplied,
        }
    }

    pub fn at(&self) -> DateTime<FixedOffset> {
        match self {
            Event::CaseCreated { at, .. }
            | Event::StageOpened { at, .. }
            | Event::StageJoined { at, .. }
            | Event::StageFailed { at, .. }
            | Event::StageOverdue { at, .. }
            | Event::CaseCompleted { at }
            | Event::CaseTerminated { at, .. }
            | Event::ItemReceived { at, .. }
            | Event::ItemCancelled { at, .. }
            | Event::ItemAccepted { at, .. }
            | Event::ItemNotAccepted { at, .. }
            | Event::SupplementRequested { at, .. }
            | Event::SupplementCompleted { at, .. }
            | Event::MaterialsSupplied { at, .. }
            | Event::MaterialAttached { at, .. }
            | Event::RiskChanged { at, .. }
            | Event::ProcessingStarted { at, .. }
            | Event::SpecialStarted { at, .. }
            | Event::SpecialEnded { at, .. }
            | Event::ExtensionRequested { at, .. }
            | Event::ExtensionApproved { at, .. }
            | Event::ExtensionDenied { at, .. }
            | Event::ReviewRecorded { at, .. }
            | Event::ItemConcluded { at, .. }
            | Event::ItemWithdrawn { at, .. }
            | Event::ItemRevoked { at, .. }
            | Event::RongqueOverdue { at, .. }
            | Event::ItemOverdue { at, .. }
            | Event::CommitmentCheckDue { at, .. }
            | Event::CommitmentChecked { at, .. }
            | Event::Rated { at, .. }
            | Event::CreditApplied { at, .. } => *at,
        }
    }

    /// The item the event concerns, if any.
    pub fn item(&self) -> Option<&str> {
        match self {
            Event::ItemReceived { item, .. }
            | Event::ItemCancelled { item, .. }
            | Event::ItemAccepted { item, .. }
            | Event::ItemNotAccepted { item, .. }
            | Event::SupplementRequested { item, .. }
            | Event::SupplementCompleted { item, .. }
            | Event::MaterialsSupplied { item, .. }
            | Event::MaterialAttached { item, .. }
            | Event::ProcessingStarted { item, .. }
            | Event::SpecialStarted { item, .. }
            | Event::SpecialEnded { item, .. }
            | Event::ExtensionRequested { item, .. }
            | Event::ExtensionApproved { item, .. }
            | Event::ExtensionDenied { item, .. }
            | Event::ReviewRecorded { item, .. }
            | Event::ItemConcluded { item, .. }
            | Event::ItemWithdrawn { item, .. }
            | Event::ItemRevoked { item, .. }
            | Event::RongqueOverdue { item, .. }
            | Event::ItemOverdue { item, .. }
            | Event::CommitmentCheckDue { item, .. }
            | Event::CommitmentChecked { item, .. }
            | Event::StageFailed { item, .. } => Some(item),
            Event::CaseCreated { .. }
            | Event::StageOpened { .. }
            | Event::StageJoined { .. }
            | Event::StageOverdue { .. }
            | Event::CaseCompleted { .. }
            | Event::CaseTerminated { .. }
            | Event::Rated { .. }
            | Event::CreditApplied { .. }
            | Event::RiskChanged { .. } => None,
        }
    }

    /// The national state code this event reports for its item (BLZT), if any.
    pub fn state_code(&self) -> Option<StateCode> {
        Some(match self {
            Event::ItemReceived { .. } => StateCode::Received,
            Event::ItemCancelled { .. } => StateCode::Cancelled,
            Event::ItemAccepted { .. } => StateCode::Accepted,
            Event::ItemNotAccepted { .. } => StateCode::NotAccepted,
            Event::SupplementRequested { .. } => StateCode::SupplementStarted,
            Event::SupplementCompleted { .. } => StateCode::SupplementEnded,
            Event::ProcessingStarted { .. } => StateCode::Processing,
            Event::SpecialStarted { .. } => StateCode::SpecialStarted,
            Event::SpecialEnded { .. } => StateCode::SpecialEnded,
            Event::ItemConcluded { outcome, .. } => outcome.state_code(),
            Event::ItemWithdrawn { .. } => StateCode::Withdrawn,
            Event::ItemRevoked { .. } => StateCode::Revoked,
            _ => return None,
        })
    }
}

/// Why a command is illegal: a stable code plus Chinese and English reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: &'static str,
    pub message_zh: String,
    pub message_en: String,
}

impl Refusal {
    pub fn new(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message_zh: zh.into(),
            message_en: en.into(),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {} / {}",
            self.code, self.message_zh, self.message_en
        )
    }
}

impl std::error::Error for Refusal {}
