//! What every check reads: the model, the site, the parcel, the placed building, the uses,
//! the profiles, and helpers that build results the same way everywhere.

use crate::geom;
use crate::profile::{Profiles, Tolerance};
use crate::report::{CheckResult, Citation, Comparison, Status, Text, Unit, UseInfo};
use geo::{Area, BooleanOps, Coord, Geometry, MultiPolygon};
use zhishen_ifc::Model;
use zhishen_site::{Feature, PlacedBuilding, SiteModel};

/// An element's extent in site coordinates, for naming the elements involved.
pub struct ElementBox {
    pub global_id: String,
    pub class: String,
    /// Site-coordinate rectangle [min_e, min_n, max_e, max_n].
    pub site: [f64; 4],
    /// Model-coordinate box [min x, y, z, max x, y, z].
    pub model: [f64; 6],
}

pub struct Ctx<'a> {
    pub model: &'a Model,
    pub site: &'a SiteModel,
    pub profiles: &'a Profiles,
    pub parcel: &'a Feature,
    pub parcel_poly: MultiPolygon<f64>,
    pub parcel_area: f64,
    pub placed: Option<&'a PlacedBuilding>,
    /// Why the building could not be placed, when it could not.
    pub placement_problem: Option<String>,
    pub uses: Vec<UseInfo>,
    /// Category with the largest share, when any use is known.
    pub main_use: Option<String>,
    pub tol: Tolerance,
    pub elements: Vec<ElementBox>,
    /// Use categories with their GFA shares (see `gather_uses`).
    pub use_shares: Vec<crate::UseShare>,
}

/// Classes that are not building fabric for locating offending elements.
fn locatable(class: &str) -> bool {
    !matches!(
        class,
        "IfcSpace"
            | "IfcOpeningElement"
            | "IfcSite"
            | "IfcAnnotation"
            | "IfcGrid"
            | "IfcVirtualElement"
    )
}

impl<'a> Ctx<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        model: &'a Model,
        site: &'a SiteModel,
        profiles: &'a Profiles,
        parcel: &'a Feature,
        placed: Option<&'a PlacedBuilding>,
        placement_problem: Option<String>,
        uses: Vec<UseInfo>,
    ) -> Ctx<'a> {
        let parcel_poly = geom::polygons(&parcel.geometry);
        let parcel_area = parcel_poly.unsigned_area();
        let mut share: std::collections::BTreeMap<&str, f64> = Default::default();
        for u in &uses {
            *share.entry(u.category.as_str()).or_default() += u.area_m2.unwrap_or(1.0);
        }
        let main_use = share
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(k, _)| k.to_string());
        let elements = placed
            .map(|p| {
                model
                    .elements
                    .iter()
                    .filter(|e| locatable(&e.ifc_class))
                    .filter_map(|e| {
                        let b = e.bbox.as_ref()?;
                        let corners = [
                            p.site_xy(b.min[0], b.min[1]),
                            p.site_xy(b.max[0], b.min[1]),
                            p.site_xy(b.max[0], b.max[1]),
                            p.site_xy(b.min[0], b.max[1]),
                        ];
                        let mut s = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
                        for (x, y) in corners {
                            s = [s[0].min(x), s[1].min(y), s[2].max(x), s[3].max(y)];
                        }
                        Some(ElementBox {
                            global_id: e.global_id.clone(),
                            class: e.ifc_class.clone(),
                            site: s,
                            model: [b.min[0], b.min[1], b.min[2], b.max[0], b.max[1], b.max[2]],
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ctx {
            model,
            site,
            profiles,
            parcel,
            parcel_poly,
            parcel_area,
            placed,
            placement_problem,
            uses,
            main_use,
            tol: profiles.tolerance(),
            elements,
            use_shares: Vec::new(),
        }
    }

    pub fn footprint(&self) -> Option<&MultiPolygon<f64>> {
        self.placed.map(|p| &p.footprint)
    }

    /// Above- and below-ground footprints together (red lines bind underground parts too).
    pub fn footprint_all(&self) -> Option<MultiPolygon<f64>> {
        self.placed.map(|p| {
            if p.footprint_below.0.is_empty() {
                p.footprint.clone()
            } else if p.footprint.0.is_empty() {
                p.footprint_below.clone()
            } else {
                p.footprint.union(&p.footprint_below)
            }
        })
    }

    /// Above-ground parts with their own heights (podium, tower, steps; each building of
    /// the model), highest first. A model without parts gives its whole footprint at
    /// the planning height.
    pub fn parts(&self) -> Vec<PartGeom> {
        let Some(p) = self.placed else {
            return Vec::new();
        };
        if p.parts.is_empty() {
            return vec![PartGeom {
                geom: Geometry::MultiPolygon(p.footprint.clone()),
                height_m: self.height(),
                building: None,
            }];
        }
        p.parts
            .iter()
            .map(|x| PartGeom {
                geom: Geometry::MultiPolygon(x.outline.clone()),
                height_m: x.height_m,
                building: x.building.clone(),
            })
            .collect()
    }

    /// How many buildings the model's parts belong to.
    pub fn building_count(&self) -> usize {
        let mut ids: Vec<&Option<String>> = self
            .placed
            .map(|p| p.parts.iter().map(|x| &x.building).collect())
            .unwrap_or_default();
        ids.sort();
        ids.dedup();
        ids.len()
    }

    pub fn is_residential(&self) -> bool {
        self.main_use.as_deref() == Some("residential")
    }

    /// Planning height (m above ground), GB 50352.
    pub fn height(&self) -> Option<f64> {
        self.model.facts.height_m
    }

    /// Elements whose site rectangle lies within `r` of `p`.
    pub fn elements_near(&self, p: Coord<f64>, r: f64) -> Vec<String> {
        self.elements
            .iter()
            .filter(|e| {
                let dx = (e.site[0] - p.x).max(p.x - e.site[2]).max(0.0);
                let dy = (e.site[1] - p.y).max(p.y - e.site[3]).max(0.0);
                dx.hypot(dy) <= r
            })
            .map(|e| e.global_id.clone())
            .take(MAX_ELEMENTS)
            .collect()
    }

    /// Elements whose site rectangle reaches into `g`'s bounding box and intersects it.
    pub fn elements_in(&self, g: &MultiPolygon<f64>) -> Vec<String> {
        use geo::Intersects;
        self.elements
            .iter()
            .filter(|e| {
                let r = geo::Rect::new(
                    Coord {
                        x: e.site[0],
                        y: e.site[1],
                    },
                    Coord {
                        x: e.site[2],
                        y: e.site[3],
                    },
                );
                r.to_polygon().intersects(g)
            })
            .map(|e| e.global_id.clone())
            .take(MAX_ELEMENTS)
            .collect()
    }

    /// Elements whose top reaches `z` (model coordinates).
    pub fn elements_above(&self, z: f64) -> Vec<String> {
        let mut v: Vec<&zhishen_ifc::Element> = self
            .model
            .elements
            .iter()
            .filter(|e| locatable(&e.ifc_class) && e.bbox.is_some_and(|b| b.max[2] >= z))
            .collect();
        v.sort_by(|a, b| {
            let (za, zb) = (a.bbox.map(|x| x.max[2]), b.bbox.map(|x| x.max[2]));
            zb.partial_cmp(&za).unwrap_or(std::cmp::Ordering::Equal)
        });
        v.iter()
            .take(MAX_ELEMENTS)
            .map(|e| e.global_id.clone())
            .collect()
    }

    /// Model-coordinate box of the named elements.
    pub fn bbox_of(&self, ids: &[String]) -> Option<[f64; 6]> {
        let mut out: Option<[f64; 6]> = None;
        for e in &self.model.elements {
            if !ids.contains(&e.global_id) {
                continue;
            }
            let Some(b) = e.bbox else { continue };
            let o = out.get_or_insert([f64::MAX, f64::MAX, f64::MAX, f64::MIN, f64::MIN, f64::MIN]);
            for i in 0..3 {
                o[i] = o[i].min(b.min[i]);
                o[i + 3] = o[i + 3].max(b.max[i]);
            }
        }
        out
    }

    /// Citation of a parcel condition 规划条件.
    pub fn parcel_cite(&self, field: &str) -> Citation {
        Citation {
            level: "parcel".into(),
            profile: format!(
                "site:{}#{}",
                std::path::Path::new(&self.parcel.file)
                    .file_name()
                    .map(|f| f.to_string_lossy().to_string())
                    .unwrap_or_default(),
                self.parcel.id().unwrap_or("?")
            ),
            clause: format!("规划条件 planning condition `{field}`"),
            unverified: false,
        }
    }

    pub fn parcel_id(&self) -> &str {
        self.parcel.id().unwrap_or("?")
    }
}

/// An above-ground part in site coordinates with its height.
pub struct PartGeom {
    pub geom: Geometry<f64>,
    pub height_m: Option<f64>,
    /// GlobalId of its IfcBuilding.
    pub building: Option<String>,
}

/// At most this many GlobalIds per result (the BCF selection stays usable).
pub const MAX_ELEMENTS: usize = 50;

/// A result with everything but the numbers filled in.
pub fn result(id: &str, title: Text, unit: Unit) -> CheckResult {
    CheckResult {
        id: id.into(),
        title,
        status: Status::Unverifiable,
        measured: None,
        limit: None,
        unit,
        comparison: None,
        within_tolerance: false,
        clause: None,
        elements: Vec::new(),
        elements_bbox: None,
        evidence: None,
        explanation: Text::default(),
        details: serde_json::Value::Null,
    }
}

/// The tolerance policy, applied the same way by every check: distances ±`distance_m`,
/// areas and area ratios ±`area_relative` of the limit. A value beyond the limit by no
/// more than that passes and is flagged `within_tolerance`.
pub fn judge(
    measured: f64,
    limit: f64,
    cmp: Comparison,
    unit: Unit,
    tol: &Tolerance,
) -> (Status, bool) {
    let slack = match unit {
        Unit::M => tol.distance_m,
        Unit::Ratio | Unit::M2 => limit.abs() * tol.area_relative,
        Unit::Count => 0.0,
    };
    let over = match cmp {
        Comparison::AtMost => measured - limit,
        Comparison::AtLeast => limit - measured,
        // Equal within the tolerance; exactly equal is the only plain pass.
        Comparison::Matches if measured == limit => 0.0,
        Comparison::Matches => (measured - limit).abs(),
    };
    if over <= 0.0 {
        (Status::Pass, false)
    } else if over <= slack + 1e-12 {
        (Status::Pass, true)
    } else {
        (Status::Fail, false)
    }
}

/// Sets status, numbers and tolerance flag on `r` from a comparison.
pub fn decide(r: &mut CheckResult, measured: f64, limit: f64, cmp: Comparison, tol: &Tolerance) {
    let (s, w) = judge(measured, limit, cmp, r.unit, tol);
    r.status = s;
    r.within_tolerance = w;
    r.measured = Some(measured);
    r.limit = Some(limit);
    r.comparison = Some(cmp);
}

pub fn fmt_m(v: f64) -> String {
    format!("{v:.2} m")
}

pub fn fmt_ratio(v: f64) -> String {
    format!("{v:.3}")
}

pub fn fmt_pct(v: f64) -> String {
    format!("{:.2} %", v * 100.0)
}

/// A minimum-distance result: status and numbers from `d` against `req`, the
/// closest-point segment `a`–`b` as evidence and the model elements at `a`.
/// A pass with `unverified` neighbours (requirement unknown) becomes
/// unverifiable: one of them could still be too close.
pub fn decide_distance(
    r: &mut CheckResult,
    ctx: &Ctx,
    d: f64,
    req: f64,
    a: Coord<f64>,
    b: Coord<f64>,
    unverified: bool,
) {
    decide(r, d, req, Comparison::AtLeast, &ctx.tol);
    if unverified && r.status == Status::Pass {
        r.status = Status::Unverifiable;
    }
    r.evidence = Some(geom::segment_geojson(a, b));
    r.elements = ctx.elements_near(a, 1.0);
    r.elements_bbox = ctx.bbox_of(&r.elements);
}

/// The footprint for a check against existing buildings 现状建筑, or `None`
/// with `r` set: not applicable when the site has none, unverifiable when the
/// building is not placed.
pub fn footprint_near_existing<'a>(
    r: &mut CheckResult,
    ctx: &'a Ctx,
) -> Option<&'a MultiPolygon<f64>> {
    if ctx.site.count(zhishen_site::Kind::ExistingBuilding) == 0 && ctx.building_count() < 2 {
        r.status = Status::NotApplicable;
        r.explanation = Text::new(
            "场地数据中没有现状建筑，模型中也只有一栋建筑",
            "the site package has no existing buildings and the model holds one building",
        );
        return None;
    }
    let fp = ctx.footprint();
    if fp.is_none() {
        needs_placement(r, ctx);
    }
    fp
}

/// Unverifiable because the building could not be placed on the site.
pub fn needs_placement(r: &mut CheckResult, ctx: &Ctx) {
    r.status = Status::Unverifiable;
    let why = ctx.placement_problem.clone().unwrap_or_default();
    r.explanation = Text::new(
        format!("建筑未能落位到场地坐标，无法核验（{why}）"),
        format!("the building could not be placed in site coordinates, so this cannot be verified ({why})"),
    );
}

pub fn geo_poly(m: &MultiPolygon<f64>) -> Geometry<f64> {
    Geometry::MultiPolygon(m.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Tolerance = Tolerance {
        distance_m: 0.05,
        area_relative: 0.005,
    };

    #[test]
    fn tolerance_policy() {
        use Comparison::*;
        // Distances: 10 m required.
        assert_eq!(
            judge(10.0, 10.0, AtLeast, Unit::M, &T),
            (Status::Pass, false)
        );
        assert_eq!(
            judge(9.96, 10.0, AtLeast, Unit::M, &T),
            (Status::Pass, true)
        );
        assert_eq!(
            judge(9.9, 10.0, AtLeast, Unit::M, &T),
            (Status::Fail, false)
        );
        // Heights: 12 m allowed.
        assert_eq!(
            judge(12.6, 12.0, AtMost, Unit::M, &T),
            (Status::Fail, false)
        );
        assert_eq!(
            judge(12.0, 12.0, AtMost, Unit::M, &T),
            (Status::Pass, false)
        );
        // Ratios: ±0.5 % of the limit.
        assert_eq!(
            judge(2.51, 2.5, AtMost, Unit::Ratio, &T),
            (Status::Pass, true)
        );
        assert_eq!(
            judge(2.6, 2.5, AtMost, Unit::Ratio, &T),
            (Status::Fail, false)
        );
        assert_eq!(
            judge(0.3375, 0.30, AtMost, Unit::Ratio, &T),
            (Status::Fail, false)
        );
        assert_eq!(
            judge(0.30, 0.30, AtLeast, Unit::Ratio, &T),
            (Status::Pass, false)
        );
    }
}
