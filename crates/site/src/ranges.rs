//! Meaningful ranges of the canonical numbers. A planning condition such as a coverage
//! of -300 % or a road of width 0 is a data error, not a limit: it is reported as an
//! `error` finding naming the feature and field, and the value is dropped so every check
//! that needs it sees it missing and answers `unverifiable` (never pass or fail, and
//! never a default in its place, e.g. the narrow-road setback for a zero-width road).

use crate::fields::Kind;
use serde_json::Value;
use std::collections::BTreeMap;

/// An interval of valid values; each end open or closed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub lo: f64,
    pub lo_closed: bool,
    pub hi: f64,
    pub hi_closed: bool,
}

impl Range {
    const fn new(lo: f64, lo_closed: bool, hi: f64, hi_closed: bool) -> Range {
        Range {
            lo,
            lo_closed,
            hi,
            hi_closed,
        }
    }

    pub fn contains(&self, v: f64) -> bool {
        let above = if self.lo_closed {
            v >= self.lo
        } else {
            v > self.lo
        };
        let below = if self.hi_closed {
            v <= self.hi
        } else {
            v < self.hi
        };
        v.is_finite() && above && below
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{}, {}{}",
            if self.lo_closed { '[' } else { '(' },
            self.lo,
            self.hi,
            if self.hi_closed { ']' } else { ')' }
        )
    }
}

/// Ratios after percent conversion (30 → 0.30).
const RATIO: Range = Range::new(0.0, true, 1.0, true);
const FAR_MAX: Range = Range::new(0.0, false, 30.0, true);
/// A lower FAR bound of 0 means "no minimum" and is accepted.
const FAR_MIN: Range = Range::new(0.0, true, 30.0, true);
/// Heights and height limits above ground, metres.
const HEIGHT: Range = Range::new(0.0, false, 1000.0, false);
/// An absolute height limit is an elevation above the datum (plateau cities lie above 3,000 m).
const ELEVATION: Range = Range::new(-500.0, false, 9000.0, false);
const SETBACK: Range = Range::new(0.0, true, 500.0, false);
const ROAD_WIDTH: Range = Range::new(0.0, false, 500.0, false);

/// The valid range of canonical field `field` of a feature of `kind`, if it has one.
pub fn range_of(kind: Kind, field: &str, attrs: &BTreeMap<String, Value>) -> Option<Range> {
    Some(match field {
        "coverage_max" | "green_min" => RATIO,
        "far_max" => FAR_MAX,
        "far_min" => FAR_MIN,
        "height_max" => HEIGHT,
        "limit_m" if attrs.get("absolute") == Some(&Value::Bool(true)) => ELEVATION,
        "limit_m" => HEIGHT,
        "height_m" if kind == Kind::ExistingBuilding => HEIGHT,
        "setback_road_min" | "setback_boundary_min" => SETBACK,
        "width" if kind == Kind::RoadRedLine => ROAD_WIDTH,
        _ => return None,
    })
}

/// A value outside its range, removed from the feature's attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct OutOfRange {
    pub field: &'static str,
    pub value: f64,
    pub range: Range,
}

/// Removes every number outside its range from `attrs` and says which.
pub fn enforce(kind: Kind, attrs: &mut BTreeMap<String, Value>) -> Vec<OutOfRange> {
    let mut out = Vec::new();
    for (field, ..) in crate::fields::FIELDS {
        let Some(v) = attrs.get(*field).and_then(Value::as_f64) else {
            continue;
        };
        if let Some(range) = range_of(kind, field, attrs) {
            if !range.contains(v) {
                out.push(OutOfRange {
                    field,
                    value: v,
                    range,
                });
            }
        }
    }
    for o in &out {
        attrs.remove(o.field);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn out_of_range_values_are_removed_and_named() {
        // coverage -3 and green 2.5 (250 % after conversion), height -10, FAR 0: all out;
        // the id, a valid setback and the land use stay.
        let mut a = attrs(&[
            ("id", json!("P")),
            ("land_use", json!("R2")),
            ("coverage_max", json!(-3.0)),
            ("green_min", json!(2.5)),
            ("height_max", json!(-10.0)),
            ("far_max", json!(0.0)),
            ("setback_road_min", json!(0.0)),
        ]);
        let bad = enforce(Kind::Parcel, &mut a);
        let fields: Vec<&str> = bad.iter().map(|o| o.field).collect();
        assert_eq!(
            fields,
            ["far_max", "coverage_max", "green_min", "height_max"]
        );
        assert_eq!(bad[1].value, -3.0);
        assert_eq!(bad[1].range.to_string(), "[0, 1]");
        assert_eq!(bad[0].range.to_string(), "(0, 30]");
        let left: Vec<&str> = a.keys().map(String::as_str).collect();
        assert_eq!(left, ["id", "land_use", "setback_road_min"]);
    }

    #[test]
    fn the_edges_of_each_range() {
        let ok = |k, f, v: f64| {
            let mut a = attrs(&[(f, json!(v))]);
            enforce(k, &mut a).is_empty()
        };
        assert!(ok(Kind::Parcel, "coverage_max", 0.0) && ok(Kind::Parcel, "coverage_max", 1.0));
        assert!(!ok(Kind::Parcel, "coverage_max", 1.0001));
        assert!(ok(Kind::Parcel, "far_max", 30.0) && !ok(Kind::Parcel, "far_max", 30.01));
        assert!(ok(Kind::Parcel, "far_min", 0.0) && !ok(Kind::Parcel, "far_min", -0.1));
        assert!(ok(Kind::Parcel, "height_max", 999.9) && !ok(Kind::Parcel, "height_max", 1000.0));
        assert!(ok(Kind::Parcel, "setback_boundary_min", 0.0));
        assert!(!ok(Kind::Parcel, "setback_boundary_min", 500.0));
        assert!(!ok(Kind::RoadRedLine, "width", 0.0) && ok(Kind::RoadRedLine, "width", 0.5));
        assert!(!ok(Kind::RoadRedLine, "width", 500.0));
        assert!(!ok(Kind::ExistingBuilding, "height_m", 0.0));
        assert!(!ok(Kind::HeightZone, "limit_m", 1500.0));
        // An absolute limit is an elevation: 1,500 m above the datum is fine.
        let mut a = attrs(&[("limit_m", json!(1500.0)), ("absolute", json!(true))]);
        assert!(enforce(Kind::HeightZone, &mut a).is_empty());
        assert!(!Range::new(0.0, true, 1.0, true).contains(f64::NAN));
    }
}
