//! # zhishen-workflow: the approval-workflow domain (工程建设项目审批)
//!
//! Pure domain logic, no IO: callers pass in TOML text and the current time.
//!
//! ## Model
//!
//! - **Definitions** ([`Definitions`]) are versioned data a case is pinned to:
//!   the item catalogue 事项清单 ([`Catalogue`]: department, legal basis,
//!   statutory and promised limits in working days, materials with their
//!   容缺 / 告知承诺 flags, BIM review, licence type, 补正 clock rule), the
//!   process ([`ProcessDef`]: the four stages 立项用地规划许可 → 工程建设许可 →
//!   施工许可 → 竣工验收, each with a lead department 牵头部门, parallel items,
//!   prerequisites, milestones and a join rule) and the working-day calendar
//!   ([`Calendar`]: holidays and 调休 make-up days per year, region-scoped).
//!   A [`Case`] records the three versions at creation; `decide` refuses any
//!   other definitions (`definitions_mismatch`).
//! - **Cases** hold stages and item instances. Items move through the national
//!   state codes ([`StateCode`], 1 收件 … 15 撤销) as a typed [`ItemState`].
//!   A stage joins when all its required (or milestone) items are 办结 with
//!   通过 / 容缺通过; the next stage opens at once. A required item ending any
//!   other way fails the stage and terminates the case.
//! - **Commands → events.** [`decide`] checks a [`Command`] against the case,
//!   the actor's role and department and the definitions, and returns past-tense
//!   [`Event`]s or a [`Refusal`] (code + Chinese and English reason). [`apply`]
//!   folds events into the case; it is total and deterministic, so replaying the
//!   stored events rebuilds the projection.
//! - **Clock** ([`clock`]): counting starts at 受理 and the first working day
//!   after the acceptance date is day 1. 特别程序 intervals are excluded; a 补正
//!   after acceptance either pauses the clock (interval excluded) or restarts it
//!   from the day the supplement is complete, per catalogue item, and the event
//!   records which rule applied. Extensions count only once a department head
//!   approves them. Warning lights are a pure function of the days left.
//! - **Timers** ([`timers`]) are derived from the case after each event: 视为受理
//!   5 working days after 收件 without 一次告知 (行政许可法 Art. 32), the 容缺
//!   deadline, the 告知承诺 核查 date and the overdue (红灯) date. The store fires
//!   them with [`Command::FireTimer`]; firing early or a disarmed timer is refused.
//! - **容缺 vs 告知承诺.** A 容缺受理 accepts with 容缺-allowed materials missing and
//!   sets a supply deadline; when it passes, a `rongque_overdue` event flags the item
//!   and notifies the supervisor, and conclusion is blocked until the material
//!   arrives (catalogue `rongque_overdue = "block"`), or an already granted
//!   容缺通过 is revoked (`"revoke"`). A 容缺通过 licence is withheld until the
//!   material arrives. 告知承诺 replaces materials with a written commitment; an
//!   approval that relied on one arms a 履诺核查 timer, and a breach found by the
//!   check revokes the approval.
//! - **Metrics** ([`metrics()`]) give durations per item, stage and department,
//!   the overdue rate, counts by state code and 好差评 ratings.
//!
//! TOML formats are documented in `docs/workflow.md`.

pub mod calendar;
pub mod catalogue;
pub mod clock;
pub mod command;
pub mod credit;
pub mod demo;
mod engine;
pub mod error;
pub mod ids;
pub mod kinds;
pub mod materials;
pub mod metrics;
pub mod model;
pub mod process;
pub mod risk;
pub mod simulate;
pub mod supervision;
pub mod timers;

pub use calendar::{parse_iso_date, Calendar};
pub use catalogue::{
    Catalogue, ClockRule, IdsGate, ItemDef, MaterialDef, MaterialKind, RongqueOverdueAction,
    StageKind,
};
/// Re-exported so callers use the same chrono as the domain types.
pub use chrono;
pub use clock::{warning_level, WarningLevel};
pub use command::{Actor, Command, Event, Refusal, Role};
pub use credit::{CaseCredit, CreditRules, Grade};
pub use engine::{apply, decide};
pub use error::WorkflowError;
pub use ids::{CaseId, EnterpriseId, IdError, ItemCode, RequestId, Sha256};
pub use kinds::{EventKind, UnknownKind};
pub use materials::{Attachment, MaterialLine, MaterialStatus};
pub use metrics::{metrics, Metrics};
pub use model::{
    Case, CaseStatus, Finding, FindingStatus, FindingsDiff, ItemCase, ItemState, Outcome,
    RatingLevel, SpecialKind, StageStatus, StateCode,
};
pub use process::{Definitions, JoinRule, ProcessDef, StageDef, StageItem};
pub use timers::{timers, Timer, TimerKind};
