//! `setback_underground`: underground setback 地下建筑退线. The below-ground outline
//! (basements, 地下车库) keeps max(`min_m`, `depth_factor` × depth) from the parcel red
//! line 用地红线 and from road red lines 道路红线; depth runs from the ground down to the
//! lowest below-ground point. The national profile asks containment only (0 m); a
//! city profile sets the distance. Measured: the smallest clearance, negative when the
//! basement crosses a line (by the depth of the crossing).

use crate::context::{decide_distance, fmt_m, needs_placement, result, Ctx};
use crate::geom::{closest_points, polygons, Boundary};
use crate::report::{CheckResult, Status, Text, Unit};
use geo::{Contains, CoordsIter, Geometry, Intersects, MultiLineString, MultiPolygon, Point};
use zhishen_site::Kind;

/// A red line the basement is measured against: its name, the clearance (negative =
/// crossed) and the evidence segment.
type Clearance = (String, f64, geo::Coord<f64>, geo::Coord<f64>);

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "setback_underground",
        Text::new("地下建筑退线", "Underground setback"),
        Unit::M,
    );
    let Some((rule, profile)) = ctx.profiles.pick(|p| p.setback_underground.as_ref()) else {
        r.explanation = Text::new(
            "规则配置缺少地下建筑退线规定",
            "no underground setback rule in the profiles",
        );
        return r;
    };
    r.clause = Some(profile.cite(&rule.source.clause, rule.source.unverified));
    let Some(placed) = ctx.placed else {
        needs_placement(&mut r, ctx);
        return r;
    };
    let below = &placed.footprint_below;
    if below.0.is_empty() {
        r.status = Status::NotApplicable;
        r.explanation = Text::new("模型没有地下部分", "the model has nothing below ground");
        return r;
    }
    let depth = depth_below_ground(ctx);
    let req = match depth {
        Some(d) => rule.min_m.max(rule.depth_factor * d),
        None if rule.depth_factor == 0.0 => rule.min_m,
        None => {
            r.explanation = Text::new(
                "无法确定地下部分深度(缺少室外地面标高)",
                "the depth below ground is unknown (no ground level)",
            );
            return r;
        }
    };
    let mut lines = vec![parcel_clearance(ctx, below)];
    lines.extend(road_clearances(ctx, below, req));
    let Some((name, d, a, b)) = lines
        .into_iter()
        .flatten()
        .min_by(|x, y| x.1.total_cmp(&y.1))
    else {
        return r;
    };
    decide_distance(&mut r, ctx, d, req, a, b, false);
    r.details = serde_json::json!({"depth_m": depth, "min_m": rule.min_m, "depth_factor": rule.depth_factor, "governing": name, "below_ground_m2": geo::Area::unsigned_area(below)});
    r.explanation = if r.status == Status::Fail && d < 0.0 {
        Text::new(
            format!("地下部分越过{name} {}，要求退让 {}", fmt_m(-d), fmt_m(req)),
            format!(
                "the underground part crosses the {name} by {}; {} required",
                fmt_m(-d),
                fmt_m(req)
            ),
        )
    } else if r.status == Status::Fail {
        Text::new(
            format!("地下部分距{name} {} < 要求 {}", fmt_m(d), fmt_m(req)),
            format!(
                "the underground part is {} from the {name}, less than the required {}",
                fmt_m(d),
                fmt_m(req)
            ),
        )
    } else {
        Text::new(
            format!("地下部分距{name} {} ≥ 要求 {}", fmt_m(d), fmt_m(req)),
            format!(
                "the underground part is {} from the {name}, at least the required {}",
                fmt_m(d),
                fmt_m(req)
            ),
        )
    };
    r
}

/// Foundations reach far below the basement (a pile may be 30 m long) without being
/// underground construction that a setback is about; terrain is not building.
const NOT_BASEMENT: &[&str] = &[
    "IfcPile",
    "IfcFooting",
    "IfcDeepFoundation",
    "IfcCaissonFoundation",
    "IfcGeographicElement",
];

/// Ground to the lowest below-ground point of the building's fabric (m), foundations
/// left out.
fn depth_below_ground(ctx: &Ctx) -> Option<f64> {
    let g = ctx.model.facts.ground_m?;
    let low = ctx
        .model
        .elements
        .iter()
        .filter(|e| e.building.is_some() || ctx.model.buildings.is_empty())
        .filter(|e| !NOT_BASEMENT.contains(&e.ifc_class.as_str()))
        .filter(|e| e.mesh.is_some())
        .filter_map(|e| e.bbox)
        .map(|b| b.min[2])
        .reduce(f64::min)?;
    (low < g).then_some(g - low)
}

/// Clearance from the parcel red line: inside, the distance to its boundary; crossing
/// it, minus the deepest protrusion.
fn parcel_clearance(ctx: &Ctx, below: &MultiPolygon<f64>) -> Option<Clearance> {
    let name = format!("地块 {} 用地红线 parcel red line", ctx.parcel_id());
    let boundary = Geometry::MultiLineString(MultiLineString(
        ctx.parcel_poly
            .0
            .iter()
            .flat_map(|p| {
                std::iter::once(p.exterior().clone()).chain(p.interiors().iter().cloned())
            })
            .collect(),
    ));
    let parcel = Boundary::of_polygons(&ctx.parcel_poly);
    let mut out: Option<(f64, geo::Coord<f64>)> = None;
    for c in below.coords_iter() {
        if !ctx.parcel_poly.intersects(&Point(c)) {
            let d = parcel.distance(c);
            if out.is_none_or(|(od, _)| d > od) {
                out = Some((d, c));
            }
        }
    }
    let below_geom = Geometry::MultiPolygon(below.clone());
    if let Some((depth, c)) = out {
        let (_, q, _) = closest_points(&Geometry::Point(Point(c)), &boundary)?;
        return Some((name, -depth, c, q));
    }
    let (a, b, d) = closest_points(&below_geom, &boundary)?;
    Some((name, d, a, b))
}

/// Clearance from each road red line near the basement (negative inside a road).
fn road_clearances(ctx: &Ctx, below: &MultiPolygon<f64>, req: f64) -> Vec<Option<Clearance>> {
    let below_geom = Geometry::MultiPolygon(below.clone());
    let mut roads = ctx.site.within(Kind::RoadRedLine, &below_geom, req + 1.0);
    if roads.is_empty() {
        roads.extend(
            ctx.site
                .nearest(Kind::RoadRedLine, &below_geom)
                .map(|x| x.0),
        );
    }
    roads
        .into_iter()
        .map(|road| {
            let name = format!("{} 道路红线 road red line", road.label());
            let rp = polygons(&road.geometry);
            let edge = Boundary::of(&road.geometry);
            let inside: f64 = edge.deepest(below.coords_iter().filter(|c| rp.contains(&Point(*c))));
            let (a, b, d) = closest_points(&below_geom, &road.geometry)?;
            Some((name, if inside > 0.0 { -inside } else { d }, a, b))
        })
        .collect()
}
