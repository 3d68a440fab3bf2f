//! Building facts for the planning checks: footprint, ground, planning height,
//! storeys above/below ground, gross floor area.

use crate::error::Diagnostic;
use crate::footprint::{clip_z, Union};
use crate::model::*;
use ifc_lite_core::IfcType;
use std::collections::{BTreeMap, HashSet};

/// Storeys at or above this elevation (m, relative to ±0.00) count as above ground.
const ABOVE_GROUND_EPS: f64 = 0.01;
/// Walls lower than this (parapets, kerbs) do not make a level a storey: GB/T 50353 counts
/// no area below 1.20 m of headroom.
const MIN_STOREY_WALL_M: f64 = 1.2;
/// Roof surfaces steeper than 3 % are pitched (GB 50693-2011 2.0.1 坡屋面).
const PITCHED_MIN_GRADE: f64 = 0.03;
/// Rooftop rooms covering at most this share of the roof are excluded (GB 50352-2019 4.5.2).
const ROOFTOP_SHARE: f64 = 0.25;
const ROOFTOP_WORDS: &[&str] = &[
    "楼梯",
    "电梯",
    "水箱",
    "机房",
    "梯间",
    "stair",
    "lift",
    "elevator",
    "tank",
    "machine",
    "penthouse",
    "mechanical",
];

fn is(class: &str, parent: IfcType) -> bool {
    let t = IfcType::from_str(&class.to_ascii_uppercase());
    !matches!(t, IfcType::Unknown(_)) && t.is_subtype_of(parent)
}

/// Elements that are part of the building's volume (not furniture, services, zones, terrain).
fn is_fabric(e: &Element) -> bool {
    let c = e.ifc_class.as_str();
    !(is(c, IfcType::IfcFurnishingElement)
        || is(c, IfcType::IfcDistributionElement)
        || is(c, IfcType::IfcVirtualElement)
        || is(c, IfcType::IfcAnnotation)
        || is(c, IfcType::IfcGrid)
        || is(c, IfcType::IfcGeographicElement)
        || is(c, IfcType::IfcSpatialZone)
        || is(c, IfcType::IfcTransportElement))
}

fn is_roof(e: &Element) -> bool {
    e.ifc_class == "IfcRoof"
        || e.part_of.as_deref() == Some("IfcRoof")
        || (e.ifc_class.starts_with("IfcSlab") && e.predefined_type.as_deref() == Some("ROOF"))
}

/// Excluded from height by GB 50352-2019 4.5.2 whatever their size.
fn is_roof_accessory(e: &Element) -> bool {
    let c = e.ifc_class.as_str();
    c == "IfcChimney" || is(c, IfcType::IfcDistributionElement) || c == "IfcShadingDevice"
}

fn is_foundation(e: &Element) -> bool {
    matches!(e.ifc_class.as_str(), "IfcFooting" | "IfcPile")
}

fn project_tris(
    elements: &[&Element],
    f: impl Fn(&[[f64; 3]; 3]) -> Option<Vec<[f64; 3]>>,
) -> Union {
    let mut u = Union::new();
    for e in elements {
        let Some(m) = &e.mesh else { continue };
        for t in m.triangles() {
            if let Some(poly) = f(&t) {
                let p: Vec<[f64; 2]> = poly.iter().map(|v| [v[0], v[1]]).collect();
                u.add(&p);
            }
        }
    }
    u
}

fn max_z<'a>(els: impl Iterator<Item = &'a Element>) -> Option<f64> {
    els.filter_map(|e| e.bbox)
        .map(|b| b.max[2])
        .reduce(f64::max)
}

fn matches_rooftop_words(s: &str) -> bool {
    let l = s.to_lowercase();
    ROOFTOP_WORDS.iter().any(|w| l.contains(w))
}

pub fn compute(
    storeys: &[Storey],
    spaces: &[Space],
    elements: &[Element],
    buildings: &[Building],
    diags: &mut Vec<Diagnostic>,
) -> Facts {
    let mut notes = Vec::new();
    // The building's own elements: those inside an IfcBuilding, else all (and say so).
    let in_building: Vec<&Element> = elements.iter().filter(|e| e.building.is_some()).collect();
    let fabric: Vec<&Element> = if in_building.is_empty() {
        if !elements.is_empty() {
            diags.push(Diagnostic::warn(
                "no_building_containment",
                "no element is contained in an IfcBuilding; building facts use every element",
            ));
        }
        elements.iter().filter(|e| is_fabric(e)).collect()
    } else {
        in_building.into_iter().filter(|e| is_fabric(e)).collect()
    };
    let geom_min_z = fabric
        .iter()
        .filter_map(|e| e.bbox)
        .map(|b| b.min[2])
        .reduce(f64::min);
    let highest_point_m = max_z(fabric.iter().copied());

    // Ground reference.
    let mut ground: Option<(f64, String)> = None;
    if let Some(b) = buildings
        .iter()
        .find(|b| b.elevation_of_terrain_m.is_some())
    {
        let t = b.elevation_of_terrain_m.unwrap_or_default();
        let g = t - b.elevation_of_ref_height_m.unwrap_or(0.0);
        let plausible = match (geom_min_z, highest_point_m) {
            (Some(lo), Some(hi)) => g >= lo - 10.0 && g <= hi,
            _ => true,
        };
        if plausible {
            ground = Some((g, "IfcBuilding.ElevationOfTerrain".into()));
        } else {
            diags.push(Diagnostic::warn(
                "terrain_implausible",
                format!("IfcBuilding.ElevationOfTerrain gives ground at {g:.3} m, outside the building's geometry; ignored"),
            ));
        }
    }
    if ground.is_none() {
        let lowest_above = storeys
            .iter()
            .filter_map(Storey::level_m)
            .filter(|&z| z >= -ABOVE_GROUND_EPS)
            .reduce(f64::min);
        if let Some(z) = lowest_above {
            ground = Some((z, "lowest above-ground IfcBuildingStorey".into()));
        }
    }
    let ground_m = ground.as_ref().map(|g| g.0);
    if ground_m.is_none() {
        diags.push(Diagnostic::warn(
            "no_ground_reference",
            "no IfcBuilding.ElevationOfTerrain and no storey elevations: ground level unknown, height not computed",
        ));
    }

    // Footprints.
    let (footprint, below) = match ground_m {
        Some(g) => {
            let above = project_tris(&fabric, |t| {
                let hi = t.iter().map(|v| v[2]).fold(f64::MIN, f64::max);
                (hi >= g - 0.01).then(|| clip_z(t, g - 0.01, true))
            })
            .finish();
            let below = project_tris(&fabric, |t| {
                let lo = t.iter().map(|v| v[2]).fold(f64::MAX, f64::min);
                (lo < g - 0.01).then(|| clip_z(t, g - 0.01, false))
            })
            .finish();
            (above, below)
        }
        None => (
            project_tris(&fabric, |t| Some(t.to_vec())).finish(),
            Default::default(),
        ),
    };
    if footprint.dropped > 0 {
        diags.push(Diagnostic::warn(
            "footprint_out_of_range",
            format!("{} polygons lie too far from the model origin for the footprint grid and were skipped", footprint.dropped),
        ));
    }

    // Storey outlines for GFA and rooftop detection.
    let mut gfa_by_storey = Vec::new();
    let mut outline_area: BTreeMap<String, f64> = BTreeMap::new();
    for s in storeys {
        let els: Vec<&Element> = fabric
            .iter()
            .copied()
            .filter(|e| {
                e.storey.as_deref() == Some(&s.node.global_id) && !is_roof(e) && !is_foundation(e)
            })
            .collect();
        let mut area = project_tris(&els, |t| Some(t.to_vec())).finish();
        if !els.iter().any(|e| e.ifc_class.starts_with("IfcSlab")) && !area.rings.is_empty() {
            // No floor slab: the rooms are holes in the wall outline. Gross area is
            // measured to the outer face of the outer walls (GB/T 50353), so fill them.
            let outer: Rings = area.rings.iter().map(|p| vec![p[0].clone()]).collect();
            area.area_m2 = crate::footprint::rings_area(&outer);
        }
        let sp: Vec<&Space> = spaces
            .iter()
            .filter(|x| x.storey.as_deref() == Some(&s.node.global_id))
            .collect();
        let spaces_m2 = (!sp.is_empty()).then(|| {
            sp.iter()
                .filter_map(|x| x.gross_floor_area.as_ref().or(x.net_floor_area.as_ref()))
                .map(|a| a.value_m2)
                .sum::<f64>()
        });
        let above_ground = match (s.level_m(), ground_m) {
            (Some(z), Some(g)) => z >= g - ABOVE_GROUND_EPS,
            (Some(z), None) => z >= -ABOVE_GROUND_EPS,
            _ => true,
        };
        // A level counts as a storey when it has a floor slab or spaces, or, above
        // ground, walls or columns. Below ground, walls alone are foundation stems. On a
        // roof, walls lower than a storey are parapets 女儿墙: they do not make a storey,
        // and spaces enclosed only by them are open roof terraces 露台 (GB/T 50353 3.0.27).
        let is_upright = |e: &&&Element| {
            e.ifc_class.starts_with("IfcWall")
                || e.ifc_class.starts_with("IfcColumn")
                || e.ifc_class == "IfcCurtainWall"
        };
        let tall = |e: &&&Element| {
            e.bbox
                .is_some_and(|b| b.max[2] - b.min[2] >= MIN_STOREY_WALL_M)
        };
        let uprights: Vec<&&Element> = els.iter().filter(is_upright).collect();
        let only_parapets = !uprights.is_empty() && !uprights.iter().any(tall);
        let has_floor = (!sp.is_empty() && !only_parapets)
            || els.iter().any(|e| e.ifc_class.starts_with("IfcSlab"))
            || (above_ground && uprights.iter().any(tall));
        let (gfa, source) = if !has_floor {
            (None, None)
        } else if area.area_m2 > 0.0 {
            (Some(area.area_m2), Some(AreaSource::StoreyOutline))
        } else if let Some(v) = spaces_m2.filter(|v| *v > 0.0) {
            (Some(v), Some(AreaSource::Quantity))
        } else {
            (None, None)
        };
        outline_area.insert(s.node.global_id.clone(), gfa.unwrap_or(0.0));
        gfa_by_storey.push(StoreyArea {
            global_id: s.node.global_id.clone(),
            name: s.node.name.clone(),
            elevation_m: s.level_m(),
            above_ground,
            gfa_m2: gfa,
            source,
            spaces_m2,
        });
    }
    let storeys_above = gfa_by_storey
        .iter()
        .filter(|s| s.above_ground && s.gfa_m2.is_some())
        .count();
    let storeys_below = gfa_by_storey
        .iter()
        .filter(|s| !s.above_ground && s.gfa_m2.is_some())
        .count();
    let skipped: Vec<String> = gfa_by_storey
        .iter()
        .filter(|s| s.gfa_m2.is_none())
        .map(|s| s.name.clone().unwrap_or_else(|| s.global_id.clone()))
        .collect();
    if !skipped.is_empty() {
        notes.push(format!(
            "levels without floor, spaces or (above ground) walls are not counted as storeys: {}",
            skipped.join(", ")
        ));
    }
    let gfa_m2 = {
        let v: Vec<f64> = gfa_by_storey.iter().filter_map(|s| s.gfa_m2).collect();
        (!v.is_empty()).then(|| v.iter().sum())
    };

    // Rooftop rooms: topmost storeys whose outline is at most 1/4 of the largest storey and
    // whose name or spaces say stair/lift/tank.
    let max_outline = outline_area.values().copied().fold(0.0, f64::max);
    let mut rooftop: HashSet<&str> = HashSet::new();
    for s in storeys.iter().rev() {
        let a = outline_area.get(&s.node.global_id).copied().unwrap_or(0.0);
        if a == 0.0 {
            continue;
        }
        let named = s.node.name.as_deref().is_some_and(matches_rooftop_words)
            || s.node
                .long_name
                .as_deref()
                .is_some_and(matches_rooftop_words)
            || spaces.iter().any(|x| {
                x.storey.as_deref() == Some(&s.node.global_id)
                    && [
                        x.node.name.as_deref(),
                        x.node.long_name.as_deref(),
                        x.usage.as_deref(),
                    ]
                    .into_iter()
                    .flatten()
                    .any(matches_rooftop_words)
            });
        if a <= ROOFTOP_SHARE * max_outline && named {
            rooftop.insert(s.node.global_id.as_str());
            notes.push(format!(
                "storey '{}' ({a:.1} m², at most 1/4 of the roof) is a rooftop stair/lift/tank room and is excluded from the height",
                s.node.name.clone().unwrap_or_default()
            ));
        } else {
            break;
        }
    }
    let main: Vec<&Element> = fabric
        .iter()
        .copied()
        .filter(|e| {
            !e.storey.as_deref().is_some_and(|s| rooftop.contains(s)) && !is_roof_accessory(e)
        })
        .collect();

    // Planning height.
    let roofs: Vec<&Element> = main.iter().copied().filter(|e| is_roof(e)).collect();
    let (mut height_m, mut height_method) = (None, None);
    if let Some(g) = ground_m {
        if roofs.is_empty() {
            if let Some(top) = max_z(main.iter().copied()) {
                height_m = Some(top - g);
                height_method = Some(HeightMethod::HighestPoint);
                notes.push(
                    "the model has no IfcRoof or roof slab: height is to the highest point".into(),
                );
            }
        } else {
            // Upward faces of the roof: area-weighted slope, eave (lowest) and ridge (highest).
            let (mut flat_a, mut pitched_a) = (0.0, 0.0);
            let (mut eave, mut ridge) = (f64::MAX, f64::MIN);
            for r in &roofs {
                let Some(m) = &r.mesh else { continue };
                for t in m.triangles() {
                    let u = [t[1][0] - t[0][0], t[1][1] - t[0][1], t[1][2] - t[0][2]];
                    let v = [t[2][0] - t[0][0], t[2][1] - t[0][1], t[2][2] - t[0][2]];
                    let n = [
                        u[1] * v[2] - u[2] * v[1],
                        u[2] * v[0] - u[0] * v[2],
                        u[0] * v[1] - u[1] * v[0],
                    ];
                    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                    if len == 0.0 || n[2] / len < 0.1 {
                        continue;
                    }
                    let horiz = (n[0] * n[0] + n[1] * n[1]).sqrt();
                    let grade = horiz / n[2];
                    if grade > PITCHED_MIN_GRADE {
                        pitched_a += len / 2.0;
                        for p in &t {
                            eave = eave.min(p[2]);
                            ridge = ridge.max(p[2]);
                        }
                    } else {
                        flat_a += len / 2.0;
                    }
                }
            }
            let top = max_z(main.iter().copied());
            if pitched_a > flat_a && eave <= ridge {
                height_m = Some((eave + ridge) / 2.0 - g);
                height_method = Some(HeightMethod::PitchedRoof);
                notes.push(format!(
                    "pitched roof: eave {eave:.3} m, ridge {ridge:.3} m"
                ));
            } else if let Some(top) = top {
                height_m = Some(top - g);
                height_method = Some(HeightMethod::FlatRoof);
                notes.push("flat roof: height to the top of the parapet or roof".into());
            }
        }
    }
    if let Some(h) = height_m {
        if h < 0.0 {
            diags.push(Diagnostic::warn(
                "negative_height",
                format!("planning height {h:.3} m is negative"),
            ));
        }
    }

    let mut gfa_by_use: BTreeMap<String, f64> = BTreeMap::new();
    for s in spaces {
        if let Some(a) = s.gross_floor_area.as_ref().or(s.net_floor_area.as_ref()) {
            *gfa_by_use
                .entry(s.usage.clone().unwrap_or_else(|| "unspecified".into()))
                .or_default() += a.value_m2;
        }
    }

    Facts {
        footprint_area_m2: footprint.area_m2,
        footprint: footprint.rings,
        footprint_below_area_m2: below.area_m2,
        footprint_below: below.rings,
        ground_m,
        ground_source: ground.map(|g| g.1),
        height_m,
        height_method,
        height_notes: notes,
        highest_point_m,
        storeys_above,
        storeys_below,
        gfa_m2,
        gfa_by_storey,
        gfa_by_use,
    }
}
