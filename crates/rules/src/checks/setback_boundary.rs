//! `setback_boundary`: distance from the above-ground footprint to the parcel boundary
//! 用地边界, leaving out the edges that lie on a road red line (those are `setback_road`'s).
//! Required: the parcel's `setback_boundary_min`, else the city table by use and height,
//! each part of the building (podium, tower) by its own height.

use crate::context::{decide_distance, fmt_m, needs_placement, result, Ctx, PartGeom};
use crate::geom::{closest_points, segments};
use crate::profile::UseClass;
use crate::report::{CheckResult, Citation, Status, Text, Unit};
use geo::{Area, BooleanOps, Distance, Euclidean, Geometry, Line, MultiLineString, Point};
use zhishen_site::Kind;

/// The governing part: distance, required, citation, closest points.
type Governing = (f64, f64, Citation, geo::Coord<f64>, geo::Coord<f64>);

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "setback_boundary",
        Text::new("退用地边界", "Setback from the parcel boundary"),
        Unit::M,
    );
    let Some(fp) = ctx.footprint() else {
        needs_placement(&mut r, ctx);
        return r;
    };
    let table = ctx.profiles.pick(|p| p.setback_boundary.as_ref());
    let parcel_min = ctx.parcel.number("setback_boundary_min");
    let class = if ctx.is_residential() {
        UseClass::Residential
    } else {
        UseClass::Public
    };
    // The requirement for a part of height `h`: the parcel's, else the table row.
    let required = |h: Option<f64>| -> Result<(f64, Citation), Text> {
        match (parcel_min, &table, h) {
            (Some(v), _, _) => Ok((v, ctx.parcel_cite("setback_boundary_min"))),
            (None, Some((t, p)), Some(h)) => t
                .rows
                .iter()
                .filter(|r| {
                    (r.use_class == class || r.use_class == UseClass::Any) && h <= r.height_max
                })
                .min_by(|a, b| a.height_max.total_cmp(&b.height_max))
                .map(|row| (row.setback_m, p.cite(&t.source.clause, t.source.unverified)))
                .ok_or_else(|| Text::new(
                    "城市退界表没有适用于该高度的规定",
                    "the city table has no row for this height",
                )),
            _ => Err(Text::new(
                "地块未给出退界要求，且无法查表(缺少建筑高度或城市规定)",
                "the parcel gives no boundary setback and no table value applies (height or city rule missing)",
            )),
        }
    };
    let road_tol = table.map(|(t, _)| t.road_edge_tolerance_m).unwrap_or(0.5);
    let parcel_geom = Geometry::MultiPolygon(ctx.parcel_poly.clone());
    let roads = ctx.site.within(Kind::RoadRedLine, &parcel_geom, road_tol);
    let near_road = |p: Point<f64>| {
        roads
            .iter()
            .any(|f| Euclidean.distance(&Geometry::Point(p), &f.geometry) <= road_tol)
    };
    let mut kept: Vec<Line<f64>> = Vec::new();
    let mut road_edges = 0usize;
    for s in segments(&parcel_geom) {
        let mid = Point::new((s.start.x + s.end.x) / 2.0, (s.start.y + s.end.y) / 2.0);
        if near_road(Point(s.start)) && near_road(Point(s.end)) && near_road(mid) {
            road_edges += 1;
        } else {
            kept.push(s);
        }
    }
    if kept.is_empty() {
        r.status = Status::NotApplicable;
        r.explanation = Text::new(
            "地块四周均为道路红线，见退道路红线",
            "every parcel edge lies on a road red line; see setback_road",
        );
        return r;
    }
    let lines = Geometry::MultiLineString(MultiLineString(
        kept.iter()
            .map(|l| geo::LineString(vec![l.start, l.end]))
            .collect(),
    ));
    let outside = fp.difference(&ctx.parcel_poly).unsigned_area();
    // Each part against the row for its own height (one part with a parcel minimum).
    let parts = match (parcel_min, ctx.parts()) {
        (None, parts) if !parts.is_empty() => parts,
        _ => vec![PartGeom {
            geom: Geometry::MultiPolygon(fp.clone()),
            height_m: ctx.height(),
            building: None,
        }],
    };
    let mut best: Option<Governing> = None;
    for part in &parts {
        let (req, cite) = match required(part.height_m) {
            Ok(x) => x,
            Err(why) => {
                r.explanation = why;
                return r;
            }
        };
        let Some((a, b, mut d)) = closest_points(&part.geom, &lines) else {
            continue;
        };
        if outside > 0.0 {
            d = 0.0; // it crosses the boundary
        }
        if best.as_ref().is_none_or(|x| d - req < x.0 - x.1) {
            best = Some((d, req, cite, a, b));
        }
    }
    let Some((d, req, cite, a, b)) = best else {
        return r;
    };
    r.clause = Some(cite);
    decide_distance(&mut r, ctx, d, req, a, b, false);
    r.details = serde_json::json!({"road_edges_excluded": road_edges, "edges_checked": kept.len(), "outside_parcel_m2": outside});
    r.explanation = match r.status {
        Status::Fail if outside > 0.0 => Text::new(
            format!("建筑越过地块 {} 边界 ({outside:.2} m² 在界外)，要求退界 {}", ctx.parcel_id(), fmt_m(req)),
            format!("the building crosses the boundary of parcel {} ({outside:.2} m² outside); {} required", ctx.parcel_id(), fmt_m(req)),
        ),
        Status::Fail => Text::new(
            format!("距用地边界 {} < 要求 {}", fmt_m(d), fmt_m(req)),
            format!("{} from the parcel boundary, less than the required {}", fmt_m(d), fmt_m(req)),
        ),
        _ => Text::new(
            format!("距用地边界(不含道路边) {} ≥ 要求 {}", fmt_m(d), fmt_m(req)),
            format!("{} from the parcel boundary (road edges excluded), at least the required {}", fmt_m(d), fmt_m(req)),
        ),
    };
    r
}
