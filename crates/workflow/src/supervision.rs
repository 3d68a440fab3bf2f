//! Supervision report 效能监督报告 (issue 12 item 7), pure.
//!
//! Why a second module beside [`crate::metrics`]: `metrics` is the live dashboard
//! (everything, as of today); the supervision report is for a period, is compared
//! with the previous period of the same length, and measures against the
//! catalogue's statutory and promised limits, with the red and yellow lists a
//! supervisor acts on. Durations are computed exactly as `metrics` does
//! (`item_duration`, `stage_duration`), so both agree.
//!
//! Definitions (also in `docs/supervision.md`):
//! - an **item** belongs to the period when its 办结 date (`concluded_on`) lies in
//!   `[from, to]`; a **stage** when its join date does;
//! - item duration: 受理 → 办结 in working days of the calendar, without 特别程序
//!   time, with 补正 time; stage duration: opening → join without 特别程序 days;
//! - **overdue**: the clock's own count exceeded the promised limit plus approved
//!   extensions, or the overdue timer fired (as `metrics`);
//! - **补正 rate**: items of the period with at least one 补正 ÷ items of the period;
//! - **percentile**: nearest rank — the p-th percentile of n ascending values is
//!   the value at rank ⌈p/100 × n⌉ (1-based); none for n = 0;
//! - **lights**: items whose clock is running now, lit as of `to` with the
//!   process's share (0.2); red also lists items of the period that were overdue;
//! - **ratings** (好差评): ratings given in the period, by level;
//! - **departments** ranked by overdue rate, then mean duration, then id;
//! - **risk**: the distribution of the cases' recorded 风险预警 levels (the last
//!   `risk_changed` of each case, `none` before any); [`case_light_levels`] and
//!   [`RiskDistribution::of`] give the same shape over any other per-case level.

use crate::calendar::Calendar;
use crate::catalogue::{Catalogue, StageKind};
use crate::clock::{remaining_days, warning_level, WarningLevel};
use crate::metrics::{item_duration, stage_duration, DEFAULT_WARNING_SHARE};
use crate::model::{Case, ItemCase, ItemFlag, ItemState, RatingLevel, StageStatus};
use crate::risk::RiskLevel;
use chrono::{Days, NaiveDate};
use serde::Serialize;
use std::collections::BTreeMap;

/// The JSON schema id of [`SupervisionReport`].
pub const SCHEMA: &str = "zhishen.supervision/1";

/// A closed range of days `[from, to]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }
    pub fn days(&self) -> u64 {
        (self.to - self.from).num_days().max(0) as u64 + 1
    }
    /// The period of the same number of days ending the day before `from`.
    pub fn previous(&self) -> Period {
        let to = self.from - Days::new(1);
        Period {
            from: to - Days::new(self.days() - 1),
            to,
        }
    }
}

/// Nearest-rank percentile of `sorted` (ascending): the value at rank ⌈p/100 × n⌉.
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len() as u64;
    let rank = (u64::from(p) * n).div_ceil(100).clamp(1, n);
    Some(sorted[(rank - 1) as usize])
}

/// Count, mean and nearest-rank p90 of working-day durations.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Durations {
    pub count: u64,
    pub mean_wd: Option<f64>,
    pub p90_wd: Option<i64>,
}

impl Durations {
    pub fn of(mut v: Vec<i64>) -> Durations {
        v.sort_unstable();
        let sum: i64 = v.iter().sum();
        Durations {
            count: v.len() as u64,
            mean_wd: (!v.is_empty()).then(|| sum as f64 / v.len() as f64),
            p90_wd: nearest_rank(&v, 90),
        }
    }
}

fn rate(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// The headline figures of one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Headline {
    pub items: Durations,
    pub items_overdue: u64,
    pub overdue_rate: Option<f64>,
    pub items_supplemented: u64,
    pub supplement_rate: Option<f64>,
    pub stages: Durations,
    pub ratings: u64,
    pub rating_mean: Option<f64>,
}

/// One stage kind against its limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageRow {
    pub kind: StageKind,
    pub name_zh: String,
    pub durations: Durations,
    /// The process's stage limit (阶段时限), when the stages had one.
    pub limit_wd: Option<u32>,
    /// Stages joined later than their limit.
    pub over_limit: u64,
}

/// One item against its statutory and promised limits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRow {
    pub code: String,
    pub name_zh: String,
    pub department: String,
    pub durations: Durations,
    pub statutory_limit_wd: Option<u32>,
    pub promised_limit_wd: Option<u32>,
    pub overdue: u64,
    pub overdue_rate: Option<f64>,
    pub supplement_rate: Option<f64>,
}

/// One department, ranked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentRow {
    pub rank: u32,
    pub department: String,
    pub name_zh: String,
    pub durations: Durations,
    pub overdue: u64,
    pub overdue_rate: Option<f64>,
    pub supplement_rate: Option<f64>,
}

/// Ratings of the period by level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Satisfaction {
    pub count: u64,
    pub mean: Option<f64>,
    /// Score 5 非常满意 … 1 非常不满意, with counts (all five levels listed).
    pub by_level: Vec<LevelRow>,
    /// 差评 (score ≤ 2), to be rectified.
    pub bad: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelRow {
    pub score: u8,
    pub name_zh: String,
    pub count: u64,
}

/// An item on the red or yellow list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LightEntry {
    pub case_id: String,
    pub project_name: String,
    pub item: String,
    pub department: String,
    pub level: WarningLevel,
    /// Working days left on `to` (negative when overdue); for a concluded item,
    /// the limit minus its counted days.
    pub remaining_wd: i64,
    /// Still running (true) or concluded late in the period (false).
    pub running: bool,
}

/// A distribution over per-case levels, named by where the levels came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskDistribution {
    /// Where the levels came from: `risk_changed` (the recorded 风险预警).
    pub source: String,
    pub cases: u64,
    pub counts: BTreeMap<String, u64>,
}

impl RiskDistribution {
    /// The distribution of `levels` (one per case), from `source`.
    pub fn of<L: ToString>(source: &str, levels: impl IntoIterator<Item = L>) -> RiskDistribution {
        let mut counts = BTreeMap::new();
        let mut cases = 0;
        for l in levels {
            cases += 1;
            *counts.entry(l.to_string()).or_default() += 1;
        }
        RiskDistribution {
            source: source.to_string(),
            cases,
            counts,
        }
    }
}

/// Change from the previous period (this − previous).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Change {
    pub items: i64,
    pub mean_wd: Option<f64>,
    pub p90_wd: Option<i64>,
    pub overdue_rate: Option<f64>,
    pub supplement_rate: Option<f64>,
    pub rating_mean: Option<f64>,
}

/// The report (`zhishen report supervision`); the JSON schema is `docs/supervision.md`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupervisionReport {
    pub schema: &'static str,
    pub period: Period,
    pub previous_period: Period,
    pub region: Option<String>,
    pub calendar_version: String,
    pub catalogue: String,
    pub percentile_method: &'static str,
    pub cases: u64,
    pub headline: Headline,
    pub previous: Headline,
    pub change: Change,
    pub stages: Vec<StageRow>,
    pub items: Vec<ItemRow>,
    pub departments: Vec<DepartmentRow>,
    pub satisfaction: Satisfaction,
    pub red: Vec<LightEntry>,
    pub yellow: Vec<LightEntry>,
    pub risk: RiskDistribution,
    /// Cases or items that could not be measured (a date outside the calendar).
    pub errors: Vec<String>,
}

/// What the report is computed from.
pub struct ReportInput<'a> {
    /// The cases in scope (already filtered by region by the caller).
    pub cases: &'a [Case],
    pub calendar: &'a Calendar,
    pub catalogue: &'a Catalogue,
    pub period: Period,
    pub region: Option<String>,
}

/// One concluded item of a period with its measures.
struct Measured<'a> {
    item: &'a ItemCase,
    wd: i64,
    overdue: bool,
}

#[derive(Default)]
struct Acc {
    wd: Vec<i64>,
    overdue: u64,
    supplemented: u64,
}

impl Acc {
    fn add(&mut self, m: &Measured<'_>) {
        self.wd.push(m.wd);
        self.overdue += u64::from(m.overdue);
        self.supplemented += u64::from(m.item.supplements > 0);
    }
    fn n(&self) -> u64 {
        self.wd.len() as u64
    }
}

fn measured<'a>(
    cases: &'a [Case],
    p: Period,
    cal: &Calendar,
    errors: &mut Vec<String>,
) -> Vec<(&'a Case, Measured<'a>)> {
    let mut out = Vec::new();
    for case in cases {
        for it in &case.items {
            let done = matches!(it.state, ItemState::Concluded { .. } | ItemState::Revoked);
            if !done || !it.concluded_on.is_some_and(|d| p.contains(d)) {
                continue;
            }
            match item_duration(it, cal) {
                Ok(Some((wd, counted))) => {
                    let overdue = counted > i64::from(it.clock.total_limit())
                        || it.flags.contains(&ItemFlag::Overdue);
                    out.push((
                        case,
                        Measured {
                            item: it,
                            wd,
                            overdue,
                        },
                    ));
                }
                Ok(None) => {}
                Err(e) => errors.push(format!("case {} item {}: {e}", case.id, it.code)),
            }
        }
    }
    out
}

/// Stage durations of stages joined in `p`: (kind, wd, limit).
fn stage_rows(
    cases: &[Case],
    p: Period,
    cal: &Calendar,
    errors: &mut Vec<String>,
) -> Vec<(StageKind, i64, Option<u32>)> {
    let mut out = Vec::new();
    for case in cases {
        for (si, s) in case.stages.iter().enumerate() {
            if s.status != StageStatus::Joined || !s.joined_on.is_some_and(|d| p.contains(d)) {
                continue;
            }
            match stage_duration(case, si, cal) {
                Ok(Some(wd)) => out.push((s.kind, wd, s.limit_wd)),
                Ok(None) => {}
                Err(e) => errors.push(format!("case {} stage {}: {e}", case.id, si + 1)),
            }
        }
    }
    out
}

fn headline(input: &ReportInput<'_>, p: Period, errors: &mut Vec<String>) -> Headline {
    let ms = measured(input.cases, p, input.calendar, errors);
    let mut acc = Acc::default();
    for (_, m) in &ms {
        acc.add(m);
    }
    let stages = stage_rows(input.cases, p, input.calendar, errors);
    let sat = satisfaction(input.cases, p);
    let n = acc.n();
    Headline {
        items_overdue: acc.overdue,
        overdue_rate: rate(acc.overdue, n),
        items_supplemented: acc.supplemented,
        supplement_rate: rate(acc.supplemented, n),
        items: Durations::of(acc.wd),
        stages: Durations::of(stages.iter().map(|s| s.1).collect()),
        ratings: sat.count,
        rating_mean: sat.mean,
    }
}

fn satisfaction(cases: &[Case], p: Period) -> Satisfaction {
    let mut by: BTreeMap<RatingLevel, u64> = BTreeMap::new();
    for r in cases.iter().filter_map(|c| c.rating.as_ref()) {
        if p.contains(r.at.date_naive()) {
            *by.entry(r.level).or_default() += 1;
        }
    }
    let count: u64 = by.values().sum();
    let sum: u64 = by.iter().map(|(l, n)| u64::from(l.score()) * n).sum();
    Satisfaction {
        count,
        mean: rate(sum, count),
        by_level: (1..=5)
            .rev()
            .filter_map(RatingLevel::from_score)
            .map(|l| LevelRow {
                score: l.score(),
                name_zh: l.name_zh().to_string(),
                count: by.get(&l).copied().unwrap_or(0),
            })
            .collect(),
        bad: by.iter().filter(|(l, _)| l.is_bad()).map(|(_, n)| n).sum(),
    }
}

fn diff_f(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? - b?)
}

fn change(h: &Headline, prev: &Headline) -> Change {
    Change {
        items: h.items.count as i64 - prev.items.count as i64,
        mean_wd: diff_f(h.items.mean_wd, prev.items.mean_wd),
        p90_wd: h.items.p90_wd.zip(prev.items.p90_wd).map(|(a, b)| a - b),
        overdue_rate: diff_f(h.overdue_rate, prev.overdue_rate),
        supplement_rate: diff_f(h.supplement_rate, prev.supplement_rate),
        rating_mean: diff_f(h.rating_mean, prev.rating_mean),
    }
}

fn item_and_department_rows(
    input: &ReportInput<'_>,
    ms: &[(&Case, Measured<'_>)],
) -> (Vec<ItemRow>, Vec<DepartmentRow>) {
    let mut by_item: BTreeMap<&str, (Acc, &str)> = BTreeMap::new();
    let mut by_dept: BTreeMap<&str, Acc> = BTreeMap::new();
    for (_, m) in ms {
        let e = by_item
            .entry(&m.item.code)
            .or_insert_with(|| (Acc::default(), &m.item.department));
        e.0.add(m);
        by_dept.entry(&m.item.department).or_default().add(m);
    }
    let items = by_item
        .into_iter()
        .map(|(code, (acc, dept))| {
            let def = input.catalogue.item(code);
            ItemRow {
                code: code.to_string(),
                name_zh: def.map_or_else(|| code.to_string(), |d| d.name_zh.clone()),
                department: dept.to_string(),
                statutory_limit_wd: def.map(|d| d.statutory_limit_wd),
                promised_limit_wd: def.map(|d| d.promised_limit_wd),
                overdue: acc.overdue,
                overdue_rate: rate(acc.overdue, acc.n()),
                supplement_rate: rate(acc.supplemented, acc.n()),
                durations: Durations::of(acc.wd),
            }
        })
        .collect();
    let dept_name = |d: &str| {
        input
            .catalogue
            .items
            .iter()
            .find(|i| i.department == d)
            .map_or_else(|| d.to_string(), |i| i.department_name.clone())
    };
    let mut depts: Vec<DepartmentRow> = by_dept
        .into_iter()
        .map(|(d, acc)| DepartmentRow {
            rank: 0,
            department: d.to_string(),
            name_zh: dept_name(d),
            overdue: acc.overdue,
            overdue_rate: rate(acc.overdue, acc.n()),
            supplement_rate: rate(acc.supplemented, acc.n()),
            durations: Durations::of(acc.wd),
        })
        .collect();
    depts.sort_by(|a, b| {
        let key = |r: &DepartmentRow| {
            (
                r.overdue_rate.unwrap_or(0.0),
                r.durations.mean_wd.unwrap_or(0.0),
            )
        };
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(a.department.cmp(&b.department))
    });
    for (i, d) in depts.iter_mut().enumerate() {
        d.rank = i as u32 + 1;
    }
    (items, depts)
}

fn stage_table(rows: &[(StageKind, i64, Option<u32>)]) -> Vec<StageRow> {
    let mut by: BTreeMap<StageKind, (Vec<i64>, Option<u32>, u64)> = BTreeMap::new();
    for (k, wd, limit) in rows {
        let e = by.entry(*k).or_default();
        e.0.push(*wd);
        e.1 = e.1.or(*limit);
        e.2 += u64::from(limit.is_some_and(|l| *wd > i64::from(l)));
    }
    by.into_iter()
        .map(|(kind, (wd, limit_wd, over))| StageRow {
            kind,
            name_zh: kind.name_zh().to_string(),
            durations: Durations::of(wd),
            limit_wd,
            over_limit: over,
        })
        .collect()
}

/// Red and yellow lists: running items lit as of `to`, and items of the period
/// concluded overdue (red).
fn lights(
    input: &ReportInput<'_>,
    ms: &[(&Case, Measured<'_>)],
    errors: &mut Vec<String>,
) -> (Vec<LightEntry>, Vec<LightEntry>) {
    let (mut red, mut yellow) = (Vec::new(), Vec::new());
    let to = input.period.to;
    for case in input.cases {
        for it in &case.items {
            if !it.state.clock_running() || it.accepted_on.is_none_or(|d| d > to) {
                continue;
            }
            let remaining = match remaining_days(&it.clock, input.calendar, to) {
                Ok(r) => r,
                Err(e) => {
                    errors.push(format!("case {} item {}: {e}", case.id, it.code));
                    continue;
                }
            };
            let level = warning_level(remaining, it.clock.total_limit(), DEFAULT_WARNING_SHARE);
            let entry = light(case, it, level, remaining, true);
            match level {
                WarningLevel::Red => red.push(entry),
                WarningLevel::Yellow => yellow.push(entry),
                WarningLevel::Green => {}
            }
        }
    }
    for (case, m) in ms.iter().filter(|(_, m)| m.overdue) {
        let remaining = i64::from(m.item.clock.total_limit())
            - crate::clock::counted_days(
                &m.item.clock,
                input.calendar,
                m.item.concluded_on.unwrap_or(to),
            )
            .unwrap_or(0);
        red.push(light(case, m.item, WarningLevel::Red, remaining, false));
    }
    let order = |a: &LightEntry, b: &LightEntry| {
        a.remaining_wd
            .cmp(&b.remaining_wd)
            .then_with(|| a.case_id.cmp(&b.case_id))
            .then_with(|| a.item.cmp(&b.item))
    };
    red.sort_by(order);
    yellow.sort_by(order);
    (red, yellow)
}

fn light(
    case: &Case,
    it: &ItemCase,
    level: WarningLevel,
    remaining: i64,
    running: bool,
) -> LightEntry {
    LightEntry {
        case_id: case.id.clone(),
        project_name: case.project_name.clone(),
        item: it.code.clone(),
        department: it.department.clone(),
        level,
        remaining_wd: remaining,
        running,
    }
}

/// Each case's worst light among its red and yellow entries (green otherwise): a
/// per-case level for [`RiskDistribution::of`] where no risk was recorded.
pub fn case_light_levels(
    cases: &[Case],
    red: &[LightEntry],
    yellow: &[LightEntry],
) -> Vec<WarningLevel> {
    let mut worst: BTreeMap<&str, WarningLevel> = cases
        .iter()
        .map(|c| (c.id.as_str(), WarningLevel::Green))
        .collect();
    for e in yellow.iter().chain(red) {
        if let Some(w) = worst.get_mut(e.case_id.as_str()) {
            *w = (*w).max(e.level);
        }
    }
    worst.into_values().collect()
}

/// Computes the report with the risk distribution of the recorded 风险预警 levels
/// (every level listed, zero included).
pub fn supervision_report(input: &ReportInput<'_>) -> SupervisionReport {
    let mut r = report_without_risk(input);
    r.risk = recorded_risk(input.cases);
    r
}

/// The cases by their recorded risk level (`Case::risk`, `none` when never
/// assessed above none).
pub fn recorded_risk(cases: &[Case]) -> RiskDistribution {
    let level = |c: &Case| c.risk.as_ref().map_or(RiskLevel::None, |a| a.level);
    let mut d = RiskDistribution::of("risk_changed", cases.iter().map(|c| level(c).as_str()));
    for l in RiskLevel::ALL {
        d.counts.entry(l.as_str().to_string()).or_insert(0);
    }
    d
}

/// The name of a warning light (`green`, `yellow`, `red`).
pub fn light_name(l: WarningLevel) -> &'static str {
    match l {
        WarningLevel::Green => "green",
        WarningLevel::Yellow => "yellow",
        WarningLevel::Red => "red",
    }
}

/// The report with an empty risk distribution, for a caller that supplies its
/// own per-case levels (`RiskDistribution::of`).
pub fn report_without_risk(input: &ReportInput<'_>) -> SupervisionReport {
    let mut errors = Vec::new();
    let p = input.period;
    let now = headline(input, p, &mut errors);
    let prev = headline(input, p.previous(), &mut errors);
    let ms = measured(input.cases, p, input.calendar, &mut errors);
    let (items, departments) = item_and_department_rows(input, &ms);
    let stages = stage_table(&stage_rows(input.cases, p, input.calendar, &mut errors));
    let (red, yellow) = lights(input, &ms, &mut errors);
    SupervisionReport {
        schema: SCHEMA,
        period: p,
        previous_period: p.previous(),
        region: input.region.clone(),
        calendar_version: input.calendar.version().to_string(),
        catalogue: format!("{}@{}", input.catalogue.id, input.catalogue.version),
        percentile_method: "nearest_rank",
        cases: input.cases.len() as u64,
        change: change(&now, &prev),
        headline: now,
        previous: prev,
        stages,
        items,
        departments,
        satisfaction: satisfaction(input.cases, p),
        red,
        yellow,
        risk: RiskDistribution::of::<&str>("none", []),
        errors,
    }
}
