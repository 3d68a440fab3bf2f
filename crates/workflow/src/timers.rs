//! Armed timers of a case. The store persists them; when one is due its
//! worker sends `Command::FireTimer`, so the firing is itself an audited event.

use crate::clock::start_of_day;
use crate::model::{Case, CheckStatus, ItemState, StageStatus};
use chrono::{DateTime, Days, FixedOffset};
use serde::{Deserialize, Serialize};

pub use crate::kinds::TimerKind;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// `<kind>:<item>` or `stage_overdue:<stage index>`; stable while the
    /// timer stays armed, its `due` may move.
    pub id: String,
    pub item: Option<String>,
    /// The stage a stage timer guards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<usize>,
    pub kind: TimerKind,
    pub due: DateTime<FixedOffset>,
}

fn timer(kind: TimerKind, item: &str, due: DateTime<FixedOffset>) -> Timer {
    Timer {
        id: format!("{}:{item}", kind.as_str()),
        item: Some(item.to_string()),
        stage: None,
        kind,
        due,
    }
}

/// Timers armed after the latest event of `case`. A date-based timer fires at
/// 00:00 China time on the first day after the period it guards.
pub fn timers(case: &Case) -> Vec<Timer> {
    let mut out = Vec::new();
    for it in &case.items {
        if it.state == ItemState::Received {
            if let Some(last) = it.acceptance_due {
                out.push(timer(
                    TimerKind::AutoAccept,
                    &it.code,
                    start_of_day(last + Days::new(1)),
                ));
            }
        }
        let open = !matches!(
            it.state,
            ItemState::Cancelled
                | ItemState::NotAccepted
                | ItemState::Withdrawn
                | ItemState::Revoked
                | ItemState::Concluded {
                    outcome: crate::model::Outcome::Fail
                }
        );
        if let Some(r) = &it.rongque {
            if open && !r.overdue && !r.missing.is_empty() {
                out.push(timer(
                    TimerKind::RongqueDue,
                    &it.code,
                    start_of_day(r.due + Days::new(1)),
                ));
            }
        }
        if let Some(c) = &it.commitment_check {
            if c.status == CheckStatus::Armed && it.state.is_passed() {
                out.push(timer(
                    TimerKind::CommitmentCheck,
                    &it.code,
                    start_of_day(c.due),
                ));
            }
        }
        if it.state.clock_running() && !it.flags.contains(&crate::model::ItemFlag::Overdue) {
            if let Some(d) = it.deadline {
                out.push(timer(
                    TimerKind::Overdue,
                    &it.code,
                    start_of_day(d + Days::new(1)),
                ));
            }
        }
    }
    for (si, s) in case.stages.iter().enumerate() {
        if s.status == StageStatus::Open && !s.overdue {
            if let Some(d) = s.deadline {
                out.push(Timer {
                    id: format!("{}:{si}", TimerKind::StageOverdue.as_str()),
                    item: None,
                    stage: Some(si),
                    kind: TimerKind::StageOverdue,
                    due: start_of_day(d + Days::new(1)),
                });
            }
        }
    }
    out
}
