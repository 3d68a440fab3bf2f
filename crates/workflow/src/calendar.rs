//! Working-day calendar 工作日历: statutory holidays and 调休 make-up working days
//! as versioned data, one TOML file per year (see `docs/workflow.md`).
//!
//! Convention used everywhere in this crate: counting *n* working days from a
//! date `start` means the first counted day is the first working day **after**
//! `start` (行政许可法 Art. 82 counts whole working days; the day of the act
//! itself is not day 1). So `add_working_days(start, 0) == start`.

use crate::error::WorkflowError;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One covered year of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearData {
    pub version: String,
    pub source: String,
    /// Days off that would otherwise be working days (or fall on weekends).
    pub holidays: BTreeSet<NaiveDate>,
    /// 调休: weekend days that are working days.
    pub makeup_workdays: BTreeSet<NaiveDate>,
}

/// A region-scoped, versioned working-day calendar covering whole years.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    version: String,
    region: String,
    years: BTreeMap<i32, YearData>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    version: String,
    region: String,
    year: i32,
    source: String,
    #[serde(default)]
    holidays: Vec<RawHoliday>,
    #[serde(default)]
    makeup_workdays: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    name: String,
    from: String,
    to: String,
}

/// Parse an ISO date `YYYY-MM-DD` (the only form accepted anywhere in this crate).
pub fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    // chrono accepts e.g. "2026-3-5"; insist on the canonical 10-character form.
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn parse_date(doc: &str, field: &str, s: &str) -> Result<NaiveDate, WorkflowError> {
    if s.len() != 10 {
        return Err(WorkflowError::field(
            doc,
            field,
            format!("'{s}' is not a date YYYY-MM-DD"),
        ));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| {
        WorkflowError::field(doc, field, format!("'{s}' is not a date YYYY-MM-DD ({e})"))
    })
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl Calendar {
    /// Parse one year's calendar file.
    pub fn from_toml(text: &str) -> Result<Calendar, WorkflowError> {
        let raw: RawYear = toml::from_str(text).map_err(|e| WorkflowError::Toml {
            doc: "calendar".into(),
            message: e.to_string(),
        })?;
        let doc = format!("calendar {}", raw.version);
        if raw.version.trim().is_empty() {
            return Err(WorkflowError::field(&doc, "version", "must not be empty"));
        }
        if raw.region.len() != 6 || !raw.region.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WorkflowError::field(
                &doc,
                "region",
                format!("'{}' is not a 6-digit 行政区划代码", raw.region),
            ));
        }
        let mut holidays = BTreeSet::new();
        for (i, h) in raw.holidays.iter().enumerate() {
            let f = format!("holidays[{i}] ({})", h.name);
            let from = parse_date(&doc, &format!("{f}.from"), &h.from)?;
            let to = parse_date(&doc, &format!("{f}.to"), &h.to)?;
            if from > to {
                return Err(WorkflowError::field(&doc, f, "`from` is after `to`"));
            }
            if from.year() != raw.year || to.year() != raw.year {
                return Err(WorkflowError::field(
                    &doc,
                    f,
                    format!("dates must lie in year {}", raw.year),
                ));
            }
            let mut d = from;
            while d <= to {
                holidays.insert(d);
                d = d + Days::new(1);
            }
        }
        let mut makeup = BTreeSet::new();
        for (i, s) in raw.makeup_workdays.iter().enumerate() {
            let f = format!("makeup_workdays[{i}]");
            let d = parse_date(&doc, &f, s)?;
            if d.year() != raw.year {
                return Err(WorkflowError::field(
                    &doc,
                    f,
                    format!("{d} is not in year {}", raw.year),
                ));
            }
            // A make-up day on a weekday would change nothing: almost surely a typo.
            if !is_weekend(d) {
                return Err(WorkflowError::field(
                    &doc,
                    f,
                    format!("{d} is a weekday; 调休 make-up days are weekend days"),
                ));
            }
            if holidays.contains(&d) {
                return Err(WorkflowError::field(
                    &doc,
                    f,
                    format!("{d} is also listed as a holiday"),
                ));
            }
            makeup.insert(d);
        }
        let mut years = BTreeMap::new();
        years.insert(
            raw.year,
            YearData {
                version: raw.version.clone(),
                source: raw.source,
                holidays,
                makeup_workdays: makeup,
            },
        );
        Ok(Calendar {
            version: raw.version,
            region: raw.region,
            years,
        })
    }

    /// Parse several year files and merge them into one calendar.
    pub fn from_tomls(texts: &[&str]) -> Result<Calendar, WorkflowError> {
        let mut it = texts.iter();
        let first = it
            .next()
            .ok_or_else(|| WorkflowError::Mismatch("no calendar text given".into()))?;
        let mut cal = Calendar::from_toml(first)?;
        for t in it {
            cal = cal.merge(Calendar::from_toml(t)?)?;
        }
        Ok(cal)
    }

    /// Combine two calendars of the same region covering different years.
    /// The merged version lists the year versions in year order, joined by `+`.
    pub fn merge(mut self, other: Calendar) -> Result<Calendar, WorkflowError> {
        if self.region != other.region {
            return Err(WorkflowError::Mismatch(format!(
                "calendar regions differ: {} vs {}",
                self.region, other.region
            )));
        }
        for (y, data) in other.years {
            if self.years.contains_key(&y) {
                return Err(WorkflowError::Mismatch(format!(
                    "year {y} is covered twice ({} and {})",
                    self.years[&y].version, data.version
                )));
            }
            self.years.insert(y, data);
        }
        self.version = self
            .years
            .values()
            .map(|y| y.version.as_str())
            .collect::<Vec<_>>()
            .join("+");
        Ok(self)
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// 行政区划代码 of the region this calendar applies to.
    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn covered_years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    pub fn year(&self, year: i32) -> Option<&YearData> {
        self.years.get(&year)
    }

    fn year_of(&self, d: NaiveDate) -> Result<&YearData, WorkflowError> {
        self.years
            .get(&d.year())
            .ok_or_else(|| WorkflowError::UncoveredYear {
                year: d.year(),
                covered: self
                    .years
                    .keys()
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// Whether `d` is a working day; an error when `d`'s year is not covered.
    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, WorkflowError> {
        let y = self.year_of(d)?;
        Ok(if y.makeup_workdays.contains(&d) {
            true
        } else {
            !y.holidays.contains(&d) && !is_weekend(d)
        })
    }

    /// The date on which the `n`-th working day after `start` falls.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, WorkflowError> {
        self.year_of(start)?;
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d + Days::new(1);
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// Working days in `(from, to]`; negative (the count in `(to, from]`) when `to < from`.
    /// So `working_days_between(a, add_working_days(a, n)) == n`.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, WorkflowError> {
        if to < from {
            return Ok(-self.working_days_between(to, from)?);
        }
        self.year_of(from)?;
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d + Days::new(1);
            if self.is_working_day(d)? {
                n += 1;
            }
        }
        Ok(n)
    }
}
