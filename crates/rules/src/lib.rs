//! zhishen-rules: planning-condition checks 规划条件核验.
//!
//! `review` measures one placed building against its parcel's conditions, the city profile
//! and the national defaults (precedence parcel > city > national) and returns a
//! [`Report`]: one result per check with status, measured value, limit, clause, evidence
//! geometry and the IFC elements involved. Missing data makes a check `unverifiable`,
//! never `pass`. No IO here: the caller loads the model, the site and the profile texts.

pub mod checks;
pub mod context;
pub mod geom;
mod missing;
pub mod neighbours;
pub mod profile;
pub mod uses;

/// The report types and writers live in `zhishen-report` (no GDAL); re-exported so that
/// `zhishen_rules::report::…`, `::html` and `::bcf` keep working.
pub use zhishen_report::{bcf, html, report, Pictures};

use context::Ctx;
use geo::BoundingRect;
pub use profile::{Profile, ProfileError, Profiles};
use report::{BuildingInfo, ContextFeature, Inputs, ParcelInfo, Tolerance, UseInfo};
pub use report::{CheckResult, Lang, Report, Status, Text, Unit};
use zhishen_ifc::Model;
use zhishen_site::{PlacedBuilding, PlacementSource, SiteModel};

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("parcel '{id}' is not in the site package (parcels: {known})")]
    UnknownParcel { id: String, known: String },
    #[error("parcel '{id}' ({file}) has no polygon geometry")]
    ParcelGeometry { id: String, file: String },
    #[error("--use '{term}': not a known building use; use e.g. 住宅/residential, 商业/commercial, 办公/office, 教育/education")]
    UnknownUse { term: String },
    #[error("--use '{term}': share '{share}' is not a number between 0 and 1")]
    UseShare { term: String, share: String },
}

/// Everything a review needs, already loaded.
pub struct ReviewInput<'a> {
    pub model: &'a Model,
    pub site: &'a SiteModel,
    pub parcel_id: &'a str,
    /// The placed building, or why it could not be placed.
    pub placed: Result<PlacedBuilding, String>,
    /// `--use`: one or more uses, optionally with GFA shares: `住宅:0.9,商业:0.1`.
    pub declared_use: Option<&'a str>,
    pub profiles: &'a Profiles,
    pub inputs: Inputs,
}

/// A use category with its share of the GFA, when known.
#[derive(Debug, Clone, PartialEq)]
pub struct UseShare {
    pub category: String,
    pub share: Option<f64>,
}

/// Reads the building's uses: `--use` when given, else Pset_BuildingCommon.OccupancyType
/// and the IfcSpaces' usage, name and long name (English or Chinese terms).
/// Spaces whose use is not recognised take the building's use, or the main use of the
/// recognised spaces.
pub fn gather_uses(
    model: &Model,
    declared: Option<&str>,
) -> Result<(Vec<UseInfo>, Vec<UseShare>), RulesError> {
    match declared {
        Some(d) => declared_uses(d),
        None => Ok(model_uses(model)),
    }
}

/// The uses given on the command line (`--use 住宅:0.7,商业`): one without a share
/// takes the rest.
fn declared_uses(d: &str) -> Result<(Vec<UseInfo>, Vec<UseShare>), RulesError> {
    let parts: Vec<&str> = d
        .split([',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let mut infos = Vec::new();
    let mut shares: Vec<UseShare> = Vec::new();
    for p in &parts {
        let (term, share) = match p.split_once([':', '：']) {
            Some((t, s)) => {
                let v: f64 = s.trim().parse().map_err(|_| RulesError::UseShare {
                    term: t.into(),
                    share: s.into(),
                })?;
                if !(0.0..=1.0).contains(&v) {
                    return Err(RulesError::UseShare {
                        term: t.into(),
                        share: s.into(),
                    });
                }
                (t.trim(), Some(v))
            }
            None => (*p, None),
        };
        let cat =
            uses::category(term).ok_or_else(|| RulesError::UnknownUse { term: term.into() })?;
        infos.push(UseInfo {
            category: cat.into(),
            term: term.into(),
            source: "--use".into(),
            area_m2: None,
        });
        shares.push(UseShare {
            category: cat.into(),
            share,
        });
    }
    // One use without a share takes the rest.
    let missing = shares.iter().filter(|s| s.share.is_none()).count();
    if missing == 1 {
        let given: f64 = shares.iter().filter_map(|s| s.share).sum();
        if let Some(s) = shares.iter_mut().find(|s| s.share.is_none()) {
            s.share = Some((1.0 - given).max(0.0));
        }
    }
    Ok((infos, merge(shares)))
}

/// The uses the model states: its buildings' occupancy types and its spaces' names and
/// usages, with shares by space area.
fn model_uses(model: &Model) -> (Vec<UseInfo>, Vec<UseShare>) {
    let mut infos = Vec::new();
    let mut building_cats: Vec<String> = Vec::new();
    for b in &model.buildings {
        if let Some(t) = &b.occupancy_type {
            if let Some(c) = uses::category(t) {
                infos.push(UseInfo {
                    category: c.into(),
                    term: t.clone(),
                    source: format!(
                        "IfcBuilding {} Pset_BuildingCommon.OccupancyType",
                        b.node.global_id
                    ),
                    area_m2: None,
                });
                if !building_cats.iter().any(|x| x == c) {
                    building_cats.push(c.into());
                }
            }
        }
    }
    let mut recognised: Vec<(String, f64)> = Vec::new();
    let mut unrecognised = 0.0;
    for s in &model.spaces {
        let area = s
            .gross_floor_area
            .as_ref()
            .or(s.net_floor_area.as_ref())
            .map(|a| a.value_m2)
            .unwrap_or(0.0);
        let found = [
            s.usage.as_deref(),
            s.node.name.as_deref(),
            s.node.long_name.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find_map(|t| uses::category(t).map(|c| (c, t)));
        match found {
            Some((c, t)) => {
                infos.push(UseInfo {
                    category: c.into(),
                    term: t.into(),
                    source: format!("IfcSpace {}", s.node.global_id),
                    area_m2: Some(area),
                });
                recognised.push((c.into(), area));
            }
            None => unrecognised += area,
        }
    }
    let shares = use_shares(&building_cats, &recognised, unrecognised);
    (infos, merge(shares))
}

/// Shares by space area: the buildings' own uses take what the spaces of other uses do
/// not (undivided among several); without building uses, the spaces' uses, the largest
/// also taking the unrecognised area.
fn use_shares(
    building_cats: &[String],
    recognised: &[(String, f64)],
    unrecognised: f64,
) -> Vec<UseShare> {
    let total: f64 = recognised.iter().map(|r| r.1).sum::<f64>() + unrecognised;
    let mut shares: Vec<UseShare> = Vec::new();
    if !building_cats.is_empty() {
        if total > 0.0 {
            for (c, a) in recognised {
                if !building_cats.contains(c) {
                    shares.push(UseShare {
                        category: c.clone(),
                        share: Some(a / total),
                    });
                }
            }
            let others: f64 = shares.iter().filter_map(|s| s.share).sum();
            let rest = (1.0 - others).max(0.0);
            let n = building_cats.len() as f64;
            for c in building_cats {
                shares.push(UseShare {
                    category: c.clone(),
                    share: (n == 1.0).then_some(rest),
                });
            }
        } else {
            let single = building_cats.len() == 1;
            for c in building_cats {
                shares.push(UseShare {
                    category: c.clone(),
                    share: single.then_some(1.0),
                });
            }
        }
    } else if !recognised.is_empty() {
        let mut by: std::collections::BTreeMap<String, f64> = Default::default();
        for (c, a) in recognised {
            *by.entry(c.clone()).or_default() += a;
        }
        let main = by
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(k, _)| k.clone());
        if let Some(m) = main {
            *by.entry(m).or_default() += unrecognised;
        }
        for (c, a) in by {
            shares.push(UseShare {
                category: c,
                share: (total > 0.0).then(|| a / total),
            });
        }
    }
    shares
}

fn merge(v: Vec<UseShare>) -> Vec<UseShare> {
    let mut out: Vec<UseShare> = Vec::new();
    for s in v {
        match out.iter_mut().find(|o| o.category == s.category) {
            Some(o) => {
                o.share = match (o.share, s.share) {
                    (Some(a), Some(b)) => Some(a + b),
                    _ => None,
                }
            }
            None => out.push(s),
        }
    }
    out
}

/// Parcel `id` of the site, or an error naming the first 20 parcels it has.
fn parcel_or_known<'a>(
    site: &'a SiteModel,
    id: &str,
) -> Result<&'a zhishen_site::Feature, RulesError> {
    site.parcel(id).ok_or_else(|| {
        let mut ids: Vec<&str> = site
            .of_kind(zhishen_site::Kind::Parcel)
            .filter_map(|f| f.id())
            .collect();
        ids.sort();
        let n = ids.len();
        ids.truncate(20);
        RulesError::UnknownParcel {
            id: id.into(),
            known: if n > ids.len() {
                format!("{}, … ({n} in all)", ids.join(", "))
            } else {
                ids.join(", ")
            },
        }
    })
}

/// What the report says of the building: its facts, placed where it was placed.
fn building_info(
    model: &Model,
    placed: Option<&PlacedBuilding>,
    far_area: Option<f64>,
    use_infos: Vec<UseInfo>,
) -> BuildingInfo {
    let facts = &model.facts;
    let ground = facts.ground_m;
    BuildingInfo {
        file: model.file.clone(),
        project_global_id: model.project.as_ref().map(|p| p.global_id.clone()),
        schema: model.schema.clone(),
        placement: match placed.map(|p| &p.source) {
            Some(PlacementSource::MapConversion { .. }) => "map_conversion",
            Some(PlacementSource::SiteReference { .. }) => "site_reference",
            Some(PlacementSource::Explicit(_)) => "explicit",
            None => "none",
        }
        .into(),
        placement_accuracy: placed
            .map(|p| format!("{:?}", p.accuracy).to_lowercase())
            .unwrap_or_else(|| "none".into()),
        footprint: placed.map(|p| geom::geojson(&geo::Geometry::MultiPolygon(p.footprint.clone()))),
        footprint_below: placed
            .filter(|p| !p.footprint_below.0.is_empty())
            .map(|p| geom::geojson(&geo::Geometry::MultiPolygon(p.footprint_below.clone()))),
        footprint_area_m2: placed
            .map(|p| p.footprint_area_m2())
            .unwrap_or(facts.footprint_area_m2),
        base_area_m2: placed
            .map(|p| p.base_area_m2())
            .unwrap_or(facts.base_area_m2),
        parts: facts
            .parts
            .iter()
            .map(|p| report::PartInfo {
                building: p.building.clone(),
                area_m2: p.area_m2,
                height_m: p.height_m,
            })
            .collect(),
        height_m: facts.height_m,
        height_method: facts.height_method.as_ref().map(|m| format!("{m:?}")),
        highest_point_m: facts.highest_point_m.zip(ground).map(|(h, g)| h - g),
        highest_point_abs_m: facts
            .highest_point_m
            .zip(placed.and_then(|p| p.origin_elevation_m))
            .map(|(h, e)| h + e),
        ground_m: ground,
        storeys_above: facts.storeys_above,
        storeys_below: facts.storeys_below,
        gfa_m2: facts.gfa_m2,
        far_area_m2: far_area,
        uses: use_infos,
        warnings: placed.map(|p| p.warnings.clone()).unwrap_or_default(),
    }
}

/// Runs every check for one building on one parcel.
pub fn review(input: ReviewInput) -> Result<Report, RulesError> {
    let site = input.site;
    let parcel = parcel_or_known(site, input.parcel_id)?;
    if geom::polygons(&parcel.geometry).0.is_empty() {
        return Err(RulesError::ParcelGeometry {
            id: input.parcel_id.into(),
            file: parcel.file.clone(),
        });
    }
    let (use_infos, use_shares) = gather_uses(input.model, input.declared_use)?;
    let input = far_placement_is_no_placement(input, parcel);
    let (placed, problem) = match &input.placed {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e.clone())),
    };
    let mut ctx = Ctx::new(
        input.model,
        site,
        input.profiles,
        parcel,
        placed,
        problem,
        use_infos.clone(),
    );
    ctx.use_shares = use_shares;
    ctx.main_use = ctx
        .use_shares
        .iter()
        .max_by(|a, b| a.share.unwrap_or(0.0).total_cmp(&b.share.unwrap_or(0.0)))
        .map(|s| s.category.clone())
        .or(ctx.main_use.clone());
    // The checks are independent pure functions of one context: side by side on the
    // rayon pool, in `ALL`'s order (a 30 MB model's review ran them on one core).
    let mut checks: Vec<CheckResult> = {
        use rayon::prelude::*;
        checks::ALL
            .par_iter()
            .map(|(id, f)| {
                // The time of each check, with `ZHISHEN_LOG=zhishen_rules=debug`, is the
                // span's (the subscriber's clock: this crate reads none).
                let _span = tracing::debug_span!("check", id).entered();
                f(&ctx)
            })
            .collect()
    };
    unverifiable_on_refused(&mut checks, &site.refused_fields(parcel), input.parcel_id);
    if let Some(d) = input.inputs.declared.as_ref().filter(|d| !d.is_empty()) {
        checks.extend(checks::declared::checks(&ctx, d));
    }
    missing::unverifiable_on_missing_geometry(&mut checks, &input.model.facts.missing_geometry);
    let summary = Report::summarize(&checks);
    let far_area = checks::far::far_area(&ctx).ok().map(|t| t.0);
    let building = building_info(input.model, placed, far_area, use_infos);
    let conditions = parcel
        .attrs
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    let parcel_info = ParcelInfo {
        id: input.parcel_id.into(),
        name: parcel.text("name").map(str::to_string),
        land_use: parcel.text("land_use").map(str::to_string),
        area_m2: ctx.parcel_area,
        conditions,
        geometry: geom::geojson(&parcel.geometry),
        file: parcel.file.clone(),
    };
    let context = context_features(&ctx);
    let t = input.profiles.tolerance();
    Ok(Report {
        schema: report::SCHEMA.into(),
        site_crs: site.crs.clone(),
        inputs: input.inputs,
        parcel: parcel_info,
        building,
        tolerance: Tolerance {
            distance_m: t.distance_m,
            area_relative: t.area_relative,
        },
        checks,
        summary,
        context,
    })
}

/// The parcel fields each check reads where an absent value means "no parcel limit"
/// (the check then falls back to a profile default or a national ceiling).
const PARCEL_FIELDS_OF: &[(&str, &[&str])] = &[
    ("far", &["far_max", "far_min"]),
    ("coverage", &["coverage_max"]),
    ("green_ratio", &["green_min"]),
    ("height_planning", &["height_max"]),
    ("setback_road", &["setback_road_min"]),
    ("setback_boundary", &["setback_boundary_min"]),
];

/// A parcel value the site loader refused as out of range (e.g. `height_max = -10`) is
/// not "no limit": a check that passed or failed without it is unverifiable instead.
fn unverifiable_on_refused(checks: &mut [CheckResult], refused: &[&str], parcel: &str) {
    for c in checks.iter_mut() {
        let Some((_, fields)) = PARCEL_FIELDS_OF.iter().find(|(id, _)| *id == c.id) else {
            continue;
        };
        let hit: Vec<&str> = refused
            .iter()
            .copied()
            .filter(|f| fields.contains(f))
            .collect();
        if hit.is_empty() || !matches!(c.status, Status::Pass | Status::Fail) {
            continue;
        }
        c.status = Status::Unverifiable;
        c.within_tolerance = false;
        c.explanation = Text::new(
            format!(
                "地块 {parcel} 的 {} 超出有效范围, 未予采用, 无法核验",
                hit.join("、")
            ),
            format!(
                "parcel {parcel}: {} outside its valid range and not used; cannot be verified",
                hit.join(", ")
            ),
        );
    }
}

/// Farther than this from its parcel, a placement is not meant for this site.
const MAX_PLACEMENT_GAP_M: f64 = 5_000.0;

/// A model whose own georeferencing puts it kilometres from the parcel (e.g. an IfcSite
/// location in another country) is not placed on this site: its checks become unverifiable
/// instead of failing against a parcel it was never meant for.
fn far_placement_is_no_placement<'a>(
    mut input: ReviewInput<'a>,
    parcel: &zhishen_site::Feature,
) -> ReviewInput<'a> {
    let Ok(p) = &input.placed else { return input };
    if matches!(p.source, PlacementSource::Explicit(_)) {
        return input;
    }
    let (Some(f), Some(r)) = (p.footprint.bounding_rect(), parcel.geometry.bounding_rect()) else {
        return input;
    };
    let gap =
        ((f.center().x - r.center().x).powi(2) + (f.center().y - r.center().y).powi(2)).sqrt();
    if gap > MAX_PLACEMENT_GAP_M || !gap.is_finite() {
        let how = match &p.source {
            PlacementSource::SiteReference { lat, lon } => {
                format!("IfcSite RefLatitude/RefLongitude {lat:.5}, {lon:.5}")
            }
            PlacementSource::MapConversion { model_crs, .. } => {
                format!("its map conversion ({model_crs})")
            }
            PlacementSource::Explicit(_) => String::new(),
        };
        input.placed = Err(format!(
            "{how} places the model {:.0} km from parcel {}; give --place E,N,rotation",
            gap / 1000.0,
            input.parcel_id
        ));
    }
    input
}

/// Site features within 60 m of the parcel (and the footprint) for the plan view.
fn context_features(ctx: &Ctx) -> Vec<ContextFeature> {
    let mut area = ctx.parcel_poly.clone();
    if let Some(f) = ctx.footprint() {
        area.0.extend(f.0.iter().cloned());
    }
    let Some(r) = area.bounding_rect() else {
        return Vec::new();
    };
    let g = geo::Geometry::Rect(r);
    let mut out: Vec<ContextFeature> = ctx
        .site
        .within_distance(&g, 60.0)
        .into_iter()
        .map(|(f, _)| ContextFeature {
            kind: f.kind.as_str().into(),
            name: f
                .text("name")
                .map(str::to_string)
                .or_else(|| f.id().map(str::to_string)),
            geometry: geom::geojson(&f.geometry),
        })
        .collect();
    out.truncate(500);
    out
}
