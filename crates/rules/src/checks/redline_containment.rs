//! `redline_containment`: the footprint, underground storeys included, lies inside the
//! parcel 用地红线 and does not overlap a road red line 道路红线 (GB 50352-2019 §4.3.1:
//! no part of a new building may cross them). Measured: the largest protrusion (m) of the
//! footprint beyond the parcel or into a road; limit 0 within the distance tolerance.

use crate::context::{decide, fmt_m, needs_placement, result, Ctx};
use crate::geom::{geojson, near_polygons, polygons, split_by_envelope, Boundary};
use crate::report::{CheckResult, Comparison, Status, Text, Unit};
use geo::{Area, BooleanOps, Contains, CoordsIter, Geometry, Intersects, MultiPolygon, Point};
use zhishen_site::Kind;

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "redline_containment",
        Text::new(
            "用地红线与道路红线",
            "Inside the parcel and clear of road red lines",
        ),
        Unit::M,
    );
    let Some((sec, profile)) = ctx.profiles.pick(|p| p.redline.as_ref()) else {
        r.explanation = Text::new("规则配置缺少红线规定", "no red-line rule in the profiles");
        return r;
    };
    r.clause = Some(profile.cite(&sec.source.clause, sec.source.unverified));
    let Some(fp) = ctx.footprint_all() else {
        needs_placement(&mut r, ctx);
        return r;
    };
    if fp.0.is_empty() {
        r.explanation = Text::new(
            "模型没有可投影的建筑轮廓",
            "the model has no footprint to check",
        );
        return r;
    }
    let (outside, parcel_depth) = beyond_parcel(ctx, &fp);
    let outside_area = outside.unsigned_area();
    let roads = into_roads(ctx, &fp);
    let protrusion = parcel_depth.max(roads.depth);
    let mut offending = outside;
    offending.0.extend(roads.overlaps);
    let roads = roads.entries;
    decide(&mut r, protrusion, 0.0, Comparison::AtMost, &ctx.tol);
    r.details = serde_json::json!({"outside_parcel_m2": outside_area, "roads": roads});
    if r.status == Status::Fail || r.within_tolerance {
        r.elements = ctx.elements_in(&offending);
        r.elements_bbox = ctx.bbox_of(&r.elements);
        r.evidence = Some(geojson(&Geometry::MultiPolygon(offending)));
    }
    r.explanation = explain(ctx, r.status, outside_area, roads.len(), protrusion);
    r
}

/// What lies beyond the parcel: the footprint outside it, and the farthest corner's
/// distance from its red line.
fn beyond_parcel(ctx: &Ctx, fp: &MultiPolygon<f64>) -> (MultiPolygon<f64>, f64) {
    // Polygons away from the parcel are outside whole, and only those beside it are
    // overlaid (a footprint with entourage has thousands).
    let (beside, away) = split_by_envelope(fp, &ctx.parcel_poly);
    let mut outside = beside.difference(&ctx.parcel_poly);
    outside.0.extend(away.0);
    let edge = Boundary::of_polygons(&ctx.parcel_poly);
    let depth = edge.deepest(
        fp.coords_iter()
            .filter(|c| !ctx.parcel_poly.intersects(&Point(*c))),
    );
    (outside, depth)
}

/// The footprint's overlaps with road red lines.
struct Roads {
    /// One entry per road overlapped or crossed, for the details.
    entries: Vec<serde_json::Value>,
    /// The overlapping areas, for the evidence.
    overlaps: Vec<geo::Polygon<f64>>,
    /// The deepest corner's distance into a road (an upper bound for a red line
    /// given as a line).
    depth: f64,
}

fn into_roads(ctx: &Ctx, fp: &MultiPolygon<f64>) -> Roads {
    let mut out = Roads {
        entries: Vec::new(),
        overlaps: Vec::new(),
        depth: 0.0,
    };
    let fp_geom = Geometry::MultiPolygon(fp.clone());
    for road in ctx.site.within(Kind::RoadRedLine, &fp_geom, 0.0) {
        let rp = polygons(&road.geometry);
        let name = road.label();
        let edge = Boundary::of(&road.geometry);
        if rp.0.is_empty() {
            // A red line given as a line: crossing it is an overlap.
            let depth = edge.deepest(fp.coords_iter());
            out.depth = out.depth.max(depth);
            out.entries.push(serde_json::json!({"road": name, "crosses_line": true, "depth_upper_bound_m": depth}));
            continue;
        }
        // Only the footprint's polygons beside the road can overlap it or have a
        // corner inside it.
        let near = near_polygons(fp, &rp);
        let inter: MultiPolygon<f64> = near.intersection(&rp);
        let a = inter.unsigned_area();
        if a <= 0.0 {
            continue;
        }
        let depth = edge.deepest(near.coords_iter().filter(|c| rp.contains(&Point(*c))));
        out.depth = out.depth.max(depth);
        out.entries
            .push(serde_json::json!({"road": name, "overlap_m2": a, "depth_m": depth}));
        out.overlaps.extend(inter.0);
    }
    out
}

fn explain(ctx: &Ctx, status: Status, outside_area: f64, roads: usize, protrusion: f64) -> Text {
    if status != Status::Fail {
        return Text::new(
            format!("建筑(含地下部分)位于地块 {} 用地红线内，未侵入道路红线", ctx.parcel_id()),
            format!("the building, underground parts included, lies inside parcel {} and clear of road red lines", ctx.parcel_id()),
        );
    }
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if outside_area > 0.0 {
        zh.push(format!(
            "{outside_area:.2} m² 超出地块 {} 用地红线",
            ctx.parcel_id()
        ));
        en.push(format!(
            "{outside_area:.2} m² lies outside parcel {}",
            ctx.parcel_id()
        ));
    }
    if roads > 0 {
        zh.push(format!("侵入道路红线 {roads} 处"));
        en.push(format!("it overlaps {roads} road red line(s)"));
    }
    Text::new(
        format!("{}，最大越线 {}", zh.join("，"), fmt_m(protrusion)),
        format!(
            "{}; largest protrusion {}",
            en.join("; "),
            fmt_m(protrusion)
        ),
    )
}
