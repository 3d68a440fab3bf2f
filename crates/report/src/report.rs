//! The review report (审查报告): the JSON contract `zhishen.report/1`, from which the HTML and
//! BCF renderings are made. Documented in `docs/report-json.md`; the JSON Schema is
//! `docs/report.schema.json`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version tag of the JSON contract. Bump the number on any breaking change.
pub const SCHEMA: &str = "zhishen.report/1";

/// A bilingual text: Chinese first, English available.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    Unverifiable,
    NotApplicable,
}

impl Status {
    pub fn label(self) -> Text {
        match self {
            Status::Pass => Text::new("通过", "pass"),
            Status::Fail => Text::new("不通过", "fail"),
            Status::Unverifiable => Text::new("无法核验", "unverifiable"),
            Status::NotApplicable => Text::new("不适用", "not applicable"),
        }
    }
}

/// Unit of `measured` and `limit`: metres for distances and heights, a ratio (not percent)
/// for FAR, coverage and green ratio, square metres for areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    M,
    Ratio,
    M2,
    /// No number is measured (e.g. data completeness counts missing items).
    Count,
}

/// How `measured` is compared with `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    /// measured ≤ limit (heights, FAR, coverage, protrusion).
    #[serde(rename = "<=")]
    AtMost,
    /// measured ≥ limit (setbacks, spacing, green ratio).
    #[serde(rename = ">=")]
    AtLeast,
    /// measured = limit within the tolerance: a figure the applicant declared 申报 (the
    /// limit) against the model's own (measured).
    #[serde(rename = "==")]
    Matches,
}

/// Where a limit comes from: the profile (id@version) and the clause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    /// `parcel`, `city` or `national`: which layer of the precedence gave the limit.
    pub level: String,
    /// Profile id and version, e.g. `cn-national@2024.1`, or `site:parcel.gpkg#DK-05` for parcel conditions.
    pub profile: String,
    /// Clause, e.g. `GB 50352-2019 §4.3.1`.
    pub clause: String,
    /// True when the reference marks the number as not verified against the official text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unverified: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Stable id (`setback_road`, `far`, ...).
    pub id: String,
    pub title: Text,
    pub status: Status,
    pub measured: Option<f64>,
    pub limit: Option<f64>,
    pub unit: Unit,
    pub comparison: Option<Comparison>,
    /// True when measured lies beyond the limit by no more than the tolerance (a pass, flagged).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub within_tolerance: bool,
    pub clause: Option<Citation>,
    /// IFC GlobalIds of the elements involved.
    pub elements: Vec<String>,
    /// Bounding box of `elements` in the IFC model's own coordinates (metres):
    /// `[min_x, min_y, min_z, max_x, max_y, max_z]`, for BCF cameras.
    pub elements_bbox: Option<[f64; 6]>,
    /// GeoJSON geometry in site coordinates: the closest-point segment for a distance,
    /// otherwise the offending polygon.
    pub evidence: Option<serde_json::Value>,
    /// One line, Chinese and English.
    pub explanation: Text,
    /// Intermediate quantities reviewers need (per-storey areas, per-road distances, ...).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRef {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileRef {
    pub id: String,
    pub version: String,
    pub level: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Inputs {
    pub model: Option<FileRef>,
    /// Every file of the site package that was read.
    pub site: Vec<FileRef>,
    pub profiles: Vec<ProfileRef>,
    pub parcel: String,
    /// `--place E,N,rot[,elev]` as given, when given.
    pub placement: Option<String>,
    /// `--use` as given, when given.
    pub declared_use: Option<String>,
    /// How the site CRS 场地坐标系 was chosen: `cli`, `site_toml`, `model`,
    /// `projected_layer` or `gauss_kruger_zone` (`zhishen_site::CrsSource`); `null` in
    /// reports made before it was recorded.
    #[serde(default)]
    pub site_crs_source: Option<String>,
    /// Why that CRS, e.g. "CGCS2000 3° Gauss-Krüger zone CM 114°E (EPSG:4547), …".
    #[serde(default)]
    pub site_crs_reason: Option<String>,
    /// The city coordinate systems 城市独立坐标系 the site layers were declared in, one
    /// per layer as "<file>: <system>", e.g. "parcel.dxf: 城市独立坐标系 city system
    /// local:city: 4-parameter from EPSG:4547 (ΔX=…, ΔY=…, θ=…°, k=…)"; left out when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub city_crs: Vec<String>,
    /// The figures declared in the application 申报指标, compared with the model's by the
    /// `declared_*` checks; left out when none were declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<Declared>,
    pub tool: String,
    pub tool_version: String,
}

/// 申报指标: the figures an application for the planning permit 建设工程规划许可 declares.
/// Each one given is compared with the model's after the review (`declared_*` checks).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declared {
    /// 总建筑面积, m².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gfa_m2: Option<f64>,
    /// 计容建筑面积 (the area counted for FAR), m².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub far_area_m2: Option<f64>,
    /// 建筑高度, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
    /// 地上层数.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storeys_above: Option<u32>,
    /// 地下层数.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storeys_below: Option<u32>,
    /// 基底面积, m².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footprint_m2: Option<f64>,
    /// 主要用途, a use term (住宅, 商业, office, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_use: Option<String>,
}

/// Why a `key=value,…` declaration could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeclaredError {
    #[error("申报指标 declared figure '{0}': expected key=value (keys: gfa, far_area, height, storeys_above, storeys_below, footprint, use)")]
    Syntax(String),
    #[error("申报指标 declared figure '{key}': unknown key (keys: gfa, far_area, height, storeys_above, storeys_below, footprint, use)")]
    UnknownKey { key: String },
    #[error("申报指标 declared figure {key} = '{value}': {why}")]
    Value {
        key: String,
        value: String,
        why: &'static str,
    },
}

impl Declared {
    /// True when nothing is declared.
    pub fn is_empty(&self) -> bool {
        *self == Declared::default()
    }

    /// Reads `gfa=12000,far_area=11000,height=45.5,storeys_above=15,storeys_below=2,
    /// footprint=1500,use=住宅` (any subset, `,` or `，` between pairs, `=` or `：`).
    pub fn parse(text: &str) -> Result<Declared, DeclaredError> {
        let mut d = Declared::default();
        for pair in text
            .split([',', '，'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (k, v) = pair
                .split_once(['=', ':', '：'])
                .ok_or_else(|| DeclaredError::Syntax(pair.to_string()))?;
            let (k, v) = (k.trim(), v.trim());
            let bad = |why| DeclaredError::Value {
                key: k.to_string(),
                value: v.to_string(),
                why,
            };
            let area = || -> Result<Option<f64>, DeclaredError> {
                match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && x > 0.0 => Ok(Some(x)),
                    _ => Err(bad("must be a number > 0")),
                }
            };
            let count = || -> Result<Option<u32>, DeclaredError> {
                v.parse::<u32>()
                    .map(Some)
                    .map_err(|_| bad("must be a whole number ≥ 0"))
            };
            match k {
                "gfa" => d.gfa_m2 = area()?,
                "far_area" => d.far_area_m2 = area()?,
                "height" => d.height_m = area()?,
                "footprint" => d.footprint_m2 = area()?,
                "storeys_above" => d.storeys_above = count()?,
                "storeys_below" => d.storeys_below = count()?,
                "use" if !v.is_empty() => d.main_use = Some(v.to_string()),
                "use" => return Err(bad("must not be empty")),
                _ => return Err(DeclaredError::UnknownKey { key: k.to_string() }),
            }
        }
        Ok(d)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParcelInfo {
    pub id: String,
    pub name: Option<String>,
    pub land_use: Option<String>,
    pub area_m2: f64,
    /// Canonical 规划条件 attributes as read from the site layer.
    pub conditions: BTreeMap<String, serde_json::Value>,
    pub geometry: serde_json::Value,
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildingInfo {
    pub file: String,
    /// GlobalId of the IfcProject (BCF topics refer to the model through it).
    pub project_global_id: Option<String>,
    pub schema: String,
    /// How the building was placed: `map_conversion`, `site_reference`, `explicit`, or `none`.
    pub placement: String,
    pub placement_accuracy: String,
    /// Above-ground footprint in site coordinates (GeoJSON), when placed.
    pub footprint: Option<serde_json::Value>,
    pub footprint_below: Option<serde_json::Value>,
    /// Area of the above-ground footprint (every above-ground part, for setbacks).
    pub footprint_area_m2: f64,
    /// 基底面积: the ground-contact outline's area (coverage).
    #[serde(default)]
    pub base_area_m2: f64,
    /// Above-ground parts with their own heights (podium 裙房, tower 塔楼, steps).
    #[serde(default)]
    pub parts: Vec<PartInfo>,
    pub height_m: Option<f64>,
    pub height_method: Option<String>,
    /// Highest point above ground (m).
    pub highest_point_m: Option<f64>,
    /// Absolute elevation of the highest point, when the model's elevation is known.
    pub highest_point_abs_m: Option<f64>,
    pub ground_m: Option<f64>,
    pub storeys_above: usize,
    pub storeys_below: usize,
    pub gfa_m2: Option<f64>,
    /// 计容 area used for FAR.
    pub far_area_m2: Option<f64>,
    /// Uses found (normalised category -> where it came from).
    pub uses: Vec<UseInfo>,
    pub warnings: Vec<String>,
}

/// One above-ground part of the building (see `facts.parts` in docs/inspect-json.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartInfo {
    /// GlobalId of the part's IfcBuilding.
    pub building: Option<String>,
    pub area_m2: f64,
    pub height_m: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UseInfo {
    /// Normalised category: residential, commercial, office, education, ...
    pub category: String,
    pub term: String,
    /// `--use`, `Pset_BuildingCommon.OccupancyType`, `IfcSpace <GlobalId>` ...
    pub source: String,
    pub area_m2: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub unverifiable: usize,
    pub not_applicable: usize,
    /// `pass` only when nothing failed and nothing is unverifiable.
    pub overall: Option<Status>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tolerance {
    pub distance_m: f64,
    pub area_relative: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub site_crs: String,
    pub inputs: Inputs,
    pub parcel: ParcelInfo,
    pub building: BuildingInfo,
    pub tolerance: Tolerance,
    pub checks: Vec<CheckResult>,
    pub summary: Summary,
    /// Site features near the parcel (roads, control lines, zones, existing buildings) for the plan view.
    pub context: Vec<ContextFeature>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextFeature {
    /// Site kind: `parcel`, `road_red_line`, `blue_line`, ... (see docs/site-package.md).
    pub kind: String,
    pub name: Option<String>,
    pub geometry: serde_json::Value,
}

impl Report {
    pub fn summarize(checks: &[CheckResult]) -> Summary {
        let mut s = Summary::default();
        for c in checks {
            match c.status {
                Status::Pass => s.pass += 1,
                Status::Fail => s.fail += 1,
                Status::Unverifiable => s.unverifiable += 1,
                Status::NotApplicable => s.not_applicable += 1,
            }
        }
        s.overall = Some(if s.fail > 0 {
            Status::Fail
        } else if s.unverifiable > 0 {
            Status::Unverifiable
        } else {
            Status::Pass
        });
        s
    }

    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// Exit code of `zhishen check`: 0 all pass (or not applicable), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self.summary.overall {
            Some(Status::Pass) => 0,
            _ => 1,
        }
    }
}
