//! The limit clock: counted working days, deadlines and warning lights.
//!
//! Convention: counting starts at 受理; the first working day after the
//! acceptance date is day 1. 补正 (pause rule) and 特别程序 intervals exclude
//! the working days in `(start, end]`: the day a pause starts still counts,
//! the day it ends does not, counting resumes the next working day.

use crate::calendar::Calendar;
use crate::error::WorkflowError;
use crate::model::ItemClock;
use chrono::{DateTime, Days, FixedOffset, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};

/// UTC+08:00 (Asia/Shanghai has no DST since 1991).
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("8h is a valid offset")
}

/// The calendar date of an instant in China.
pub fn local_date(t: DateTime<FixedOffset>) -> NaiveDate {
    t.with_timezone(&china_offset()).date_naive()
}

/// 00:00 China time on `d`.
pub fn start_of_day(d: NaiveDate) -> DateTime<FixedOffset> {
    china_offset()
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .expect("fixed offsets are unambiguous")
}

/// Working days counted on the clock up to and including `today`
/// (or the day the clock stopped, whichever is earlier).
pub fn counted_days(
    clock: &ItemClock,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<i64, WorkflowError> {
    let Some(base) = clock.baseline else {
        return Ok(0);
    };
    let end = clock.stopped_on.map_or(today, |s| s.min(today));
    let mut n = 0;
    let mut d = base;
    while d < end {
        d = d + Days::new(1);
        if cal.is_working_day(d)? && !clock.excluded.iter().any(|i| i.contains(d)) {
            n += 1;
        }
    }
    Ok(n)
}

/// The last day of the limit (incl. approved extensions); `None` before
/// acceptance or while a pause is open (the deadline is not known then).
pub fn deadline(clock: &ItemClock, cal: &Calendar) -> Result<Option<NaiveDate>, WorkflowError> {
    let Some(base) = clock.baseline else {
        return Ok(None);
    };
    if clock.paused() {
        return Ok(None);
    }
    let mut left = clock.total_limit();
    let mut d = base;
    while left > 0 {
        d = d + Days::new(1);
        if cal.is_working_day(d)? && !clock.excluded.iter().any(|i| i.contains(d)) {
            left -= 1;
        }
    }
    Ok(Some(d))
}

/// Working days left on `today` (negative when overdue).
pub fn remaining_days(
    clock: &ItemClock,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<i64, WorkflowError> {
    Ok(i64::from(clock.total_limit()) - counted_days(clock, cal, today)?)
}

/// 红黄灯 warning light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningLevel {
    Green,
    /// 黄灯: close to the limit
    Yellow,
    /// 红灯: overdue
    Red,
}

/// Yellow when `remaining ≤ max(2, ⌈share × limit⌉)`, red when `remaining < 0`
/// (the deadline day itself is still yellow, not overdue).
pub fn warning_level(remaining: i64, limit_wd: u32, share: f64) -> WarningLevel {
    if remaining < 0 {
        return WarningLevel::Red;
    }
    // ceil on a small non-negative product; the cast cannot overflow for sane limits.
    let threshold = ((share * f64::from(limit_wd)).ceil() as i64).max(2);
    if remaining <= threshold {
        WarningLevel::Yellow
    } else {
        WarningLevel::Green
    }
}

/// Warning light of an item on `today`: `None` unless its clock is running
/// (not yet accepted, paused in 补正/特别程序, or ended).
pub fn item_warning(
    item: &crate::model::ItemCase,
    cal: &Calendar,
    today: NaiveDate,
    share: f64,
) -> Result<Option<WarningLevel>, WorkflowError> {
    if !item.state.clock_running() {
        return Ok(None);
    }
    let left = remaining_days(&item.clock, cal, today)?;
    Ok(Some(warning_level(left, item.clock.total_limit(), share)))
}
