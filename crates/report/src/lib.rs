//! zhishen-report: the planning review report `zhishen.report/1` (`docs/report-json.md`)
//! and its renderings: a self-contained bilingual HTML page and BCF 2.1 topics.
//!
//! Kept apart from `zhishen-rules` so that whoever only shows or converts a report —
//! the server's pages, the WebGPU viewer built for wasm32 — does not link GDAL, GEOS
//! or the IFC reader. The types are plain serde data; the writers are pure.

pub mod bcf;
pub mod html;
pub mod report;

pub use report::{CheckResult, Lang, Report, Status, Text, Unit};

/// PNG snapshots 快照 of the review's digital twin, rendered by the caller (this crate
/// draws nothing 3-D): the plan view, and one per finding by its number
/// ([`html::finding_number`]). The HTML report embeds them; BCF topics carry theirs as
/// `snapshot.png`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pictures {
    pub plan: Option<Vec<u8>>,
    pub findings: std::collections::BTreeMap<usize, Vec<u8>>,
}
