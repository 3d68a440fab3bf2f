//! Building facts for the planning checks: footprint, ground, planning height,
//! storeys above/below ground, gross floor area, and the parts of each building by height.
//!
//! Geometry decides what is above ground (`ground`), storeys decide GFA (`gfa`), each
//! IfcBuilding gets its own planning height (`height`) and parts (`parts`); a model with
//! several buildings reports the highest as its height and sums areas.

mod gfa;
mod ground;
mod height;
mod parts;
mod terrain;

use crate::error::Diagnostic;
use crate::footprint::{ClippedTriangle, Outline, Union};
use crate::model::*;
use ifc_lite_core::IfcType;

/// Storeys at or above this elevation (m, relative to ±0.00) count as above ground.
const ABOVE_GROUND_EPS: f64 = 0.01;

fn is(class: &str, parent: IfcType) -> bool {
    let t = IfcType::from_str(&class.to_ascii_uppercase());
    !matches!(t, IfcType::Unknown(_)) && t.is_subtype_of(parent)
}

/// Elements that are part of the building's volume (not furniture, services, zones,
/// terrain): a question of the class alone.
///
/// Reinforcement 钢筋 and fasteners (bolts, anchors) are components held inside or
/// between the members they belong to, never the building's outline or height:
/// starter bars standing out of a column top are not the building's height. A
/// detailed structural export is mostly bars (each bent bar a swept tube of hundreds
/// of triangles), so outlining them was most of such a model's facts.
fn is_fabric(c: &str) -> bool {
    !(is(c, IfcType::IfcFurnishingElement)
        || is(c, IfcType::IfcReinforcingElement)
        || is(c, IfcType::IfcFastener)
        || is(c, IfcType::IfcMechanicalFastener)
        || is(c, IfcType::IfcDistributionElement)
        || is(c, IfcType::IfcVirtualElement)
        || is(c, IfcType::IfcAnnotation)
        || is(c, IfcType::IfcGrid)
        || is(c, IfcType::IfcGeographicElement)
        || is(c, IfcType::IfcSpatialZone)
        || is(c, IfcType::IfcTransportElement))
}

/// Revit's categories of landscape and people, which it exports as proxies with the
/// category in the `Other` set: planting 绿化植物 (its RPC trees, a few thousand
/// triangles each) and entourage (people, cars). Never the building, though the
/// exporter puts them in a storey: the LargeBuilding sample's trees widened Level 1's
/// outline (its GFA) by a fifth, made a 6.1 m building part, and were unioned like
/// walls.
const LANDSCAPE: &[&str] = &["Planting", "Entourage"];

/// Whether `e` is landscape by its exporter's own category (see [`LANDSCAPE`]).
fn is_landscape(e: &Element) -> bool {
    e.ifc_class == "IfcBuildingElementProxy"
        && matches!(
            e.properties.get("Other.Category"),
            Some(serde_json::Value::String(c)) if LANDSCAPE.contains(&c.trim())
        )
}

fn is_roof(e: &Element) -> bool {
    e.ifc_class == "IfcRoof"
        || e.part_of.as_deref() == Some("IfcRoof")
        || (e.ifc_class.starts_with("IfcSlab") && e.predefined_type.as_deref() == Some("ROOF"))
}

fn is_foundation(e: &Element) -> bool {
    matches!(e.ifc_class.as_str(), "IfcFooting" | "IfcPile")
}

/// Which part of each triangle a projection takes.
#[derive(Clone, Copy)]
enum Cut {
    /// The whole triangle.
    All,
    /// The part at or above this z, of triangles reaching above it.
    Above(f64),
    /// The part at or below this z, of triangles reaching below it.
    Below(f64),
}

impl Cut {
    /// The part of the triangle the cut takes, in plan.
    fn apply(self, t: &[[f64; 3]; 3]) -> Option<ClippedTriangle> {
        match self {
            Cut::All => Some(ClippedTriangle::whole(t)),
            Cut::Above(z) => {
                let top = t.iter().map(|v| v[2]).fold(f64::MIN, f64::max);
                (top > z).then(|| crate::footprint::clip_z(t, z, true))
            }
            Cut::Below(z) => {
                let bottom = t.iter().map(|v| v[2]).fold(f64::MAX, f64::min);
                (bottom < z).then(|| crate::footprint::clip_z(t, z, false))
            }
        }
    }

    /// Whether the cut takes this triangle whole: every corner on the kept side,
    /// where [`Cut::apply`] gives the same three corners back.
    fn whole(self, t: &[[f64; 3]; 3]) -> bool {
        match self {
            Cut::All => true,
            Cut::Above(z) => t.iter().all(|v| v[2] >= z) && t.iter().any(|v| v[2] > z),
            Cut::Below(z) => t.iter().all(|v| v[2] <= z) && t.iter().any(|v| v[2] < z),
        }
    }

    /// Whether the cut leaves an element of this box whole (`Some(true)`: every
    /// triangle is taken unclipped, as `All` takes it), takes nothing of it
    /// (`Some(false)`), or must clip it (`None`). The box is the triangles' own
    /// (`Element::bbox`, which the loader takes from `Mesh::bbox`: the same f64
    /// vertices), so the decision is exact.
    fn keeps(self, b: &BBox) -> Option<bool> {
        match self {
            Cut::All => Some(true),
            Cut::Above(z) if b.min[2] > z => Some(true),
            Cut::Above(z) if b.max[2] <= z => Some(false),
            Cut::Below(z) if b.max[2] < z => Some(true),
            Cut::Below(z) if b.min[2] >= z => Some(false),
            _ => None,
        }
    }
}

/// The plan outline of `m`'s triangles taken by `cut`.
///
/// Triangles are added without allocating: the mesh's corners are snapped once
/// each, and only the triangles crossing the cut plane are clipped (a triangle on
/// the kept side is what the clip would give back). The grid's origin is the one
/// polygon-by-polygon adding would take: the first taken polygon's first corner.
/// Unioning each triangle's own copy of its corners was most of the facts of a
/// rebar model.
fn outline_of(m: &Mesh, cut: Cut) -> Option<Outline> {
    let plan = |v: [f64; 3]| [v[0], v[1]];
    // `Union::add` takes its origin from the first polygon of three corners or more.
    let first = m
        .triangles()
        .filter_map(|t| cut.apply(&t))
        .find_map(|p| (p.corners().len() >= 3).then(|| p.corners()[0]))?;
    let mut u = Union::with_capacity(m.indices().len());
    let grid = u.snap_points(first, (0..m.vertex_count()).map(|i| plan(m.vertex(i))));
    let n = grid.len();
    for t in m.indices().chunks_exact(3) {
        let [a, b, c] = [t[0] as usize, t[1] as usize, t[2] as usize];
        if !(a < n && b < n && c < n) {
            continue;
        }
        let t = [m.vertex(a), m.vertex(b), m.vertex(c)];
        if cut.whole(&t) {
            u.add_snapped_triangle([grid[a], grid[b], grid[c]]);
        } else if let Some(poly) = cut.apply(&t) {
            u.add(poly.corners());
        }
    }
    (!u.is_empty() || u.dropped() > 0).then(|| u.finish())
}

/// The union of `cut` applied to every triangle of `elements`, projected to plan.
///
/// An element the cut cannot reach (by its box) is skipped without reading its
/// triangles.
///
/// Each element's triangles are first unioned on their own, in parallel, and the
/// global union takes those outlines: the same region on the same 1 cm grid (the
/// outlines' corners are grid points, so nothing moves when they are added again),
/// with far fewer contours in each overlay, and the overlays run in parallel: element
/// outlines are unioned in groups of [`GROUP`], level by level. A solid's top and
/// bottom faces, and a brep's many small facets, collapse into one outline per element.
/// Unioning every triangle of a 100 MB model at once took longer than meshing it.
///
/// Before any of that, the widest elements' outlines are made, and an element whose
/// box lies inside one of them is never unioned at all (`Holders`): on a building
/// the interior walls, doors and stairs stand on the storeys' slabs (the 30 MB
/// corpus's facts 0.085 → 0.040 s).
fn project_tris(elements: &[&Element], cut: Cut) -> Union {
    use rayon::prelude::*;
    let outline = |e: &Element| -> Option<Outline> {
        let m = e.mesh.as_ref()?;
        match e.bbox.and_then(|b| cut.keeps(&b)) {
            // The same element's whole outline is asked for by several passes.
            Some(true) => m.plan(|m| outline_of(m, Cut::All)),
            Some(false) => None,
            // The ground cut is asked by several passes too.
            None => match cut {
                Cut::Above(z) => m.plan_above(z, |m| outline_of(m, cut)),
                _ => outline_of(m, cut),
            },
        }
    };
    // The elements widest in plan first; then the others, each left out when its box
    // lies inside one of those outlines (`Holders`: it would add nothing).
    let t0 = std::time::Instant::now();
    let (wide, rest) = widest(elements);
    let mut outlines: Vec<Option<Outline>> = vec![None; elements.len()];
    let made: Vec<(usize, Option<Outline>)> = wide
        .par_iter()
        .map(|&k| (k, outline(elements[k])))
        .collect();
    for (k, o) in made {
        outlines[k] = o;
    }
    let t_wide = t0.elapsed().as_secs_f64();
    let holders = crate::footprint::Holders::new(outlines.iter().flatten());
    let made: Vec<(usize, Option<Outline>)> = rest
        .par_iter()
        .map(|&k| {
            let e = elements[k];
            let held = !holders.is_empty()
                && e.bbox
                    .is_some_and(|b| holders.hold([b.min[0], b.min[1]], [b.max[0], b.max[1]]));
            (k, if held { None } else { outline(e) })
        })
        .collect();
    let held = made
        .iter()
        .filter(|(k, o)| o.is_none() && elements[*k].mesh.is_some())
        .count();
    for (k, o) in made {
        outlines[k] = o;
    }
    let t_rest = t0.elapsed().as_secs_f64();
    // Then, without those inside another, in groups, level by level, until one
    // group is left.
    let mut outlines = crate::footprint::drop_contained(outlines.into_iter().flatten().collect());
    let t_cull = t0.elapsed().as_secs_f64();
    let kept = outlines.len();
    while outlines.len() > GROUP {
        outlines = outlines
            .par_chunks(GROUP)
            .map(|group| Union::of_outlines(group).finish())
            .collect();
    }
    tracing::debug!(
        elements = elements.len(),
        held,
        kept,
        t_wide,
        t_rest,
        t_cull,
        t_groups = t0.elapsed().as_secs_f64(),
        "facts: one projection"
    );
    Union::of_outlines(&outlines)
}

/// The indices of `elements` split into those made first and tried as containers of
/// the rest (the [`WIDEST`] share widest by plan box, at least [`GROUP`] of them), and
/// the rest, each part in element order.
fn widest(elements: &[&Element]) -> (Vec<usize>, Vec<usize>) {
    let n = elements.len();
    let take = (n / WIDEST).max(GROUP);
    if n <= take {
        return ((0..n).collect(), Vec::new());
    }
    let area = |k: usize| {
        elements[k]
            .bbox
            .map(|b| (b.max[0] - b.min[0]) * (b.max[1] - b.min[1]))
            .filter(|a| a.is_finite())
            .unwrap_or(0.0)
    };
    let mut by_area: Vec<usize> = (0..n).collect();
    by_area.select_nth_unstable_by(take, |&a, &b| area(b).total_cmp(&area(a)));
    let mut first = vec![false; n];
    for &k in &by_area[..take] {
        first[k] = true;
    }
    (0..n).partition(|&k| first[k])
}

/// One element in this many is made first as a container ([`widest`]).
const WIDEST: usize = 32;

/// Outlines unioned together at each level of [`project_tris`].
const GROUP: usize = 64;

fn max_z<'a>(els: impl Iterator<Item = &'a Element>) -> Option<f64> {
    els.filter_map(|e| e.bbox)
        .map(|b| b.max[2])
        .reduce(f64::max)
}

/// The building's fabric: elements inside an IfcBuilding, else all (and say so).
fn fabric<'a>(elements: &'a [Element], diags: &mut Vec<Diagnostic>) -> Vec<&'a Element> {
    let in_building: Vec<&Element> = elements.iter().filter(|e| e.building.is_some()).collect();
    // Whether a class is fabric, asked once a class: eight schema lookups an element
    // were a twentieth of the facts at 100 MB.
    let mut by_class: rustc_hash::FxHashMap<&str, bool> = Default::default();
    let mut fabric = |e: &&'a Element| {
        *by_class
            .entry(e.ifc_class.as_str())
            .or_insert_with(|| is_fabric(&e.ifc_class))
            && !is_landscape(e)
    };
    if in_building.is_empty() {
        if !elements.is_empty() {
            diags.push(Diagnostic::warn(
                "no_building_containment",
                "no element is contained in an IfcBuilding; building facts use every element",
            ));
        }
        elements.iter().filter(|e| fabric(e)).collect()
    } else {
        in_building.into_iter().filter(|e| fabric(e)).collect()
    }
}

/// What the facts are computed from: the model's spatial structure and elements.
pub struct Structure<'a> {
    pub storeys: &'a [Storey],
    pub spaces: &'a [Space],
    pub elements: &'a [Element],
    pub buildings: &'a [Building],
    pub sites: &'a [Site],
    /// Elements whose entity did not decode, so they are no [`Element`].
    pub undecoded: &'a [Undecoded],
}

/// An element whose entity did not decode: what [`missing_geometry`] needs of it.
pub struct Undecoded {
    pub id: u32,
    pub ifc_class: String,
    /// Contained (through storeys, spaces or aggregation) in an IfcBuilding.
    pub in_building: bool,
    pub reason: String,
}

/// Why an element in no spatial structure is missing from the facts.
const UNCONTAINED: &str = "it is in no spatial structure (contained in no site, building, storey or space, and not part of, nested in or filling an element that is), so in no building's facts";

/// The building elements whose geometry every fact lacks: the fabric whose body did
/// not mesh, the elements of fabric classes that did not decode (with the same
/// building rule as [`fabric`]), and, when the model's elements are in buildings,
/// those of fabric classes with geometry that are in no spatial structure at all
/// ([`fabric`] leaves them out: they may be the building's or not). A wall that
/// vanished from the footprint must not let a setback pass, so the review makes such
/// a model's geometric checks unverifiable.
fn missing_geometry(m: &Structure, fabric: &[&Element]) -> Vec<MissingGeometry> {
    let any_in_building = m.elements.iter().any(|e| e.building.is_some());
    let missing = |e: &Element, reason: &str| MissingGeometry {
        id: e.id,
        global_id: e.global_id.clone(),
        ifc_class: e.ifc_class.clone(),
        name: e.name.clone(),
        reason: reason.to_string(),
    };
    let unmeshed = (fabric.iter()).filter_map(|e| e.body_error.as_ref().map(|r| missing(e, r)));
    let uncontained = (m.elements.iter())
        .filter(|e| any_in_building && !e.contained && (e.mesh.is_some() || e.body_error.is_some()))
        .filter(|e| is_fabric(&e.ifc_class) && !is_landscape(e))
        .map(|e| missing(e, UNCONTAINED));
    let undecoded = (m.undecoded.iter())
        .filter(|u| (u.in_building || !any_in_building) && is_fabric(&u.ifc_class))
        .map(|u| MissingGeometry {
            id: u.id,
            global_id: String::new(),
            ifc_class: u.ifc_class.clone(),
            name: None,
            reason: u.reason.clone(),
        });
    let mut all: Vec<MissingGeometry> = unmeshed.chain(uncontained).chain(undecoded).collect();
    all.sort_by_key(|g| g.id);
    all
}

/// The outdoor ground 室外设计地面 (model z) and where it came from: the building's
/// ElevationOfTerrain, else the terrain under the building (lowest point along its
/// outline), else the lowest storey at or above ±0.00.
fn ground(
    m: &Structure,
    fabric: &[&Element],
    diags: &mut Vec<Diagnostic>,
) -> Option<(f64, String)> {
    let (storeys, buildings) = (m.storeys, m.buildings);
    let geom_min_z = fabric
        .iter()
        .filter_map(|e| e.bbox)
        .map(|b| b.min[2])
        .reduce(f64::min);
    let highest = max_z(fabric.iter().copied());
    if let Some(b) = buildings
        .iter()
        .find(|b| b.elevation_of_terrain_m.is_some())
    {
        let t = b.elevation_of_terrain_m.unwrap_or_default();
        let g = t - b.elevation_of_ref_height_m.unwrap_or(0.0);
        let plausible = match (geom_min_z, highest) {
            (Some(lo), Some(hi)) => g >= lo - 10.0 && g <= hi,
            _ => true,
        };
        if plausible {
            return Some((g, "IfcBuilding.ElevationOfTerrain".into()));
        }
        diags.push(Diagnostic::warn(
            "terrain_implausible",
            format!("IfcBuilding.ElevationOfTerrain gives ground at {g:.3} m, outside the building's geometry; ignored"),
        ));
    }
    let terrain = terrain::meshes(m.sites, m.elements);
    if let Some(g) = terrain::ground_under(fabric, &terrain) {
        let plausible = match (geom_min_z, highest) {
            (Some(lo), Some(hi)) => g >= lo - 10.0 && g <= hi,
            _ => true,
        };
        if plausible {
            return Some((
                g,
                "terrain geometry (IfcSite / IfcGeographicElement TERRAIN), lowest point along the building outline".into(),
            ));
        }
        diags.push(Diagnostic::warn(
            "terrain_implausible",
            format!("the terrain geometry gives ground at {g:.3} m, outside the building's geometry; ignored"),
        ));
    }
    storeys
        .iter()
        .filter_map(Storey::level_m)
        .filter(|&z| z >= -ABOVE_GROUND_EPS)
        .reduce(f64::min)
        .map(|z| (z, "lowest above-ground IfcBuildingStorey".to_string()))
}

/// One scope per IfcBuilding that has fabric (one scope for the whole model when only
/// one building, or none, holds elements).
fn scopes<'a>(
    storeys: &'a [Storey],
    spaces: &'a [Space],
    fabric: &[&'a Element],
    buildings: &'a [Building],
) -> Vec<(Option<&'a str>, height::Scope<'a>)> {
    let mut out = Vec::new();
    for b in buildings {
        let gid = b.node.global_id.as_str();
        let els: Vec<&Element> = fabric
            .iter()
            .copied()
            .filter(|e| e.building.as_deref() == Some(gid))
            .collect();
        if els.is_empty() {
            continue;
        }
        let sts = storeys
            .iter()
            .filter(|s| s.building.as_deref() == Some(gid))
            .collect();
        out.push((
            Some(gid),
            height::Scope {
                storeys: sts,
                spaces,
                fabric: els,
            },
        ));
    }
    if out.len() <= 1 {
        let building = out.first().and_then(|o| o.0);
        return vec![(
            building,
            height::Scope {
                storeys: storeys.iter().collect(),
                spaces,
                fabric: fabric.to_vec(),
            },
        )];
    }
    out
}

/// Heights and parts of every building, and the model's height (the highest).
struct PerBuilding {
    parts: Vec<Part>,
    height_m: Option<f64>,
    method: Option<HeightMethod>,
    notes: Vec<String>,
    /// Rooftop-room storeys of every building.
    rooftop: std::collections::HashSet<String>,
}

fn per_building(
    scopes: &[(Option<&str>, height::Scope)],
    buildings: &[Building],
    outline_area: &std::collections::BTreeMap<String, f64>,
    ground_m: Option<f64>,
) -> PerBuilding {
    let several = scopes.len() > 1;
    let mut out = PerBuilding {
        parts: Vec::new(),
        height_m: None,
        method: None,
        notes: Vec::new(),
        rooftop: Default::default(),
    };
    for (building, scope) in scopes {
        let h = height::planning(scope, outline_area, ground_m);
        out.parts.extend(parts::of_building(
            *building, scope, &h.main, &h.rooftop, ground_m, h.height_m,
        ));
        let name = buildings
            .iter()
            .find(|b| Some(b.node.global_id.as_str()) == *building)
            .and_then(|b| b.node.name.clone())
            .unwrap_or_else(|| building.unwrap_or("?").to_string());
        out.notes.extend(h.notes.into_iter().map(
            |n| {
                if several {
                    format!("{name}: {n}")
                } else {
                    n
                }
            },
        ));
        if h.height_m.is_some() && (out.height_m.is_none() || h.height_m > out.height_m) {
            out.height_m = h.height_m;
            out.method = h.method;
        }
        out.rooftop.extend(h.rooftop);
    }
    out.parts.sort_by(|a, b| {
        b.height_m
            .unwrap_or(0.0)
            .total_cmp(&a.height_m.unwrap_or(0.0))
    });
    if let (true, Some(h)) = (several, out.height_m) {
        out.notes.push(format!(
            "{} buildings: the model's height is the highest building's ({h:.2} m)",
            scopes.len()
        ));
    }
    out
}

/// Footprints, cut at the ground by geometry (the whole outline above ground when the
/// ground is unknown).
fn footprints(
    fabric: &[&Element],
    ground_m: Option<f64>,
    diags: &mut Vec<Diagnostic>,
) -> ground::GroundCut {
    let cut = match ground_m {
        Some(g) => ground::cut(fabric, g),
        None => {
            let all = project_tris(fabric, Cut::All).finish();
            ground::GroundCut {
                base: all.clone(),
                above: all,
                below: Default::default(),
                notes: Vec::new(),
            }
        }
    };
    if cut.above.dropped > 0 {
        diags.push(Diagnostic::warn(
            "footprint_out_of_range",
            format!("{} polygons lie too far from the model origin for the footprint grid and were skipped", cut.above.dropped),
        ));
    }
    cut
}

pub fn compute(m: &Structure, diags: &mut Vec<Diagnostic>) -> Facts {
    let (storeys, spaces, buildings) = (m.storeys, m.spaces, m.buildings);
    let fabric = fabric(m.elements, diags);
    let missing_geometry = missing_geometry(m, &fabric);
    let highest_point_m = max_z(fabric.iter().copied());
    let ground = ground(m, &fabric, diags);
    let ground_m = ground.as_ref().map(|g| g.0);
    if ground_m.is_none() {
        diags.push(Diagnostic::warn(
            "no_ground_reference",
            "no IfcBuilding.ElevationOfTerrain and no storey elevations: ground level unknown, height not computed",
        ));
    }

    // The footprints and the storeys' areas are independent, and each ends in overlays
    // on one core: side by side (the facts of the tiled Duplex 62 -> 49 ms).
    let (cut, storey_gfa) = rayon::join(
        || footprints(&fabric, ground_m, diags),
        || gfa::per_storey(storeys, spaces, &fabric, ground_m),
    );
    let mut gfa_by_storey = storey_gfa.areas;
    let mut notes = Vec::new();
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

    let per = per_building(
        &scopes(storeys, spaces, &fabric, buildings),
        buildings,
        &storey_gfa.outline_area,
        ground_m,
    );
    for s in gfa_by_storey.iter_mut() {
        s.rooftop_room |= per.rooftop.contains(&s.global_id);
    }
    notes.extend(per.notes);
    let (parts, height_m, height_method) = (per.parts, per.height_m, per.method);
    // Storeys: levels with an area, rooftop rooms not counted above ground.
    let count = |above: bool| {
        gfa_by_storey
            .iter()
            .filter(|s| s.above_ground == above && s.gfa_m2.is_some() && !s.rooftop_room)
            .count()
    };
    let (storeys_above, storeys_below) = (count(true), count(false));
    if let Some(h) = height_m {
        if h < 0.0 {
            diags.push(Diagnostic::warn(
                "negative_height",
                format!("planning height {h:.3} m is negative"),
            ));
        }
    }

    let mut gfa_by_use: std::collections::BTreeMap<String, f64> = Default::default();
    for s in spaces {
        if let Some(a) = s.gross_floor_area.as_ref().or(s.net_floor_area.as_ref()) {
            *gfa_by_use
                .entry(s.usage.clone().unwrap_or_else(|| "unspecified".into()))
                .or_default() += a.value_m2;
        }
    }

    Facts {
        footprint_area_m2: cut.above.area_m2,
        footprint: cut.above.rings,
        base_area_m2: cut.base.area_m2,
        base: cut.base.rings,
        parts,
        footprint_notes: cut.notes,
        footprint_below_area_m2: cut.below.area_m2,
        footprint_below: cut.below.rings,
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
        missing_geometry,
    }
}

#[cfg(test)]
mod cut_tests {
    use super::*;

    fn z_box(lo: f64, hi: f64) -> BBox {
        BBox {
            min: [0.0, 0.0, lo],
            max: [1.0, 1.0, hi],
        }
    }

    /// A box decides a cut only where every triangle inside it would be taken whole
    /// or not at all; a triangle touching the cut height from the kept side is not
    /// taken by `Above`/`Below`, so a box touching it is clipped, not kept whole.
    #[test]
    fn a_box_decides_a_cut_only_where_every_triangle_agrees() {
        assert_eq!(Cut::All.keeps(&z_box(-5.0, 5.0)), Some(true));
        assert_eq!(Cut::Above(1.0).keeps(&z_box(1.5, 3.0)), Some(true));
        assert_eq!(Cut::Above(1.0).keeps(&z_box(1.0, 3.0)), None);
        assert_eq!(Cut::Above(1.0).keeps(&z_box(0.0, 1.0)), Some(false));
        assert_eq!(Cut::Above(1.0).keeps(&z_box(0.0, 2.0)), None);
        assert_eq!(Cut::Below(1.0).keeps(&z_box(-3.0, 0.5)), Some(true));
        assert_eq!(Cut::Below(1.0).keeps(&z_box(-3.0, 1.0)), None);
        assert_eq!(Cut::Below(1.0).keeps(&z_box(1.0, 2.0)), Some(false));
        // What `keeps` says agrees with what `apply` does to a triangle in the box.
        let flat_at = |z: f64| [[0.0, 0.0, z], [1.0, 0.0, z], [0.0, 1.0, z]];
        assert!(Cut::Above(1.0).apply(&flat_at(1.0)).is_none());
        let plan = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]];
        assert_eq!(
            Cut::Above(1.0).apply(&flat_at(1.5)).unwrap().corners(),
            plan
        );
        assert!(Cut::Below(1.0).apply(&flat_at(1.0)).is_none());
        assert_eq!(
            Cut::Below(1.0).apply(&flat_at(0.5)).unwrap().corners(),
            plan
        );
    }

    /// The outline as every triangle's own corners unioned them before the fast
    /// paths: `apply`, then `Union::add`.
    fn outline_by_polygons(m: &Mesh, cut: Cut) -> Option<Outline> {
        let mut u = Union::new();
        for t in m.triangles() {
            if let Some(poly) = cut.apply(&t) {
                u.add(poly.corners());
            }
        }
        (!u.is_empty() || u.dropped() > 0).then(|| u.finish())
    }

    /// An element whose mesh is the closed box `lo`..`hi` (12 triangles).
    fn boxed(id: u32, lo: [f64; 3], hi: [f64; 3]) -> Element {
        let mut positions = Vec::new();
        for k in 0..8 {
            let c = |axis: usize| {
                if k >> axis & 1 == 0 {
                    lo[axis]
                } else {
                    hi[axis]
                }
            };
            positions.extend([c(0) as f32, c(1) as f32, c(2) as f32]);
        }
        let faces: [[u32; 4]; 6] = [
            [0, 2, 3, 1],
            [4, 5, 7, 6],
            [0, 1, 5, 4],
            [2, 6, 7, 3],
            [0, 4, 6, 2],
            [1, 3, 7, 5],
        ];
        let indices = faces
            .iter()
            .flat_map(|f| [f[0], f[1], f[2], f[0], f[2], f[3]])
            .collect();
        let mesh = Mesh::new([0.0; 3], positions, indices);
        Element {
            id,
            global_id: format!("e{id}"),
            ifc_class: "IfcWall".into(),
            predefined_type: None,
            object_type: None,
            name: None,
            storey: None,
            building: None,
            part_of: None,
            properties: Properties::default(),
            bbox: mesh.bbox(),
            mesh: Some(mesh),
            body_error: None,
            contained: true,
        }
    }

    /// Rings on the absolute 1 cm grid, each starting at its least corner, polygons
    /// in order: two unions of one region may take their origins from different first
    /// polygons and start their rings elsewhere.
    fn on_grid(o: &Outline) -> Vec<Vec<Vec<[i64; 2]>>> {
        let mut polys: Vec<Vec<Vec<[i64; 2]>>> = o
            .rings
            .iter()
            .map(|p| {
                p.iter()
                    .map(|r| {
                        let mut g: Vec<[i64; 2]> = r
                            .iter()
                            .map(|v| [(v[0] * 100.0).round() as i64, (v[1] * 100.0).round() as i64])
                            .collect();
                        g.pop(); // the closing corner
                        let least = (0..g.len()).min_by_key(|&k| g[k]).unwrap_or(0);
                        g.rotate_left(least);
                        g
                    })
                    .collect()
            })
            .collect();
        polys.sort();
        polys
    }

    use proptest::prelude::*;

    proptest! {
        /// The allocation-free outline is the polygon-by-polygon one, bit for bit:
        /// the same grid, origin, dropped count and rings, under every cut, with
        /// triangles touching and crossing the cut plane, degenerate ones, corners
        /// off the grid's range and indices out of range.
        #[test]
        fn the_fast_outline_is_the_polygon_by_polygon_one(
            origin in proptest::array::uniform3(-1.0e6f64..1.0e6),
            corners in proptest::collection::vec(
                (
                    proptest::prop_oneof![
                        8 => (-40i16..40).prop_map(|v| f32::from(v) * 0.125),
                        2 => -50.0f32..50.0,
                        1 => proptest::prop_oneof![Just(3.0e7f32), Just(-6.0e7f32)],
                    ],
                    -50.0f32..50.0,
                    // Few heights, so that flat triangles lie on the cut plane.
                    (0u8..4).prop_map(|v| f32::from(v) * 0.5),
                ),
                3..20,
            ),
            indices in proptest::collection::vec(0u32..22, 0..60),
            cut_at in 0usize..20,
            kind in 0u8..3,
        ) {
            let positions = corners.iter().flat_map(|&(x, y, z)| [x, y, z]).collect();
            let m = Mesh::new(origin, positions, indices);
            let z = m.triangles().flatten().nth(cut_at).map_or(origin[2], |v| v[2]);
            let cut = match kind { 0 => Cut::All, 1 => Cut::Above(z), _ => Cut::Below(z) };
            prop_assert_eq!(outline_of(&m, cut), outline_by_polygons(&m, cut));
        }

        /// The law of `project_tris`'s shortcuts (elements left out by their boxes,
        /// outlines inside others dropped, groups): its union is every element's
        /// outline unioned at once, under every cut. Four slabs and 150 boxes standing
        /// on them, across their edges and beside them, some below the cut.
        #[test]
        fn project_tris_is_the_union_of_every_outline(
            slabs in proptest::collection::vec((0u8..30, 0u8..30, 8u8..30, 8u8..30), 4),
            small in proptest::collection::vec(
                (0.0f64..60.0, 0.0f64..60.0, 0.05f64..3.0, 0.05f64..3.0, 0u8..4),
                150,
            ),
            kind in 0u8..3,
        ) {
            let mut els: Vec<Element> = Vec::new();
            for (k, &(x, y, w, h)) in slabs.iter().enumerate() {
                let (x, y) = (f64::from(x), f64::from(y));
                els.push(boxed(k as u32, [x, y, 0.0], [x + f64::from(w), y + f64::from(h), 0.3]));
            }
            for (k, &(x, y, w, h, z)) in small.iter().enumerate() {
                let z = f64::from(z);
                els.push(boxed(100 + k as u32, [x, y, z], [x + w, y + h, z + 1.0]));
            }
            let cut = match kind { 0 => Cut::All, 1 => Cut::Above(1.5), _ => Cut::Below(1.5) };
            let refs: Vec<&Element> = els.iter().collect();
            let fast = project_tris(&refs, cut).finish();
            let mut every = Union::new();
            for e in &els {
                if let Some(o) = outline_of(e.mesh.as_ref().unwrap(), cut) {
                    every.add_outline(&o);
                }
            }
            let every = every.finish();
            prop_assert_eq!(on_grid(&fast), on_grid(&every));
            prop_assert_eq!(fast.area_m2, every.area_m2);
        }
    }
}
