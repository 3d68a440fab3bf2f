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
