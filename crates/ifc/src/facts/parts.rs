//! Above-ground parts by height: a podium 裙房 and its tower 塔楼, the steps of a
//! set-back tower. Setback tables, spacing and fire separation depend on height, and
//! GB 50352 and the city rules measure the podium and the tower each against its own.
//!
//! Each storey's above-ground outline is taken with the top of its geometry; going from
//! the highest top down, a storey's part is what of its outline no higher storey
//! already covers. Equal outlines (a tower's typical floors) leave nothing, so a
//! 30-storey tower on a 3-storey podium gives two parts.

use super::ground::GROUND_TOL_M;
use super::height::Scope;
use super::{project_tris, Cut};
use crate::footprint::{difference, union_all, Outline};
use crate::model::{Element, Part, Rings};
use rayon::prelude::*;
use std::collections::HashSet;

/// Parts smaller than this (m²) are slivers of snapping, not parts.
const MIN_PART_M2: f64 = 0.1;

/// The parts of the building in `scope` (its rooftop rooms and accessories already
/// left out of `main`), highest first, heights capped at the building's `height_m`.
pub fn of_building(
    building: Option<&str>,
    scope: &Scope,
    main: &[&Element],
    rooftop: &HashSet<String>,
    g: Option<f64>,
    height_m: Option<f64>,
) -> Vec<Part> {
    let Some(g) = g else {
        return Vec::new();
    };
    let hi = g + GROUND_TOL_M;
    // (top z, outline) per storey, plus the elements outside any storey as one group.
    let mut keys: Vec<Option<&str>> = scope
        .storeys
        .iter()
        .map(|s| Some(s.node.global_id.as_str()))
        .filter(|k| !k.is_some_and(|k| rooftop.contains(k)))
        .collect();
    keys.push(None);
    // Each level's outline ends in one overlay on one core: the levels side by side
    // (the tiled LargeBuilding's two storeys took 41 ms one after the other).
    let mut levels: Vec<(f64, Outline)> = keys
        .par_iter()
        .filter_map(|&key| level(main, key, hi))
        .collect();
    levels.sort_by(|a, b| b.0.total_cmp(&a.0));
    let last = levels.len().saturating_sub(1);
    let mut covered: Rings = Vec::new();
    let mut parts = Vec::new();
    for (k, (top, outline)) in levels.into_iter().enumerate() {
        // Under nothing yet (the highest level), a level's part is its outline: no
        // overlay, which on a model of one storey was the whole of the parts' work.
        let own = if covered.is_empty() {
            outline.clone()
        } else {
            difference(&outline.rings, &covered)
        };
        if own.area_m2 >= MIN_PART_M2 {
            let h = top - g;
            parts.push(Part {
                building: building.map(str::to_string),
                outline: own.rings,
                area_m2: own.area_m2,
                height_m: Some(height_m.map_or(h, |cap| h.min(cap))),
            });
        }
        // What the last level covers is not asked: no union of the whole building.
        if k < last {
            covered = if covered.is_empty() {
                outline.rings
            } else {
                union_all([&covered, &outline.rings]).rings
            };
        }
    }
    parts
}

/// The top and the above-ground outline of one storey's elements (`key`; `None`: the
/// elements in no storey), or `None` when none reaches above the ground cut `hi` or
/// their outline has no area.
fn level(main: &[&Element], key: Option<&str>, hi: f64) -> Option<(f64, Outline)> {
    let els: Vec<&Element> = main
        .iter()
        .copied()
        .filter(|e| match key {
            Some(k) => e.storey.as_deref() == Some(k),
            None => e.storey.is_none(),
        })
        .filter(|e| e.bbox.is_some_and(|b| b.max[2] > hi))
        .collect();
    let top = super::max_z(els.iter().copied())?;
    let outline = project_tris(&els, Cut::Above(hi)).finish();
    (outline.area_m2 > 0.0).then_some((top, outline))
}
