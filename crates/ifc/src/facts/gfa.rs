//! Gross floor area 建筑面积 per storey (GB/T 50353-2013): the outline of the storey's
//! fabric to the outer face of the outer walls, plus half of each balcony 阳台 outside
//! the main structure (3.0.21) and half of each canopy 雨篷 reaching 2.10 m or more from
//! the outer wall (3.0.16; a shallower canopy counts nothing).

use super::{is_foundation, is_roof, project_tris, Cut, ABOVE_GROUND_EPS};
use crate::footprint::{difference, distance_to_rings, Outline};
use crate::model::{AreaSource, Element, Rings, Space, Storey, StoreyArea};
use std::collections::BTreeMap;

/// Walls lower than this (parapets, kerbs) do not make a level a storey: GB/T 50353 counts
/// no area below 1.20 m of headroom.
const MIN_STOREY_WALL_M: f64 = 1.2;
/// A canopy without columns counts half its area from this depth on (3.0.16).
const CANOPY_MIN_DEPTH_M: f64 = 2.1;

/// Elements that project from the main structure and have their own area rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projecting {
    Balcony,
    Canopy,
}

/// Balconies and canopies, by class, name, ObjectType or predefined type. Windows and
/// doors never are (an "awning window" is a window).
pub fn projecting(e: &Element) -> Option<Projecting> {
    if e.ifc_class.starts_with("IfcWindow") || e.ifc_class.starts_with("IfcDoor") {
        return None;
    }
    let texts = [
        e.object_type.as_deref(),
        e.name.as_deref(),
        e.predefined_type.as_deref(),
    ];
    let has = |words: &[&str]| {
        texts.iter().flatten().any(|t| {
            let l = t.to_lowercase();
            words.iter().any(|w| l.contains(w))
        })
    };
    if has(&["阳台", "balcony"]) {
        Some(Projecting::Balcony)
    } else if has(&["雨篷", "雨棚", "canopy", "awning"]) {
        Some(Projecting::Canopy)
    } else {
        None
    }
}

pub struct StoreyGfa {
    pub areas: Vec<StoreyArea>,
    /// Outline area per storey GlobalId (0 when not a storey), for the rooftop-room rule.
    pub outline_area: BTreeMap<String, f64>,
}

/// GFA of every storey.
pub fn per_storey(
    storeys: &[Storey],
    spaces: &[Space],
    fabric: &[&Element],
    ground_m: Option<f64>,
) -> StoreyGfa {
    let mut areas = Vec::new();
    let mut outline_area = BTreeMap::new();
    for s in storeys {
        let a = storey_area(s, spaces, fabric, ground_m);
        outline_area.insert(s.node.global_id.clone(), a.gfa_m2.unwrap_or(0.0));
        areas.push(a);
    }
    StoreyGfa {
        areas,
        outline_area,
    }
}

fn storey_area(
    s: &Storey,
    spaces: &[Space],
    fabric: &[&Element],
    ground_m: Option<f64>,
) -> StoreyArea {
    let gid = &s.node.global_id;
    let els: Vec<&Element> = fabric
        .iter()
        .copied()
        .filter(|e| e.storey.as_deref() == Some(gid) && !is_roof(e) && !is_foundation(e))
        .collect();
    let main: Vec<&Element> = els
        .iter()
        .copied()
        .filter(|e| projecting(e).is_none())
        .collect();
    let mut area = project_tris(&main, Cut::All).finish();
    if !main.iter().any(|e| e.ifc_class.starts_with("IfcSlab")) && !area.rings.is_empty() {
        // No floor slab: the rooms are holes in the wall outline. Gross area is
        // measured to the outer face of the outer walls (GB/T 50353), so fill them.
        let outer: Rings = area.rings.iter().map(|p| vec![p[0].clone()]).collect();
        area.area_m2 = crate::footprint::rings_area(&outer);
        area.rings = outer;
    }
    let (balconies_m2, canopies_m2) = projections(&els, &area);
    let sp: Vec<&Space> = spaces
        .iter()
        .filter(|x| x.storey.as_deref() == Some(gid))
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
    let has_floor = is_storey(&els, !sp.is_empty(), above_ground);
    let (gfa, source) = if !has_floor {
        (None, None)
    } else if area.area_m2 > 0.0 {
        (
            Some(area.area_m2 + balconies_m2 + canopies_m2),
            Some(AreaSource::StoreyOutline),
        )
    } else if let Some(v) = spaces_m2.filter(|v| *v > 0.0) {
        (Some(v), Some(AreaSource::Quantity))
    } else {
        (None, None)
    };
    let counted = gfa.is_some() && source == Some(AreaSource::StoreyOutline);
    let roof_top_m = super::max_z(
        fabric
            .iter()
            .copied()
            .filter(|e| e.storey.as_deref() == Some(gid) && is_roof(e)),
    );
    StoreyArea {
        global_id: gid.clone(),
        name: s.node.name.clone(),
        building: s.building.clone(),
        elevation_m: s.level_m(),
        above_ground,
        rooftop_room: false,
        roof_top_m,
        gfa_m2: gfa,
        source,
        spaces_m2,
        balconies_m2: if counted { balconies_m2 } else { 0.0 },
        canopies_m2: if counted { canopies_m2 } else { 0.0 },
    }
}

/// A level counts as a storey when it has a floor slab or spaces, or, above ground,
/// walls or columns. Below ground, walls alone are foundation stems. On a roof, walls
/// lower than a storey are parapets 女儿墙: they do not make a storey, and spaces
/// enclosed only by them are open roof terraces 露台 (GB/T 50353 3.0.27).
fn is_storey(els: &[&Element], has_spaces: bool, above_ground: bool) -> bool {
    let upright = |e: &&&Element| {
        e.ifc_class.starts_with("IfcWall")
            || e.ifc_class.starts_with("IfcColumn")
            || e.ifc_class == "IfcCurtainWall"
    };
    let tall = |e: &&&Element| {
        e.bbox
            .is_some_and(|b| b.max[2] - b.min[2] >= MIN_STOREY_WALL_M)
    };
    let uprights: Vec<&&Element> = els
        .iter()
        .filter(|e| projecting(e).is_none())
        .filter(upright)
        .collect();
    let only_parapets = !uprights.is_empty() && !uprights.iter().any(tall);
    (has_spaces && !only_parapets)
        || els
            .iter()
            .any(|e| e.ifc_class.starts_with("IfcSlab") && projecting(e).is_none())
        || (above_ground && uprights.iter().any(tall))
}

/// Counted balcony and canopy areas of a storey whose main outline is `outline`.
fn projections(els: &[&Element], outline: &Outline) -> (f64, f64) {
    let balconies: Vec<&Element> = els
        .iter()
        .copied()
        .filter(|e| projecting(e) == Some(Projecting::Balcony))
        .collect();
    let balcony = if balconies.is_empty() {
        0.0
    } else {
        let proj = project_tris(&balconies, Cut::All).finish();
        0.5 * difference(&proj.rings, &outline.rings).area_m2
    };
    let mut canopy = 0.0;
    for e in els
        .iter()
        .copied()
        .filter(|e| projecting(e) == Some(Projecting::Canopy))
    {
        let proj = project_tris(&[e], Cut::All).finish();
        let out = difference(&proj.rings, &outline.rings);
        if out.area_m2 <= 0.0 {
            continue;
        }
        // Depth: how far the canopy's outer edge reaches from the outer wall.
        let depth = out
            .rings
            .iter()
            .flatten()
            .flatten()
            .filter_map(|p| distance_to_rings(*p, &outline.rings))
            .fold(0.0, f64::max);
        let depth = if outline.rings.is_empty() {
            f64::INFINITY
        } else {
            depth
        };
        if depth >= CANOPY_MIN_DEPTH_M - 1e-6 {
            canopy += 0.5 * out.area_m2;
        }
    }
    (balcony, canopy)
}
