//! `green_ratio`: green ratio 绿地率 = Σ weighted green area inside the parcel / parcel
//! area, against the parcel's `green_min`. Green within the clearance of the building
//! (GB 50180-2018 A.0.3: 1.0 m from the wall foot) does not count; weights by green type
//! come from the profile. Not applicable when neither site nor model has green areas.

use crate::context::{decide, fmt_pct, needs_placement, result, Ctx};
use crate::geom::{geojson, polygons};
use crate::report::{CheckResult, Comparison, Status, Text, Unit};
use geo::{Area, BooleanOps, Buffer, Geometry, MultiPolygon};
use zhishen_site::Kind;

pub fn check(ctx: &Ctx) -> CheckResult {
    let mut r = result(
        "green_ratio",
        Text::new("绿地率", "Green ratio"),
        Unit::Ratio,
    );
    r.clause = Some(ctx.parcel_cite("green_min"));
    if ctx.site.count(Kind::GreenArea) == 0 {
        r.status = Status::NotApplicable;
        r.explanation = Text::new(
            "场地数据与模型均无绿地，未核验绿地率",
            "neither the site nor the model has green areas",
        );
        return r;
    }
    let Some(limit) = ctx.parcel.number("green_min") else {
        r.explanation = Text::new(
            format!("地块 {} 未给出绿地率下限", ctx.parcel_id()),
            format!("parcel {} gives no minimum green ratio", ctx.parcel_id()),
        );
        return r;
    };
    let Some((rule, profile)) = ctx.profiles.pick(|p| p.green_ratio.as_ref()) else {
        r.explanation = Text::new(
            "规则配置缺少绿地计算规则",
            "no green-ratio rule in the profiles",
        );
        return r;
    };
    let Some(fp) = ctx.footprint() else {
        needs_placement(&mut r, ctx);
        return r;
    };
    let parcel_geom = Geometry::MultiPolygon(ctx.parcel_poly.clone());
    let greens = ctx.site.within(Kind::GreenArea, &parcel_geom, 0.0);
    if greens.is_empty() {
        r.explanation = Text::new(
            format!("地块 {} 内没有记录绿地，无法核验绿地率", ctx.parcel_id()),
            format!(
                "no green area is recorded inside parcel {}",
                ctx.parcel_id()
            ),
        );
        return r;
    }
    let clear: MultiPolygon<f64> = if rule.building_clearance_m > 0.0 {
        fp.buffer(rule.building_clearance_m)
    } else {
        fp.clone()
    };
    let mut total = 0.0;
    let mut rows = Vec::new();
    let mut counted = MultiPolygon(vec![]);
    for g in greens {
        let kind = g
            .extra
            .get("type")
            .or_else(|| g.extra.get("类型"))
            .or_else(|| g.extra.get("绿地类型"))
            .and_then(|v| v.as_str())
            .unwrap_or("default")
            .to_string();
        let w = rule
            .weights
            .get(&kind)
            .or_else(|| rule.weights.get("default"))
            .copied()
            .unwrap_or(1.0);
        let inside = polygons(&g.geometry)
            .intersection(&ctx.parcel_poly)
            .difference(&clear);
        let a = inside.unsigned_area();
        total += a * w;
        rows.push(
            serde_json::json!({"name": g.text("name"), "type": kind, "weight": w, "area_m2": a}),
        );
        counted.0.extend(inside.0);
    }
    let ratio = total / ctx.parcel_area;
    decide(&mut r, ratio, limit, Comparison::AtLeast, &ctx.tol);
    r.details = serde_json::json!({"green_m2": total, "parcel_area_m2": ctx.parcel_area, "areas": rows, "rule": profile.cite(&rule.source.clause, rule.source.unverified)});
    if r.status == Status::Fail {
        r.evidence = Some(geojson(&Geometry::MultiPolygon(counted)));
    }
    r.explanation = if r.status == Status::Fail {
        Text::new(
            format!(
                "绿地率 {} (计算绿地 {total:.2} m²) 低于下限 {}",
                fmt_pct(ratio),
                fmt_pct(limit)
            ),
            format!(
                "green ratio {} ({total:.2} m² counted) is below the minimum {}",
                fmt_pct(ratio),
                fmt_pct(limit)
            ),
        )
    } else {
        Text::new(
            format!(
                "绿地率 {} (计算绿地 {total:.2} m²) ≥ {}",
                fmt_pct(ratio),
                fmt_pct(limit)
            ),
            format!(
                "green ratio {} ({total:.2} m² counted) meets the minimum {}",
                fmt_pct(ratio),
                fmt_pct(limit)
            ),
        )
    };
    r
}
