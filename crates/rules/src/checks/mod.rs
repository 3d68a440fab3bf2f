//! One file per check. Ids are stable: the JSON report, the BCF topics and the tests use them.

use crate::context::Ctx;
use crate::report::CheckResult;

pub mod coverage;
pub mod data_completeness;
pub mod declared;
pub mod far;
pub mod fire_separation;
pub mod green_ratio;
pub mod height_absolute;
pub mod height_planning;
pub mod land_use;
pub mod redline_containment;
pub mod setback_boundary;
pub mod setback_control_line;
pub mod setback_road;
pub mod setback_underground;
pub mod spacing;

pub type CheckFn = fn(&Ctx) -> CheckResult;

/// Every check, in report order.
pub const ALL: &[(&str, CheckFn)] = &[
    ("data_completeness", data_completeness::check),
    ("land_use", land_use::check),
    ("redline_containment", redline_containment::check),
    ("setback_road", setback_road::check),
    ("setback_boundary", setback_boundary::check),
    ("setback_underground", setback_underground::check),
    ("setback_control_line", setback_control_line::check),
    ("height_planning", height_planning::check),
    ("height_absolute", height_absolute::check),
    ("far", far::check),
    ("coverage", coverage::check),
    ("green_ratio", green_ratio::check),
    ("spacing", spacing::check),
    ("fire_separation", fire_separation::check),
];
