//! `coverage`: building coverage 建筑密度 = 基底面积 / parcel area, against the parcel's
//! `coverage_max`. The 基底面积 is the outline where the buildings stand on the ground
//! (GB 50180 "地上建筑的基底面积"): the projection of what lies between 1 cm and 2.2 m
//! above the ground, so basements, balconies, canopies and cantilevered floors are out.

use crate::context::{decide, fmt_pct, result, Ctx};
use crate::geom::geojson;
use crate::report::{CheckResult, Comparison, Status, Text, Unit};
use geo::Geometry;

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "coverage",
        Text::new("建筑密度", "Building coverage"),
        Unit::Ratio,
    );
    r.clause = Some(ctx.parcel_cite("coverage_max"));
    let Some(limit) = ctx.parcel.number("coverage_max") else {
        r.explanation = Text::new(
            format!("地块 {} 未给出建筑密度上限", ctx.parcel_id()),
            format!("parcel {} gives no coverage limit", ctx.parcel_id()),
        );
        return r;
    };
    // The base area does not depend on where the building stands.
    let area = ctx
        .placed
        .map(|p| p.base_area_m2())
        .unwrap_or(ctx.model.facts.base_area_m2);
    if area <= 0.0 {
        r.explanation = Text::new(
            "模型没有地上建筑轮廓",
            "the model has no above-ground footprint",
        );
        return r;
    }
    let cov = area / ctx.parcel_area;
    decide(&mut r, cov, limit, Comparison::AtMost, &ctx.tol);
    let footprint = ctx
        .placed
        .map(|p| p.footprint_area_m2())
        .unwrap_or(ctx.model.facts.footprint_area_m2);
    r.details = serde_json::json!({"base_area_m2": area, "footprint_m2": footprint, "parcel_area_m2": ctx.parcel_area});
    if let Some(f) = ctx.placed.map(|p| &p.base) {
        if r.status == Status::Fail {
            r.evidence = Some(geojson(&Geometry::MultiPolygon(f.clone())));
            r.elements = ctx.elements_in(f);
            r.elements_bbox = ctx.bbox_of(&r.elements);
        }
    }
    r.explanation = if r.status == Status::Fail {
        Text::new(
            format!(
                "建筑密度 {} (基底 {area:.2} m²) 超过上限 {}",
                fmt_pct(cov),
                fmt_pct(limit)
            ),
            format!(
                "coverage {} ({area:.2} m² base area) exceeds the maximum {}",
                fmt_pct(cov),
                fmt_pct(limit)
            ),
        )
    } else {
        Text::new(
            format!(
                "建筑密度 {} (基底 {area:.2} m²) ≤ {}",
                fmt_pct(cov),
                fmt_pct(limit)
            ),
            format!(
                "coverage {} ({area:.2} m² base area) is within {}",
                fmt_pct(cov),
                fmt_pct(limit)
            ),
        )
    };
    r
}
