//! The demo definitions shipped in `assets/` (embedded at compile time), for
//! tests, the demo server and the CLI.

use crate::{Calendar, Catalogue, Definitions, ProcessDef, WorkflowError};

pub const CALENDAR_2025: &str = include_str!("../../../assets/calendar/2025.toml");
pub const CALENDAR_2026: &str = include_str!("../../../assets/calendar/2026.toml");
pub const CATALOGUE: &str = include_str!("../../../assets/catalogue/demo.toml");
pub const PROCESS: &str = include_str!("../../../assets/process/demo.toml");

/// The national 2025 + 2026 calendar.
pub fn calendar() -> Result<Calendar, WorkflowError> {
    Calendar::from_tomls(&[CALENDAR_2025, CALENDAR_2026])
}

/// Demo catalogue + process + calendar, checked against each other.
pub fn definitions() -> Result<Definitions, WorkflowError> {
    Definitions::new(
        Catalogue::from_toml(CATALOGUE)?,
        ProcessDef::from_toml(PROCESS)?,
        calendar()?,
    )
}

/// The shipped demo risk rules (`assets/risk/rules.toml`).
pub fn risk_rules() -> Result<crate::risk::RiskRules, crate::WorkflowError> {
    crate::risk::RiskRules::from_toml(include_str!("../../../assets/risk/rules.toml"))
}
