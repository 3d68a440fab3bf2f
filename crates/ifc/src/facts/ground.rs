//! Where the building meets the ground: the above-ground, below-ground and
//! ground-contact (基底) outlines, cut by geometry rather than by element.
//!
//! A basement wall that rises exactly to ±0.00 has a top face lying in the ground
//! plane; counting that face (or a millimetre slice of the wall) above ground made a
//! 92 × 60 m basement part of a 40 × 20 m tower's footprint. So a part is above ground
//! only where it rises more than [`GROUND_TOL_M`] above it, and below ground only
//! where it lies more than that below it.

use super::{project_tris, Cut};
use crate::footprint::{intersection, Outline};
use crate::model::{Element, Rings};

/// A part counts above (below) ground only where it is more than this above (below) it.
pub const GROUND_TOL_M: f64 = 0.01;
/// Top of the ground-contact band: elements reaching into it stand on the ground and
/// make the 基底面积 (one storey's headroom, GB/T 50353 counts full area from 2.20 m).
/// Balconies, canopies and cantilevered floors start above it.
pub const BASE_BAND_M: f64 = 2.2;
/// Elements named in a note, at most.
const NOTE_NAMES: usize = 10;

pub struct GroundCut {
    pub above: Outline,
    pub below: Outline,
    pub base: Outline,
    pub notes: Vec<String>,
}

/// The three outlines of `fabric` cut at ground level `g`.
pub fn cut(fabric: &[&Element], g: f64) -> GroundCut {
    let (lo, hi) = (g - GROUND_TOL_M, g + GROUND_TOL_M);
    // Independent unions: each one's last overlay runs on one core, so side by side.
    let (above, below) = rayon::join(
        || project_tris(fabric, Cut::Above(hi)).finish(),
        || project_tris(fabric, Cut::Below(lo)).finish(),
    );
    let base = base(fabric, g, &above);
    GroundCut {
        above,
        below,
        base,
        notes: notes(fabric, lo, hi),
    }
}

/// The ground-contact outline 基底: the elements that stand in the band from 1 cm to
/// [`BASE_BAND_M`] above the ground, projected (a wall's top face gives its section;
/// its side faces project to nothing), with the rooms between the walls filled where
/// the building covers them (a slab above) and courtyards left open.
fn base(fabric: &[&Element], g: f64, above: &Outline) -> Outline {
    let (hi, top) = (g + GROUND_TOL_M, g + BASE_BAND_M);
    let standing: Vec<&Element> = fabric
        .iter()
        .copied()
        .filter(|e| e.bbox.is_some_and(|b| b.max[2] > hi && b.min[2] < top))
        .collect();
    let band = project_tris(&standing, Cut::Above(hi)).finish();
    // Standing all on the ground (one storey, or every storey over the first one's
    // outline), the band is the above-ground outline, and so is its filled outline's
    // overlap with it: no overlay.
    if band.rings == above.rings {
        // (An overlay of grid outlines drops nothing: neither does this.)
        return Outline { dropped: 0, ..band };
    }
    let filled: Rings = band.rings.iter().map(|p| vec![p[0].clone()]).collect();
    intersection(&filled, &above.rings)
}

/// Says which elements the ground cut: flush with it (below ground only) or split by it.
fn notes(fabric: &[&Element], lo: f64, hi: f64) -> Vec<String> {
    let mut flush = Vec::new();
    let mut split = Vec::new();
    for e in fabric {
        let Some(b) = e.bbox else { continue };
        if b.min[2] < lo && b.max[2] >= lo && b.max[2] <= hi {
            flush.push(label(e));
        } else if b.min[2] < lo && b.max[2] > hi {
            split.push(label(e));
        }
    }
    let mut out = Vec::new();
    if !flush.is_empty() {
        out.push(format!(
            "{} element(s) reach the ground level but rise no more than {GROUND_TOL_M} m above it, so they count below ground only (与室外地面齐平，只计地下): {}",
            flush.len(),
            names(&flush)
        ));
    }
    if !split.is_empty() {
        out.push(format!(
            "{} element(s) cross the ground level and were cut there (跨越室外地面，按地面切分): {}",
            split.len(),
            names(&split)
        ));
    }
    out
}

fn label(e: &Element) -> String {
    match &e.name {
        Some(n) => format!("{} '{n}' {}", e.ifc_class, e.global_id),
        None => format!("{} {}", e.ifc_class, e.global_id),
    }
}

fn names(v: &[String]) -> String {
    let mut s = v
        .iter()
        .take(NOTE_NAMES)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if v.len() > NOTE_NAMES {
        s.push_str(&format!(" and {} more", v.len() - NOTE_NAMES));
    }
    s
}
