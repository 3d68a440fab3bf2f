//! Pairs of one of the model's above-ground parts and a building near it, for the
//! checks between buildings (spacing, fire separation). A neighbour is an existing
//! building 现状建筑 of the site, or another building of the same model (a
//! development of several buildings on one parcel must keep its own spacing). Each
//! part is measured with its own height: a stepped tower's low step faces the
//! neighbour with the low step's height.

use crate::context::{Ctx, PartGeom};
use crate::geom::closest_points;
use geo::Geometry;
use zhishen_site::Kind;

pub struct Neighbour<'a> {
    pub name: String,
    pub geom: &'a Geometry<f64>,
    pub height_m: Option<f64>,
    pub residential: bool,
}

pub struct Pair<'a> {
    pub ours: &'a PartGeom,
    pub theirs: Neighbour<'a>,
    /// Closest points (on ours, on theirs) and their distance, computed once here.
    pub a: geo::Coord<f64>,
    pub b: geo::Coord<f64>,
    pub distance: f64,
}

fn building_name(ctx: &Ctx, gid: Option<&str>) -> String {
    let name = ctx
        .model
        .buildings
        .iter()
        .find(|b| Some(b.node.global_id.as_str()) == gid)
        .and_then(|b| b.node.name.clone())
        .unwrap_or_else(|| gid.unwrap_or("?").to_string());
    format!("{name} (本模型 this model)")
}

/// Every (part, neighbour) pair within `search` metres. With `nearest`, a part with no
/// existing building within `search` is paired with the nearest one, and the model's
/// own buildings are paired whatever their distance.
pub fn pairs<'a>(ctx: &'a Ctx, parts: &'a [PartGeom], search: f64, nearest: bool) -> Vec<Pair<'a>> {
    let mut out = Vec::new();
    for p in parts {
        let mut found = ctx.site.within(Kind::ExistingBuilding, &p.geom, search);
        if found.is_empty() && nearest {
            found.extend(
                ctx.site
                    .nearest(Kind::ExistingBuilding, &p.geom)
                    .map(|x| x.0),
            );
        }
        for n in found {
            let Some((a, b, distance)) = closest_points(&p.geom, &n.geometry) else {
                continue;
            };
            out.push(Pair {
                ours: p,
                theirs: Neighbour {
                    name: n.label(),
                    geom: &n.geometry,
                    height_m: n.number("height_m"),
                    residential: crate::uses::feature_is_residential(n),
                },
                a,
                b,
                distance,
            });
        }
    }
    // The model's own buildings, each pair once.
    for (i, a) in parts.iter().enumerate() {
        for b in &parts[i + 1..] {
            if a.building == b.building {
                continue;
            }
            let (ours, theirs) = if a.building < b.building {
                (a, b)
            } else {
                (b, a)
            };
            let Some((a, b, distance)) = closest_points(&ours.geom, &theirs.geom) else {
                continue;
            };
            if nearest || distance <= search {
                out.push(Pair {
                    ours,
                    theirs: Neighbour {
                        name: building_name(ctx, theirs.building.as_deref()),
                        geom: &theirs.geom,
                        height_m: theirs.height_m,
                        residential: ctx.is_residential(),
                    },
                    a,
                    b,
                    distance,
                });
            }
        }
    }
    out
}
