//! Rule profiles 规则配置 in TOML: national defaults, a city profile, and the parcel's own
//! conditions 规划条件 from the site layer. Precedence: parcel > city > national. A city
//! section replaces the national section of the same name as a whole, so every number a
//! check uses comes with one citation. Format: `docs/rule-profile.md`.

use crate::report::Citation;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The national defaults shipped with the binary.
pub const NATIONAL: &str = include_str!("../../../assets/profiles/national.toml");
/// The demo city's profile (汉江市, synthetic) shipped with the binary.
pub const DEMO_CITY: &str = include_str!("../../../assets/profiles/demo-city.toml");

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("rule profile {name}: {message}")]
    Parse { name: String, message: String },
    #[error("rule profile {name}: {message}")]
    Invalid { name: String, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    National,
    City,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::National => "national",
            Level::City => "city",
        }
    }
}

/// Where a section's numbers come from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub clause: String,
    /// The reference marks the number as not verified against the official text.
    #[serde(default)]
    pub unverified: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tolerance {
    pub distance_m: f64,
    pub area_relative: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redline {
    #[serde(flatten)]
    pub source: Source,
}

/// Underground setback 地下建筑退线: below-ground construction keeps at least
/// max(`min_m`, `depth_factor` × depth) from the parcel red line and road red lines,
/// depth being from the ground down to the lowest below-ground point. 0 and 0 is
/// containment only (the national rule).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetbackUnderground {
    #[serde(flatten)]
    pub source: Source,
    pub min_m: f64,
    #[serde(default)]
    pub depth_factor: f64,
}

/// A use class for the setback tables: residential 住宅 or public 公建 (everything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UseClass {
    Residential,
    Public,
    Any,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadRow {
    #[serde(rename = "use")]
    pub use_class: UseClass,
    /// Row applies to buildings up to this height (m, inclusive).
    pub height_max: f64,
    /// Road red-line width range [width_min, width_max) in m.
    pub width_min: f64,
    pub width_max: f64,
    pub setback_m: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetbackRoad {
    #[serde(flatten)]
    pub source: Source,
    pub rows: Vec<RoadRow>,
    /// For roads narrower than every row, or with no width recorded.
    pub default_m: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundaryRow {
    #[serde(rename = "use")]
    pub use_class: UseClass,
    pub height_max: f64,
    pub setback_m: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetbackBoundary {
    #[serde(flatten)]
    pub source: Source,
    pub rows: Vec<BoundaryRow>,
    /// A parcel edge is a road edge (excluded) when it lies within this distance of a road red line.
    #[serde(default = "road_edge_tolerance")]
    pub road_edge_tolerance_m: f64,
}

fn road_edge_tolerance() -> f64 {
    0.5
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlLineRule {
    /// Site kind: blue_line, green_line, purple_line, yellow_line, building_control_line.
    pub kind: String,
    pub distance_m: f64,
    pub clause: String,
    #[serde(default)]
    pub unverified: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlLines {
    pub rules: Vec<ControlLineRule>,
}

/// 申报指标核对: how far a declared figure may differ from the model's and still match.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredRule {
    #[serde(flatten)]
    pub source: Source,
    /// Areas (GFA, 计容 area, footprint): relative to the declared value.
    pub area_relative: f64,
    /// Height, metres.
    pub height_m: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Height {
    #[serde(flatten)]
    pub source: Source,
    /// Ceiling for residential buildings when neither parcel nor zone gives one.
    pub residential_max_m: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Far {
    #[serde(flatten)]
    pub source: Source,
    /// Storeys lower than this count at `low_storey_factor` (GB/T 50353: 2.20 m, half).
    pub low_storey_height_m: f64,
    pub low_storey_factor: f64,
    /// 层高超限倍算: storeys above the base height of their use count
    /// `1 + ceil((h - base) / step)` times. Absent = no multipliers.
    pub multiplier: Option<FarMultiplier>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FarMultiplier {
    pub clause: String,
    #[serde(default)]
    pub unverified: bool,
    pub step_m: f64,
    /// Base storey height by use category; `default` for the rest.
    pub base_height_m: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    #[serde(flatten)]
    pub source: Source,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GreenRatio {
    #[serde(flatten)]
    pub source: Source,
    /// Green within this distance of a building wall does not count (GB 50180-2018 A.0.3: 1.0 m).
    pub building_clearance_m: f64,
    /// Weight by the green area's `type` attribute; `default` for the rest.
    pub weights: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spacing {
    #[serde(flatten)]
    pub source: Source,
    /// 日照间距系数 k: the obstructing building's height times k.
    pub k: f64,
    /// Minimum facing spacing (m) regardless of k.
    pub min_m: f64,
    /// A neighbour within this angle of due north or south faces the building (parallel);
    /// otherwise the pair is side by side (gable 山墙 spacing).
    pub facing_sector_deg: f64,
    pub gable_min_m: f64,
    pub gable_min_high_rise_m: f64,
    /// Search radius for neighbours (m).
    pub search_m: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FireSeparation {
    #[serde(flatten)]
    pub source: Source,
    /// High-rise thresholds (GB 50016-2014 §5.1.1): residential > 27 m, public > 24 m.
    pub high_rise_residential_m: f64,
    pub high_rise_public_m: f64,
    pub high_high_m: f64,
    pub high_low_m: f64,
    pub low_low_m: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allowed {
    /// Building use categories allowed as the main use.
    pub uses: Vec<String>,
    /// Compatible uses with their largest share of the GFA (0.1 = 10 %).
    #[serde(default)]
    pub compatible: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LandUse {
    #[serde(flatten)]
    pub source: Source,
    /// Code prefix (2023 用地用海 or GB 50137) -> land class; the longest prefix wins.
    pub codes: BTreeMap<String, String>,
    /// Land class -> what may be built on it (适建表).
    pub allowed: BTreeMap<String, Allowed>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub id: String,
    pub version: String,
    pub level: Level,
    pub name: String,
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    pub tolerance: Option<Tolerance>,
    pub redline: Option<Redline>,
    pub setback_road: Option<SetbackRoad>,
    pub setback_boundary: Option<SetbackBoundary>,
    pub setback_underground: Option<SetbackUnderground>,
    pub control_line: Option<ControlLines>,
    pub height: Option<Height>,
    pub far: Option<Far>,
    pub coverage: Option<Coverage>,
    pub green_ratio: Option<GreenRatio>,
    pub spacing: Option<Spacing>,
    pub fire_separation: Option<FireSeparation>,
    pub land_use: Option<LandUse>,
    pub declared: Option<DeclaredRule>,
    /// SHA-256 of the text, filled by the caller for the report's inputs.
    #[serde(skip)]
    pub sha256: String,
}

impl Profile {
    /// Parses a profile; `name` (a file name) goes into every error message.
    pub fn from_toml(name: &str, text: &str) -> Result<Profile, ProfileError> {
        let p: Profile = toml::from_str(text).map_err(|e| ProfileError::Parse {
            name: name.to_string(),
            message: e.to_string(),
        })?;
        p.validate(name)?;
        Ok(p)
    }

    fn validate(&self, name: &str) -> Result<(), ProfileError> {
        let bad = |m: String| {
            Err(ProfileError::Invalid {
                name: name.to_string(),
                message: m,
            })
        };
        let mut numbers: Vec<(String, f64)> = Vec::new();
        if let Some(s) = &self.setback_road {
            for (i, r) in s.rows.iter().enumerate() {
                numbers.push((format!("setback_road.rows[{i}].setback_m"), r.setback_m));
                if r.width_max <= r.width_min {
                    return bad(format!(
                        "setback_road.rows[{i}]: width_max {} must exceed width_min {}",
                        r.width_max, r.width_min
                    ));
                }
            }
        }
        if let Some(s) = &self.setback_boundary {
            for (i, r) in s.rows.iter().enumerate() {
                numbers.push((format!("setback_boundary.rows[{i}].setback_m"), r.setback_m));
            }
        }
        if let Some(u) = &self.setback_underground {
            numbers.push(("setback_underground.min_m".into(), u.min_m));
            numbers.push(("setback_underground.depth_factor".into(), u.depth_factor));
        }
        if let Some(c) = &self.control_line {
            for r in &c.rules {
                numbers.push((format!("control_line {}", r.kind), r.distance_m));
            }
        }
        if let Some(s) = &self.spacing {
            numbers.push(("spacing.k".into(), s.k));
            numbers.push(("spacing.search_m".into(), s.search_m));
        }
        if let Some(f) = &self.far {
            numbers.push(("far.low_storey_factor".into(), f.low_storey_factor));
            if let Some(m) = &f.multiplier {
                if m.step_m.is_nan() || m.step_m <= 0.0 {
                    return bad("far.multiplier.step_m must be > 0".into());
                }
            }
        }
        if let Some(d) = &self.declared {
            numbers.push(("declared.area_relative".into(), d.area_relative));
            numbers.push(("declared.height_m".into(), d.height_m));
        }
        if let Some(l) = &self.land_use {
            for class in l.codes.values() {
                if !l.allowed.contains_key(class) {
                    return bad(format!(
                        "land_use.codes maps to '{class}', which land_use.allowed does not define"
                    ));
                }
            }
        }
        for (field, v) in numbers {
            if !v.is_finite() || v < 0.0 {
                return bad(format!("{field} = {v}: must be a finite number ≥ 0"));
            }
        }
        Ok(())
    }

    pub fn label(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }

    pub fn cite(&self, clause: &str, unverified: bool) -> Citation {
        Citation {
            level: self.level.as_str().into(),
            profile: self.label(),
            clause: clause.to_string(),
            unverified,
        }
    }
}

/// The profile stack a review runs with. Parcel conditions come from the site.
#[derive(Debug, Clone)]
pub struct Profiles {
    /// Most specific first: city, then national.
    pub stack: Vec<Profile>,
}

impl Profiles {
    pub fn new(national: Profile, city: Option<Profile>) -> Profiles {
        Profiles {
            stack: city.into_iter().chain(std::iter::once(national)).collect(),
        }
    }

    /// The shipped national defaults and demo city profile.
    pub fn builtin() -> Result<Profiles, ProfileError> {
        let n = Profile::from_toml("assets/profiles/national.toml", NATIONAL)?;
        let c = Profile::from_toml("assets/profiles/demo-city.toml", DEMO_CITY)?;
        Ok(Profiles::new(n, Some(c)))
    }

    /// The most specific profile that has the section, with the section.
    pub fn pick<'a, T>(
        &'a self,
        f: impl Fn(&'a Profile) -> Option<&'a T>,
    ) -> Option<(&'a T, &'a Profile)> {
        self.stack.iter().find_map(|p| f(p).map(|s| (s, p)))
    }

    pub fn tolerance(&self) -> Tolerance {
        self.pick(|p| p.tolerance.as_ref())
            .map(|(t, _)| t.clone())
            .unwrap_or(Tolerance {
                distance_m: 0.05,
                area_relative: 0.005,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_parse_and_city_wins() {
        let p = Profiles::builtin().unwrap();
        assert_eq!(p.stack[0].level, Level::City);
        let (_, from) = p.pick(|p| p.setback_road.as_ref()).unwrap();
        assert_eq!(from.level, Level::City);
        // Only the national profile has fire separation: it falls through.
        let (_, from) = p.pick(|p| p.fire_separation.as_ref()).unwrap();
        assert_eq!(from.level, Level::National);
        let t = p.tolerance();
        assert_eq!((t.distance_m, t.area_relative), (0.05, 0.005));
    }

    #[test]
    fn errors_name_the_profile_and_field() {
        let e = Profile::from_toml("x.toml", "id = 1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml"), "{e}");
        let e = Profile::from_toml(
            "y.toml",
            "id='a'\nversion='1'\nlevel='city'\nname='n'\n[spacing]\nclause='c'\nk=-1\nmin_m=1\nfacing_sector_deg=45\ngable_min_m=6\ngable_min_high_rise_m=13\nsearch_m=100\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("y.toml") && e.contains("spacing.k"), "{e}");
        let e = Profile::from_toml(
            "z.toml",
            "id='a'\nversion='1'\nlevel='city'\nname='n'\nbogus=1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("bogus"), "{e}");
    }
}
