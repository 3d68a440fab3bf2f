//! Planning height 建筑高度 of one building (GB 50352-2019 4.5.2): from the outdoor
//! ground to the top of a flat roof or parapet, to the mean of eave and ridge of a
//! pitched roof, leaving out rooftop stair/lift/tank rooms of at most ¼ of the roof and
//! roof accessories; to the highest point, said so, when the model has no roof.

use super::{is_roof, max_z};
use crate::model::{Element, HeightMethod, Space, Storey};
use ifc_lite_core::IfcType;
use std::collections::{BTreeMap, HashSet};

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

/// Excluded from height by GB 50352-2019 4.5.2 whatever their size.
pub fn is_roof_accessory(e: &Element) -> bool {
    let c = e.ifc_class.as_str();
    c == "IfcChimney" || super::is(c, IfcType::IfcDistributionElement) || c == "IfcShadingDevice"
}

fn matches_rooftop_words(s: &str) -> bool {
    let l = s.to_lowercase();
    ROOFTOP_WORDS.iter().any(|w| l.contains(w))
}

/// One building's storeys, spaces and fabric.
pub struct Scope<'a> {
    pub storeys: Vec<&'a Storey>,
    pub spaces: &'a [Space],
    pub fabric: Vec<&'a Element>,
}

pub struct Height<'a> {
    pub height_m: Option<f64>,
    pub method: Option<HeightMethod>,
    pub notes: Vec<String>,
    /// Storeys left out as rooftop rooms.
    pub rooftop: HashSet<String>,
    /// The elements that count for height: no rooftop rooms, no rooftop structures
    /// inside the top storey, no roof accessories.
    pub main: Vec<&'a Element>,
}

/// Topmost storeys whose outline is at most 1/4 of the largest storey and whose name
/// or spaces say stair/lift/tank.
fn rooftop_rooms(
    scope: &Scope,
    outline_area: &BTreeMap<String, f64>,
    notes: &mut Vec<String>,
) -> HashSet<String> {
    let area = |s: &Storey| outline_area.get(&s.node.global_id).copied().unwrap_or(0.0);
    let max_outline = scope.storeys.iter().map(|s| area(s)).fold(0.0, f64::max);
    let mut rooftop = HashSet::new();
    for s in scope.storeys.iter().rev() {
        let a = area(s);
        if a == 0.0 {
            continue;
        }
        let gid = &s.node.global_id;
        let named = [s.node.name.as_deref(), s.node.long_name.as_deref()]
            .into_iter()
            .flatten()
            .any(matches_rooftop_words)
            || scope.spaces.iter().any(|x| {
                x.storey.as_deref() == Some(gid)
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
            rooftop.insert(gid.clone());
            notes.push(format!(
                "storey '{}' ({a:.1} m², at most 1/4 of the roof) is a rooftop stair/lift/tank room and is excluded from the height",
                s.node.name.clone().unwrap_or_default()
            ));
        } else {
            break;
        }
    }
    rooftop
}

fn main_without_rooms<'a>(scope: &Scope<'a>, rooftop: &HashSet<String>) -> Vec<&'a Element> {
    scope
        .fabric
        .iter()
        .copied()
        .filter(|e| {
            !e.storey.as_deref().is_some_and(|s| rooftop.contains(s)) && !is_roof_accessory(e)
        })
        .collect()
}

/// Stair/lift/tank structures modelled inside the top storey rather than as a storey of
/// their own (a lift overrun 电梯井道出屋面, a stair exit, a water tank room): the
/// elements standing on the roof whose name or type says so. Left out of the height
/// when together they cover at most ¼ of the largest storey (GB 50352-2019 4.5.2).
fn rooftop_structures(
    main: &[&Element],
    max_outline: f64,
    notes: &mut Vec<String>,
) -> HashSet<String> {
    let Some(roof_top) = max_z(main.iter().copied().filter(|e| is_roof(e))) else {
        return HashSet::new();
    };
    let on_roof: Vec<&Element> = main
        .iter()
        .copied()
        .filter(|e| !is_roof(e) && e.bbox.is_some_and(|b| b.min[2] >= roof_top - 0.05))
        .filter(|e| {
            [e.name.as_deref(), e.object_type.as_deref()]
                .into_iter()
                .flatten()
                .any(matches_rooftop_words)
        })
        .collect();
    if on_roof.is_empty() {
        return HashSet::new();
    }
    let area = super::project_tris(&on_roof, super::Cut::All)
        .finish()
        .area_m2;
    if area > ROOFTOP_SHARE * max_outline {
        return HashSet::new();
    }
    notes.push(format!(
        "{} rooftop stair/lift/tank element(s) on the roof ({area:.1} m², at most 1/4 of the roof) are excluded from the height",
        on_roof.len()
    ));
    on_roof.iter().map(|e| e.global_id.clone()).collect()
}

/// The planning height of the building in `scope` above ground `g`.
pub fn planning<'a>(
    scope: &Scope<'a>,
    outline_area: &BTreeMap<String, f64>,
    g: Option<f64>,
) -> Height<'a> {
    let mut notes = Vec::new();
    let rooftop = rooftop_rooms(scope, outline_area, &mut notes);
    let max_outline = scope
        .storeys
        .iter()
        .filter_map(|s| outline_area.get(&s.node.global_id))
        .copied()
        .fold(0.0, f64::max);
    let mut main = main_without_rooms(scope, &rooftop);
    let rooftop_elements = rooftop_structures(&main, max_outline, &mut notes);
    main.retain(|e| !rooftop_elements.contains(&e.global_id));
    let (mut height_m, mut method) = (None, None);
    if let Some(g) = g {
        let roofs: Vec<&Element> = main.iter().copied().filter(|e| is_roof(e)).collect();
        let top = max_z(main.iter().copied());
        if roofs.is_empty() {
            if let Some(top) = top {
                height_m = Some(top - g);
                method = Some(HeightMethod::HighestPoint);
                notes.push(
                    "the model has no IfcRoof or roof slab: height is to the highest point".into(),
                );
            }
        } else {
            let (flat_a, pitched_a, eave, ridge) = roof_faces(&roofs);
            if pitched_a > flat_a && eave <= ridge {
                height_m = Some((eave + ridge) / 2.0 - g);
                method = Some(HeightMethod::PitchedRoof);
                notes.push(format!(
                    "pitched roof: eave {eave:.3} m, ridge {ridge:.3} m"
                ));
            } else if let Some(top) = top {
                height_m = Some(top - g);
                method = Some(HeightMethod::FlatRoof);
                notes.push("flat roof: height to the top of the parapet or roof".into());
            }
        }
    }
    Height {
        height_m,
        method,
        notes,
        rooftop,
        main,
    }
}

/// Upward faces of the roof: flat and pitched area, eave (lowest) and ridge (highest)
/// of the pitched ones.
fn roof_faces(roofs: &[&Element]) -> (f64, f64, f64, f64) {
    let (mut flat_a, mut pitched_a) = (0.0, 0.0);
    let (mut eave, mut ridge) = (f64::MAX, f64::MIN);
    for r in roofs {
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
            let grade = (n[0] * n[0] + n[1] * n[1]).sqrt() / n[2];
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
    (flat_a, pitched_a, eave, ridge)
}
