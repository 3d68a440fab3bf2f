//! `redline_containment`: the footprint, underground storeys included, lies inside the
//! parcel 用地红线 and does not overlap a road red line 道路红线 (GB 50352-2019 §4.3.1:
//! no part of a new building may cross them). Measured: the largest protrusion (m) of the
//! footprint beyond the parcel or into a road; limit 0 within the distance tolerance.

use crate::context::{decide, fmt_m, needs_placement, result, Ctx};
use crate::geom::{geojson, near_polygons, polygons, split_by_envelope, to_boundary};
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
    let parcel_geom = Geometry::MultiPolygon(ctx.parcel_poly.clone());
    // Beyond the parcel: polygons away from it are outside whole, and only those
    // beside it are overlaid (a footprint with entourage has thousands).
    let (beside, away) = split_by_envelope(&fp, &ctx.parcel_poly);
    let mut outside = beside.difference(&ctx.parcel_poly);
    outside.0.extend(away.0);
    let outside_area = outside.unsigned_area();
    let mut protrusion = 0.0f64;
    for c in fp.coords_iter() {
        if !ctx.parcel_poly.intersects(&Point(c)) {
            protrusion = protrusion.max(to_boundary(c, &parcel_geom));
        }
    }
    // Into road red lines.
    let mut offending = outside.clone();
    let mut roads = Vec::new();
    let fp_geom = Geometry::MultiPolygon(fp.clone());
    for road in ctx.site.within(Kind::RoadRedLine, &fp_geom, 0.0) {
        let rp = polygons(&road.geometry);
        let name = road.label();
        if rp.0.is_empty() {
            // A red line given as a line: crossing it is an overlap.
            let depth = fp
                .coords_iter()
                .map(|c| to_boundary(c, &road.geometry))
                .fold(0.0, f64::max);
            protrusion = protrusion.max(depth);
            roads.push(serde_json::json!({"road": name, "crosses_line": true, "depth_upper_bound_m": depth}));
            continue;
        }
        // Only the footprint's polygons beside the road can overlap it or have a
        // corner inside it.
        let near = near_polygons(&fp, &rp);
        let inter: MultiPolygon<f64> = near.intersection(&rp);
        let a = inter.unsigned_area();
        if a <= 0.0 {
            continue;
        }
        let road_geom = Geometry::MultiPolygon(rp.clone());
        let depth = near
            .coords_iter()
            .filter(|c| rp.contains(&Point(*c)))
            .map(|c| to_boundary(c, &road_geom))
            .fold(0.0, f64::max);
        protrusion = protrusion.max(depth);
        roads.push(serde_json::json!({"road": name, "overlap_m2": a, "depth_m": depth}));
        offending.0.extend(inter.0);
    }
    decide(&mut r, protrusion, 0.0, Comparison::AtMost, &ctx.tol);
    r.details = serde_json::json!({"outside_parcel_m2": outside_area, "roads": roads});
    if r.status == Status::Fail || r.within_tolerance {
        r.evidence = Some(geojson(&Geometry::MultiPolygon(offending.clone())));
        r.elements = ctx.elements_in(&offending);
        r.elements_bbox = ctx.bbox_of(&r.elements);
    }
    r.explanation = if r.status == Status::Fail {
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
        if !roads.is_empty() {
            zh.push(format!("侵入道路红线 {} 处", roads.len()));
            en.push(format!("it overlaps {} road red line(s)", roads.len()));
        }
        Text::new(
            format!("{}，最大越线 {}", zh.join("，"), fmt_m(protrusion)),
            format!(
                "{}; largest protrusion {}",
                en.join("; "),
                fmt_m(protrusion)
            ),
        )
    } else {
        Text::new(
            format!("建筑(含地下部分)位于地块 {} 用地红线内，未侵入道路红线", ctx.parcel_id()),
            format!("the building, underground parts included, lies inside parcel {} and clear of road red lines", ctx.parcel_id()),
        )
    };
    r
}
