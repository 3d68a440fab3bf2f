//! Supervision metrics 效能指标 computed from case projections.
//!
//! Durations are in working days under the given calendar:
//! - `mean_wd`: from 受理 to 办结, **excluding** 特别程序 time and **including**
//!   补正 time (the applicant-visible duration, 平均办结时长);
//! - `mean_counted_wd`: the limit clock's own count (also excludes paused 补正
//!   intervals; for a restart-rule item only the days since the restart).
//!
//! Stage duration: from the stage opening to its join, excluding days on which
//! any item of the stage was in 特别程序.

use crate::calendar::Calendar;
use crate::catalogue::StageKind;
use crate::clock::{counted_days, remaining_days, warning_level, WarningLevel};
use crate::error::WorkflowError;
use crate::model::{Case, ItemCase, ItemFlag, ItemState, RatingLevel, StageStatus, StateCode};
use chrono::{Days, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;

/// Yellow-light share used by `metrics` for open items (process default).
pub const DEFAULT_WARNING_SHARE: f64 = 0.2;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DurationStat {
    pub count: u64,
    pub mean_wd: f64,
    pub mean_counted_wd: f64,
    #[serde(skip)]
    sum: i64,
    #[serde(skip)]
    sum_counted: i64,
}

impl DurationStat {
    fn add(&mut self, wd: i64, counted: i64) {
        self.count += 1;
        self.sum += wd;
        self.sum_counted += counted;
        self.mean_wd = self.sum as f64 / self.count as f64;
        self.mean_counted_wd = self.sum_counted as f64 / self.count as f64;
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateCount {
    pub code: u8,
    pub name_zh: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRating {
    pub case_id: String,
    pub score: u8,
    pub level: RatingLevel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LevelCount {
    pub score: u8,
    pub level: RatingLevel,
    pub name_zh: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub today: NaiveDate,
    pub calendar_version: String,
    /// `mean_wd` includes 补正 time (true); 特别程序 time is always excluded.
    pub supplement_time_included: bool,
    pub items_concluded: u64,
    /// Concluded items whose counted days exceeded the limit (incl. extensions).
    pub items_overdue: u64,
    /// overdue ÷ concluded; None when nothing is concluded.
    pub overdue_rate: Option<f64>,
    /// Opened stages that have a stage limit 阶段时限.
    pub stages_with_limit: u64,
    /// Of those: flagged overdue, joined after the limit, or open past their
    /// deadline today (阶段超期).
    pub stages_overdue: u64,
    /// stages_overdue ÷ stages_with_limit; None when there are none.
    pub stage_overdue_rate: Option<f64>,
    pub by_item: BTreeMap<String, DurationStat>,
    pub by_stage: BTreeMap<StageKind, DurationStat>,
    pub by_department: BTreeMap<String, DurationStat>,
    /// Items by current national state code (items not yet received are left out).
    pub counts_by_state: Vec<StateCount>,
    /// Warning lights of items whose clock is running today.
    pub open_warnings: BTreeMap<WarningLevel, u64>,
    pub ratings: Vec<CaseRating>,
    pub rating_distribution: Vec<LevelCount>,
    pub rating_mean: Option<f64>,
    /// 不满意 and 非常不满意 ratings (to be rectified within 15 working days).
    pub bad_ratings: u64,
    /// Cases or items that could not be measured (e.g. a date outside the calendar).
    pub errors: Vec<String>,
}

fn special_days(it: &ItemCase, cal: &Calendar, end: NaiveDate) -> Result<i64, WorkflowError> {
    let mut n = 0;
    for s in &it.specials {
        let to = s.to.unwrap_or(end).min(end);
        if to > s.from {
            n += cal.working_days_between(s.from, to)?;
        }
    }
    Ok(n)
}

pub(crate) fn item_duration(
    it: &ItemCase,
    cal: &Calendar,
) -> Result<Option<(i64, i64)>, WorkflowError> {
    let (Some(acc), Some(end)) = (it.accepted_on, it.concluded_on) else {
        return Ok(None);
    };
    let wd = cal.working_days_between(acc, end)? - special_days(it, cal, end)?;
    let counted = counted_days(&it.clock, cal, end)?;
    Ok(Some((wd, counted)))
}

pub(crate) fn stage_duration(
    case: &Case,
    si: usize,
    cal: &Calendar,
) -> Result<Option<i64>, WorkflowError> {
    let s = &case.stages[si];
    let (Some(from), Some(to), StageStatus::Joined) = (s.opened_on, s.joined_on, s.status) else {
        return Ok(None);
    };
    let specials: Vec<_> = case
        .items
        .iter()
        .filter(|i| i.stage == si)
        .flat_map(|i| i.specials.iter())
        .collect();
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = d + Days::new(1);
        let in_special = specials
            .iter()
            .any(|sp| d > sp.from && sp.to.is_none_or(|t| d <= t));
        if cal.is_working_day(d)? && !in_special {
            n += 1;
        }
    }
    Ok(Some(n))
}

/// Compute the metrics of `cases` as of `today`.
pub fn metrics(cases: &[Case], today: NaiveDate, cal: &Calendar) -> Metrics {
    let mut m = Metrics {
        today,
        calendar_version: cal.version().to_string(),
        supplement_time_included: true,
        items_concluded: 0,
        items_overdue: 0,
        overdue_rate: None,
        stages_with_limit: 0,
        stages_overdue: 0,
        stage_overdue_rate: None,
        by_item: BTreeMap::new(),
        by_stage: BTreeMap::new(),
        by_department: BTreeMap::new(),
        counts_by_state: Vec::new(),
        open_warnings: BTreeMap::new(),
        ratings: Vec::new(),
        rating_distribution: Vec::new(),
        rating_mean: None,
        bad_ratings: 0,
        errors: Vec::new(),
    };
    let mut states: BTreeMap<StateCode, u64> = BTreeMap::new();
    let mut levels: BTreeMap<RatingLevel, u64> = BTreeMap::new();
    for case in cases {
        for it in &case.items {
            if let Some(code) = it.state.code() {
                *states.entry(code).or_default() += 1;
            }
            if it.state.clock_running() {
                match remaining_days(&it.clock, cal, today) {
                    Ok(r) => {
                        let w = warning_level(r, it.clock.total_limit(), DEFAULT_WARNING_SHARE);
                        *m.open_warnings.entry(w).or_default() += 1;
                    }
                    Err(e) => m
                        .errors
                        .push(format!("case {} item {}: {e}", case.id, it.code)),
                }
            }
            let concluded = matches!(it.state, ItemState::Concluded { .. } | ItemState::Revoked)
                && it.concluded_on.is_some();
            if !concluded {
                continue;
            }
            match item_duration(it, cal) {
                Ok(Some((wd, counted))) => {
                    m.items_concluded += 1;
                    if counted > i64::from(it.clock.total_limit())
                        || it.flags.contains(&ItemFlag::Overdue)
                    {
                        m.items_overdue += 1;
                    }
                    m.by_item
                        .entry(it.code.clone())
                        .or_default()
                        .add(wd, counted);
                    m.by_department
                        .entry(it.department.clone())
                        .or_default()
                        .add(wd, counted);
                }
                Ok(None) => {}
                Err(e) => m
                    .errors
                    .push(format!("case {} item {}: {e}", case.id, it.code)),
            }
        }
        for si in 0..case.stages.len() {
            let s = &case.stages[si];
            let limit = s.limit_wd.filter(|_| s.opened_on.is_some());
            if limit.is_some() {
                m.stages_with_limit += 1;
            }
            let open_late = s.status == StageStatus::Open && s.deadline.is_some_and(|d| d < today);
            match stage_duration(case, si, cal) {
                Ok(Some(wd)) => {
                    if s.overdue || limit.is_some_and(|l| wd > i64::from(l)) {
                        m.stages_overdue += 1;
                    }
                    m.by_stage.entry(s.kind).or_default().add(wd, wd)
                }
                Ok(None) => {
                    if limit.is_some() && (s.overdue || open_late) {
                        m.stages_overdue += 1;
                    }
                }
                Err(e) => m
                    .errors
                    .push(format!("case {} stage {}: {e}", case.id, si + 1)),
            }
        }
        if let Some(r) = &case.rating {
            m.ratings.push(CaseRating {
                case_id: case.id.clone(),
                score: r.level.score(),
                level: r.level,
            });
            *levels.entry(r.level).or_default() += 1;
            if r.level.is_bad() {
                m.bad_ratings += 1;
            }
        }
    }
    if m.items_concluded > 0 {
        m.overdue_rate = Some(m.items_overdue as f64 / m.items_concluded as f64);
    }
    if m.stages_with_limit > 0 {
        m.stage_overdue_rate = Some(m.stages_overdue as f64 / m.stages_with_limit as f64);
    }
    m.counts_by_state = states
        .into_iter()
        .map(|(c, n)| StateCount {
            code: c.code(),
            name_zh: c.name_zh().to_string(),
            count: n,
        })
        .collect();
    m.rating_distribution = (1..=5)
        .filter_map(RatingLevel::from_score)
        .map(|l| LevelCount {
            score: l.score(),
            level: l,
            name_zh: l.name_zh().to_string(),
            count: levels.get(&l).copied().unwrap_or(0),
        })
        .collect();
    if !m.ratings.is_empty() {
        let sum: u64 = m.ratings.iter().map(|r| u64::from(r.score)).sum();
        m.rating_mean = Some(sum as f64 / m.ratings.len() as f64);
    }
    m
}
